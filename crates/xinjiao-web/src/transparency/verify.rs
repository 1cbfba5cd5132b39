//! Reports and their verification on the web: the public report
//! (`POST /subjects/{key}/report`), the subject's full report
//! (`POST /account/report`), the API (`POST /api/v1/subjects/{key}/reports`,
//! `GET /api/v1/reports/{number or sha256}`), and `/verify`, which takes a
//! report number, a report's PDF or a record's proof bundle and says
//! whether it is genuine, and of a report whether it is still the latest
//! and what changed since.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use xinjiao_core::transparency::bundle::verify;
use xinjiao_core::transparency::entry::{format_time, hex};
use xinjiao_import::proof::{BundleFile, read_bundle};
use xinjiao_store::transparency::StoredReport;
use xinjiao_store::{Store, StoreError, Subject};

use super::reports::{Edition, IssueError, Issued, Standing, issue, standing};
use crate::kernel::auth::{MaybeUser, SubjectUser};
use crate::kernel::error::{ApiError, PageError};
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;
use crate::kernel::views::mask_text;
use crate::kernel::workplace::ProfileSection;

/// The largest file `/verify` takes (a report's PDF or a proof bundle).
pub const MAX_VERIFY_UPLOAD: usize = 8 << 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/verify",
            get(verify_page).post(verify_upload).layer(DefaultBodyLimit::max(MAX_VERIFY_UPLOAD + 16 * 1024)),
        )
        .route("/subjects/{key}/report", post(public_report))
        .route("/account/report", post(full_report))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/subjects/{key}/reports", post(api_issue)).route("/reports/{number}", get(api_report))
}

fn parse_day(s: Option<&str>) -> Result<Option<xinjiao_core::Date>, String> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| format!("信息截至日期“{s}”应为 YYYY-MM-DD 格式的日期")),
    }
}

fn pdf_response(i: Issued) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"xinjiao-report-{}.pdf\"", i.report.number)),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::HeaderName::from_static("x-xinjiao-report-number"), i.report.number.clone()),
        ],
        i.pdf,
    )
        .into_response()
}

fn page_error(e: IssueError) -> PageError {
    match e {
        IssueError::Store(StoreError::NotFound) => PageError::NotFound,
        IssueError::FutureDay => PageError::BadRequest(e.parts().1),
        other => PageError::Internal(other.parts().1),
    }
}

async fn issue_async(
    st: &AppState,
    key: String,
    as_of: Option<xinjiao_core::Date>,
    edition: Edition,
    actor: String,
) -> Result<Result<Issued, IssueError>, StoreError> {
    let s = st.clone();
    st.db(move |store| Ok(issue(&s, store, &key, as_of, edition, &actor, None))).await
}

#[derive(Deserialize, Default)]
struct ReportForm {
    as_of: Option<String>,
}

/// `POST /subjects/{key}/report`: the public report as a PDF download.
async fn public_report(
    State(st): State<AppState>,
    Path(key): Path<String>,
    Form(f): Form<ReportForm>,
) -> Result<Response, PageError> {
    let as_of = parse_day(f.as_of.as_deref()).map_err(PageError::BadRequest)?;
    let issued = issue_async(&st, key, as_of, Edition::Public, "public".into()).await?.map_err(page_error)?;
    Ok(pdf_response(issued))
}

/// `POST /account/report`: the subject's full report.
async fn full_report(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Form(f): Form<ReportForm>,
) -> Result<Response, PageError> {
    let as_of = parse_day(f.as_of.as_deref()).map_err(PageError::BadRequest)?;
    let actor = format!("subject:{}", subject.key);
    let issued = issue_async(&st, subject.key, as_of, Edition::Full, actor).await?.map_err(page_error)?;
    Ok(pdf_response(issued))
}

#[derive(Deserialize, Default)]
struct ApiIssue {
    as_of: Option<String>,
}

/// `POST /api/v1/subjects/{key}/reports[?as_of=YYYY-MM-DD]`: a public
/// report (the PDF; its number in `X-Xinjiao-Report-Number`).
async fn api_issue(
    State(st): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<ApiIssue>,
) -> Result<Response, ApiError> {
    let as_of = parse_day(q.as_of.as_deref())
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "report.bad_as_of", m))?;
    match issue_async(&st, key, as_of, Edition::Public, "api".into()).await? {
        Ok(i) => Ok(pdf_response(i)),
        Err(e) => {
            let (code, message) = e.parts();
            let status = match e {
                IssueError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
                IssueError::FutureDay => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            Err(ApiError::new(status, code, message))
        }
    }
}

/// A report found by its number or by the SHA-256 (hex) of its PDF.
fn find_report(store: &dyn Store, key: &str) -> Result<Option<StoredReport>, StoreError> {
    if let Some(sha) = xinjiao_core::transparency::entry::unhex(&key.to_ascii_lowercase()) {
        return store.report_by_sha256(&sha);
    }
    store.report(key.trim())
}

/// A report's standing and the proof bundle of its leaf.
async fn report_standing(st: &AppState, key: String) -> Result<Option<(Standing, BundleFile)>, StoreError> {
    let s = st.clone();
    st.db(move |store| {
        let Some(r) = find_report(store, &key)? else { return Ok(None) };
        let leaf = store.object_leaf(&format!("report/{}", r.number))?.ok_or(StoreError::NotFound)?;
        let bundle = super::proofs::leaf_bundle(&s, store, &leaf, true, None)?;
        Ok(Some((standing(&s, store, r)?, bundle)))
    })
    .await
}

/// `GET /api/v1/reports/{number}` (or the PDF's SHA-256 in hex): the
/// report as logged, whether it is the latest, what changed since, and the
/// proof bundle of its leaf.
async fn api_report(State(st): State<AppState>, Path(number): Path<String>) -> Result<Response, ApiError> {
    let (s, bundle) = report_standing(&st, number)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "report.not_found", "没有该编号的信用报告"))?;
    let r = &s.report;
    Ok(Json(serde_json::json!({
        "number": r.number,
        "sha256": hex(&r.sha256),
        "subject": r.subject_key,
        "subject_name": mask_text(&r.subject_name),
        "edition": r.edition,
        "as_of": r.as_of.to_string(),
        "issued_at": format_time(r.issued_at),
        "data_version": r.data_version,
        "leaf_index": r.leaf_index,
        "pages": r.pages,
        "bytes": r.bytes,
        "latest": s.latest,
        "changed": s.changed.iter().map(|(h, then, now)| serde_json::json!({"section": h, "rows_then": then, "rows_now": now})).collect::<Vec<_>>(),
        "proof": bundle,
    }))
    .into_response())
}

/// One line of a verdict.
pub struct Fact {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
}

fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact { label: label.into(), value: value.into(), href: None }
}

/// What `/verify` found.
pub struct Verdict {
    /// `genuine`, `invalid` or `unknown` (the page's colour and test hook).
    pub kind: &'static str,
    pub headline: String,
    pub facts: Vec<Fact>,
    /// Of a report: whether it is still the latest.
    pub latest: Option<bool>,
    /// Sections changed since: heading, rows then, rows now.
    pub changed: Vec<(String, usize, usize)>,
    pub subject_href: Option<String>,
}

impl Verdict {
    fn invalid(kind: &'static str, headline: impl Into<String>) -> Verdict {
        Verdict { kind, headline: headline.into(), facts: vec![], latest: None, changed: vec![], subject_href: None }
    }
}

fn report_verdict(s: Standing, how: &str) -> Verdict {
    let r = &s.report;
    let edition = Edition::parse(&r.edition).map_or(r.edition.clone(), |e| e.label().to_string());
    Verdict {
        kind: "genuine",
        headline: format!("真实：这是本平台出具的信用报告（{how}）"),
        facts: vec![
            fact("报告编号", r.number.clone()),
            fact("版本", edition),
            fact("主体", format!("{}（{}）", mask_text(&r.subject_name), r.subject_key)),
            fact("信息截至", r.as_of.to_string()),
            fact("出具时间", format!("{}（北京时间）", local_time(r.issued_at))),
            fact("页数与大小", format!("{} 页，{} 字节", r.pages, r.bytes)),
            fact("文件 SHA-256", hex(&r.sha256)),
            Fact {
                label: "透明日志".into(),
                value: format!("第 {} 号条目（出具即记入）", r.leaf_index),
                href: Some(format!("/api/v1/reports/{}", r.number)),
            },
        ],
        latest: Some(s.latest),
        changed: s.changed,
        subject_href: Some(format!("/subjects/{}", r.subject_key)),
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    number: String,
    verdict: Option<Verdict>,
    max_mb: usize,
}

fn render(st: &AppState, u: &MaybeUser, number: String, verdict: Option<Verdict>) -> Result<Html<String>, PageError> {
    let page = VerifyPage {
        banner: st.banner(),
        user: u.0.as_ref().map(|u| u.display_name.clone()),
        number,
        verdict,
        max_mb: MAX_VERIFY_UPLOAD >> 20,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
struct VerifyQuery {
    number: Option<String>,
}

/// `GET /verify[?number=XJ-…]`.
async fn verify_page(
    State(st): State<AppState>,
    u: MaybeUser,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, PageError> {
    let number = q.number.unwrap_or_default().trim().chars().take(80).collect::<String>();
    if number.is_empty() {
        return Ok(render(&st, &u, number, None)?.into_response());
    }
    let verdict = match report_standing(&st, number.clone()).await? {
        Some((s, _)) => report_verdict(s, "按报告编号查得"),
        None => Verdict::invalid(
            "unknown",
            format!("未找到：本平台没有出具过编号为“{number}”的信用报告。请核对编号，或上传报告 PDF 核验。"),
        ),
    };
    let status = if verdict.kind == "genuine" { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, render(&st, &u, number, Some(verdict))?).into_response())
}

/// `POST /verify` (multipart, field `file`): a report's PDF or a proof bundle.
async fn verify_upload(State(st): State<AppState>, u: MaybeUser, mut mp: Multipart) -> Result<Response, PageError> {
    let mut file = None;
    let too_large = |e: &axum::extract::multipart::MultipartError| e.status() == StatusCode::PAYLOAD_TOO_LARGE;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => match f.bytes().await {
                Ok(b) => file = Some(b),
                Err(e) if too_large(&e) => {
                    file = None;
                    break;
                }
                Err(e) => return Err(PageError::BadRequest(format!("上传内容无法读取：{e}"))),
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) if too_large(&e) => break,
            Err(e) => return Err(PageError::BadRequest(format!("上传内容无法读取：{e}"))),
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        let v = Verdict::invalid(
            "invalid",
            format!("请选择要核验的文件：信用报告 PDF 或证明包（.json），不超过 {} MB。", MAX_VERIFY_UPLOAD >> 20),
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&st, &u, String::new(), Some(v))?).into_response());
    };
    let verdict = if bytes.starts_with(b"%PDF-") {
        let sha = hex(&Sha256::digest(&bytes));
        match report_standing(&st, sha.clone()).await? {
            Some((s, _)) => report_verdict(s, "按上传文件的 SHA-256 查得，文件与出具时逐字节一致"),
            None => {
                let mut v = Verdict::invalid(
                    "invalid",
                    "不能证实：本平台从未出具过与该文件逐字节一致的报告。文件可能被改动过（哪怕一个字节），或并非本平台出具。",
                );
                v.facts.push(fact("上传文件 SHA-256", sha));
                v
            }
        }
    } else {
        bundle_verdict(&st, &bytes)
    };
    let status = if verdict.kind == "genuine" { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&st, &u, String::new(), Some(verdict))?).into_response())
}

/// A proof bundle checked against the platform's key, as `xinjiao verify
/// bundle` would offline.
fn bundle_verdict(st: &AppState, bytes: &[u8]) -> Verdict {
    let bundle = match read_bundle(bytes) {
        Ok(b) => b,
        Err(e) => {
            return Verdict::invalid(
                "invalid",
                format!("无法核验：该文件既不是本平台的信用报告 PDF，也不是有效的证明包——{}（{}）", e.message, e.code),
            );
        }
    };
    match verify(&bundle, &st.trusted_keys()) {
        Ok(v) => {
            let mut facts = vec![
                fact("日志条目", format!("第 {} 号", bundle.leaf_index)),
                fact("事件", v.entry.event.label()),
                fact("对象", v.entry.object.clone()),
                fact("记入时间", v.entry.time.clone()),
                fact("检查点", format!("{}，共 {} 条，由 {} 签名", v.checkpoint.origin, v.checkpoint.size, v.key_name)),
            ];
            facts.push(match &bundle.content {
                Some(c) if v.content_checked => fact("内容（与承诺值一致）", c.clone()),
                _ => fact("内容", "证明包未附内容：只证明该条目存在，不证明其内容"),
            });
            Verdict {
                kind: "genuine",
                headline: "证明有效：该条目在本平台签名的透明日志中".into(),
                facts,
                latest: None,
                changed: vec![],
                subject_href: None,
            }
        }
        Err(e) => Verdict::invalid("invalid", format!("证明无效：{}（{}）", e.message(), e.code())),
    }
}

#[derive(Template)]
#[template(path = "report_section.html")]
struct ReportSection {
    action: String,
    today: String,
    account: bool,
    reports: Vec<(String, String, String, String)>,
}

fn section(st: &AppState, store: &dyn Store, subject: &Subject, account: bool) -> Result<ProfileSection, StoreError> {
    let reports = if account {
        store
            .subject_reports(&subject.key, 20)?
            .into_iter()
            .map(|r| {
                let edition = Edition::parse(&r.edition).map_or(r.edition.clone(), |e| e.label().to_string());
                (r.number, edition, r.as_of.to_string(), local_time(r.issued_at))
            })
            .collect()
    } else {
        vec![]
    };
    let html = ReportSection {
        action: if account { "/account/report".into() } else { format!("/subjects/{}/report", subject.key) },
        today: st.today().to_string(),
        account,
        reports,
    }
    .render()
    .map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(ProfileSection { title: "信用报告".into(), html })
}

/// The public report's button on a subject's profile.
pub fn profile_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    Ok(vec![section(st, store, subject, false)?])
}

/// The full report's button, and the reports issued, on the subject's account.
pub fn account_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    Ok(vec![section(st, store, subject, true)?])
}
