//! `GET /api/v1/draws` and `GET /api/v1/draws/{id}`: every draw as published.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use crate::kernel::error::ApiError;
use crate::kernel::state::AppState;

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/draws", get(list)).route("/draws/{id}", get(one))
}

async fn list(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let draws = st.db(|s| s.draws()).await.map_err(ApiError::from)?;
    let items: Vec<_> = draws
        .iter()
        .map(|d| {
            serde_json::json!({"id": d.id, "matter": d.matter_code, "matter_name": d.matter_name,
                "as_of": d.as_of.to_string(), "population": d.population, "drawn": d.drawn,
                "commitment": d.commitment, "public_value_source": d.public_value_source,
                "run_at": d.run_at.map(|t| t.to_string())})
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

async fn one(State(st): State<AppState>, Path(id): Path<i64>) -> Result<Json<serde_json::Value>, ApiError> {
    let (rules, calendar) = {
        let r = st.rules.read().expect("rules");
        (r.inspection.clone(), r.calendar.clone())
    };
    match st.db(move |s| super::published::published(s, &rules, &calendar, id)).await {
        Ok(v) => Ok(Json(v)),
        Err(xinjiao_store::StoreError::NotFound) => {
            Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "抽查不存在"))
        }
        Err(e) => Err(e.into()),
    }
}
