//! The workplace registry: what each capability contributes to the staff's
//! start page (reminders of what is due or overdue) and to the coordinator's
//! dashboard (open cases with their deadlines), without the pages that show
//! them knowing the capability. The registry itself
//! ([`crate::kernel::state::Workplace`]) is filled by the router; adding a
//! capability's reminders is one line there.

/// A reminder on a clerk's start page.
pub struct Reminder {
    /// `overdue`, `soon` or `late` (the page's colour).
    pub level: &'static str,
    pub text: String,
    pub href: String,
}

/// An open case (an objection, a repair application) as the coordinator
/// watches it on the dashboard.
pub struct Case {
    pub what: &'static str,
    pub decision_no: String,
    pub department: String,
    pub status: &'static str,
    pub deadline: String,
    pub overdue: bool,
    pub href: &'static str,
}

/// A count on the coordinator's dashboard ("本月认定违背的信用承诺 3").
pub struct Tally {
    pub label: String,
    pub n: u64,
    /// Where the counted things are listed.
    pub href: String,
    /// Drawn as needing attention.
    pub urgent: bool,
}

/// A count beside a console navigation entry ("3 待审核", "1 已超期").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub n: u64,
    /// What is counted, in Chinese (the badge's title and screen-reader text).
    pub what: &'static str,
    /// Past a deadline (drawn red).
    pub urgent: bool,
}

/// Every staff member sees the entry.
pub fn everyone(_: &xinjiao_store::User) -> bool {
    true
}

/// Coordinators and administrators see the entry.
pub fn overseers(user: &xinjiao_store::User) -> bool {
    user.role.oversees()
}

/// Administrators see the entry.
pub fn admins(user: &xinjiao_store::User) -> bool {
    user.role == xinjiao_store::Role::Admin
}

/// A section a capability adds to a subject's public profile (its credit
/// grades …): a heading and its HTML, rendered by the capability's own
/// template (so escaped there).
pub struct ProfileSection {
    pub title: String,
    pub html: String,
}
