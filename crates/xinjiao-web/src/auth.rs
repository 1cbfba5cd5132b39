//! Accounts and sessions: Argon2id password hashes, random session and API
//! tokens stored as SHA-256 hashes, a cookie for the console and a bearer token
//! for machine clients. Every write requires one of the two.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use sha2::{Digest, Sha256};
use xinjiao_store::User;

use crate::AppState;

pub const SESSION_COOKIE: &str = "xj_session";
/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;

/// Hashes a password to a PHC string (Argon2id, OWASP baseline parameters).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A new random secret (32 bytes, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("operating system randomness");
    hex(&bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The form in which tokens are stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The value of cookie `name` in these request headers.
fn cookie_of<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The value of the request's cookie `name`.
pub(crate) fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_of(&parts.headers, name)
}

/// The value of cookie `name` in these headers, owned.
pub(crate) fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    cookie_of(headers, name).map(str::to_string)
}

/// Rejects cross-site form posts: an unsafe method must come from our own origin.
pub(crate) fn same_origin(parts: &Parts) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = parts.headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    match (
        parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) == Some(host),
        // Non-browser clients send neither; the session cookie is SameSite=Strict.
        (None, _) => true,
        _ => false,
    }
}

/// The staff member signed in to the console, if any.
pub struct MaybeUser(pub Option<User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie_value(parts, SESSION_COOKIE) else {
            return Ok(MaybeUser(None));
        };
        let hash = token_hash(token);
        let now = state.now();
        Ok(MaybeUser(state.db(move |s| s.session_user(&hash, now)).await.ok().flatten()))
    }
}

/// A signed-in staff member; otherwise the request is redirected to the login page.
pub struct StaffUser(pub User);

pub enum StaffRejection {
    Login(String),
    CrossSite,
}

impl axum::response::IntoResponse for StaffRejection {
    fn into_response(self) -> axum::response::Response {
        match self {
            StaffRejection::Login(next) => {
                let enc = crate::views::urlencode(&next);
                axum::response::Redirect::to(&format!("/console/login?next={enc}")).into_response()
            }
            StaffRejection::CrossSite => crate::PageError::Forbidden.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = StaffRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if !same_origin(parts) {
            return Err(StaffRejection::CrossSite);
        }
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await.unwrap_or(MaybeUser(None));
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/console".into());
        user.map(StaffUser).ok_or(StaffRejection::Login(next))
    }
}

/// A machine client (`Authorization: Bearer <token>`) or a signed-in staff member.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = crate::api::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_string);
        if let Some(token) = bearer {
            let hash = token_hash(&token);
            let now = state.now();
            return match state.db(move |s| s.api_token_user(&hash, now)).await {
                Ok(Some(u)) => Ok(ApiUser(u)),
                Ok(None) => Err(crate::api::ApiError::unauthorized()),
                Err(e) => Err(e.into()),
            };
        }
        if !same_origin(parts) {
            return Err(crate::api::ApiError::unauthorized());
        }
        match MaybeUser::from_request_parts(parts, state).await {
            Ok(MaybeUser(Some(u))) => Ok(ApiUser(u)),
            _ => Err(crate::api::ApiError::unauthorized()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify() {
        let h = hash_password("正确的密码").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码", &h));
        assert!(!verify_password("错误的密码", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

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

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}

/// Where a request comes from: the connection's peer address or, when that
/// peer is a reverse proxy the server was told to trust
/// (`serve --trusted-proxy`), the last address the proxy put in
/// `X-Forwarded-For`. "Unspecified" when the server runs without connection
/// info (tests that do not set it). The header of an untrusted peer is
/// ignored: a client cannot choose its own address for the throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        if !state.login_throttle.trusts(peer) {
            return Ok(ClientAddr(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .next_back();
        Ok(ClientAddr(forwarded.unwrap_or(peer)))
    }
}

/// Refuses cross-site posts to forms that need no session (logins, claims):
/// a login forced on a victim's browser (login CSRF) is refused.
pub struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = crate::PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if same_origin(parts) { Ok(SameOrigin) } else { Err(crate::PageError::Forbidden) }
    }
}

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

/// A password hash to verify against when the account does not exist, so
/// that known and unknown accounts take the same time.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no such account: timing equaliser").expect("hash"))
}

/// Longest password accepted (checked before hashing).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The outcome of a password login.
pub enum LoginCheck<T> {
    /// The account and its right password.
    Passed(T),
    /// No such account, a wrong password, or input no account can have.
    Wrong,
    /// A throttle limit (see [`LoginThrottle`]).
    Refused(Refusal),
    /// No hash slot came free in time.
    Busy,
}

/// Checks a password login the one way every form does: cheap checks of
/// the input first, the attempt counted before anything else, the account
/// looked up by `account` (its value and its password hash), the password
/// verified on the hash pool (against a dummy hash when there is no account,
/// so that both take the same time), the counts cleared on success.
pub async fn check_login<T: Send + 'static>(
    st: &crate::AppState,
    scope: &'static str,
    name: String,
    password: String,
    addr: std::net::IpAddr,
    account: impl FnOnce(&dyn xinjiao_store::Store, &str) -> xinjiao_store::Result<Option<(T, String)>> + Send + 'static,
) -> xinjiao_store::Result<LoginCheck<T>> {
    let plausible = !name.is_empty()
        && name.chars().count() <= LoginThrottle::MAX_NAME_CHARS
        && !password.is_empty()
        && password.chars().count() <= MAX_PASSWORD_CHARS;
    if !plausible {
        return Ok(LoginCheck::Wrong);
    }
    let attempt = match st.login_throttle.begin(scope, &name, addr, st.now()) {
        Ok(a) => a,
        Err(r) => return Ok(LoginCheck::Refused(r)),
    };
    let found = st.db(move |s| account(s, &name)).await?;
    let phc = found.as_ref().map_or_else(|| dummy_hash().to_string(), |(_, phc)| phc.clone());
    let Some(ok) = st.login_throttle.hash(move || verify_password(&password, &phc)).await else {
        return Ok(LoginCheck::Busy);
    };
    match found {
        Some((value, _)) if ok => {
            st.login_throttle.succeeded(attempt);
            Ok(LoginCheck::Passed(value))
        }
        _ => Ok(LoginCheck::Wrong),
    }
}
