//! Staff sign-in and sign-out: the password check behind the login
//! throttle, session rotation at login, and the session ended on the server
//! at logout.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::kernel::auth::{
    ClientAddr, LoginCheck, MaybeUser, SESSION_COOKIE, SESSION_HOURS, SameOrigin, StaffUser, check_login, cookie_in,
    new_token, token_hash,
};
use crate::kernel::context::{form_page_of, safe_next};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

/// This part's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", post(logout).merge(form_page_of(1)))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_form(
    State(st): State<AppState>,
    MaybeUser(u): MaybeUser,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    if u.is_some() {
        return Ok(Redirect::to(safe_next(&q.next)).into_response());
    }
    let page = LoginPage { banner: st.banner(), user: None, next: q.next, username: String::new(), error: None };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    _same: SameOrigin,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let name = f.username.trim().to_string();
    let refuse = |status: StatusCode, error: String, next: String, username: String| -> Result<Response, PageError> {
        let page = LoginPage { banner: st.banner(), user: None, next, username, error: Some(error) };
        Ok((status, Html(page.render()?)).into_response())
    };
    // A disabled account is looked up as no account: refused like a wrong password.
    let account = |s: &dyn xinjiao_store::Store, name: &str| {
        Ok(s.user_by_name(name)?.filter(|u| !u.disabled).map(|u| {
            let phc = u.password_hash.clone();
            (u, phc)
        }))
    };
    let user = match check_login(&st, "staff", name.clone(), f.password.clone(), addr, account).await? {
        LoginCheck::Passed(u) => u,
        LoginCheck::Wrong => return refuse(StatusCode::UNAUTHORIZED, "用户名或密码错误。".into(), f.next, name),
        LoginCheck::Refused(r) => return refuse(StatusCode::TOO_MANY_REQUESTS, r.message(), f.next, name),
        LoginCheck::Busy => {
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "系统繁忙，请稍后再试。".into(), f.next, name);
        }
    };
    // A session cookie the browser already had is ended: sessions rotate at login.
    if let Some(old) = cookie_in(&headers, SESSION_COOKIE) {
        let old = token_hash(&old);
        st.db(move |s| s.delete_session(&old)).await?;
    }
    let token = new_token();
    let hash = token_hash(&token);
    let expires = st
        .now()
        .checked_add(jiff::SignedDuration::from_hours(SESSION_HOURS))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let uid = user.id;
    st.db(move |s| s.create_session(&hash, uid, expires)).await?;
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    let mut resp = Redirect::to(safe_next(&f.next)).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| PageError::Internal(e.to_string()))?);
    Ok(resp)
}

async fn logout(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    _u: StaffUser,
) -> Result<Response, PageError> {
    let token = cookie_in(&headers, SESSION_COOKIE);
    if let Some(t) = token {
        let h = token_hash(&t);
        st.db(move |s| s.delete_session(&h)).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("xj_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}
