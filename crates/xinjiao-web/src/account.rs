//! Subject self-service (信用主体自助): a penalty's credit-repair notice
//! carries a one-time claim code ("两书同达"); with it and its USCC or document
//! number the subject activates its account, then sees all its own records —
//! public or not — with their disclosure windows and the day each becomes
//! repairable.

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_core::RecordKind;
use xinjiao_store::{PageRequest, RecordFilter, RecordRow, StoreError, Subject};

use crate::auth::{
    ClientAddr, LoginCheck, LoginThrottle, MAX_PASSWORD_CHARS, SameOrigin, StaffUser, check_login, hash_password,
    new_token, token_hash,
};
use crate::console::ctx;
use crate::views::SubjectView;
use crate::{AppState, PageError};

pub const SUBJECT_COOKIE: &str = "xj_subject";
/// How long a claim code stays valid.
pub const CLAIM_CODE_DAYS: i64 = 90;
/// Letters and digits that cannot be mistaken for one another when read aloud or typed.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/records/{id}/notice", post(issue_notice))
        .route("/account", get(account_home))
        .route("/account/claim", get(claim_form).post(claim))
        .route("/account/login", get(login_form).post(login))
        .route("/account/logout", post(logout))
        .merge(objection_routes())
        .merge(repair_routes())
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

/// The subject signed in to its account.
pub struct SubjectUser(pub Subject);

impl FromRequestParts<AppState> for SubjectUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        if !crate::auth::same_origin(parts) {
            return Err(PageError::Forbidden.into_response());
        }
        let token = crate::auth::cookie_value(parts, SUBJECT_COOKIE).map(token_hash);
        let now = st.now();
        let found = match token {
            Some(h) => st.db(move |s| s.subject_session(&h, now)).await.ok().flatten(),
            None => None,
        };
        found.map(SubjectUser).ok_or_else(|| Redirect::to("/account/login").into_response())
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    banner: crate::Banner,
    user: Option<String>,
    subject_name: String,
    decision_no: String,
    decision_date: String,
    authority: String,
    last_public_day: String,
    repairable_from: String,
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
    if !crate::console::acts_for(&user, detail.row.department_id) {
        return Err(PageError::Forbidden);
    }
    let code = new_code();
    let (hash, sid, wctx) = (code_hash(&code), detail.row.subject_id, ctx(&st, &user, "出具信用修复告知书"));
    st.db(move |s| s.create_claim_code(&wctx, sid, Some(id), &hash)).await?;
    let (rules, row) = (st.rules.clone(), detail.row.clone());
    let fields = detail.current().fields.clone();
    let window = {
        let r = rules.read().expect("rules");
        xinjiao_core::disclosure::record_window(&r.disclosure, row.kind, row.decision_date, &fields, None)
    };
    let day_before = |d: xinjiao_core::Date| d.yesterday().map_or_else(|_| d.to_string(), |y| y.to_string());
    let valid_until = st.today().checked_add(jiff::Span::new().days(CLAIM_CODE_DAYS)).unwrap_or(st.today());
    let page = NoticePage {
        banner: st.banner(),
        user: Some(user.display_name.clone()),
        subject_name: row.subject_name.clone(),
        decision_no: row.decision_no.clone(),
        decision_date: row.decision_date.to_string(),
        authority: row.authority_name.clone(),
        last_public_day: window.public_until.map_or_else(|| "—".into(), day_before),
        repairable_from: window.repairable_from.map_or_else(|| "—".into(), |d| d.to_string()),
        code,
        valid_until: valid_until.to_string(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "account_claim.html")]
struct ClaimPage {
    banner: crate::Banner,
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
    xinjiao_core::text::normalize_code(s)
}

/// Starts a subject session and goes to the account page; a session the
/// browser already had is ended (sessions rotate at login).
async fn start_session(st: &AppState, headers: &axum::http::HeaderMap, subject_id: i64) -> Result<Response, PageError> {
    if let Some(old) = crate::auth::cookie_in(headers, SUBJECT_COOKIE) {
        let old = token_hash(&old);
        st.db(move |s| s.delete_subject_session(&old)).await?;
    }
    let token = new_token();
    let hash = token_hash(&token);
    let expires = st
        .now()
        .checked_add(jiff::SignedDuration::from_hours(crate::auth::SESSION_HOURS))
        .map_err(|e| PageError::Internal(e.to_string()))?;
    st.db(move |s| s.create_subject_session(&hash, subject_id, expires)).await?;
    let secure = if st.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SUBJECT_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        crate::auth::SESSION_HOURS * 3600
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
    if let Some(token) = crate::auth::cookie_in(&headers, SUBJECT_COOKIE) {
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

/// One of the subject's own records, with its window.
struct OwnRecord {
    id: i64,
    kind_label: &'static str,
    decision_no: String,
    decision_date: String,
    authority: String,
    status: &'static str,
    last_public_day: String,
    repairable_from: String,
    repairable_now: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    banner: crate::Banner,
    user: Option<String>,
    subject: SubjectView,
    records: Vec<OwnRecord>,
    today: String,
    objections: Vec<ObjectionView>,
    filed: bool,
    repairs: Vec<RepairView>,
    repair_filed: bool,
}

#[derive(Deserialize, Default)]
struct AccountQuery {
    #[serde(default)]
    filed: String,
    #[serde(default)]
    repair: String,
}

fn own_record(r: &RecordRow, today: xinjiao_core::Date) -> OwnRecord {
    let status = match r.public_until {
        Some(u) if u <= r.decision_date => "不予公示或已撤销",
        Some(u) if u <= today => "公示期满，已停止公示",
        _ => "公示中",
    };
    OwnRecord {
        id: r.id,
        kind_label: r.kind.label(),
        decision_no: r.decision_no.clone(),
        decision_date: r.decision_date.to_string(),
        authority: r.authority_name.clone(),
        status,
        last_public_day: r
            .public_until
            .map_or_else(|| "—".into(), |u| u.yesterday().map_or_else(|_| u.to_string(), |y| y.to_string())),
        repairable_from: r.repairable_from.map_or_else(|| "—".into(), |d| d.to_string()),
        repairable_now: r.repairable_from.is_some_and(|d| d <= today) && status == "公示中",
    }
}

async fn account_home(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    axum::extract::Query(q): axum::extract::Query<AccountQuery>,
) -> Result<Html<String>, PageError> {
    let sid = subject.id;
    let (rows, objections) = st
        .db(move |s| {
            let f = RecordFilter { subject_id: Some(sid), ..Default::default() };
            let of = xinjiao_store::ObjectionFilter { subject_id: Some(sid), ..Default::default() };
            let rf = xinjiao_store::RepairFilter { subject_id: Some(sid), ..Default::default() };
            Ok((
                s.list_records(&f, PageRequest::new(1, PageRequest::MAX_PER_PAGE))?,
                (s.objections(&of, 100)?, s.repairs(&rf, 100)?),
            ))
        })
        .await?;
    let (objections, repairs) = objections;
    let today = st.today();
    let page = AccountPage {
        banner: st.banner(),
        user: None,
        subject: (&subject).into(),
        records: rows.items.iter().map(|r| own_record(r, today)).collect(),
        today: today.to_string(),
        objections: objections.iter().map(|o| objection_view(&st, o)).collect(),
        filed: !q.filed.is_empty(),
        repairs: repairs.iter().map(|r| repair_view(&st, r)).collect(),
        repair_filed: !q.repair.is_empty(),
    };
    Ok(Html(page.render()?))
}

/// An objection as its subject or staff see it, with its deadlines.
pub struct ObjectionView {
    pub id: i64,
    pub record_id: i64,
    pub decision_no: String,
    pub reasons: String,
    pub status: &'static str,
    pub open: bool,
    pub filed_on: String,
    pub acknowledge_by: String,
    pub decide_by: String,
    /// An open objection past a deadline it has not met.
    pub overdue: bool,
    pub acknowledged: bool,
    pub extended: bool,
    pub extension_reason: String,
    pub decision_reason: String,
    pub attachments: Vec<(i64, String)>,
}

pub fn objection_view(st: &AppState, o: &xinjiao_store::Objection) -> ObjectionView {
    let rules = st.rules.read().expect("rules");
    let filed = crate::china_date(o.filed_at);
    let ack_by = rules.objections.acknowledge_by(filed, &rules.calendar);
    let decide_by = rules.objections.decide_by(filed, o.extended, &rules.calendar);
    let today = st.today();
    let open = o.status.is_open();
    ObjectionView {
        id: o.id,
        record_id: o.record_id,
        decision_no: o.decision_no.clone(),
        reasons: o.reasons.clone(),
        status: o.status.label(),
        open,
        filed_on: filed.to_string(),
        acknowledge_by: ack_by.to_string(),
        decide_by: decide_by.to_string(),
        overdue: open && (today > decide_by || (o.acknowledged_at.is_none() && today > ack_by)),
        acknowledged: o.acknowledged_at.is_some(),
        extended: o.extended,
        extension_reason: o.extension_reason.clone().unwrap_or_default(),
        decision_reason: o.decision_reason.clone().unwrap_or_default(),
        attachments: o.attachments.clone(),
    }
}

#[derive(Template)]
#[template(path = "objection_form.html")]
struct ObjectionForm {
    banner: crate::Banner,
    user: Option<String>,
    record_id: i64,
    decision_no: String,
    errors: Vec<String>,
}

async fn own_record_row(st: &AppState, subject: &Subject, id: i64) -> Result<RecordRow, PageError> {
    let sid = subject.id;
    let detail = st.db(move |s| s.record(id)).await?.ok_or(PageError::NotFound)?;
    if detail.row.subject_id != sid {
        return Err(PageError::NotFound);
    }
    Ok(detail.row)
}

async fn objection_form(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let row = own_record_row(&st, &subject, id).await?;
    let page =
        ObjectionForm { banner: st.banner(), user: None, record_id: id, decision_no: row.decision_no, errors: vec![] };
    Ok(Html(page.render()?))
}

/// Largest attachment accepted with an objection.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

async fn file_objection(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
    mut mp: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let row = own_record_row(&st, &subject, id).await?;
    let (mut reasons, mut attachments) = (String::new(), Vec::new());
    while let Some(field) =
        mp.next_field().await.map_err(|e| PageError::BadRequest(format!("提交内容无法读取：{e}")))?
    {
        match field.name().unwrap_or("") {
            "reasons" => reasons = field.text().await.unwrap_or_default().trim().to_string(),
            "attachment" => {
                let name = field.file_name().unwrap_or("附件").to_string();
                let bytes = field.bytes().await.map_err(|e| PageError::BadRequest(format!("附件读取失败：{e}")))?;
                if !bytes.is_empty() {
                    attachments.push((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let mut errors = Vec::new();
    if reasons.chars().count() < 5 {
        errors.push("请写明异议的理由（至少 5 个字），例如哪一项信息有误、正确的内容是什么。".to_string());
    }
    if errors.is_empty() {
        let (sid, wctx) = (
            subject.id,
            xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "提出信用异议"),
        );
        match st.db(move |s| s.file_objection(&wctx, id, sid, &reasons, &attachments)).await {
            Ok(_) => return Ok(Redirect::to("/account?filed=1").into_response()),
            Err(StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = ObjectionForm { banner: st.banner(), user: None, record_id: id, decision_no: row.decision_no, errors };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// Routes of the subject's objections (merged by [`routes`]).
pub fn objection_routes() -> Router<AppState> {
    Router::new().route(
        "/account/records/{id}/objection",
        get(objection_form)
            .post(file_objection)
            .layer(axum::extract::DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 65536)),
    )
}

/// The text of the repair commitment (信用修复承诺书) the subject signs.
pub const REPAIR_COMMITMENT: &str = "本人（本单位）承诺：已纠正失信行为、履行行政处罚决定规定的全部义务；所提交的材料真实、准确、完整；如有不实，愿意承担相应法律责任，同意撤销本次信用修复、恢复公示，并将失信行为记入信用记录。";

/// A repair application as its subject or staff see it, with its deadlines.
pub struct RepairView {
    pub id: i64,
    pub record_id: i64,
    pub decision_no: String,
    pub commitment_by: String,
    pub evidence: String,
    pub evidence_name: String,
    pub status: &'static str,
    pub state: &'static str,
    pub filed_on: String,
    pub accept_by: String,
    pub decide_by: String,
    pub overdue: bool,
    pub decision_reason: String,
}

pub fn repair_view(st: &AppState, r: &xinjiao_store::Repair) -> RepairView {
    use xinjiao_core::repairs::RepairStatus;
    let rules = st.rules.read().expect("rules");
    let filed = crate::china_date(r.filed_at);
    let accept_by = rules.repairs.accept_by(filed, &rules.calendar);
    let decide_by = rules.repairs.decide_by(filed, &rules.calendar);
    let today = st.today();
    let open = matches!(r.status, RepairStatus::Filed | RepairStatus::Accepted);
    RepairView {
        id: r.id,
        record_id: r.record_id,
        decision_no: r.decision_no.clone(),
        commitment_by: r.commitment_by.clone(),
        evidence: r.evidence.clone(),
        evidence_name: r.evidence_name.clone().unwrap_or_default(),
        status: r.status.label(),
        state: r.status.as_str(),
        filed_on: filed.to_string(),
        accept_by: accept_by.to_string(),
        decide_by: decide_by.to_string(),
        overdue: open && (today > decide_by || (r.accepted_at.is_none() && today > accept_by)),
        decision_reason: r.revoke_reason.clone().or_else(|| r.decision_reason.clone()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "repair_form.html")]
struct RepairForm {
    banner: crate::Banner,
    user: Option<String>,
    record_id: i64,
    decision_no: String,
    commitment: &'static str,
    errors: Vec<String>,
}

async fn repair_form(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let row = own_record_row(&st, &subject, id).await?;
    let errors = match xinjiao_core::repairs::can_apply(
        row.kind == RecordKind::Penalty,
        row.repairable_from,
        row.public_until,
        st.today(),
    ) {
        Ok(()) => vec![],
        Err(m) => vec![m],
    };
    let page = RepairForm {
        banner: st.banner(),
        user: None,
        record_id: id,
        decision_no: row.decision_no,
        commitment: REPAIR_COMMITMENT,
        errors,
    };
    Ok(Html(page.render()?).into_response())
}

async fn file_repair(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
    mut mp: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let row = own_record_row(&st, &subject, id).await?;
    let (mut evidence, mut signer, mut agreed, mut file) = (String::new(), String::new(), false, None);
    while let Some(field) =
        mp.next_field().await.map_err(|e| PageError::BadRequest(format!("提交内容无法读取：{e}")))?
    {
        match field.name().unwrap_or("") {
            "evidence" => evidence = field.text().await.unwrap_or_default().trim().to_string(),
            "signer" => signer = field.text().await.unwrap_or_default().trim().to_string(),
            "commit" => agreed = true,
            "file" => {
                let name = field.file_name().unwrap_or("材料").to_string();
                let bytes = field.bytes().await.map_err(|e| PageError::BadRequest(format!("附件读取失败：{e}")))?;
                if !bytes.is_empty() {
                    file = Some((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let mut errors = Vec::new();
    if let Err(m) = xinjiao_core::repairs::can_apply(
        row.kind == RecordKind::Penalty,
        row.repairable_from,
        row.public_until,
        st.today(),
    ) {
        errors.push(m);
    }
    if evidence.chars().count() < 5 {
        errors.push("请说明已履行的义务和纠正失信行为的情况（至少 5 个字）。".into());
    }
    if !agreed || signer.is_empty() {
        errors.push("请阅读并勾选信用修复承诺，填写承诺人姓名。".into());
    }
    if errors.is_empty() {
        let (sid, wctx) = (
            subject.id,
            xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "申请信用修复"),
        );
        match st.db(move |s| s.file_repair(&wctx, id, sid, &signer, &evidence, file)).await {
            Ok(_) => return Ok(Redirect::to("/account?repair=1").into_response()),
            Err(StoreError::Conflict(m)) => errors.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = RepairForm {
        banner: st.banner(),
        user: None,
        record_id: id,
        decision_no: row.decision_no,
        commitment: REPAIR_COMMITMENT,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// Routes of the subject's repair applications (merged by [`routes`]).
pub fn repair_routes() -> Router<AppState> {
    Router::new().route(
        "/account/records/{id}/repair",
        get(repair_form).post(file_repair).layer(axum::extract::DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 65536)),
    )
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    banner: crate::Banner,
    user: Option<String>,
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
        user: Some(user.display_name.clone()),
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
        user: Some(user.display_name.clone()),
        identity: f.identity,
        errors,
        issued,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Routes of staff activation (merged by [`routes`]).
pub fn activation_routes() -> Router<AppState> {
    Router::new().route("/console/subject-accounts", get(activate_form).post(activate))
}
