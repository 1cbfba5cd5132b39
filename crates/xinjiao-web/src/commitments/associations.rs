//! Industry associations' commitments for their members (行业自律型):
//! the coordinator uploads an association's file of the members that signed
//! (`/console/commitments/associations`; columns in
//! [`xinjiao_core::commitments::members`]). Every row is checked — the USCC
//! and its check digit, the name, the day signed, a member the platform
//! knows, not twice in the file — and the valid ones kept in one
//! transaction, each as the association's commitment rendered from the
//! current template, public at once; a member already holding the
//! association's commitment in force is left as it is (an upload may be
//! repeated). Decision: coordinators upload (the coordinating department
//! deals with the associations); clerks are refused.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use xinjiao_core::commitments::members::{MEMBER_CATALOGUE, MEMBER_FIELDS, MemberRow, parse_member_row};
use xinjiao_import::ImportReport;
use xinjiao_store::{NewCommitment, Store, StoreError, Subject, User};

use super::shared::{rules, templates};
use crate::kernel::auth::StaffUser;
use crate::kernel::error::PageError;
use crate::kernel::imports::{ImportError, collect_rows};
use crate::kernel::state::AppState;

/// The largest member file accepted.
pub const MAX_MEMBER_FILE_BYTES: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/console/commitments/associations",
        get(form).post(upload).layer(axum::extract::DefaultBodyLimit::max(MAX_MEMBER_FILE_BYTES + 65536)),
    )
}

/// What an upload did: the file's report and the members already holding
/// the association's commitment.
pub struct Outcome {
    pub report: ImportReport,
    pub held: u64,
}

/// Reads a member file and keeps its valid rows for `association`.
pub fn import_members(
    st: &AppState,
    store: &dyn Store,
    user: &User,
    association: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Outcome, ImportError> {
    let today = st.today();
    let opts = xinjiao_import::ReadOptions::of(MEMBER_CATALOGUE);
    let reader = xinjiao_import::open_bytes(filename, bytes, &opts).map_err(ImportError::File)?;
    let mut failure: Option<StoreError> = None;
    let parse = |values: &xinjiao_core::FieldValues| -> Result<(MemberRow, Subject), Vec<xinjiao_core::Diagnostic>> {
        let m = parse_member_row(values, today)?;
        match store.subject_by_key(&m.code) {
            Ok(Some(s)) => Ok((m, s)),
            Ok(None) => Err(vec![xinjiao_core::Diagnostic::new(
                "HY_QYDM",
                "subject.unknown",
                format!("平台上没有统一社会信用代码为 {} 的主体（会员须是本平台已有记录的经营主体）", m.code),
            )]),
            Err(e) => {
                failure.get_or_insert(e);
                Err(vec![])
            }
        }
    };
    let (mut report, rows) = collect_rows(reader, parse, |(m, _)| m.code.clone(), &|(m, _), first| {
        ("HY_QYDM".into(), format!("会员 {} 与第 {first} 行重复", m.code))
    })?;
    if let Some(e) = failure {
        return Err(ImportError::Store(e));
    }
    let ty = rules().type_of("self-regulation").expect("a shipped type");
    let mut members = Vec::with_capacity(rows.len());
    for (m, subject) in &rows {
        let (tpl, text) = templates()
            .render_for(ty, None, (&subject.name, &m.code), m.signed_on)
            .map_err(|e| ImportError::Store(StoreError::Backend(e)))?;
        members.push(NewCommitment {
            subject_id: subject.id,
            kind: ty.code.clone(),
            matter: None,
            template_version: tpl.version,
            text,
            signed_via: "association".into(),
            association: Some(association.to_string()),
            public: ty.public,
            department_id: None,
            scan: None,
        });
    }
    let ctx = crate::kernel::context::ctx(st, user, format!("上传{association}会员信用承诺（{filename}）"));
    let (new, held) = store.sign_member_commitments(&ctx, &members)?;
    report.accepted = new;
    report.unchanged = held;
    Ok(Outcome { report, held })
}

/// Rows read, kept, already held, rejected; and each rejection (row, field, message).
type Shown = (u64, u64, u64, u64, Vec<(u64, String, String)>);

#[derive(Template)]
#[template(path = "commitment_associations.html")]
struct Page {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    association: String,
    errors: Vec<String>,
    outcome: Option<Shown>,
    max_mb: usize,
}

async fn render(
    st: &AppState,
    user: &User,
    association: String,
    errors: Vec<String>,
    outcome: Option<Outcome>,
) -> Result<Response, PageError> {
    let failed = !errors.is_empty() || outcome.as_ref().is_some_and(|o| o.report.rejected > 0);
    let outcome = outcome.map(|o| {
        let lines = o
            .report
            .diagnostics
            .iter()
            .map(|d| {
                let field = MEMBER_FIELDS
                    .iter()
                    .find(|f| f.code == d.field)
                    .map_or_else(|| "整行".to_string(), |f| f.name.to_string());
                (d.row, field, d.message.clone())
            })
            .collect();
        (o.report.rows, o.report.accepted, o.held, o.report.rejected, lines)
    });
    let page = Page {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/commitments").await?,
        association,
        errors,
        outcome,
        max_mb: MAX_MEMBER_FILE_BYTES / 1024 / 1024,
    };
    let status = if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

async fn form(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    render(&st, &user, String::new(), vec![], None).await
}

async fn upload(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let (mut association, mut file) = (String::new(), None);
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(format!("上传内容无法读取（可能超过大小限制）：{e}")))?
    {
        match field.name().unwrap_or("") {
            "association" => association = field.text().await.unwrap_or_default().trim().to_string(),
            "file" => {
                let name = field.file_name().unwrap_or("members.csv").chars().take(100).collect::<String>();
                let bytes = field.bytes().await.map_err(|e| PageError::BadRequest(format!("文件读取失败：{e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let mut errors = Vec::new();
    if association.chars().count() < 4 || association.chars().count() > 100 {
        errors.push("请填写行业协会的全称（4 到 100 字）".to_string());
    }
    let file = file.filter(|(_, b)| !b.is_empty());
    if file.is_none() {
        errors.push("请选择协会提供的会员信用承诺文件（CSV 或 XLSX）".to_string());
    }
    let Some((filename, bytes)) = file.filter(|_| errors.is_empty()) else {
        return render(&st, &user, association, errors, None).await;
    };
    let (s, u, a) = (st.clone(), user.clone(), association.clone());
    let done = st.db(move |store| Ok(import_members(&s, store, &u, &a, &filename, bytes))).await?;
    match done {
        Ok(outcome) => render(&st, &user, association, vec![], Some(outcome)).await,
        Err(ImportError::File(e)) => {
            render(&st, &user, association, vec![format!("文件未导入：{}", e.message)], None).await
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
