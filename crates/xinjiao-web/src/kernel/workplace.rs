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
