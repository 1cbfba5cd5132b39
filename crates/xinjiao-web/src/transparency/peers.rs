//! Watching other installations' logs (`/console/log-peers`): an
//! administrator registers an installation with the key to trust for it;
//! its log is audited — checkpoint, tiles, every entry, consistency with
//! what was seen before, as `xinjiao log audit` does — on demand by a
//! coordinator and by the scheduler once an hour ([`audit_due`]). A fork,
//! a rewritten entry or a lying tile is a finding: it stays on the page
//! (and in the audit events) until a clean audit, and the state seen last
//! is only ever advanced by a clean one.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xinjiao_core::signed_note::NoteVerifier;
use xinjiao_core::transparency::audit::AuditState;
use xinjiao_store::transparency::{Peer, PeerAudit};
use xinjiao_store::{Role, Store, StoreError, User, WriteContext};

use super::audit::run_audit;
use crate::kernel::auth::StaffUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;
use crate::kernel::workplace::Badge;

/// How often the scheduler audits each peer (decision: hourly — a fork is
/// news within the hour, and a peer is not fetched more than 24 times a day).
pub const AUDIT_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/log-peers", get(page).post(add))
        .route("/console/log-peers/{id}/audit", post(audit_now))
}

/// Audits `peer` now (blocking: network) and what to store of it.
pub fn audit_peer(peer: &Peer) -> PeerAudit {
    let failed = |status, code: &str, message: String| PeerAudit {
        status,
        code: Some(code.to_string()),
        message,
        state: None,
        size: None,
        vkey: None,
    };
    let key = match NoteVerifier::parse_vkey(&peer.vkey) {
        Ok(k) => k,
        Err(e) => return failed("finding", "audit.key", format!("所存公钥无效：{}", e.message())),
    };
    let prior = match peer.state.as_deref().map(AuditState::parse) {
        Some(None) => return failed("finding", "audit.state", "所存审计状态已损坏".into()),
        Some(Some(s)) => Some(s),
        None => None,
    };
    let fetcher = xinjiao_notify::Fetcher::default();
    match run_audit(&fetcher, &peer.url, Some(&key), prior.as_ref()) {
        Ok(run) => {
            let mut message = format!("一致：日志共 {} 条", run.state.size);
            if prior.is_some() {
                message.push_str(&format!("，比上次新增 {} 条", run.grown));
            }
            if !run.rotated.is_empty() {
                message.push_str(&format!("；对方已轮换密钥，经交接声明确认新公钥 {}", run.key.to_vkey()));
            }
            PeerAudit {
                status: "ok",
                code: None,
                message,
                state: Some(run.state.to_text()),
                size: Some(run.state.size),
                vkey: (!run.rotated.is_empty()).then(|| run.key.to_vkey()),
            }
        }
        Err(f) if f.code == "audit.fetch" => failed("unreachable", f.code, f.message),
        Err(f) => failed("finding", f.code, f.message),
    }
}

/// The scheduler's job: audits every peer not audited in the last
/// [`AUDIT_EVERY`].
pub fn audit_due(st: &AppState, store: &dyn Store) -> Result<(), StoreError> {
    let now = st.now();
    for peer in store.peers()? {
        let due = peer.checked_at.is_none_or(|t| t.checked_add(AUDIT_EVERY).is_ok_and(|next| next <= now));
        if due {
            let a = audit_peer(&peer);
            let ctx = WriteContext::new("system", st.now(), "定时审计其他平台的透明日志");
            store.record_peer_audit(&ctx, peer.id, &a)?;
        }
    }
    Ok(())
}

/// The console's badge: peers whose last audit found something or failed.
pub fn badges(_: &AppState, store: &dyn Store, _: &User) -> Result<Vec<Badge>, StoreError> {
    let bad = store.peers()?.iter().filter(|p| p.status == "finding").count() as u64;
    Ok(if bad > 0 { vec![Badge { n: bad, what: "个平台的日志异常", urgent: true }] } else { vec![] })
}

pub struct PeerRow {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub vkey: String,
    pub status: &'static str,
    pub status_code: String,
    pub code: String,
    pub message: String,
    pub checked: String,
}

#[derive(Template)]
#[template(path = "log_peers.html")]
struct PeersPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    peers: Vec<PeerRow>,
    admin: bool,
    errors: Vec<String>,
    every_minutes: i64,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "ok" => "一致",
        "finding" => "发现异常",
        "unreachable" => "无法访问",
        _ => "尚未审计",
    }
}

async fn render(st: &AppState, user: &User, errors: Vec<String>) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let peers = st.db(|s| s.peers()).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = PeersPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/log-peers").await?,
        peers: peers
            .into_iter()
            .map(|p| PeerRow {
                id: p.id,
                status: status_label(&p.status),
                status_code: p.status.clone(),
                code: p.code.unwrap_or_default(),
                message: p.message.unwrap_or_default(),
                checked: p.checked_at.map(local_time).unwrap_or_default(),
                name: p.name,
                url: p.url,
                vkey: p.vkey,
            })
            .collect(),
        admin: user.role == Role::Admin,
        errors,
        every_minutes: AUDIT_EVERY.as_mins(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn page(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Response, PageError> {
    render(&st, &user, vec![]).await
}

#[derive(Deserialize)]
struct NewPeer {
    url: String,
    name: String,
    vkey: String,
}

/// Registers a peer (administrators).
async fn add(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<NewPeer>,
) -> Result<Response, PageError> {
    if user.role != Role::Admin {
        return Err(PageError::Forbidden);
    }
    let url = f.url.trim().trim_end_matches('/').to_string();
    let name = f.name.trim().to_string();
    let vkey = f.vkey.trim().to_string();
    let mut errors = Vec::new();
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 300
        || url.contains(char::is_whitespace)
    {
        errors.push("平台地址应以 https:// 或 http:// 开头，不含空格，至多 300 个字符".to_string());
    }
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("请填写平台名称（至多 100 字）".to_string());
    }
    if let Err(e) = NoteVerifier::parse_vkey(&vkey) {
        errors.push(format!("公钥无效：{}（应为对方 /log/key 的内容，并经其他渠道核对指纹）", e.message()));
    }
    if !errors.is_empty() {
        return render(&st, &user, errors).await;
    }
    let wctx = crate::kernel::context::ctx(&st, &user, "监测其他平台的透明日志");
    match st.db(move |s| s.add_peer(&wctx, &url, &name, &vkey)).await {
        Ok(_) => Ok(Redirect::to("/console/log-peers").into_response()),
        Err(StoreError::Conflict(m)) => render(&st, &user, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

/// Audits a peer now (coordinators and administrators).
async fn audit_now(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let peer = st.db(|s| s.peers()).await?.into_iter().find(|p| p.id == id).ok_or(PageError::NotFound)?;
    let a =
        tokio::task::spawn_blocking(move || audit_peer(&peer)).await.map_err(|e| PageError::Internal(e.to_string()))?;
    let wctx = crate::kernel::context::ctx(&st, &user, "审计其他平台的透明日志");
    st.db(move |s| s.record_peer_audit(&wctx, id, &a)).await?;
    Ok(Redirect::to("/console/log-peers").into_response())
}
