//! Subject accounts (信用主体账户): a penalty's credit-repair notice
//! carries a one-time claim code ("两书同达"); with it and its USCC or
//! document number the subject activates its account and signs in; staff may
//! also verify a subject and issue an activation code without a notice.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_core::RecordKind;
use xinjiao_store::StoreError;

use crate::kernel::auth::SUBJECT_COOKIE;
use crate::kernel::auth::{
    ClientAddr, LoginCheck, LoginThrottle, MAX_PASSWORD_CHARS, SameOrigin, StaffUser, check_login, hash_password,
    new_token, token_hash,
};
use crate::kernel::context::{ctx, form_page_of};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

/// How long a claim code stays valid.
pub const CLAIM_CODE_DAYS: i64 = 90;
/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/records/{id}/notice", post(issue_notice).merge(form_page_of(1)))
        .route("/account/claim", get(claim_form).post(claim))
        .route("/account/login", get(login_form).post(login))
        .route("/account/logout", post(logout).merge(form_page_of(1)))
        .merge(activation_routes())
}

/// A new claim code, e.g. `XJ7K-M3QP-ZR8T` (12 characters, 60 bits).
fn new_code() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("operating system randomness");
    let chars: Vec<char> = bytes.iter().map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The stored form of a code as typed (case, spaces and dashes ignored).
fn code_hash(code: &str) -> String {
    let norm: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    token_hash(&norm)
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    /// The installation's public address (the notice is printed).
    public_url: String,
    subject_name: String,
    decision_no: String,
    decision_date: String,
    authority: String,
    last_public_day: String,
    /// The day repair may be applied for (`None`: no early repair).
    repairable_from: Option<String>,
    code: String,
    valid_until: String,
}

/// Issues the credit-repair notice of a penalty with a new claim code (the
/// subject's earlier unused codes stop working). Staff of the record's
/// department or a coordinator.
async fn issue_notice(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let detail = st.db(move |s| s.record(id)).await?.ok_or(PageError::NotFound)?;
    if detail.row.kind != RecordKind::Penalty {
        return Err(PageError::BadRequest("信用修复告知书只针对行政处罚决定。".into()));
    }
    if !crate::kernel::context::acts_for(&user, detail.row.department_id) {
        return Err(PageError::Forbidden);
    }
    let code = new_code();
    let (hash, sid, wctx) = (code_hash(&code), detail.row.subject_id, ctx(&st, &user, "出具信用修复告知书"));
    st.db(move |s| s.create_claim_code(&wctx, sid, Some(id), &hash)).await?;
    let (rules, row) = (st.rules.clone(), detail.row.clone());
    let fields = detail.current().fields.clone();
    let window = {
        let r = rules.read().expect("rules");
        xinjiao_core::lifecycle::disclosure::record_window(&r.disclosure, row.kind, row.decision_date, &fields, None)
    };
    let day_before = |d: xinjiao_core::Date| d.yesterday().map_or_else(|_| d.to_string(), |y| y.to_string());
    let valid_until = st.today().checked_add(jiff::Span::new().days(CLAIM_CODE_DAYS)).unwrap_or(st.today());
    let page = NoticePage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/records").await?,
        public_url: st.public_url.clone(),
        subject_name: row.subject_name.clone(),
        decision_no: row.decision_no.clone(),
        decision_date: row.decision_date.to_string(),
        authority: row.authority_name.clone(),
        last_public_day: window.public_until.map_or_else(|| "—".into(), day_before),
        repairable_from: window.repairable_from.map(|d| d.to_string()),
        code,
        valid_until: valid_until.to_string(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "account_claim.html")]
struct ClaimPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    identity: String,
    errors: Vec<String>,
    login: bool,
}

async fn claim_form(State(st): State<AppState>) -> Result<Html<String>, PageError> {
    let page = ClaimPage { banner: st.banner(), user: None, identity: String::new(), errors: vec![], login: false };
    Ok(Html(page.render()?))
}

async fn login_form(State(st): State<AppState>) -> Result<Html<String>, PageError> {
    let page = ClaimPage { banner: st.banner(), user: None, identity: String::new(), errors: vec![], login: true };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct ClaimForm {
    identity: String,
    #[serde(default)]
    code: String,
    password: String,
    #[serde(default)]
    password2: String,
}

fn normalise_identity(s: &str) -> String {
    xinjiao_core::records::text::normalize_code(s)
}

/// Starts a subject session and goes to the account page; a session the
/// browser already had is ended (sessions rotate at login).
async fn start_session(st: &AppState, headers: &axum::http::HeaderMap, subject_id: i64) -> Result<Response, PageError> {
    if let Some(old) = crate::kernel::auth::cookie_in(headers, SUBJECT_COOKIE) {
        let old = token_hash(&old);
        st.db(move |s| s.delete_subject_session(&old)).await?;
    }
    let token = new_token();
    let hash = token_hash(&token);
    let expires = st
        .now()
        .checked_add(jiff::SignedDuration::from_hours(crate::kernel::auth::SESSION_HOURS))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    st.db(move |s| s.create_subject_session(&hash, subject_id, expires)).await?;
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SUBJECT_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        crate::kernel::auth::SESSION_HOURS * 3600
    );
    let mut resp = Redirect::to("/account").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| PageError::Internal(e.to_string()))?);
    Ok(resp)
}

/// The claim and login form with its errors.
fn claim_page(
    st: &AppState,
    status: StatusCode,
    identity: String,
    errors: Vec<String>,
    login: bool,
) -> Result<Response, PageError> {
    let page = ClaimPage { banner: st.banner(), user: None, identity, errors, login };
    Ok((status, Html(page.render()?)).into_response())
}

async fn claim(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    _same: SameOrigin,
    headers: axum::http::HeaderMap,
    Form(f): Form<ClaimForm>,
) -> Result<Response, PageError> {
    let identity = normalise_identity(&f.identity);
    let mut errors = Vec::new();
    if f.password.chars().count() < 8 {
        errors.push("密码至少 8 个字符。".to_string());
    } else if f.password.chars().count() > MAX_PASSWORD_CHARS {
        errors.push(format!("密码不能超过 {MAX_PASSWORD_CHARS} 个字符。"));
    }
    if f.password != f.password2 {
        errors.push("两次输入的密码不一致。".to_string());
    }
    if identity.is_empty() || f.code.trim().is_empty() || identity.chars().count() > LoginThrottle::MAX_NAME_CHARS {
        errors.push("请填写统一社会信用代码（或证件号码）和告知书上的激活码。".to_string());
    }
    if !errors.is_empty() {
        return claim_page(&st, StatusCode::UNPROCESSABLE_ENTITY, f.identity, errors, false);
    }
    // Counted before the code is checked.
    let attempt = match st.login_throttle.begin("claim", &identity, addr, st.now()) {
        Ok(a) => a,
        Err(r) => return claim_page(&st, StatusCode::TOO_MANY_REQUESTS, f.identity, vec![r.message()], false),
    };
    let hash = code_hash(&f.code);
    let password = f.password.clone();
    let Some(phc) = st.login_throttle.hash(move || hash_password(&password)).await else {
        return claim_page(
            &st,
            StatusCode::SERVICE_UNAVAILABLE,
            f.identity,
            vec!["系统繁忙，请稍后再试。".into()],
            false,
        );
    };
    let phc = phc.map_err(PageError::Internal)?;
    let issued_after = st
        .now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * CLAIM_CODE_DAYS))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let (wctx, id2) = (xinjiao_store::WriteContext::new("subject", st.now(), "主体激活账户"), identity.clone());
    match st.db(move |s| s.claim_subject_account(&wctx, &id2, &hash, issued_after, &phc)).await {
        Ok(subject) => {
            st.login_throttle.succeeded(attempt);
            return start_session(&st, &headers, subject.id).await;
        }
        Err(StoreError::NotFound) => {
            errors.push("代码与激活码不匹配，或激活码已使用、已过期。请核对告知书，或联系作出决定的部门。".into())
        }
        Err(StoreError::Conflict(m)) => errors.push(m),
        Err(e) => return Err(e.into()),
    }
    claim_page(&st, StatusCode::UNPROCESSABLE_ENTITY, f.identity, errors, false)
}

async fn login(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    _same: SameOrigin,
    headers: axum::http::HeaderMap,
    Form(f): Form<ClaimForm>,
) -> Result<Response, PageError> {
    let identity = normalise_identity(&f.identity);
    let wrong = "代码或密码错误；尚未激活账户的，请先用告知书上的激活码激活。";
    let account = |s: &dyn xinjiao_store::Store, identity: &str| s.subject_account(identity);
    match check_login(&st, "subject", identity, f.password.clone(), addr, account).await? {
        LoginCheck::Passed(subject) => start_session(&st, &headers, subject.id).await,
        LoginCheck::Wrong => claim_page(&st, StatusCode::UNAUTHORIZED, f.identity, vec![wrong.into()], true),
        LoginCheck::Refused(r) => claim_page(&st, StatusCode::TOO_MANY_REQUESTS, f.identity, vec![r.message()], true),
        LoginCheck::Busy => {
            claim_page(&st, StatusCode::SERVICE_UNAVAILABLE, f.identity, vec!["系统繁忙，请稍后再试。".into()], true)
        }
    }
}

/// Ends the subject's session on the server, then the cookie.
async fn logout(
    State(st): State<AppState>,
    _same: SameOrigin,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    if let Some(token) = crate::kernel::auth::cookie_in(&headers, SUBJECT_COOKIE) {
        let hash = token_hash(&token);
        st.db(move |s| s.delete_subject_session(&hash)).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("xj_subject=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    identity: String,
    errors: Vec<String>,
    /// The subject's name and its new claim code, once issued.
    issued: Option<(String, String)>,
}

async fn activate_form(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let page = ActivatePage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/subject-accounts").await?,
        identity: String::new(),
        errors: vec![],
        issued: None,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct ActivateForm {
    identity: String,
    #[serde(default)]
    verified: String,
}

/// Staff verify a subject's identity (in person or by documents) and issue an
/// activation code for its account, without a penalty notice (coordinators
/// and administrators).
async fn activate(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<ActivateForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let identity = normalise_identity(&f.identity);
    let mut errors = Vec::new();
    if f.verified.is_empty() {
        errors.push("请先核验申请人的身份，并勾选确认。".to_string());
    }
    let id2 = identity.clone();
    let subject = st.db(move |s| s.subject_by_identity(&id2)).await?;
    if subject.is_none() {
        errors.push(format!("没有统一社会信用代码或证件号码为“{}”的信用主体。", f.identity.trim()));
    }
    let issued = match (subject, errors.is_empty()) {
        (Some(subject), true) => {
            let code = new_code();
            let (hash, sid) = (code_hash(&code), subject.id);
            let wctx = ctx(&st, &user, "核验身份后出具主体账户激活码");
            st.db(move |s| s.create_claim_code(&wctx, sid, None, &hash)).await?;
            Some((subject.name, code))
        }
        _ => None,
    };
    let status = if issued.is_some() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ActivatePage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/subject-accounts").await?,
        identity: f.identity,
        errors,
        issued,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Routes of staff activation (merged by [`routes`]).
fn activation_routes() -> Router<AppState> {
    Router::new().route("/console/subject-accounts", get(activate_form).post(activate))
}
