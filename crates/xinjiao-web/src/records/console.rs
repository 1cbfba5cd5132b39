//! The staff console of records: the clerk's start page, file upload with a
//! per-row diagnostics table and an XLSX error report, templates,
//! single-record entry with inline validation, the clerk's own submissions,
//! and the staff view of a record (all versions and events, withdrawal;
//! personal data shown only on request, and that read is audited).

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_core::RecordKind;
use xinjiao_core::records::fields::{Requirement, ValueKind};
use xinjiao_core::records::record::{FieldValues, ParseContext, parse_record};
use xinjiao_import::{Encoding, FileError, ImportReport, ReadOptions, RowDiagnostic};
use xinjiao_store::{NewSubmission, PageRequest, StoreError, User};

use super::import_job::ImportError;
use crate::kernel::auth::StaffUser;
use crate::kernel::context::{MAX_UPLOAD_BYTES, acts_for, ctx, form_page_of, xlsx_response};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;
use crate::kernel::views::{FieldView, RecordRowView, field_views};

/// This part's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/upload", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)).merge(form_page_of(1)))
        .route("/console/submissions/{id}", get(submission))
        .route("/console/submissions/{id}/errors.xlsx", get(errors_xlsx))
        .route("/console/templates/{file}", get(template))
        .route("/console/records/new", get(new_record_form).post(new_record))
        .route("/console/records/{id}", get(staff_record))
        .route("/console/records/{id}/reveal", post(reveal_record).merge(form_page_of(1)))
        .route("/console/records/{id}/withdraw", post(withdraw_record).merge(form_page_of(1)))
}

struct SubmissionRow {
    id: i64,
    at: String,
    kind_label: &'static str,
    filename: String,
    n_rows: i64,
    n_accepted: i64,
    n_unchanged: i64,
    n_rejected: i64,
}

impl From<&xinjiao_store::Submission> for SubmissionRow {
    fn from(s: &xinjiao_store::Submission) -> Self {
        SubmissionRow {
            id: s.id,
            at: local_time(s.at),
            kind_label: s.kind.label(),
            filename: s.filename.clone(),
            n_rows: s.n_rows,
            n_accepted: s.n_accepted,
            n_unchanged: s.n_unchanged,
            n_rejected: s.n_rejected,
        }
    }
}

#[derive(Template)]
#[template(path = "console_home.html")]
struct ConsoleHome {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    display_name: String,
    role_label: &'static str,
    department: String,
    /// The decision-authority codes a clerk may submit under (`None`: any).
    authority_codes: Option<Vec<String>>,
    reminders: Vec<crate::kernel::workplace::Reminder>,
    error: Option<String>,
    submissions: Vec<SubmissionRow>,
}

async fn render_home(st: &AppState, user: &User, error: Option<String>) -> Result<Html<String>, PageError> {
    let uid = user.id;
    let subs = st.db(move |s| s.submissions_of(uid, 50)).await?;
    let (state, u) = (st.clone(), user.clone());
    let reminders = st.db(move |s| state.workplace.reminders(&state, s, &u)).await?;
    let (departments, divisions) = st.db(|s| Ok((s.departments()?, s.divisions()?))).await?;
    let department = user
        .department_id
        .and_then(|id| departments.iter().find(|d| d.id == id))
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let authority_codes =
        ctx(st, user, "").owner_only().map(|id| xinjiao_store::allowed_authority_codes(&departments, &divisions, id));
    let page = ConsoleHome {
        authority_codes,
        banner: st.banner(),
        chrome: st.chrome(user, "/console").await?,
        display_name: user.display_name.clone(),
        role_label: user.role.label(),
        department,
        reminders,
        error,
        submissions: subs.iter().map(SubmissionRow::from).collect(),
    };
    Ok(Html(page.render()?))
}

async fn home(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Html<String>, PageError> {
    render_home(&st, &user, None).await
}

async fn upload(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let (mut kind, mut encoding, mut dry_run, mut file) = (RecordKind::Penalty, Encoding::Auto, false, None);
    let too_large = |e: &axum::extract::multipart::MultipartError| e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let mut oversized = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if too_large(&e) => {
                oversized = true;
                break;
            }
            Err(e) => return Err(PageError::BadRequest(format!("上传内容无法读取：{e}"))),
        };
        match field.name().unwrap_or("") {
            "kind" => kind = RecordKind::parse(&field.text().await.unwrap_or_default()).unwrap_or(RecordKind::Penalty),
            "encoding" => encoding = Encoding::parse(&field.text().await.unwrap_or_default()).unwrap_or(Encoding::Auto),
            "dry_run" => dry_run = true,
            "file" => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes)),
                    Err(e) if too_large(&e) => {
                        oversized = true;
                        break;
                    }
                    Err(e) => return Err(PageError::BadRequest(format!("文件读取失败：{e}"))),
                }
            }
            _ => {}
        }
    }
    if oversized {
        let msg = format!("文件未导入：超过 {} MB，请拆分后上传（file.too_large）", MAX_UPLOAD_BYTES >> 20);
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, render_home(&st, &user, Some(msg)).await?).into_response());
    }
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let msg = "请选择要上传的文件（所选文件为空）。".to_string();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render_home(&st, &user, Some(msg)).await?).into_response());
    };
    let opts =
        ReadOptions { catalogue: kind.catalogue(), encoding, sheet: None, limits: xinjiao_import::Limits::DEFAULT };
    let wctx = ctx(&st, &user, format!("上传文件 {filename}"));
    let today = st.today();
    let store = st.store.clone();
    let uid = user.id;
    let signer_state = st.clone();
    // Reading and parsing run on a blocking thread, never on the async workers.
    let outcome = tokio::task::spawn_blocking(move || -> Result<Result<i64, FileError>, StoreError> {
        let reader = match xinjiao_import::open_bytes(&filename, bytes.clone(), &opts) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let owner = super::import_job::Ownership::of(&*store, &wctx)?;
        let target = (!dry_run).then_some(&*store);
        let result = match super::import_job::run_import(target, reader, kind, &wctx, &owner, today, &mut |_| {}) {
            Ok(r) => r,
            Err(ImportError::File(e)) => return Ok(Err(e)),
            Err(ImportError::Store(e)) => return Err(e),
        };
        if !dry_run {
            // A batch published: its leaves get a signed checkpoint now.
            crate::kernel::signing::issue_checkpoint(&signer_state, &*store)?;
        }
        // Serialised straight to text: no JSON tree of 100,000 diagnostics in memory.
        #[derive(serde::Serialize)]
        struct Stored<'a> {
            #[serde(flatten)]
            report: &'a ImportReport,
            dry_run: bool,
        }
        let report = serde_json::to_string(&Stored { report: &result.report, dry_run })
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let r = &result.report;
        let counts = [r.rows, r.accepted, r.unchanged, r.rejected];
        // The reader has let go of the upload: its bytes move into the submission without a copy.
        let sub = NewSubmission::from_report(uid, kind, filename, counts, report, Vec::from(bytes), dry_run);
        store.create_submission(&wctx, &sub).map(Ok)
    })
    .await
    .map_err(|e| PageError::Internal(e.to_string()))??;
    let id = match outcome {
        Ok(id) => id,
        Err(e) => {
            let msg = format!("文件未导入：{}（{}）", e.message, e.code);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render_home(&st, &user, Some(msg)).await?).into_response());
        }
    };
    Ok(Redirect::to(&format!("/console/submissions/{id}")).into_response())
}

struct DiagRow {
    row: u64,
    field: String,
    field_name: &'static str,
    code: String,
    message: String,
}

#[derive(Template)]
#[template(path = "submission.html")]
struct SubmissionPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    s: SubmissionRow,
    dry_run: bool,
    /// Accepted rows that are changes to published records awaiting review.
    awaiting_review: u64,
    diagnostics: Vec<DiagRow>,
}

async fn load_submission(st: &AppState, user: &User, id: &str) -> Result<xinjiao_store::Submission, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let s = st.db(move |s| s.submission(id)).await?.ok_or(PageError::NotFound)?;
    if s.user_id != user.id
        && !user.role.oversees()
        && (s.department_id.is_none() || s.department_id != user.department_id)
    {
        return Err(PageError::Forbidden);
    }
    Ok(s)
}

/// The diagnostics of a stored report, whether it was a dry run, and how many
/// accepted rows are changes awaiting review.
fn stored_report(json: &str) -> (Vec<RowDiagnostic>, bool, u64) {
    #[derive(Deserialize, Default)]
    struct Stored {
        #[serde(default)]
        diagnostics: Vec<StoredDiag>,
        #[serde(default)]
        dry_run: bool,
        #[serde(default)]
        awaiting_review: u64,
    }
    #[derive(Deserialize)]
    struct StoredDiag {
        row: u64,
        field: String,
        code: String,
        message: String,
    }
    let parsed: Stored = serde_json::from_str(json).unwrap_or_default();
    let diags = parsed
        .diagnostics
        .into_iter()
        .map(|d| RowDiagnostic { row: d.row, field: d.field, code: d.code, message: d.message })
        .collect();
    (diags, parsed.dry_run, parsed.awaiting_review)
}

async fn submission(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let s = load_submission(&st, &user, &id).await?;
    let (diags, dry_run, awaiting_review) = stored_report(&s.report_json);
    let page = SubmissionPage {
        banner: st.banner(),
        chrome: st.chrome(&user, "/console/submissions").await?,
        dry_run,
        awaiting_review,
        diagnostics: diags
            .into_iter()
            .map(|d| DiagRow {
                row: d.row,
                field_name: s.kind.field(&d.field).map(|f| f.name).unwrap_or("（整行）"),
                field: d.field,
                code: d.code,
                message: d.message,
            })
            .collect(),
        s: SubmissionRow::from(&s),
    };
    Ok(Html(page.render()?))
}

async fn errors_xlsx(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = load_submission(&st, &user, &id).await?;
    let sid = s.id;
    let file = st.db(move |db| db.submission_file(sid)).await?.ok_or(PageError::NotFound)?;
    let (diags, _, _) = stored_report(&s.report_json);
    let report = ImportReport { diagnostics: diags, ..Default::default() };
    let opts = ReadOptions::new(s.kind);
    let filename = s.filename.clone();
    // Re-read within the same limits as the upload, off the async workers.
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, PageError> {
        let reader =
            xinjiao_import::open_bytes(&filename, file, &opts).map_err(|e| PageError::BadRequest(e.message))?;
        let headers = reader.headers().to_vec();
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        for r in reader {
            let r = r.map_err(|e| PageError::BadRequest(e.message))?;
            if !report.row_messages(r.number).is_empty() {
                rows.push((r.number, r.cells));
            }
        }
        xinjiao_import::error_report_xlsx(&headers, &rows, &report).map_err(|e| PageError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| PageError::Internal(e.to_string()))??;
    // 错误报告-<the uploaded file's name without its extension>.xlsx
    let stem = std::path::Path::new(&s.filename)
        .file_stem()
        .map_or_else(|| s.filename.clone(), |x| x.to_string_lossy().into_owned());
    Ok(xlsx_response(&format!("错误报告-{stem}.xlsx"), bytes))
}

async fn template(_u: StaffUser, Path(file): Path<String>) -> Result<Response, PageError> {
    let kind = file.strip_suffix(".xlsx").and_then(RecordKind::parse).ok_or(PageError::NotFound)?;
    let bytes = xinjiao_import::template_xlsx(kind).map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(xlsx_response(&format!("{}模板.xlsx", kind.label()), bytes))
}

struct FormField {
    code: &'static str,
    name: &'static str,
    required: bool,
    long: bool,
    is_date: bool,
    value: String,
    errors: Vec<String>,
    /// The standard's code list of an enumerated field, each with whether
    /// the current value holds it.
    choices: Vec<(&'static str, bool)>,
    /// Several may be chosen (checkboxes).
    multiple: bool,
    /// Values outside the list are accepted (`其他-…`): a text box with suggestions.
    open: bool,
    /// Of a field with several choices: what the value holds beyond the list.
    other: String,
}

#[derive(Template)]
#[template(path = "record_form.html")]
struct RecordFormPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    kind: &'static str,
    kind_label: &'static str,
    n_errors: usize,
    fields: Vec<FormField>,
}

#[derive(Deserialize)]
struct KindQuery {
    #[serde(default)]
    kind: String,
}

fn form_page(
    st: &AppState,
    chrome: crate::kernel::chrome::Chrome,
    kind: RecordKind,
    values: &FieldValues,
    diags: &[xinjiao_core::Diagnostic],
) -> RecordFormPage {
    RecordFormPage {
        banner: st.banner(),
        chrome,
        kind: kind.as_str(),
        kind_label: kind.label(),
        n_errors: diags.len(),
        fields: kind
            .fields()
            .iter()
            .map(|d| {
                let value = values.get(d.code).cloned().unwrap_or_default();
                let choices = d.choices();
                let parts: Vec<&str> = if choices.is_some_and(|c| c.multiple) {
                    value.split(['；', ';', '、', ',', '，']).map(str::trim).filter(|p| !p.is_empty()).collect()
                } else {
                    vec![value.trim()]
                };
                let listed = |p: &&str| choices.is_some_and(|c| c.values.contains(p));
                FormField {
                    code: d.code,
                    name: d.plain_name(),
                    required: d.requirement == Requirement::Required,
                    long: d.kind == ValueKind::Text && d.max_len > 200,
                    is_date: d.kind == ValueKind::Date,
                    choices: choices
                        .map_or_else(Vec::new, |c| c.values.iter().map(|v| (*v, parts.contains(v))).collect()),
                    multiple: choices.is_some_and(|c| c.multiple),
                    open: choices.is_some_and(|c| c.open),
                    other: parts.iter().filter(|p| !listed(p)).copied().collect::<Vec<_>>().join("；"),
                    value,
                    errors: diags.iter().filter(|x| x.field == d.code).map(|x| x.message.clone()).collect(),
                }
            })
            .collect(),
    }
}

async fn new_record_form(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<KindQuery>,
) -> Result<Html<String>, PageError> {
    let kind = RecordKind::parse(&q.kind).unwrap_or(RecordKind::Penalty);
    let values = prefill(&st, &user, kind).await?;
    Ok(Html(form_page(&st, st.chrome(&user, "/console/records/new").await?, kind, &values, &[]).render()?))
}

/// The authority, its code and the data source a clerk's record carries,
/// as the department's newest record of `kind` under one of its allowed
/// authority codes gives them; else the first allowed code alone.
async fn prefill(st: &AppState, user: &User, kind: RecordKind) -> Result<FieldValues, PageError> {
    let Some(dept) = user.department_id else { return Ok(FieldValues::new()) };
    let [authority, authority_code, source, source_code] = match kind {
        RecordKind::Penalty => ["CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM"],
        RecordKind::License => ["XK_XKJG", "XK_XKJGDM", "XK_LYDW", "XK_LYDWDM"],
    };
    Ok(st
        .db(move |s| {
            let allowed = xinjiao_store::allowed_authority_codes(&s.departments()?, &s.divisions()?, dept);
            let mut values = FieldValues::new();
            let Some(first) = allowed.first() else { return Ok(values) };
            values.insert(authority_code, first.clone());
            let f = xinjiao_store::RecordFilter { department_id: Some(dept), kind: Some(kind), ..Default::default() };
            for row in s.list_records(&f, PageRequest::new(1, 20))?.items {
                let Some(detail) = s.record(row.id)? else { continue };
                let fields = &detail.current().fields;
                if fields.get(authority_code).is_some_and(|c| allowed.contains(c)) {
                    for code in [authority, authority_code, source, source_code] {
                        if let Some(v) = fields.get(code) {
                            values.insert(code, v.clone());
                        }
                    }
                    break;
                }
            }
            Ok(values)
        })
        .await?)
}

async fn new_record(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<KindQuery>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let kind = RecordKind::parse(&q.kind).ok_or_else(|| PageError::BadRequest("类别无效".into()))?;
    // A field with several choices comes as several values (checkboxes and
    // a box for others): joined as a file's cell would hold them.
    let mut values = FieldValues::new();
    for (k, v) in form {
        if let Some(def) = kind.field(&k) {
            let v = v.trim().to_string();
            match values.get_mut(def.code) {
                Some(old) if !v.is_empty() && !old.is_empty() => {
                    old.push('；');
                    old.push_str(&v);
                }
                Some(old) if old.is_empty() => *old = v,
                Some(_) => {}
                None => {
                    values.insert(def.code, v);
                }
            }
        }
    }
    let chrome = st.chrome(&user, "/console/records/new").await?;
    match parse_record(kind, &values, &ParseContext { today: st.today() }) {
        Err(diags) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(form_page(&st, chrome, kind, &values, &diags).render()?))
                .into_response())
        }
        Ok(rec) => {
            let wctx = ctx(&st, &user, "逐条录入");
            let refused = |diag: xinjiao_core::Diagnostic| -> Result<Response, PageError> {
                let page = form_page(&st, chrome.clone(), kind, &values, &[diag]).render()?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
            };
            let check = wctx.clone();
            let owner = st.db(move |s| super::import_job::Ownership::of(s, &check)).await?;
            if let Some(diag) = owner.check_code(&rec) {
                return refused(diag);
            }
            let out = st.db(move |s| s.write_records(&wctx, &[rec])).await?;
            match out[0] {
                xinjiao_store::RecordOutcome::Refused(r) => refused(owner.refusal(kind, r)),
                xinjiao_store::RecordOutcome::Pending { record_id, .. } => {
                    Ok(Redirect::to(&format!("/console/records/{record_id}?saved=pending")).into_response())
                }
                o => Ok(Redirect::to(&format!("/console/records/{}?saved=1", o.record_id())).into_response()),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "staff_record.html")]
struct StaffRecordPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    message: Option<String>,
    row: RecordRowView,
    fields: Vec<FieldView>,
    revealed: bool,
    /// The record's own department, a coordinator or an administrator.
    can_reveal: bool,
    has_personal: bool,
    versions: Vec<(i64, String, String)>,
    events: Vec<(String, String, String, String, String)>,
    timeliness: Timeliness,
    department: String,
    withdrawal: Option<Withdrawal>,
    /// Problems with a withdrawal form just submitted.
    errors: Vec<String>,
    /// May this user withdraw the record (own department or coordinator)?
    can_withdraw: bool,
    today: String,
    withdrawal_days: u32,
    row_review_state: Option<String>,
    row_review_reason: String,
    /// The version awaiting review and its changed fields (name, in force, pending).
    pending: Option<(i64, Vec<FieldChange>)>,
    /// Changes of the subject's name: (time, by whom, what changed, on which decision).
    subject_history: Vec<(String, String, String, String)>,
    /// An objection is being handled (the portal marks the record so too).
    objection_open: bool,
}

/// A changed field: (name, value in force, value pending).
type FieldChange = (&'static str, String, String);

/// The fields of `pending` that differ from `current`: (name, in force, pending).
fn changed_views(
    kind: RecordKind,
    current: &std::collections::BTreeMap<String, String>,
    pending: &std::collections::BTreeMap<String, String>,
    reveal: bool,
) -> Vec<FieldChange> {
    let now = crate::kernel::views::field_views(kind, current, reveal);
    let then = crate::kernel::views::field_views(kind, pending, reveal);
    kind.fields()
        .iter()
        .filter_map(|def| {
            let a = now.iter().find(|f| f.code == def.code).map(|f| f.value.clone()).unwrap_or_default();
            let b = then.iter().find(|f| f.code == def.code).map(|f| f.value.clone()).unwrap_or_default();
            (current.get(def.code) != pending.get(def.code)).then_some((def.name, a, b))
        })
        .collect()
}

/// A subject's name changes as staff read them, from its `subject.*` events.
fn subject_changes(
    events: &[xinjiao_store::Event],
    actor: &dyn Fn(&str) -> String,
) -> Vec<(String, String, String, String)> {
    events
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            let what = match e.action.as_str() {
                "subject.created" => match v["name"].as_str() {
                    Some(name) => format!("首次报送，名称「{name}」"),
                    // Events written before names were recorded in them.
                    None => "首次报送".to_string(),
                },
                _ => {
                    let mut parts = vec![format!(
                        "名称「{}」→「{}」",
                        v["name"][0].as_str().unwrap_or(""),
                        v["name"][1].as_str().unwrap_or("")
                    )];
                    if v["legal_rep"][0] != v["legal_rep"][1] {
                        parts.push(format!(
                            "法定代表人「{}」→「{}」",
                            v["legal_rep"][0].as_str().unwrap_or(""),
                            v["legal_rep"][1].as_str().unwrap_or("")
                        ));
                    }
                    parts.join("，")
                }
            };
            let by_decision = v["decision_no"].as_str().unwrap_or("").to_string();
            (local_time(e.at), actor(&e.actor), what, by_decision)
        })
        .collect()
}

/// A record's withdrawal from publication, against its deadline.
struct Withdrawal {
    withdrawn_on: String,
    reason: String,
    change_decided_on: String,
    days: u32,
    deadline: String,
    days_late: u32,
}

fn withdrawal(st: &AppState, detail: &xinjiao_store::RecordDetail) -> Option<Withdrawal> {
    let ev = detail.events.iter().rev().find(|e| e.action == "record.withdrawn")?;
    let v: serde_json::Value = serde_json::from_str(&ev.detail).ok()?;
    let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let rules = st.rules.read().expect("rules lock");
    let change: xinjiao_core::Date = text("change_decided_on").parse().ok()?;
    let withdrawn: xinjiao_core::Date = text("withdrawn_on").parse().ok()?;
    let deadline = rules.calendar.add_working_days(change, rules.publication.withdrawal_days).value;
    Some(Withdrawal {
        withdrawn_on: withdrawn.to_string(),
        reason: text("reason"),
        change_decided_on: change.to_string(),
        days: rules.publication.withdrawal_days,
        deadline: deadline.to_string(),
        days_late: rules.calendar.working_days_between(deadline, withdrawn).value,
    })
}

/// The record's publication against its deadline (决定日期后 N 个工作日).
struct Timeliness {
    days: u32,
    deadline: String,
    published: String,
    /// Working days late; 0 when on time.
    days_late: u32,
    provisional: bool,
}

fn timeliness(st: &AppState, detail: &xinjiao_store::RecordDetail) -> Timeliness {
    let rules = st.rules.read().expect("rules lock");
    let kind = detail.row.kind;
    let decided = detail.row.decision_date;
    let deadline = rules.publication.deadline(kind, decided, &rules.calendar);
    let published = detail.row.published_on.unwrap_or_else(|| {
        crate::kernel::time::china_date(detail.versions.first().map(|v| v.created_at).unwrap_or(detail.row.updated_at))
    });
    let late = rules.calendar.working_days_between(deadline.value, published);
    Timeliness {
        days: rules.publication.days(kind),
        deadline: deadline.value.to_string(),
        published: published.to_string(),
        days_late: late.value,
        provisional: deadline.provisional || late.provisional,
    }
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn render_staff_record(
    st: &AppState,
    user: &User,
    id: &str,
    reveal_for: Option<String>,
    message: Option<String>,
    errors: Vec<String>,
) -> Result<Html<String>, PageError> {
    let reveal = reveal_for.is_some();
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let detail = st.db(move |s| s.record(id)).await?.ok_or(PageError::NotFound)?;
    let fields = field_views(detail.row.kind, &detail.current().fields, reveal);
    let has_personal = fields.iter().any(|f| f.personal);
    if let (Some(purpose), true) = (reveal_for, has_personal) {
        let wctx = ctx(st, user, format!("查看完整个人信息：{purpose}"));
        let (sid, rid) = (detail.row.subject_id, detail.row.id);
        let detail = serde_json::json!({ "purpose": purpose }).to_string();
        st.db(move |s| s.append_event(&wctx, "personal_data.read", Some(sid), Some(rid), &detail)).await?;
    }
    let (departments, users) = st.db(|s| Ok((s.departments()?, s.users()?))).await?;
    let department = match detail.row.department_id {
        Some(id) => departments.iter().find(|d| d.id == id).map(|d| d.name.clone()).unwrap_or_default(),
        None => "未归属部门".to_string(),
    };
    let words = crate::kernel::words::Words::new(&users, &departments);
    let (key, name) = (detail.row.subject_key.clone(), detail.row.subject_name.clone());
    let actor = |a: &str| words.actor(a, |k| (k == key).then(|| name.clone()));
    let sid = detail.row.subject_id;
    let history = st.db(move |s| s.subject_history(sid)).await?;
    let pending = detail
        .pending()
        .map(|p| (p.version, changed_views(detail.row.kind, &detail.current().fields, &p.fields, reveal)));
    let objection_open = super::portal::open_objection(st, id).await?;
    let chrome = st.chrome(user, "/console/records").await?;
    let page = StaffRecordPage {
        objection_open,
        pending,
        subject_history: subject_changes(&history, &actor),
        withdrawal: withdrawal(st, &detail),
        row_review_state: detail.row.review_state.clone(),
        row_review_reason: detail.row.review_reason.clone().unwrap_or_default(),
        errors,
        can_withdraw: acts_for(user, detail.row.department_id),
        can_reveal: acts_for(user, detail.row.department_id),
        today: st.today().to_string(),
        withdrawal_days: st.rules.read().expect("rules lock").publication.withdrawal_days,
        department,
        timeliness: timeliness(st, &detail),
        banner: st.banner(),
        chrome,
        message,
        row: (&detail.row).into(),
        fields,
        revealed: reveal,
        has_personal,
        versions: detail.versions.iter().map(|v| (v.version, local_time(v.created_at), actor(&v.created_by))).collect(),
        events: detail
            .events
            .iter()
            .map(|e| {
                (
                    local_time(e.at),
                    actor(&e.actor),
                    crate::kernel::words::event_label(&e.action).to_string(),
                    e.reason.clone(),
                    words.detail(&e.detail),
                )
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

async fn staff_record(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Html<String>, PageError> {
    let msg = q.saved.map(|v| match v.as_str() {
        "pending" => "已保存修改，待审核通过后生效；在此之前公众看到的仍是审核通过的版本。".to_string(),
        _ => "已保存。".to_string(),
    });
    render_staff_record(&st, &user, &id, None, msg, vec![]).await
}

#[derive(Deserialize)]
struct WithdrawForm {
    reason: String,
    change_decided_on: String,
}

/// Withdraws a record whose decision was changed, revoked, or confirmed
/// illegal or void (staff of its department, or a coordinator).
async fn withdraw_record(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    let rid: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let detail = st.db(move |s| s.record(rid)).await?.ok_or(PageError::NotFound)?;
    if !crate::kernel::context::acts_for(&user, detail.row.department_id) {
        return Err(PageError::Forbidden);
    }
    let mut errors = Vec::new();
    let reason = f.reason.trim().to_string();
    if reason.is_empty() {
        errors.push("请填写撤销公示的原因（如：行政复议决定撤销原处罚决定）。".to_string());
    }
    let change = xinjiao_core::records::date::parse_date(&f.change_decided_on);
    match change {
        None => errors.push(format!("变更或撤销决定的日期“{}”无效，应如 2026-11-20。", f.change_decided_on)),
        Some(d) if d > st.today() => errors.push("变更或撤销决定的日期不能晚于今天。".into()),
        Some(d) if d < detail.row.decision_date => errors.push("变更或撤销决定的日期不能早于原决定日期。".into()),
        Some(_) => {}
    }
    let (Some(change), true) = (change, errors.is_empty()) else {
        let page = render_staff_record(&st, &user, &id, None, None, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let wctx = ctx(&st, &user, format!("撤销公示：{reason}"));
    match st.db(move |s| s.withdraw_record(&wctx, rid, &reason, change)).await {
        Ok(()) => {}
        Err(StoreError::Conflict(m)) => {
            let page = render_staff_record(&st, &user, &id, None, None, vec![m]).await?;
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/console/records/{rid}?saved=1")).into_response())
}

#[derive(Deserialize)]
struct RevealForm {
    #[serde(default)]
    purpose: String,
}

/// Shows a record's personal data in full: only to its own department (or a
/// coordinator or administrator), only with a stated purpose, which the
/// `personal_data.read` event keeps.
async fn reveal_record(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<String>,
    Form(f): Form<RevealForm>,
) -> Result<Response, PageError> {
    let rid: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let detail = st.db(move |s| s.record(rid)).await?.ok_or(PageError::NotFound)?;
    if !acts_for(&user, detail.row.department_id) {
        return Err(PageError::Forbidden);
    }
    let purpose = f.purpose.trim().to_string();
    if purpose.is_empty() || purpose.chars().count() > 200 {
        let errors = vec!["查看完整个人信息须写明用途（不超过 200 字），该用途记入审计日志。".to_string()];
        let page = render_staff_record(&st, &user, &id, None, None, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    Ok(render_staff_record(&st, &user, &id, Some(purpose), None, vec![]).await?.into_response())
}
