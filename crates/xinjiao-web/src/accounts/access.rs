//! Who may sign in and with what: API tokens (created with an expiry, listed
//! without their secret, revoked at once) and, for administrators, staff
//! accounts (disable, enable, lift a login lock-out).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_store::{Role, StoreError, User, WriteContext};

use crate::kernel::auth::StaffUser;
use crate::kernel::context::{ctx, form_page_of};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;

/// How long a token lives unless told otherwise, and at most (days).
pub const TOKEN_DAYS_DEFAULT: i64 = 365;
pub const TOKEN_DAYS_MAX: i64 = 3650;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/tokens", get(tokens).post(create_token))
        .route("/console/tokens/{id}/revoke", post(revoke_token).merge(form_page_of(2)))
        .route("/console/users", get(users))
        .route("/console/users/{username}/{action}", post(user_action).merge(form_page_of(2)))
}

/// Issues a token for `user_id`, valid for `days` from `ctx.at`; returns the
/// secret, which is stored only as its hash and shown once.
pub fn issue_api_token(
    store: &dyn xinjiao_store::Store,
    ctx: &WriteContext,
    user_id: i64,
    name: &str,
    days: i64,
) -> Result<String, StoreError> {
    let token = crate::kernel::auth::new_token();
    let expires = ctx.at.checked_add(jiff::SignedDuration::from_hours(24 * days)).ok();
    store.create_api_token(ctx, &crate::kernel::auth::token_hash(&token), user_id, name, expires)?;
    Ok(token)
}

struct TokenRow {
    id: String,
    username: String,
    name: String,
    created: String,
    expires: String,
    status: &'static str,
    live: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    all: bool,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
    errors: Vec<String>,
    max_days: i64,
    default_days: i64,
}

async fn render_tokens(
    st: &AppState,
    user: &User,
    new_secret: Option<String>,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let all = user.role == Role::Admin;
    let uid = (!all).then_some(user.id);
    let now = st.now();
    let list = st.db(move |s| s.api_tokens(uid)).await?;
    let tokens = list
        .into_iter()
        .map(|t| {
            let expired = t.expires_at.is_some_and(|e| e <= now);
            let (status, live) = match (t.revoked_at, expired) {
                (Some(_), _) => ("已吊销", false),
                (None, true) => ("已到期", false),
                (None, false) => ("有效", true),
            };
            TokenRow {
                id: t.id,
                username: t.username,
                name: t.name,
                created: local_time(t.created_at),
                expires: t.expires_at.map(local_time).unwrap_or_else(|| "长期".into()),
                status,
                live,
            }
        })
        .collect();
    let page = TokensPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/tokens").await?,
        all,
        tokens,
        new_secret,
        errors,
        max_days: TOKEN_DAYS_MAX,
        default_days: TOKEN_DAYS_DEFAULT,
    };
    Ok(Html(page.render()?))
}

async fn tokens(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_tokens(&st, &user, None, vec![]).await
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    days: String,
}

/// Any staff member creates tokens for their own account.
async fn create_token(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    let name = f.name.trim().to_string();
    let days = f.days.trim().parse::<i64>().ok().filter(|d| (1..=TOKEN_DAYS_MAX).contains(d));
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 64 {
        errors.push("请填写令牌用途（不超过 64 个字）。".to_string());
    }
    if days.is_none() {
        errors.push(format!("有效期应为 1 到 {TOKEN_DAYS_MAX} 天。"));
    }
    let (Some(days), true) = (days, errors.is_empty()) else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render_tokens(&st, &user, None, errors).await?).into_response());
    };
    let (wctx, uid) = (ctx(&st, &user, "创建 API 令牌"), user.id);
    let secret = st.db(move |s| issue_api_token(s, &wctx, uid, &name, days)).await?;
    Ok(render_tokens(&st, &user, Some(secret), vec![]).await?.into_response())
}

/// Staff revoke their own tokens; administrators any.
async fn revoke_token(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let owner = (user.role != Role::Admin).then_some(user.id);
    let wctx = ctx(&st, &user, "吊销 API 令牌");
    st.db(move |s| s.revoke_api_token(&wctx, &id, owner)).await?;
    Ok(Redirect::to("/console/tokens").into_response())
}

struct UserRow {
    username: String,
    path: String,
    display_name: String,
    role: &'static str,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    users: Vec<UserRow>,
    message: Option<String>,
    errors: Vec<String>,
}

async fn render_users(
    st: &AppState,
    user: &User,
    message: Option<String>,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let list = st.db(|s| s.users()).await?;
    let users = list
        .into_iter()
        .map(|u| UserRow {
            path: crate::kernel::views::urlencode(&u.username),
            username: u.username,
            display_name: u.display_name,
            role: u.role.label(),
            disabled: u.disabled,
        })
        .collect();
    let page =
        UsersPage { banner: st.banner(), chrome: st.chrome(user, "/console/users").await?, users, message, errors };
    Ok(Html(page.render()?))
}

async fn users(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    if user.role != Role::Admin {
        return Err(PageError::Forbidden);
    }
    render_users(&st, &user, None, vec![]).await
}

/// An administrator disables, enables or unlocks an account.
async fn user_action(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path((username, action)): Path<(String, String)>,
) -> Result<Response, PageError> {
    if user.role != Role::Admin {
        return Err(PageError::Forbidden);
    }
    let message = match action.as_str() {
        "disable" | "enable" => {
            let disable = action == "disable";
            if disable && username == user.username {
                let errors = vec!["不能停用自己的账号。".to_string()];
                return Ok(
                    (StatusCode::UNPROCESSABLE_ENTITY, render_users(&st, &user, None, errors).await?).into_response()
                );
            }
            let (wctx, name) = (ctx(&st, &user, if disable { "停用账号" } else { "启用账号" }), username.clone());
            st.db(move |s| s.set_user_disabled(&wctx, &name, disable)).await?;
            format!("账号 {username} 已{}。", if disable { "停用" } else { "启用" })
        }
        "unlock" => {
            st.login_throttle.unlock("staff", &username);
            format!("账号 {username} 的登录锁定已解除。")
        }
        _ => return Err(PageError::NotFound),
    };
    Ok(render_users(&st, &user, Some(message), vec![]).await?.into_response())
}
