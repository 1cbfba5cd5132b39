//! The shared state of every handler ([`AppState`]: the store, the rules,
//! the clock, the caches and the workplace registry) and the banner above
//! every page.

use std::sync::Arc;

use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_store::{Store, StoreError, User};

use crate::kernel::cache::RatesCache;
use crate::kernel::rules::Rules;
use crate::kernel::throttle::LoginThrottle;
use crate::kernel::time::{Clock, china_date};
use crate::kernel::workplace::{Badge, Case, ProfileSection, Reminder, Tally};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Replaced when an administrator loads a calendar year; every deadline is
    /// derived from it at read time, so a loaded year takes effect at once.
    pub rules: Arc<std::sync::RwLock<Rules>>,
    pub clock: Clock,
    /// Whether the database holds demo data (shown as a banner).
    pub demo: bool,
    /// Whether the clock shows another day (`serve --today`, tests and demos
    /// only); every page then says which day it shows.
    pub test_clock: bool,
    /// Set `Secure` on cookies (behind HTTPS).
    pub secure_cookies: bool,
    /// The installation's public address without a trailing slash
    /// (`https://xinyong.example.gov.cn`): printed notices carry absolute
    /// addresses (`serve --public-url`).
    pub public_url: String,
    /// The dashboard's month counts, reused until the data changes.
    pub rates_cache: RatesCache,
    /// Failed logins of staff and subjects.
    pub login_throttle: LoginThrottle,
    /// What the capabilities contribute to the staff's start page and
    /// dashboard; filled in by [`crate::router`].
    pub workplace: Arc<Workplace>,
    /// The platform's Ed25519 key: signs credit-check receipts
    /// ([`crate::kernel::signing`]).
    pub signer: Arc<xinjiao_core::signed_note::NoteSigner>,
    /// The key's predecessors: each rotation, signed by the retiring key
    /// and its successor ([`crate::kernel::signing::load_history`]).
    pub key_history: Arc<Vec<xinjiao_core::transparency::keys::Transition>>,
}

impl AppState {
    /// Every key a checkpoint of this installation may be signed by: the
    /// current one and those it retired.
    pub fn trusted_keys(&self) -> Vec<xinjiao_core::signed_note::NoteVerifier> {
        let mut keys = vec![self.signer.verifier()];
        keys.extend(self.key_history.iter().map(|t| t.old.clone()));
        keys
    }
}

/// What the banner above every page says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Banner {
    /// The data is demo data.
    pub demo: bool,
    /// The pages show this day (test clock).
    pub test_day: Option<Date>,
}

impl AppState {
    /// The banner of every page.
    pub fn banner(&self) -> Banner {
        Banner { demo: self.demo, test_day: self.test_clock.then(|| self.today()) }
    }
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }
    pub fn today(&self) -> Date {
        china_date(self.now())
    }
    /// Runs a store call on a blocking thread.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .unwrap_or_else(|e| Err(StoreError::Backend(format!("store task failed: {e}"))))
    }
}

/// A capability's reminders for `user`.
pub type ReminderSource = fn(&AppState, &dyn Store, &User) -> Result<Vec<Reminder>, StoreError>;
/// A capability's open cases that `user` acts for.
pub type CaseSource = fn(&AppState, &dyn Store, &User) -> Result<Vec<Case>, StoreError>;

/// A capability's counts on the coordinator's dashboard for `user`.
pub type TallySource = fn(&AppState, &dyn Store, &User) -> Result<Vec<Tally>, StoreError>;

/// A job of the scheduler's (see [`Workplace::jobs`]).
pub type JobSource = fn(&AppState, &dyn Store) -> Result<(), StoreError>;
/// Counts of what waits behind a navigation entry for `user` (empty: nothing waits).
pub type BadgeSource = fn(&AppState, &dyn Store, &User) -> Result<Vec<Badge>, StoreError>;

/// A capability's sections of a subject's public profile.
pub type ProfileSource = fn(&AppState, &dyn Store, &xinjiao_store::Subject) -> Result<Vec<ProfileSection>, StoreError>;

/// A console navigation entry a capability registers.
pub struct NavEntry {
    /// The group it is listed under (报送, 处置, 统计, 管理).
    pub group: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    /// Whether `user` sees the entry.
    pub shown: fn(&User) -> bool,
    pub badges: Option<BadgeSource>,
}

/// The registry: reminder and case sources, in the order they are shown.
#[derive(Default)]
pub struct Workplace {
    pub reminders: Vec<ReminderSource>,
    pub cases: Vec<CaseSource>,
    /// The console's navigation, in the order shown.
    pub nav: Vec<NavEntry>,
    /// Sections of a subject's public profile, in the order shown.
    pub profile: Vec<ProfileSource>,
    /// Sections of the subject's own account page (what it may see of
    /// itself, and do), in the order shown.
    pub account: Vec<ProfileSource>,
    /// What the server's scheduler runs on each of its runs, besides the
    /// monitoring capability's own (auditing other installations' logs…).
    pub jobs: Vec<JobSource>,
    /// Counts on the coordinator's dashboard (commitments broken this month…).
    pub tallies: Vec<TallySource>,
}

impl Workplace {
    /// Every registered reminder for `user`, in registry order.
    pub fn reminders(&self, st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, StoreError> {
        let mut out = Vec::new();
        for source in &self.reminders {
            out.extend(source(st, store, user)?);
        }
        Ok(out)
    }

    /// Every registered section of `subject`'s public profile.
    pub fn profile(
        &self,
        st: &AppState,
        store: &dyn Store,
        subject: &xinjiao_store::Subject,
    ) -> Result<Vec<ProfileSection>, StoreError> {
        sections(&self.profile, st, store, subject)
    }

    /// Every registered section of `subject`'s own account page.
    pub fn account(
        &self,
        st: &AppState,
        store: &dyn Store,
        subject: &xinjiao_store::Subject,
    ) -> Result<Vec<ProfileSection>, StoreError> {
        sections(&self.account, st, store, subject)
    }

    /// Every registered dashboard count for `user`, in registry order.
    pub fn tallies(&self, st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Tally>, StoreError> {
        let mut out = Vec::new();
        for source in &self.tallies {
            out.extend(source(st, store, user)?);
        }
        Ok(out)
    }

    /// Every registered open case `user` acts for, soonest deadline first.
    pub fn cases(&self, st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Case>, StoreError> {
        let mut out = Vec::new();
        for source in &self.cases {
            out.extend(source(st, store, user)?);
        }
        out.sort_by(|a, b| a.deadline.cmp(&b.deadline));
        Ok(out)
    }
}

/// The sections `sources` give of `subject`, in order.
fn sections(
    sources: &[ProfileSource],
    st: &AppState,
    store: &dyn Store,
    subject: &xinjiao_store::Subject,
) -> Result<Vec<ProfileSection>, StoreError> {
    let mut out = Vec::new();
    for source in sources {
        out.extend(source(st, store, subject)?);
    }
    Ok(out)
}
