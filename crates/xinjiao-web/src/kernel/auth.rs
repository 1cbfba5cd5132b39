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

use crate::kernel::state::AppState;
pub use crate::kernel::throttle::{Attempt, LoginThrottle, Refusal};

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
                let enc = crate::kernel::views::urlencode(&next);
                axum::response::Redirect::to(&format!("/console/login?next={enc}")).into_response()
            }
            StaffRejection::CrossSite => crate::kernel::error::PageError::Forbidden.into_response(),
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
    type Rejection = crate::kernel::error::ApiError;

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
                Ok(None) => Err(crate::kernel::error::ApiError::unauthorized()),
                Err(e) => Err(e.into()),
            };
        }
        if !same_origin(parts) {
            return Err(crate::kernel::error::ApiError::unauthorized());
        }
        match MaybeUser::from_request_parts(parts, state).await {
            Ok(MaybeUser(Some(u))) => Ok(ApiUser(u)),
            _ => Err(crate::kernel::error::ApiError::unauthorized()),
        }
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
    type Rejection = crate::kernel::error::PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if same_origin(parts) { Ok(SameOrigin) } else { Err(crate::kernel::error::PageError::Forbidden) }
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
    st: &AppState,
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

/// The cookie of a subject's session.
pub const SUBJECT_COOKIE: &str = "xj_subject";

/// The subject signed in to its account.
pub struct SubjectUser(pub xinjiao_store::Subject);

impl FromRequestParts<AppState> for SubjectUser {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        if !same_origin(parts) {
            return Err(crate::kernel::error::PageError::Forbidden.into_response());
        }
        let token = cookie_value(parts, SUBJECT_COOKIE).map(token_hash);
        let now = st.now();
        let found = match token {
            Some(h) => st.db(move |s| s.subject_session(&h, now)).await.ok().flatten(),
            None => None,
        };
        found.map(SubjectUser).ok_or_else(|| axum::response::Redirect::to("/account/login").into_response())
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
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
