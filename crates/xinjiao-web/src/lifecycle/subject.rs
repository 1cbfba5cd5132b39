//! The subject's side of its records' lifecycle: its own records — public or
//! not — with their disclosure windows and the day each becomes repairable,
//! and its objections (信用异议) and repair applications (信用修复).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use xinjiao_core::RecordKind;
use xinjiao_store::{PageRequest, RecordFilter, RecordRow, StoreError, Subject};

use crate::kernel::auth::SubjectUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::views::SubjectView;

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
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    subject: SubjectView,
    records: Vec<OwnRecord>,
    today: String,
    objections: Vec<ObjectionView>,
    filed: bool,
    repairs: Vec<RepairView>,
    repair_filed: bool,
    /// What other capabilities show the subject of itself (its grades …).
    sections: Vec<crate::kernel::workplace::ProfileSection>,
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
        repairable_from: r.repairable_from.map_or_else(
            || {
                let published = r.public_until.is_none_or(|u| u > r.decision_date);
                if r.kind == RecordKind::Penalty && published {
                    "不适用（期满停止公示）".into()
                } else {
                    "—".into()
                }
            },
            |d| d.to_string(),
        ),
        repairable_now: r.repairable_from.is_some_and(|d| d <= today) && status == "公示中",
    }
}

async fn account_home(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    axum::extract::Query(q): axum::extract::Query<AccountQuery>,
) -> Result<Html<String>, PageError> {
    let sid = subject.id;
    let (state, me) = (st.clone(), subject.clone());
    let (rows, objections, sections) = st
        .db(move |s| {
            let sections = state.workplace.account(&state, s, &me)?;
            let f = RecordFilter { subject_id: Some(sid), ..Default::default() };
            let of = xinjiao_store::ObjectionFilter { subject_id: Some(sid), ..Default::default() };
            let rf = xinjiao_store::RepairFilter { subject_id: Some(sid), ..Default::default() };
            Ok((
                s.list_records(&f, PageRequest::new(1, PageRequest::MAX_PER_PAGE))?,
                (s.objections(&of, 100)?, s.repairs(&rf, 100)?),
                sections,
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
        sections,
    };
    Ok(Html(page.render()?))
}

/// An objection as its subject or staff see it, with its deadlines.
pub struct ObjectionView {
    pub id: i64,
    pub record_id: i64,
    pub decision_no: String,
    /// The subject's name, masked like every name shown.
    pub subject: String,
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
    let filed = crate::kernel::time::china_date(o.filed_at);
    let ack_by = rules.objections.acknowledge_by(filed, &rules.calendar);
    let decide_by = rules.objections.decide_by(filed, o.extended, &rules.calendar);
    let today = st.today();
    let open = o.status.is_open();
    ObjectionView {
        id: o.id,
        record_id: o.record_id,
        decision_no: o.decision_no.clone(),
        subject: crate::kernel::views::mask_text(&o.subject_name),
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
    banner: crate::kernel::state::Banner,
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
fn objection_routes() -> Router<AppState> {
    Router::new().route(
        "/account/records/{id}/objection",
        get(objection_form)
            .post(file_objection)
            .layer(axum::extract::DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 65536)),
    )
}

/// The repair commitment (信用修复承诺书) `subject` signs on `day`: the
/// current template of the repair type (`rules/commitment-templates.toml`)
/// rendered for it — its version and text. Rendered again when the
/// application is filed, never taken from the form.
pub fn repair_commitment(
    subject: &xinjiao_store::Subject,
    day: xinjiao_core::Date,
) -> Result<(u32, String), PageError> {
    use xinjiao_core::commitments::{CommitmentRules, templates::Templates};
    let ty = CommitmentRules::shipped().type_of("repair").expect("a shipped type");
    let code = subject.uscc.clone().or_else(|| subject.id_doc_no.clone()).unwrap_or_default();
    Templates::shipped()
        .render_for(ty, None, (&subject.name, &code), day)
        .map(|(tpl, text)| (tpl.version, text))
        .map_err(|e| PageError::Internal(format!("repair commitment template: {e}")))
}

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
    use xinjiao_core::lifecycle::repairs::RepairStatus;
    let rules = st.rules.read().expect("rules");
    let filed = crate::kernel::time::china_date(r.filed_at);
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
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    record_id: i64,
    decision_no: String,
    commitment: String,
    errors: Vec<String>,
}

async fn repair_form(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let row = own_record_row(&st, &subject, id).await?;
    let errors = match xinjiao_core::lifecycle::repairs::can_apply(
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
        commitment: repair_commitment(&subject, st.today())?.1,
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
    if let Err(m) = xinjiao_core::lifecycle::repairs::can_apply(
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
        let (version, text) = repair_commitment(&subject, st.today())?;
        let signed = move |s: &dyn xinjiao_store::Store| {
            let commitment = xinjiao_store::RepairCommitment { by: &signer, template_version: version, text: &text };
            s.file_repair(&wctx, id, sid, &commitment, &evidence, file)
        };
        match st.db(signed).await {
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
        commitment: repair_commitment(&subject, st.today())?.1,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// Routes of the subject's repair applications (merged by [`routes`]).
fn repair_routes() -> Router<AppState> {
    Router::new().route(
        "/account/records/{id}/repair",
        get(repair_form).post(file_repair).layer(axum::extract::DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 65536)),
    )
}

/// Routes of the subject's side: its account page, objections and repair applications.
pub fn routes() -> Router<AppState> {
    Router::new().route("/account", get(account_home)).merge(objection_routes()).merge(repair_routes())
}
