//! Warnings and reminders in the console: the lookup of warnings (by
//! subject, rule, department and state) with the last daily runs for
//! coordinators; a warning's page where its department acknowledges it and
//! records its feedback; the administrators' page of each department's
//! reminder channels and the outbox; what the start page and a subject's
//! account show of them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_store::{Role, Store, StoreError, Subject, User, Warning, WarningFilter, WarningState};

use crate::kernel::auth::StaffUser;
use crate::kernel::context::{acts_for, ctx, dept_name};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::{Badge, ProfileSection, Reminder};

/// The longest feedback kept.
const FEEDBACK_MAX: usize = 2000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/warnings", get(index))
        .route("/console/warnings/{id}", get(detail))
        .route("/console/warnings/{id}/acknowledge", post(acknowledge).merge(crate::kernel::context::form_page_of(1)))
        .route("/console/warnings/{id}/feedback", post(feedback).merge(crate::kernel::context::form_page_of(1)))
        .route("/console/reminders", get(reminders_page).post(save_channels))
        .route("/console/reminders/outbox/{id}/requeue", post(requeue).merge(crate::kernel::context::form_page_of(1)))
}

/// A warning as listed.
struct Row {
    id: i64,
    raised_on: String,
    rule: String,
    subject_key: String,
    subject_name: String,
    department: String,
    detail: String,
    state: &'static str,
    open: bool,
    may_act: bool,
}

fn row(st: &AppState, departments: &[xinjiao_store::Department], user: Option<&User>, w: &Warning) -> Row {
    let rules = st.rules.read().expect("rules");
    Row {
        id: w.id,
        raised_on: w.raised_on.to_string(),
        rule: rules.warnings.rule(&w.rule).map_or_else(|| w.rule.clone(), |r| r.name.clone()),
        subject_key: w.subject_key.clone(),
        subject_name: w.subject_name.clone(),
        department: w.department_id.map_or_else(|| "信用工作牵头科室".to_string(), |d| dept_name(departments, d)),
        detail: w.detail.clone(),
        state: w.state().label(),
        open: w.state() != WarningState::Answered,
        may_act: user.is_some_and(|u| acts_for(u, w.department_id)),
    }
}

#[derive(Deserialize, Default)]
struct Lookup {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    state: String,
}

#[derive(Template)]
#[template(path = "warnings_console.html")]
struct IndexPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    q: Lookup,
    rules: Vec<(String, String, String)>,
    departments: Vec<(i64, String)>,
    states: Vec<(&'static str, &'static str)>,
    oversees: bool,
    rows: Vec<Row>,
    days: Vec<(String, String, u64)>,
    never_run: bool,
}

async fn index(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<Lookup>,
) -> Result<Html<String>, PageError> {
    let oversees = user.role.oversees();
    // A clerk sees the warnings of the own department; a coordinator any.
    let department_id = if oversees { q.department.parse().ok() } else { user.department_id.or(Some(-1)) };
    let subject = q.subject.trim().to_string();
    let f = WarningFilter {
        rule: (!q.rule.is_empty()).then(|| q.rule.clone()),
        department_id,
        no_department: oversees && q.department == "none",
        state: WarningState::parse(&q.state),
        ..Default::default()
    };
    let (warnings, departments, days) = st
        .db(move |s| {
            let mut f = f;
            if !subject.is_empty() {
                match s.subject_by_key(&subject)? {
                    Some(found) => f.subject_id = Some(found.id),
                    None => return Ok((vec![], s.departments()?, s.monitoring_days(7)?)),
                }
            }
            Ok((s.warnings(&f, 500)?, s.departments()?, s.monitoring_days(7)?))
        })
        .await?;
    let page = IndexPage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/warnings").await?,
        rows: warnings.iter().map(|w| row(&st, &departments, Some(&user), w)).collect(),
        rules: {
            let r = st.rules.read().expect("rules");
            r.warnings.rules.iter().map(|x| (x.code.clone(), x.name.clone(), x.kind.describe())).collect()
        },
        departments: departments.iter().map(|d| (d.id, d.name.clone())).collect(),
        states: WarningState::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        oversees,
        never_run: days.is_empty(),
        days: days
            .iter()
            .map(|d| (d.day.to_string(), crate::kernel::time::local_time(d.evaluated_at), d.raised))
            .collect(),
        q,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "warning_console.html")]
struct DetailPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    w: Row,
    rule_text: String,
    acknowledged: Option<(String, String)>,
    feedback: Option<(String, String, String)>,
    errors: Vec<String>,
    max: usize,
}

async fn render_detail(st: &AppState, user: &User, id: i64, errors: Vec<String>) -> Result<Response, PageError> {
    let (w, departments) = st.db(move |s| Ok((s.warning(id)?, s.departments()?))).await?;
    if !acts_for(user, w.department_id) {
        return Err(PageError::Forbidden);
    }
    let rule_text =
        st.rules.read().expect("rules").warnings.rule(&w.rule).map(|r| r.kind.describe()).unwrap_or_default();
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let page = DetailPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/warnings").await?,
        w: row(st, &departments, Some(user), &w),
        rule_text,
        acknowledged: w.acknowledged.as_ref().map(|(at, by)| (crate::kernel::time::local_time(*at), by.clone())),
        feedback: w.feedback.as_ref().map(|(t, at, by)| (t.clone(), crate::kernel::time::local_time(*at), by.clone())),
        errors,
        max: FEEDBACK_MAX,
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

/// The warning `id` if `user` acts for its department (403 otherwise).
async fn owned(st: &AppState, user: &User, id: i64) -> Result<Warning, PageError> {
    let w = st.db(move |s| s.warning(id)).await?;
    if !acts_for(user, w.department_id) {
        return Err(PageError::Forbidden);
    }
    Ok(w)
}

/// Acknowledges a warning (its department or a coordinator; 403 otherwise).
async fn acknowledge(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    owned(&st, &user, id).await?;
    let wctx = ctx(&st, &user, format!("签收预警 #{id}"));
    let done = st.db(move |s| s.acknowledge_warning(&wctx, id)).await;
    after_write(&st, &user, id, done).await
}

#[derive(Deserialize)]
struct FeedbackForm {
    #[serde(default)]
    feedback: String,
}

/// Records the department's feedback on an acknowledged warning.
async fn feedback(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<FeedbackForm>,
) -> Result<Response, PageError> {
    owned(&st, &user, id).await?;
    let text = f.feedback.trim().to_string();
    if text.is_empty() || text.chars().count() > FEEDBACK_MAX {
        return render_detail(&st, &user, id, vec![format!("请填写反馈（处置情况），至多 {FEEDBACK_MAX} 个字符")])
            .await;
    }
    let wctx = ctx(&st, &user, format!("反馈预警 #{id}"));
    let done = st.db(move |s| s.answer_warning(&wctx, id, &text)).await;
    after_write(&st, &user, id, done).await
}

async fn after_write(st: &AppState, user: &User, id: i64, done: Result<(), StoreError>) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/console/warnings/{id}")).into_response()),
        Err(StoreError::Conflict(m)) => render_detail(st, user, id, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "reminders_console.html")]
struct RemindersPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    errors: Vec<String>,
    departments: Vec<(i64, String, String, String)>,
    messages: Vec<MessageRow>,
    days: Vec<(String, String, u64)>,
    smtp: bool,
    soon: u32,
}

struct MessageRow {
    id: i64,
    created: String,
    department: String,
    channel: &'static str,
    title: String,
    state: &'static str,
    attempts: u32,
    error: String,
    may_requeue: bool,
}

fn state_label(s: &str) -> &'static str {
    match s {
        "pending" => "待发送",
        "sending" => "发送中",
        "sent" => "已送达",
        "failed" => "发送失败（已停止重试）",
        "uncertain" => "未确认送达",
        _ => "未知",
    }
}

/// Masks the key of a webhook address (it lets anyone post to the group).
fn masked_webhook(url: &str) -> String {
    match url.split_once("key=") {
        Some((head, key)) if key.len() > 8 => format!("{head}key={}…{}", &key[..4], &key[key.len() - 4..]),
        _ => url.to_string(),
    }
}

async fn render_reminders(st: &AppState, user: &User, errors: Vec<String>) -> Result<Response, PageError> {
    if user.role != Role::Admin {
        return Err(PageError::Forbidden);
    }
    let (departments, channels, messages, days) =
        st.db(|s| Ok((s.departments()?, s.channels()?, s.messages(100)?, s.monitoring_days(7)?))).await?;
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let page = RemindersPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/reminders").await?,
        errors,
        departments: departments
            .iter()
            .map(|d| {
                let c = channels.iter().find(|c| c.department_id == d.id);
                (
                    d.id,
                    d.name.clone(),
                    c.map(|c| masked_webhook(&c.wecom_webhook)).unwrap_or_default(),
                    c.map(|c| c.email_to.clone()).unwrap_or_default(),
                )
            })
            .collect(),
        messages: messages
            .iter()
            .map(|m| MessageRow {
                id: m.id,
                created: crate::kernel::time::local_time(m.created_at),
                department: m.department_id.map(|d| dept_name(&departments, d)).unwrap_or_default(),
                channel: m.channel.label(),
                title: m.title.clone(),
                state: state_label(&m.state),
                attempts: m.attempts,
                error: m.last_error.clone().unwrap_or_default(),
                may_requeue: m.state == "failed" || m.state == "uncertain",
            })
            .collect(),
        days: days
            .iter()
            .map(|d| (d.day.to_string(), crate::kernel::time::local_time(d.evaluated_at), d.raised))
            .collect(),
        smtp: super::jobs::smtp_configured(),
        soon: st.rules.read().expect("rules").warnings.soon_working_days,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn reminders_page(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Response, PageError> {
    render_reminders(&st, &user, vec![]).await
}

#[derive(Deserialize)]
struct ChannelsForm {
    department: i64,
    #[serde(default)]
    wecom_webhook: String,
    #[serde(default)]
    email_to: String,
    /// Keep the stored webhook (the page shows it masked).
    #[serde(default)]
    keep_webhook: Option<String>,
}

/// Sets a department's reminder channels (administrators only).
async fn save_channels(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(f): Form<ChannelsForm>,
) -> Result<Response, PageError> {
    if user.role != Role::Admin {
        return Err(PageError::Forbidden);
    }
    let email = f.email_to.trim().to_string();
    let mut webhook = f.wecom_webhook.trim().to_string();
    let department = f.department;
    if f.keep_webhook.is_some() && webhook.is_empty() {
        webhook = st
            .db(move |s| Ok(s.channels()?.into_iter().find(|c| c.department_id == department)))
            .await?
            .map(|c| c.wecom_webhook)
            .unwrap_or_default();
    }
    let mut errors = Vec::new();
    if !webhook.is_empty()
        && let Err(e) = xinjiao_notify::check_webhook(&webhook)
    {
        errors.push(e);
    }
    if let Err(e) = xinjiao_notify::check_addresses(&email) {
        errors.push(e);
    }
    if !errors.is_empty() {
        return render_reminders(&st, &user, errors).await;
    }
    let wctx = ctx(&st, &user, "设置部门提醒渠道");
    st.db(move |s| {
        if !s.departments()?.iter().any(|d| d.id == department) {
            return Err(StoreError::NotFound);
        }
        s.set_channels(&wctx, department, &webhook, &email)
    })
    .await?;
    Ok(Redirect::to("/console/reminders").into_response())
}

/// Puts a failed or uncertain message back in the queue (administrators only).
async fn requeue(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if user.role != Role::Admin {
        return Err(PageError::Forbidden);
    }
    let wctx = ctx(&st, &user, format!("重新发送提醒 #{id}"));
    let now = st.now().as_second();
    match st.db(move |s| s.requeue(&wctx, id, now)).await {
        Ok(()) => Ok(Redirect::to("/console/reminders").into_response()),
        Err(StoreError::Conflict(m)) => render_reminders(&st, &user, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

/// The start page: the department's warnings waiting to be acknowledged or
/// answered (a source of the workplace registry).
pub fn warning_reminders(_: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Reminder>, StoreError> {
    let Some(dept) = user.department_id else { return Ok(vec![]) };
    let mut out = Vec::new();
    for (state, what) in [(WarningState::Open, "待签收"), (WarningState::Acknowledged, "已签收待反馈")] {
        let f = WarningFilter { department_id: Some(dept), state: Some(state), ..Default::default() };
        let n = store.count_warnings(&f)?;
        if n > 0 {
            out.push(Reminder {
                level: "warning",
                text: format!("{n} 条信用风险预警{what}"),
                href: format!("/console/warnings?state={}", state.as_str()),
            });
        }
    }
    Ok(out)
}

/// Counts behind the console's 信用预警 entry: warnings to acknowledge or answer.
pub fn warning_badges(_: &AppState, store: &dyn Store, user: &User) -> Result<Vec<Badge>, StoreError> {
    let department_id = if user.role.oversees() { None } else { Some(user.department_id.unwrap_or(-1)) };
    let open = store.count_warnings(&WarningFilter {
        department_id,
        state: Some(WarningState::Open),
        ..Default::default()
    })?;
    Ok(vec![Badge { n: open, what: "条待签收", urgent: false }])
}

#[derive(Template)]
#[template(path = "warnings_account.html")]
struct AccountFragment {
    rows: Vec<Row>,
}

/// The subject's account: the warnings about it, with the department's feedback.
pub fn account_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    let warnings = store.warnings(&WarningFilter { subject_id: Some(subject.id), ..Default::default() }, 100)?;
    if warnings.is_empty() {
        return Ok(vec![]);
    }
    let departments = store.departments()?;
    let rows = warnings
        .iter()
        .map(|w| {
            let mut r = row(st, &departments, None, w);
            if let Some((text, _, _)) = &w.feedback {
                r.state = "已反馈";
                r.detail = format!("{}。部门反馈：{text}", r.detail);
            }
            r
        })
        .collect();
    let html = AccountFragment { rows }.render().map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "关于本主体的信用风险预警".into(), html }])
}
