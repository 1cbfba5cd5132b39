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

/// The value of the request's cookie `name`.
pub(crate) fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
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
            return match state.db(move |s| s.api_token_user(&hash)).await {
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
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}

/// Failed logins per account name: after [`LoginThrottle::MAX_FAILURES`]
/// failures within [`LoginThrottle::WINDOW_MINUTES`] the name is refused until
/// the window has passed, so passwords and claim codes cannot be guessed
/// quickly. Kept in memory (a restart forgets it).
#[derive(Clone, Default)]
pub struct LoginThrottle(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<jiff::Timestamp>>>>);

impl LoginThrottle {
    pub const MAX_FAILURES: usize = 5;
    pub const WINDOW_MINUTES: i64 = 15;

    fn recent(list: &mut Vec<jiff::Timestamp>, now: jiff::Timestamp) {
        let since = now.checked_sub(jiff::SignedDuration::from_mins(Self::WINDOW_MINUTES)).unwrap_or(now);
        list.retain(|t| *t > since);
    }

    /// Whether `name` may try now.
    pub fn allowed(&self, name: &str, now: jiff::Timestamp) -> bool {
        let mut map = self.0.lock().expect("throttle");
        match map.get_mut(name) {
            Some(list) => {
                Self::recent(list, now);
                list.len() < Self::MAX_FAILURES
            }
            None => true,
        }
    }

    pub fn failed(&self, name: &str, now: jiff::Timestamp) {
        let mut map = self.0.lock().expect("throttle");
        let list = map.entry(name.to_string()).or_default();
        Self::recent(list, now);
        list.push(now);
    }

    pub fn succeeded(&self, name: &str) {
        self.0.lock().expect("throttle").remove(name);
    }
}
