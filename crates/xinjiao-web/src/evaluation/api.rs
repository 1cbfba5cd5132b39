//! `GET /api/v1/subjects/{key}/evaluations`: a subject's credit grades.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::views::{GradeView, grade_views};
use crate::kernel::error::ApiError;
use crate::kernel::state::AppState;

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/subjects/{key}/evaluations", get(evaluations)).route(
        "/imports/credit-events",
        axum::routing::post(import_events)
            .layer(axum::extract::DefaultBodyLimit::max(crate::kernel::context::MAX_UPLOAD_BYTES)),
    )
}

#[derive(serde::Deserialize)]
struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
    filename: Option<String>,
}

/// `POST /api/v1/imports/credit-events`: the body is the file; only a
/// coordinator's or administrator's token may import (credit events are
/// bureau-wide evaluation inputs).
async fn import_events(
    State(st): State<AppState>,
    crate::kernel::auth::ApiUser(user): crate::kernel::auth::ApiUser,
    axum::extract::Query(q): axum::extract::Query<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    if !user.role.oversees() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "信用事件由信用工作协调员或管理员导入"));
    }
    if body.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "file.empty", "请求体为空：应为要导入的文件"));
    }
    let filename = q.filename.unwrap_or_else(|| "credit-events.csv".into());
    let ctx = crate::kernel::context::ctx(&st, &user, format!("API 导入信用事件 {filename}"));
    let report = super::import_job::import_bytes(&st, ctx, filename, body, q.dry_run).await.map_err(|e| match e {
        super::import_job::ImportError::File(e) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, e.message),
        super::import_job::ImportError::Store(e) => e.into(),
    })?;
    let status = if report.rejected > 0 { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Json(report)).into_response())
}

#[derive(serde::Serialize)]
struct Evaluations {
    subject: String,
    evaluations: Vec<GradeView>,
}

async fn evaluations(State(st): State<AppState>, Path(key): Path<String>) -> Result<Json<Evaluations>, ApiError> {
    let today = st.today();
    let schemes = st.rules.read().expect("rules").schemes.clone();
    let found = st
        .db(move |s| {
            let Some(subject) = s.subject_by_key_on(&key, Some(today))? else { return Ok(None) };
            let results = s.subject_evaluations(subject.id)?;
            let dynamic = super::views::dynamic_views(s, &schemes, &subject, today, true)?;
            Ok(Some((subject, (results, dynamic))))
        })
        .await
        .map_err(ApiError::from)?;
    let Some((subject, (results, dynamic))) = found else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "主体不存在"));
    };
    let person = subject.kind == xinjiao_core::records::record::SubjectKind::NaturalPerson;
    let mut evaluations = dynamic;
    {
        let rules = st.rules.read().expect("rules");
        evaluations.extend(grade_views(&rules.schemes, &results, today, true, person));
    }
    Ok(Json(Evaluations { subject: subject.key, evaluations }))
}
