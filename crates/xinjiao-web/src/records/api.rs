//! The records' JSON API under `/api/v1`: the same reads as the portal
//! (subjects, records) and file imports for machine clients (bearer token),
//! and the catalogue of diagnostic codes. Errors are JSON
//! `{"error": {"code": "...", "message": "..."}}` with stable codes.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use xinjiao_core::RecordKind;
use xinjiao_import::{Encoding, ImportReport, ReadOptions};
use xinjiao_store::{PageRequest, RecordFilter, StoreError};

use super::import_job::ImportError;
use super::portal::{ListQuery, SearchQuery};
use crate::kernel::auth::ApiUser;
use crate::kernel::context::MAX_UPLOAD_BYTES;
use crate::kernel::error::{ApiError, PageJson};
use crate::kernel::state::AppState;
use crate::kernel::views::{RecordRowView, SubjectView, public_field_map};

/// Routes under `/api/v1` (nested by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(search_subjects))
        .route("/subjects/{key}", get(get_subject))
        .route("/records", get(list_records))
        .route("/records/{id}", get(get_record))
        .route("/imports/{kind}", post(import_file).layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES)))
        .route("/diagnostic-codes", get(diagnostic_codes))
}

#[derive(Deserialize)]
struct SubjectsQuery {
    #[serde(flatten)]
    search: SearchQuery,
    per_page: Option<u32>,
}

async fn search_subjects(
    State(st): State<AppState>,
    Query(q): Query<SubjectsQuery>,
) -> Result<Json<PageJson<SubjectView>>, ApiError> {
    let text = q.search.q.trim().to_string();
    if text.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_query",
            "参数 q（名称片段或统一社会信用代码）不能为空",
        ));
    }
    let req = PageRequest::new(q.search.page.unwrap_or(1), q.per_page.unwrap_or(20));
    let today = Some(st.today());
    let page = st.db(move |s| s.search_subjects_on(&text, req, today)).await?;
    Ok(Json(PageJson::from_page(page, |s| SubjectView::from(s))))
}

#[derive(Serialize)]
struct SubjectDetailJson {
    #[serde(flatten)]
    subject: SubjectView,
    licenses: Vec<RecordRowView>,
    penalties: Vec<RecordRowView>,
}

async fn get_subject(State(st): State<AppState>, Path(key): Path<String>) -> Result<Json<SubjectDetailJson>, ApiError> {
    let today = Some(st.today());
    let found = st
        .db(move |s| {
            let Some(subject) = s.subject_by_key_on(&key, today)? else {
                return Ok(None);
            };
            let of = |kind| {
                s.list_records(
                    &RecordFilter {
                        kind: Some(kind),
                        subject_id: Some(subject.id),
                        public_on: today,
                        ..Default::default()
                    },
                    PageRequest::new(1, 100),
                )
            };
            let (l, p) = (of(RecordKind::License)?, of(RecordKind::Penalty)?);
            Ok(Some((subject, l, p)))
        })
        .await?;
    let (subject, licenses, penalties) = found.ok_or_else(|| ApiError::not_found("主体"))?;
    Ok(Json(SubjectDetailJson {
        subject: (&subject).into(),
        licenses: licenses.items.iter().map(Into::into).collect(),
        penalties: penalties.items.iter().map(Into::into).collect(),
    }))
}

async fn list_records(
    State(st): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<PageJson<RecordRowView>>, ApiError> {
    let mut filter = q.filter().map_err(|(code, msg)| ApiError::new(StatusCode::BAD_REQUEST, code, msg))?;
    let req = PageRequest::new(q.page.unwrap_or(1), q.per_page.unwrap_or(20));
    let subject_key = q.subject.clone();
    let today = Some(st.today());
    filter.public_on = today;
    let page = st
        .db(move |s| {
            if !subject_key.is_empty() {
                match s.subject_by_key_on(&subject_key, today)? {
                    Some(subj) => filter.subject_id = Some(subj.id),
                    None => return Ok(None),
                }
            }
            s.list_records(&filter, req).map(Some)
        })
        .await?
        .ok_or_else(|| ApiError::not_found("主体"))?;
    Ok(Json(PageJson::from_page(page, |r| RecordRowView::from(r))))
}

#[derive(Serialize)]
struct RecordJson {
    #[serde(flatten)]
    row: RecordRowView,
    /// Field code → value of the current version; personal data masked.
    fields: std::collections::BTreeMap<String, String>,
    /// An objection is being handled (异议处理中).
    objection_open: bool,
}

async fn get_record(State(st): State<AppState>, Path(id): Path<String>) -> Result<Json<RecordJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("记录"))?;
    let detail = st.db(move |s| s.record(id)).await?.ok_or_else(|| ApiError::not_found("记录"))?;
    if !crate::kernel::views::is_public_on(&detail.row, st.today()) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_public", "该记录不在公示期内"));
    }
    let objection_open = super::portal::open_objection(&st, id).await?;
    Ok(Json(RecordJson {
        objection_open,
        row: (&detail.row).into(),
        fields: public_field_map(detail.row.kind, &detail.current().fields),
    }))
}

#[derive(Deserialize)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
    encoding: Option<String>,
    sheet: Option<String>,
    filename: Option<String>,
}

/// `POST /api/v1/imports/{penalties|licenses}`: the body is the file.
async fn import_file(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = RecordKind::parse(&kind)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "invalid_kind", "类别应为 penalties 或 licenses"))?;
    let encoding = match q.encoding.as_deref() {
        None => Encoding::Auto,
        Some(e) => Encoding::parse(e).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_encoding",
                format!("不支持的编码“{e}”，可用 utf-8、gbk、gb18030"),
            )
        })?,
    };
    let filename = q.filename.unwrap_or_else(|| "upload.csv".into());
    let opts =
        ReadOptions { catalogue: kind.catalogue(), encoding, sheet: q.sheet, limits: xinjiao_import::Limits::DEFAULT };
    if body.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "file.empty", "请求体为空：应为要导入的文件"));
    }
    let ctx = crate::kernel::context::ctx(&st, &user, format!("API 导入 {filename}"));
    let today = st.today();
    let dry_run = q.dry_run;
    let store = st.store.clone();
    let uid = user.id;
    let signer_state = st.clone();
    // Reading and parsing run on a blocking thread, never on the async workers.
    let result = tokio::task::spawn_blocking(move || {
        let reader = xinjiao_import::open_bytes(&filename, body.clone(), &opts).map_err(ImportError::File)?;
        let owner = super::import_job::Ownership::of(&*store, &ctx)?;
        let target = (!dry_run).then_some(&*store);
        let result = super::import_job::run_import(target, reader, kind, &ctx, &owner, today, &mut |_| {})?;
        if !dry_run {
            // A batch published: its leaves get a signed checkpoint now.
            crate::kernel::signing::issue_checkpoint(&signer_state, &*store)?;
            // Counted in the pass rate like a console upload.
            let r = &result.report;
            let counts = [r.rows, r.accepted, r.unchanged, r.rejected];
            let sub = xinjiao_store::NewSubmission::from_report(
                uid,
                kind,
                filename,
                counts,
                serde_json::to_string(r).map_err(|e| StoreError::Backend(e.to_string()))?,
                Vec::from(body),
                false,
            );
            store.create_submission(&ctx, &sub)?;
        }
        Ok::<_, ImportError>(result)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(|e| match e {
        ImportError::File(e) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.message),
        ImportError::Store(e) => e.into(),
    })?;
    let report: ImportReport = result.report;
    let status = if report.rejected > 0 { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Json(report)).into_response())
}

async fn diagnostic_codes() -> Json<Value> {
    let codes: Vec<Value> = xinjiao_core::records::diag::CODES
        .iter()
        .chain(xinjiao_import::CODES)
        .map(|(c, d)| json!({"code": c, "description": d}))
        .collect();
    Json(json!({ "items": codes }))
}
