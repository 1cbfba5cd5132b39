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
    Router::new().route("/subjects/{key}/evaluations", get(evaluations))
}

#[derive(serde::Serialize)]
struct Evaluations {
    subject: String,
    evaluations: Vec<GradeView>,
}

async fn evaluations(State(st): State<AppState>, Path(key): Path<String>) -> Result<Json<Evaluations>, ApiError> {
    let today = st.today();
    let found = st
        .db(move |s| {
            let Some(subject) = s.subject_by_key_on(&key, Some(today))? else { return Ok(None) };
            let results = s.subject_evaluations(subject.id)?;
            Ok(Some((subject, results)))
        })
        .await
        .map_err(ApiError::from)?;
    let Some((subject, results)) = found else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "主体不存在"));
    };
    let person = subject.kind == xinjiao_core::records::record::SubjectKind::NaturalPerson;
    let evaluations = {
        let rules = st.rules.read().expect("rules");
        grade_views(&rules.schemes, &results, today, true, person)
    };
    Ok(Json(Evaluations { subject: subject.key, evaluations }))
}
