//! The staff's side of commitments (`/console/commitments`): the list by
//! matter and by what waits (awaiting the matter's decision, due, overdue,
//! broken), education completion per matter, each commitment with its
//! decision and verification (`…/{id}/decision`, `…/{id}/verification`),
//! the scan of a paper one, and the window where a commitment signed on
//! paper is recorded (`/console/commitments/window`). What is overdue
//! reaches the start page, the daily digest in the outbox, the
//! coordinator's dashboard and the navigation's badges.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use serde::Deserialize;
use xinjiao_core::commitments::{Action, Finding, Stage, State as CState};
use xinjiao_store::{CommitmentFilter, Store, StoreError, User};

use super::shared::{Ask, Row, act, matter_name, matters, prepare, row, rules, type_name};
use crate::kernel::auth::StaffUser;
use crate::kernel::context::acts_for;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::{Badge, Case, Reminder, Tally};

/// The largest scan accepted with a paper commitment.
pub const MAX_SCAN_BYTES: usize = 10 * 1024 * 1024;

/// Days before a deadline that the start page reminds of it (decision:
/// three working days, the warning lead the publication reminders use).
const SOON_WORKING_DAYS: i32 = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/commitments", get(list))
        .route(
            "/console/commitments/window",
            get(window_form).post(window).layer(axum::extract::DefaultBodyLimit::max(MAX_SCAN_BYTES + 65536)),
        )
        .route("/console/commitments/{id}", get(detail))
        .route("/console/commitments/{id}/decision", post(decide))
        .route("/console/commitments/{id}/verification", post(verify))
        .route("/console/commitments/{id}/scan", get(scan))
        .route("/console/commitments/{id}/licence", post(link_licence))
        .route("/console/commitments/{id}/licence-revocation", post(revoke_licence))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    matter: String,
}

/// The department filter of a user: its own, or every one for overseers.
fn scope(user: &User) -> Option<i64> {
    if user.role.oversees() { None } else { Some(user.department_id.unwrap_or(-1)) }
}

fn filter_of(view: &str, matter: &str, user: &User, today: Date) -> CommitmentFilter {
    let mut f = CommitmentFilter {
        matter: (!matter.is_empty()).then(|| matter.to_string()),
        department_id: scope(user),
        ..Default::default()
    };
    match view {
        "signed" => f.states = vec![CState::Signed],
        "due" => f.states = vec![CState::InForce],
        "overdue" => f.due_before = Some(today),
        "broken" => f.states = vec![CState::NotKept, CState::False],
        _ => {}
    }
    f
}

#[derive(Template)]
#[template(path = "commitments_console.html")]
struct ListPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    view: String,
    matter: String,
    /// Matter code and name, for the filter.
    matters: Vec<(String, String)>,
    rows: Vec<Row>,
    /// Material title, version, subjects who acknowledged it, the matters requiring it.
    education: Vec<(String, u32, u64, String)>,
    /// Offer the associations' upload (coordinators only).
    oversees: bool,
}

async fn list(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let today = st.today();
    let f = filter_of(&q.view, &q.matter, &user, today);
    let (found, counts) = st.db(move |s| Ok((s.commitments(&f, 500)?, s.education_counts()?))).await?;
    let mut rows: Vec<Row> = found.iter().map(|c| row(c, today, false)).collect();
    if q.view == "due" {
        rows.retain(|r| !r.due.is_empty());
        rows.sort_by(|a, b| a.due.cmp(&b.due));
    }
    let education = matters()
        .materials
        .iter()
        .map(|m| {
            let n = counts.iter().find(|(c, v, _)| c == &m.code && *v == m.version).map_or(0, |x| x.2);
            let of: Vec<&str> = matters()
                .matters
                .iter()
                .filter(|x| x.education.as_deref() == Some(m.code.as_str()))
                .map(|x| x.name.as_str())
                .collect();
            (m.title.clone(), m.version, n, of.join("、"))
        })
        .collect();
    let page = ListPage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/commitments").await?,
        view: q.view,
        matter: q.matter,
        matters: matters().matters.iter().map(|m| (m.code.clone(), m.name.clone())).collect(),
        rows,
        education,
        oversees: user.role.oversees(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "commitment_console.html")]
struct DetailPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    row: Row,
    text: String,
    signed_by: String,
    decided_on: String,
    concluded_by: String,
    /// File name and SHA-256 of the scan, if any.
    scan: Option<(String, String)>,
    may_act: bool,
    /// Awaiting the decision / in force (the forms shown).
    decidable: bool,
    verifiable: bool,
    /// The commitment has obligations with a deadline.
    has_deadline: bool,
    /// The linked licence: record id, decision number, current status, a change awaiting review.
    licence: Option<(i64, String, String, bool)>,
    /// May name the licence (granted, none linked) / revoke it (a breach, still valid).
    linkable: bool,
    revocable: bool,
    today: String,
    errors: Vec<String>,
}

async fn render_detail(st: &AppState, user: &User, id: i64, errors: Vec<String>) -> Result<Response, PageError> {
    let (c, scan, licence) = st
        .db(move |s| {
            let c = s.commitment(id)?;
            let licence = match c.as_ref().and_then(|c| c.licence_record_id) {
                Some(r) => s.record(r)?.map(|d| {
                    let status = d.current().fields.get("XK_ZT").cloned().unwrap_or_default();
                    (r, d.row.decision_no.clone(), status, d.row.pending_version.is_some())
                }),
                None => None,
            };
            Ok((c, s.commitment_scan(id)?, licence))
        })
        .await?;
    let c = c.ok_or(PageError::NotFound)?;
    if c.department_id.is_some() && !acts_for(user, c.department_id) {
        return Err(PageError::Forbidden);
    }
    let today = st.today();
    let stage = rules().type_of(&c.kind).map(|t| t.stage);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = DetailPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/commitments").await?,
        row: row(&c, today, false),
        text: c.text.clone(),
        signed_by: c.signed_by.clone(),
        decided_on: c.decided_on.map(|d| d.to_string()).unwrap_or_default(),
        concluded_by: c.concluded_by.clone().unwrap_or_default(),
        scan: scan.map(|(name, _, sha)| (name, sha)),
        may_act: acts_for(user, c.department_id),
        decidable: c.state == CState::Signed && stage == Some(Stage::Approval),
        verifiable: c.state == CState::InForce,
        has_deadline: c.due.is_some(),
        linkable: licence.is_none()
            && c.decided_on.is_some()
            && !matches!(c.state, CState::Void | CState::Withdrawn | CState::Signed),
        revocable: c.state.is_breach() && licence.as_ref().is_some_and(|l| l.2 != "无效" && !l.3),
        licence,
        today: today.to_string(),
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn detail(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    render_detail(&st, &user, id, vec![]).await
}

#[derive(Deserialize)]
struct DecisionForm {
    granted: String,
    on: String,
    reason: String,
}

#[derive(Deserialize)]
struct VerificationForm {
    finding: String,
    on: String,
    reason: String,
}

/// A finding from its code (the forms' and the API's).
pub fn finding_of(s: &str) -> Option<Finding> {
    match s {
        "kept" => Some(Finding::Kept),
        "not_kept" => Some(Finding::NotKept),
        "false" => Some(Finding::False),
        _ => None,
    }
}

async fn act_and_show(
    st: AppState,
    user: User,
    id: i64,
    action: Action,
    on: &str,
    reason: String,
) -> Result<Response, PageError> {
    let Ok(on) = on.trim().parse::<Date>() else {
        return render_detail(&st, &user, id, vec!["日期应为 YYYY-MM-DD".into()]).await;
    };
    let (s, u) = (st.clone(), user.clone());
    let done = st.db(move |store| act(&s, store, &u, id, action, on, &reason)).await;
    answer(&st, &user, id, done).await
}

/// After a staff action on commitment `id`: back to its page, or the page
/// again with the refusal.
async fn answer<T>(
    st: &AppState,
    user: &User,
    id: i64,
    done: Result<Result<T, super::shared::Refusal>, StoreError>,
) -> Result<Response, PageError> {
    match done {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/console/commitments/{id}")).into_response()),
        Ok(Err(why)) => render_detail(st, user, id, vec![why.message]).await,
        Err(StoreError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn decide(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<DecisionForm>,
) -> Result<Response, PageError> {
    let granted = match f.granted.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(PageError::BadRequest("请选择准予或不予办理".into())),
    };
    act_and_show(st, user, id, Action::Decide { granted }, &f.on, f.reason).await
}

async fn verify(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<VerificationForm>,
) -> Result<Response, PageError> {
    let finding = finding_of(&f.finding).ok_or_else(|| PageError::BadRequest("请选择核查结论".into()))?;
    act_and_show(st, user, id, Action::Verify(finding), &f.on, f.reason).await
}

#[derive(Deserialize)]
struct LicenceForm {
    decision_no: String,
}

#[derive(Deserialize)]
struct RevocationForm {
    reason: String,
}

/// Names the licence the commitment obtained.
async fn link_licence(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<LicenceForm>,
) -> Result<Response, PageError> {
    let (s, u) = (st.clone(), user.clone());
    let done = st.db(move |store| super::shared::link_licence(&s, store, &u, id, &f.decision_no)).await;
    answer(&st, &user, id, done).await
}

/// Revokes the licence a broken or false commitment obtained.
async fn revoke_licence(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    axum::extract::Form(f): axum::extract::Form<RevocationForm>,
) -> Result<Response, PageError> {
    let (s, u) = (st.clone(), user.clone());
    let done = st.db(move |store| super::shared::revoke_licence(&s, store, &u, id, &f.reason)).await;
    answer(&st, &user, id, done).await
}

/// The scan of a paper commitment, to staff of the matter's department.
async fn scan(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (c, scan) = st.db(move |s| Ok((s.commitment(id)?, s.commitment_scan(id)?))).await?;
    let c = c.ok_or(PageError::NotFound)?;
    if !acts_for(&user, c.department_id) {
        return Err(PageError::Forbidden);
    }
    let (name, bytes, _) = scan.ok_or(PageError::NotFound)?;
    let kind = scan_type(&bytes).unwrap_or("application/octet-stream");
    let disposition = format!("attachment; filename*=UTF-8''{}", crate::kernel::context::encode_component(&name));
    Ok(([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// The media type of a scan by its first bytes: PDF, JPEG or PNG only.
pub fn scan_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// A matter offered at the window: code, name, and its types (code, name).
type WindowMatter = (String, String, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "commitment_window.html")]
struct WindowPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    /// Matter code, name, and its types (code, name).
    matters: Vec<WindowMatter>,
    subject: String,
    errors: Vec<String>,
    max_mb: usize,
}

/// The matters a user may record commitments for: its department's.
fn window_matters(user: &User, departments: &[xinjiao_store::Department]) -> Vec<WindowMatter> {
    matters()
        .matters
        .iter()
        .filter(|m| {
            let id = departments.iter().find(|d| d.code == m.department).map(|d| d.id);
            acts_for(user, id)
        })
        .map(|m| {
            let types = m.types.iter().map(|t| (t.clone(), type_name(t))).collect();
            (m.code.clone(), m.name.clone(), types)
        })
        .collect()
}

async fn render_window(
    st: &AppState,
    user: &User,
    subject: String,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let departments = st.db(|s| s.departments()).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = WindowPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/commitments").await?,
        matters: window_matters(user, &departments),
        subject,
        errors,
        max_mb: MAX_SCAN_BYTES / 1024 / 1024,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn window_form(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Response, PageError> {
    render_window(&st, &user, String::new(), vec![]).await
}

/// Records a commitment signed on paper at the window: the subject (by its
/// code), the matter and type, the scan (PDF, JPEG or PNG); the text is the
/// current template rendered for the subject, as online. The clerk may
/// record that the applicant read the matter's education material at the
/// window (an acknowledgement made by the clerk, so audited as such).
async fn window(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let (mut subject_key, mut pick, mut educated, mut signed, mut file) =
        (String::new(), String::new(), false, false, None::<(String, Vec<u8>)>);
    while let Some(field) =
        mp.next_field().await.map_err(|e| PageError::BadRequest(format!("提交内容无法读取：{e}")))?
    {
        match field.name().unwrap_or("") {
            "subject" => subject_key = field.text().await.unwrap_or_default().trim().to_string(),
            "pick" => pick = field.text().await.unwrap_or_default(),
            "educated" => educated = true,
            "signed" => signed = true,
            "scan" => {
                let name = field.file_name().unwrap_or("承诺书").chars().take(100).collect::<String>();
                let bytes = field.bytes().await.map_err(|e| PageError::BadRequest(format!("扫描件读取失败：{e}")))?;
                if !bytes.is_empty() {
                    file = Some((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let (matter, kind) = pick.split_once('/').map_or((String::new(), String::new()), |(m, k)| (m.into(), k.into()));
    let departments = st.db(|s| s.departments()).await?;
    if !window_matters(&user, &departments).iter().any(|(m, _, ts)| *m == matter && ts.iter().any(|t| t.0 == kind)) {
        errors.push("请选择本科室办理的事项和承诺类型".into());
    }
    match &file {
        None => errors.push("请上传申请人签字的纸质承诺书扫描件（PDF、JPG 或 PNG）".into()),
        Some((_, b)) if scan_type(b).is_none() => errors.push("扫描件应为 PDF、JPG 或 PNG 文件".into()),
        Some(_) => {}
    }
    if !signed {
        errors.push("请确认申请人已在纸质承诺书上签字".into());
    }
    let key = subject_key.clone();
    let subject = st.db(move |s| s.subject_by_key(&key)).await?;
    let Some(subject) = subject else {
        errors.push(format!("没有代码为“{subject_key}”的主体（请填写统一社会信用代码或主体编号）"));
        return render_window(&st, &user, subject_key, errors).await;
    };
    if !errors.is_empty() {
        return render_window(&st, &user, subject_key, errors).await;
    }
    let (s, u) = (st.clone(), user.clone());
    let done = st
        .db(move |store| {
            if educated
                && let Some(m) =
                    matters().matter(&matter).and_then(|m| m.education.as_deref()).and_then(|c| matters().material(c))
            {
                let ctx = crate::kernel::context::ctx(&s, &u, "申请人在窗口阅读并确认诚信教育材料");
                store.acknowledge_education(&ctx, subject.id, &m.code, m.version)?;
            }
            let prepared = prepare(&s, store, &subject, &Ask { kind: &kind, matter: Some(&matter) })?;
            let mut new = match prepared {
                Ok((new, _)) => new,
                Err(why) => return Ok(Err(why)),
            };
            new.signed_via = "window".into();
            new.scan = file;
            let ctx = crate::kernel::context::ctx(&s, &u, "窗口录入纸质信用承诺书");
            super::shared::sign(store, &ctx, &new).map(Ok)
        })
        .await?;
    match done {
        Ok(id) => Ok(Redirect::to(&format!("/console/commitments/{id}")).into_response()),
        Err(why) => render_window(&st, &user, subject_key, vec![why]).await,
    }
}

/// In force with a deadline, of the user's scope.
fn pending(store: &dyn Store, user: &User) -> Result<Vec<xinjiao_store::Commitment>, StoreError> {
    let f = CommitmentFilter { states: vec![CState::InForce], department_id: scope(user), ..Default::default() };
    Ok(store.commitments(&f, 5000)?.into_iter().filter(|c| c.due.is_some()).collect())
}

/// The start page (and the daily digest): commitments overdue, and those
/// due within [`SOON_WORKING_DAYS`] working days.
pub fn reminders(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, StoreError> {
    let today = st.today();
    let cal = st.rules.read().expect("rules").calendar.clone();
    let soon = cal.add_working_days(today, SOON_WORKING_DAYS as u32).value;
    let mut out = Vec::new();
    for c in pending(store, user)? {
        let due = c.due.expect("filtered");
        let what = format!("{}（{}）{}", c.subject_name, matter_name(c.matter.as_deref()), type_name(&c.kind));
        let href = format!("/console/commitments/{}", c.id);
        if due < today {
            out.push(Reminder {
                level: "overdue", text: format!("信用承诺履行期限 {due} 已过，请核查：{what}"), href
            });
        } else if due <= soon {
            out.push(Reminder { level: "soon", text: format!("信用承诺将于 {due} 到期：{what}"), href });
        }
    }
    Ok(out)
}

/// The dashboard's open cases: commitments past their deadline, not yet verified.
pub fn cases(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Case>, StoreError> {
    let today = st.today();
    let departments = store.departments()?;
    Ok(pending(store, user)?
        .into_iter()
        .filter(|c| c.due.is_some_and(|d| d < today))
        .map(|c| Case {
            what: "信用承诺逾期未核查",
            decision_no: format!("第 {} 号 {}", c.id, c.subject_name),
            department: c
                .department_id
                .map_or_else(|| "信用工作牵头科室".into(), |d| crate::kernel::context::dept_name(&departments, d)),
            status: "履行中",
            deadline: c.due.map(|d| d.to_string()).unwrap_or_default(),
            overdue: true,
            href: "/console/commitments?view=overdue",
        })
        .collect())
}

/// The dashboard's counts: broken this month, overdue now.
pub fn tallies(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Tally>, StoreError> {
    let today = st.today();
    let month_start = today.first_of_month();
    let broken = CommitmentFilter {
        states: vec![CState::NotKept, CState::False],
        concluded_from: Some(month_start),
        department_id: scope(user),
        ..Default::default()
    };
    let overdue = CommitmentFilter { due_before: Some(today), department_id: scope(user), ..Default::default() };
    let n_broken = store.count_commitments(&broken)?;
    let n_overdue = store.count_commitments(&overdue)?;
    Ok(vec![
        Tally {
            label: "本月认定违背的信用承诺".into(),
            n: n_broken,
            href: "/console/commitments?view=broken".into(),
            urgent: false,
        },
        Tally {
            label: "逾期未核查履行的信用承诺".into(),
            n: n_overdue,
            href: "/console/commitments?view=overdue".into(),
            urgent: n_overdue > 0,
        },
    ])
}

/// The navigation's badges: awaiting a decision, overdue.
pub fn badges(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Badge>, StoreError> {
    let today = st.today();
    let signed = CommitmentFilter { states: vec![CState::Signed], department_id: scope(user), ..Default::default() };
    let overdue = CommitmentFilter { due_before: Some(today), department_id: scope(user), ..Default::default() };
    let mut out = Vec::new();
    let n = store.count_commitments(&signed)?;
    if n > 0 {
        out.push(Badge { n, what: "份承诺待随事项办结", urgent: false });
    }
    let n = store.count_commitments(&overdue)?;
    if n > 0 {
        out.push(Badge { n, what: "份承诺逾期未核查", urgent: true });
    }
    Ok(out)
}
