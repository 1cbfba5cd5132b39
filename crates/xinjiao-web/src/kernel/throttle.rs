//! The login throttle: password and claim-code attempts counted before the
//! secret is checked, per account and address, per address and per account,
//! in bounded memory; and the small pool that caps concurrent password hashes.

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This account from this address, or this account from everywhere.
    Account,
    /// This address, whatever the account.
    Address,
}

impl Refusal {
    /// The Chinese message of a refused login.
    pub fn message(self) -> String {
        match self {
            Refusal::Account => format!("该账户登录失败次数过多，请 {} 分钟后再试。", LoginThrottle::WINDOW_MINUTES),
            Refusal::Address => {
                format!("本机登录失败次数过多，请 {} 分钟后再试。", LoginThrottle::WINDOW_MINUTES)
            }
        }
    }
}

/// An attempt counted before its secret was checked.
#[derive(Debug)]
pub struct Attempt {
    keys: [String; 3],
    at: jiff::Timestamp,
}

#[derive(Default)]
struct ThrottleState {
    failures: std::collections::HashMap<String, Vec<jiff::Timestamp>>,
}

/// Login and claim-code attempts, counted *before* the password or code is
/// checked, so that parallel guesses cannot pass the limit: per account and
/// client address ([`LoginThrottle::MAX_PAIR_FAILURES`]), per address
/// whatever the account ([`LoginThrottle::MAX_ADDRESS_FAILURES`]), and per
/// account from every address ([`LoginThrottle::MAX_ACCOUNT_FAILURES`]),
/// each within [`LoginThrottle::WINDOW_MINUTES`]. A stranger guessing from
/// one address locks only that address and that pair: the owner elsewhere
/// still signs in. ([`LoginThrottle::unlock`] lifts an account's locks; no
/// console page calls it yet.)
/// A success clears the account's counts. Memory is bounded: names are cut to
/// [`LoginThrottle::MAX_NAME_CHARS`] characters, entries expire with the
/// window, and at most [`LoginThrottle::MAX_ENTRIES`] keys are kept (the
/// oldest are dropped). Kept in memory: a restart forgets it.
#[derive(Clone)]
pub struct LoginThrottle {
    state: std::sync::Arc<std::sync::Mutex<ThrottleState>>,
    /// Reverse proxies whose `X-Forwarded-For` names the client ([`ClientAddr`]).
    trusted_proxies: std::sync::Arc<Vec<std::net::IpAddr>>,
    /// Password hashes running at once (each Argon2id hash takes 19 MiB).
    hashes: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            state: Default::default(),
            trusted_proxies: Default::default(),
            hashes: std::sync::Arc::new(tokio::sync::Semaphore::new(Self::MAX_CONCURRENT_HASHES)),
        }
    }
}

impl LoginThrottle {
    pub const MAX_PAIR_FAILURES: usize = 5;
    pub const MAX_ADDRESS_FAILURES: usize = 30;
    pub const MAX_ACCOUNT_FAILURES: usize = 50;
    pub const WINDOW_MINUTES: i64 = 15;
    pub const MAX_NAME_CHARS: usize = 64;
    pub const MAX_ENTRIES: usize = 100_000;
    pub const MAX_CONCURRENT_HASHES: usize = 2;
    /// How long a request waits for a hash slot before it is turned away.
    pub const HASH_WAIT_SECONDS: u64 = 10;

    /// A throttle that takes the client's address from these reverse proxies'
    /// `X-Forwarded-For` (behind a proxy every client would otherwise share
    /// its address, and thirty failures anywhere would lock every login).
    pub fn trusting(proxies: Vec<std::net::IpAddr>) -> LoginThrottle {
        LoginThrottle { trusted_proxies: std::sync::Arc::new(proxies), ..LoginThrottle::default() }
    }

    /// Whether `peer` is a trusted reverse proxy.
    pub fn trusts(&self, peer: std::net::IpAddr) -> bool {
        self.trusted_proxies.contains(&peer)
    }

    fn keys(scope: &str, name: &str, addr: std::net::IpAddr) -> [String; 3] {
        let name: String = name.chars().take(Self::MAX_NAME_CHARS).collect();
        [format!("{scope}:{name}@{addr}"), format!("addr:{addr}"), format!("{scope}:{name}")]
    }

    fn limits() -> [usize; 3] {
        [Self::MAX_PAIR_FAILURES, Self::MAX_ADDRESS_FAILURES, Self::MAX_ACCOUNT_FAILURES]
    }

    /// Counts an attempt of `name` (in `scope`: staff, subject, claim) from
    /// `addr`, before its secret is checked; refuses it if a limit is reached.
    pub fn begin(
        &self,
        scope: &str,
        name: &str,
        addr: std::net::IpAddr,
        now: jiff::Timestamp,
    ) -> Result<Attempt, Refusal> {
        let since = now.checked_sub(jiff::SignedDuration::from_mins(Self::WINDOW_MINUTES)).unwrap_or(now);
        let keys = Self::keys(scope, name, addr);
        let mut st = self.state.lock().expect("throttle");
        for (i, (key, limit)) in keys.iter().zip(Self::limits()).enumerate() {
            if let Some(list) = st.failures.get_mut(key) {
                list.retain(|t| *t > since);
                if list.len() >= limit {
                    return Err(if i == 1 { Refusal::Address } else { Refusal::Account });
                }
            }
        }
        if st.failures.len() + 3 > Self::MAX_ENTRIES {
            st.failures.retain(|_, list| list.last().is_some_and(|t| *t > since));
            if st.failures.len() + 3 > Self::MAX_ENTRIES {
                // Still full of live entries: drop the tenth last used.
                let mut by_age: Vec<(jiff::Timestamp, String)> =
                    st.failures.iter().map(|(k, list)| (list.last().copied().unwrap_or(since), k.clone())).collect();
                by_age.sort_unstable();
                for (_, key) in by_age.into_iter().take(Self::MAX_ENTRIES / 10 + 3) {
                    st.failures.remove(&key);
                }
            }
        }
        for key in &keys {
            st.failures.entry(key.clone()).or_default().push(now);
        }
        Ok(Attempt { keys, at: now })
    }

    /// The secret was right: the account's counts are cleared and the
    /// attempt no longer counts against the address.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut st = self.state.lock().expect("throttle");
        st.failures.remove(&attempt.keys[0]);
        st.failures.remove(&attempt.keys[2]);
        if let Some(list) = st.failures.get_mut(&attempt.keys[1])
            && let Some(i) = list.iter().rposition(|t| *t == attempt.at)
        {
            list.remove(i);
        }
    }

    /// Lifts every lock on an account (an administrator's unlock).
    pub fn unlock(&self, scope: &str, name: &str) {
        let name: String = name.chars().take(Self::MAX_NAME_CHARS).collect();
        let (exact, pairs) = (format!("{scope}:{name}"), format!("{scope}:{name}@"));
        self.state.lock().expect("throttle").failures.retain(|k, _| *k != exact && !k.starts_with(&pairs));
    }

    /// Keys held (for tests of the memory bound).
    pub fn len(&self) -> usize {
        self.state.lock().expect("throttle").failures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs a password hash or verification on a blocking thread, at most
    /// [`LoginThrottle::MAX_CONCURRENT_HASHES`] at once; `None` when no slot
    /// came free in time (the server is flooded).
    pub async fn hash<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let wait = std::time::Duration::from_secs(Self::HASH_WAIT_SECONDS);
        let permit = tokio::time::timeout(wait, self.hashes.clone().acquire_owned()).await.ok()?.ok()?;
        let out = tokio::task::spawn_blocking(f).await.ok();
        drop(permit);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_memory_is_bounded() {
        let t = LoginThrottle::default();
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let ip = std::net::IpAddr::from([10, 0, 0, 1]);
        let long = "名".repeat(10_000);
        let a = t.begin("staff", &long, ip, now).unwrap();
        assert!(a.keys.iter().all(|k| k.chars().count() < LoginThrottle::MAX_NAME_CHARS + 40));
        for i in 0..40_000u32 {
            let ip = std::net::IpAddr::from(i.to_be_bytes());
            let _ = t.begin("staff", &format!("u{i}"), ip, now);
        }
        assert!(t.len() <= LoginThrottle::MAX_ENTRIES, "{}", t.len());
        // Entries expire with the window.
        let later = now.checked_add(jiff::SignedDuration::from_mins(LoginThrottle::WINDOW_MINUTES + 1)).unwrap();
        for _ in 0..LoginThrottle::MAX_PAIR_FAILURES {
            assert!(t.begin("staff", "clerk", ip, now).is_ok());
        }
        assert_eq!(t.begin("staff", "clerk", ip, now).unwrap_err(), Refusal::Account);
        assert!(t.begin("staff", "clerk", ip, later).is_ok());
        t.unlock("staff", "clerk");
        assert!(t.begin("staff", "clerk", ip, later).is_ok());
    }
}
