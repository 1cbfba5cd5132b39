//! The frame of every staff page: the console's own navigation (by
//! capability, with counts of what waits), the account label ("王报送 ·
//! 违章处理科"), and the sign-out button. Capabilities contribute their
//! entries and counts through the workplace registry
//! ([`crate::kernel::state::Workplace::nav`], entries of
//! [`crate::kernel::state::NavEntry`]), so the frame knows none of them.

use xinjiao_store::User;

use crate::kernel::context::dept_name;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::Badge;

/// A link of the rendered navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub badges: Vec<Badge>,
    pub active: bool,
}

/// A group of links.
#[derive(Debug, Clone)]
pub struct NavGroup {
    pub name: &'static str,
    pub links: Vec<NavLink>,
}

/// What a staff page's frame shows.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// "王报送 · 违章处理科" (or "· 协调员" without a department).
    pub account: String,
    pub groups: Vec<NavGroup>,
}

impl Chrome {
    /// Total urgent items (shown on the collapsed menu button).
    pub fn urgent(&self) -> u64 {
        self.groups.iter().flat_map(|g| &g.links).flat_map(|l| &l.badges).filter(|b| b.urgent).map(|b| b.n).sum()
    }
}

impl AppState {
    /// The frame of a staff page for `user`, with the entry whose address is
    /// `active` marked (the entry with the longest matching prefix).
    pub async fn chrome(&self, user: &User, active: &str) -> Result<Chrome, PageError> {
        let st = self.clone();
        let user = user.clone();
        let active = active.to_string();
        Ok(self
            .db(move |store| {
                let department = match user.department_id {
                    Some(d) => dept_name(&store.departments()?, d),
                    None => user.role.label().to_string(),
                };
                let best = st
                    .workplace
                    .nav
                    .iter()
                    .filter(|e| (e.shown)(&user) && prefix_of(e.href, &active))
                    .map(|e| e.href.len())
                    .max();
                let mut groups: Vec<NavGroup> = Vec::new();
                for e in st.workplace.nav.iter().filter(|e| (e.shown)(&user)) {
                    let badges = match e.badges {
                        Some(f) => f(&st, store, &user)?.into_iter().filter(|b| b.n > 0).collect(),
                        None => vec![],
                    };
                    let link = NavLink {
                        label: e.label,
                        href: e.href,
                        badges,
                        active: Some(e.href.len()) == best && prefix_of(e.href, &active),
                    };
                    match groups.iter_mut().find(|g| g.name == e.group) {
                        Some(g) => g.links.push(link),
                        None => groups.push(NavGroup { name: e.group, links: vec![link] }),
                    }
                }
                Ok(Chrome { account: format!("{} · {}", user.display_name, department), groups })
            })
            .await?)
    }
}

/// Whether the entry `href` covers the page at `path` (itself, or a page
/// under it; `/console` covers only itself).
fn prefix_of(href: &str, path: &str) -> bool {
    let href = href.split('?').next().unwrap_or(href);
    path == href || (href != "/console" && path.starts_with(href) && path[href.len()..].starts_with(['/', '?']))
}

#[cfg(test)]
mod tests {
    use super::prefix_of;

    #[test]
    fn an_entry_covers_its_pages_but_the_start_page_only_itself() {
        assert!(prefix_of("/console", "/console"));
        assert!(!prefix_of("/console", "/console/reviews"));
        assert!(prefix_of("/console/dashboard", "/console/dashboard/drill"));
        assert!(prefix_of("/console/records/new?kind=penalty", "/console/records/new"));
        assert!(!prefix_of("/console/records", "/console/recordsx"));
    }
}
