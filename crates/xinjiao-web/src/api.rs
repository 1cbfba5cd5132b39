//! The JSON API under `/api/v1`: the same reads as the portal, file imports for
//! machine clients (bearer token), and the OpenAPI document. Errors are JSON
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

use crate::AppState;
use crate::auth::ApiUser;
use crate::import_job::ImportError;
use crate::portal::{ListQuery, SearchQuery};
use crate::views::{RecordRowView, SubjectView, public_field_map};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(search_subjects))
        .route("/subjects/{key}", get(get_subject))
        .route("/records", get(list_records))
        .route("/records/{id}", get(get_record))
        .route(
            "/imports/{kind}",
            post(import_file).layer(axum::extract::DefaultBodyLimit::max(crate::console::MAX_UPLOAD_BYTES)),
        )
        .route("/rates", get(rates))
        .route("/diagnostic-codes", get(diagnostic_codes))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "接口不存在") })
}

/// An API error with a stable machine code.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_string(), message: message.into() }
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "需要登录或有效的 API 令牌（Authorization: Bearer <token>）",
        )
    }
    fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what}不存在"))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("记录"),
            other => {
                eprintln!("internal error: {other}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "系统暂时无法处理该请求")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": {"code": self.code, "message": self.message}}))).into_response()
    }
}

/// A page of items.
#[derive(Serialize)]
pub struct PageJson<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> PageJson<T> {
    fn from_page<S>(p: xinjiao_store::Page<S>, f: impl Fn(&S) -> T) -> PageJson<T> {
        PageJson { items: p.items.iter().map(f).collect(), total: p.total, page: p.page, per_page: p.per_page }
    }
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
    if !crate::views::is_public_on(&detail.row, st.today()) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_public", "该记录不在公示期内"));
    }
    let objection_open = crate::portal::open_objection(&st, id).await?;
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
    let opts = ReadOptions { kind, encoding, sheet: q.sheet, limits: xinjiao_import::Limits::DEFAULT };
    if body.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "file.empty", "请求体为空：应为要导入的文件"));
    }
    let ctx = crate::console::ctx(&st, &user, format!("API 导入 {filename}"));
    let today = st.today();
    let dry_run = q.dry_run;
    let store = st.store.clone();
    let uid = user.id;
    // Reading and parsing run on a blocking thread, never on the async workers.
    let result = tokio::task::spawn_blocking(move || {
        let reader = xinjiao_import::open_bytes(&filename, body.clone(), &opts).map_err(ImportError::File)?;
        let owner = crate::import_job::Ownership::of(&*store, &ctx)?;
        let target = (!dry_run).then_some(&*store);
        let result = crate::import_job::run_import(target, reader, kind, &ctx, &owner, today, &mut |_| {})?;
        if !dry_run {
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

#[derive(Deserialize)]
struct RatesQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    by: String,
}

fn counts_json(c: &xinjiao_core::rates::RateCounts) -> Value {
    use xinjiao_core::rates::RateKind;
    let rate = |k: RateKind| {
        let r = c.rate(k);
        json!({"numerator": r.numerator, "denominator": r.denominator,
               "per_mille": r.per_mille(), "display": r.display(), "meets_target": c.meets_target(k)})
    };
    json!({
        "fill": rate(RateKind::Fill), "pass": rate(RateKind::Pass), "timeliness": rate(RateKind::Timeliness),
        "due": c.due, "reported": c.reported, "undeclared": c.undeclared,
        "rows_submitted": c.rows_submitted, "rows_passed": c.rows_first_pass,
        "published": c.published, "published_on_time": c.published_on_time
    })
}

/// The three rates by department or division for a period (staff only).
async fn rates(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<RatesQuery>,
) -> Result<Json<Value>, ApiError> {
    use crate::dashboard::{By, compute_for, parse_period};
    let period = parse_period(&q.period, &q.at, st.today())
        .map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, "invalid_period", m))?;
    let by = By::parse(&q.by)
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_by", "by 应为 department 或 division"))?;
    let (rules, cache) = (st.rules.clone(), st.rates_cache.clone());
    let f = st
        .db(move |s| {
            let rules = rules.read().expect("rules");
            compute_for(s, &rules, &cache, period, by, None, &user)
        })
        .await?;
    let definitions: Value = [
        xinjiao_core::rates::RateKind::Fill,
        xinjiao_core::rates::RateKind::Pass,
        xinjiao_core::rates::RateKind::Timeliness,
    ]
    .iter()
    .map(|k| (k.label().to_string(), Value::String(k.definition().to_string())))
    .collect::<serde_json::Map<String, Value>>()
    .into();
    Ok(Json(json!({
        "period": {"kind": period.kind.as_str(), "key": period.key(), "label": period.label(),
                   "from": period.first_day().to_string(), "to": period.last_day().to_string()},
        "by": f.by.as_str(),
        "definitions": definitions,
        "rows": f.rows.iter().map(|r| json!({"key": r.key, "name": r.name, "division": r.division, "rates": counts_json(&r.counts)})).collect::<Vec<_>>(),
        "total": counts_json(&f.total),
    })))
}

async fn diagnostic_codes() -> Json<Value> {
    let codes: Vec<Value> = xinjiao_core::diag::CODES
        .iter()
        .chain(xinjiao_import::CODES)
        .map(|(c, d)| json!({"code": c, "description": d}))
        .collect();
    Json(json!({ "items": codes }))
}

/// The OpenAPI document, written by hand; a test checks it names every route.
pub fn openapi_document() -> Value {
    let err = json!({"$ref": "#/components/schemas/Error"});
    let page_param = json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}});
    let per_page =
        json!({"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "信交 Xinjiao API",
            "version": "1",
            "description": "交通运输信用信息平台接口。公开接口无需认证；写入接口需要 Authorization: Bearer <token>（由 `xinjiao user token` 生成）。个人证件号码在所有公开响应中均已脱敏。"
        },
        "paths": {
            "/api/v1/subjects": {"get": {
                "summary": "按名称片段（至少1个字）或统一社会信用代码查询主体",
                "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string"}}, page_param, per_page],
                "responses": {"200": {"description": "主体分页列表", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubjectPage"}}}},
                              "400": {"description": "缺少 q（missing_query）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/subjects/{key}": {"get": {
                "summary": "主体信用档案：基本信息、行政许可和行政处罚（各最多100条，按决定日期倒序；全部记录用 /api/v1/records?subject=）",
                "parameters": [{"name": "key", "in": "path", "required": true, "description": "统一社会信用代码，或自然人主体的 P 编号", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "主体档案", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubjectDetail"}}}},
                              "404": {"description": "主体不存在（not_found）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/records": {"get": {
                "summary": "双公示记录列表（按决定日期倒序）",
                "parameters": [
                    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["license", "penalty"]}},
                    {"name": "from", "in": "query", "description": "决定日期起（含）", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "description": "决定日期止（含）", "schema": {"type": "string", "format": "date"}},
                    {"name": "authority", "in": "query", "description": "决定机关统一社会信用代码", "schema": {"type": "string"}},
                    {"name": "subject", "in": "query", "description": "主体 key", "schema": {"type": "string"}},
                    page_param, per_page],
                "responses": {"200": {"description": "记录分页列表", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordPage"}}}},
                              "400": {"description": "参数错误（invalid_kind, invalid_date）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/records/{id}": {"get": {
                "summary": "记录详情（当前版本，按数据标准字段代码）",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "记录", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordDetail"}}}},
                              "404": {"description": "记录不存在（not_found）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/imports/{kind}": {"post": {
                "summary": "导入文件（CSV：UTF-8/GBK；XLSX），请求体为文件内容",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "kind", "in": "path", "required": true, "schema": {"type": "string", "enum": ["penalties", "licenses"]}},
                    {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "encoding", "in": "query", "schema": {"type": "string", "enum": ["utf-8", "gbk", "gb18030"]}},
                    {"name": "sheet", "in": "query", "schema": {"type": "string"}},
                    {"name": "filename", "in": "query", "description": "原文件名（以 .xlsx 结尾按 XLSX 读取）", "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "200": {"description": "全部行已接受或未变化", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReport"}}}},
                    "422": {"description": "有被拒绝的行（报告中列出），或文件无法读取（file.* 错误码，未存储任何数据）", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/ImportReport"}, err]}}}},
                    "401": {"description": "未认证（unauthorized）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/rates": {"get": {
                "summary": "填报率、合格率、及时率：按部门或县区，按月、季度或年度（工作人员令牌）",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "period", "in": "query", "schema": {"type": "string", "enum": ["month", "quarter", "year"]}},
                    {"name": "at", "in": "query", "description": "统计期，如 2026-10、2026-Q4、2026；缺省为本月", "schema": {"type": "string"}},
                    {"name": "by", "in": "query", "schema": {"type": "string", "enum": ["department", "division"]}}],
                "responses": {
                    "200": {"description": "各部门（县区）的三率及其分子分母", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Rates"}}}},
                    "400": {"description": "参数无效（invalid_period、invalid_by）", "content": {"application/json": {"schema": err}}},
                    "401": {"description": "未认证（unauthorized）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/diagnostic-codes": {"get": {
                "summary": "校验错误码及其含义",
                "responses": {"200": {"description": "错误码列表"}}
            }},
            "/api/v1/openapi.json": {"get": {"summary": "本文档", "responses": {"200": {"description": "OpenAPI 3.1 文档"}}}}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "description": "稳定的机器错误码"}, "message": {"type": "string", "description": "中文说明"}}}}},
                "Subject": {"type": "object", "properties": {
                    "key": {"type": "string"}, "kind": {"type": "string", "enum": ["organization", "natural_person", "individual_business"]},
                    "kind_label": {"type": "string"}, "name": {"type": "string"}, "uscc": {"type": ["string", "null"]},
                    "id_doc_no_masked": {"type": ["string", "null"], "description": "脱敏证件号码，如 4405**********0014"},
                    "legal_rep": {"type": ["string", "null"]}, "n_licenses": {"type": "integer"}, "n_penalties": {"type": "integer"}}},
                "SubjectPage": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Subject"}},
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
                "SubjectDetail": {"allOf": [{"$ref": "#/components/schemas/Subject"}, {"type": "object", "properties": {
                    "licenses": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                    "penalties": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}]},
                "Record": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["license", "penalty"]}, "kind_label": {"type": "string"},
                    "subject_key": {"type": "string"}, "subject_name": {"type": "string"}, "authority_code": {"type": "string"},
                    "authority_name": {"type": "string"}, "decision_no": {"type": "string"}, "decision_date": {"type": "string", "format": "date"},
                    "summary": {"type": "string"}, "version": {"type": "integer"}}},
                "RecordPage": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
                "RecordDetail": {"allOf": [{"$ref": "#/components/schemas/Record"}, {"type": "object", "properties": {
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}, "description": "字段代码（如 CF_WSH）到值；个人证件号码已脱敏"},
                    "objection_open": {"type": "boolean", "description": "异议处理中"}}}]},
                "Rate": {"type": "object", "properties": {"numerator": {"type": "integer"}, "denominator": {"type": "integer"},
                    "per_mille": {"type": ["integer", "null"], "description": "千分比，向下取整；0÷0 为 null"}, "display": {"type": "string"},
                    "meets_target": {"type": "boolean"}}},
                "RateCounts": {"type": "object", "properties": {
                    "fill": {"$ref": "#/components/schemas/Rate"}, "pass": {"$ref": "#/components/schemas/Rate"}, "timeliness": {"$ref": "#/components/schemas/Rate"},
                    "due": {"type": "integer"}, "reported": {"type": "integer"}, "undeclared": {"type": "integer"},
                    "rows_submitted": {"type": "integer"}, "rows_passed": {"type": "integer"},
                    "published": {"type": "integer"}, "published_on_time": {"type": "integer"}}},
                "Rates": {"type": "object", "properties": {
                    "period": {"type": "object"}, "by": {"type": "string"}, "definitions": {"type": "object"},
                    "rows": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "name": {"type": "string"},
                        "division": {"type": "string"}, "rates": {"$ref": "#/components/schemas/RateCounts"}}}},
                    "total": {"$ref": "#/components/schemas/RateCounts"}}},
                "ImportReport": {"type": "object", "required": ["rows", "accepted", "unchanged", "rejected", "diagnostics"], "properties": {
                    "rows": {"type": "integer"}, "accepted": {"type": "integer"}, "unchanged": {"type": "integer"}, "rejected": {"type": "integer"},
                    "awaiting_review": {"type": "integer", "description": "已接受的行中，对已公示记录的修改、待审核后生效的行数（为 0 时省略）"},
                    "diagnostics_omitted": {"type": "integer", "description": "超出上限未列出的错误数（为 0 时省略）"},
                    "warnings": {"type": "array", "description": "不导致拒绝的提醒（如自由文本中的个人信息），结构同 diagnostics"},
                    "warnings_omitted": {"type": "integer", "description": "超出上限未列出的提醒数（为 0 时省略）"},
                    "diagnostics": {"type": "array", "items": {"type": "object", "properties": {
                        "row": {"type": "integer", "description": "表格行号（表头为1）"}, "field": {"type": "string", "description": "数据标准字段代码"},
                        "code": {"type": "string"}, "message": {"type": "string"}}}}}}
            }
        }
    })
}

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}
