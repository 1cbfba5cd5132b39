//! The three reporting rates as JSON (`/api/v1/rates`, staff only).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::kernel::auth::ApiUser;
use crate::kernel::error::ApiError;
use crate::kernel::state::AppState;

/// Routes under `/api/v1` (nested by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new().route("/rates", get(rates))
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

fn counts_json(c: &xinjiao_core::reporting::rates::RateCounts) -> Value {
    use xinjiao_core::reporting::rates::RateKind;
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
    use super::figures::{By, compute_for, parse_period};
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
        xinjiao_core::reporting::rates::RateKind::Fill,
        xinjiao_core::reporting::rates::RateKind::Pass,
        xinjiao_core::reporting::rates::RateKind::Timeliness,
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
