//! A draw as published (`GET /api/v1/draws/{id}`, `xinjiao draw … --json`)
//! (its check by anyone is `xinjiao_import::draws::verify_draw`).

use serde_json::{Value, json};
use xinjiao_store::Draw;

/// An inspection result as published: personal numbers in the findings
/// masked; `publish_by` is the deadline from the inspection day
/// (`rules/inspection.toml`), `late` whether it was entered after it.
pub fn result_json(r: &xinjiao_store::InspectionResult, publish_by: xinjiao_core::Date) -> Value {
    let published_on = xinjiao_store::china_date(r.entered_at);
    json!({"subject": r.subject_code, "outcome": r.outcome.as_str(), "outcome_label": r.outcome.label(),
        "findings": crate::kernel::views::mask_text(&r.findings), "inspected_on": r.inspected_on.to_string(),
        "published_on": published_on.to_string(), "publish_by": publish_by.to_string(), "late": published_on > publish_by})
}

/// The published form of a draw: the plan as frozen, and once run the
/// public value, the revealed secret, the seed and what was drawn (the
/// secret and seed are `null` before), with the inspections' `results`
/// (see [`result_json`]).
pub fn draw_json(d: &Draw, results: Vec<Value>) -> Value {
    let revealed = d.run_at.is_some();
    json!({
        "id": d.id,
        "matter": {"code": d.matter.code, "name": d.matter.name, "department": d.matter.department_name,
                   "legal_basis": d.matter.legal_basis, "scheme": d.matter.scheme, "priority": d.matter.priority},
        "as_of": d.as_of.to_string(),
        "population": d.population.iter().map(|m| json!({"subject": m.code, "grade": m.grade})).collect::<Vec<_>>(),
        "population_hash": d.population_hash,
        "shares": xinjiao_store::inspection::shares_text(&d.shares),
        "overridden": xinjiao_store::inspection::shares_text(&d.overridden),
        "inspectors_per_subject": d.inspectors_per_subject,
        "roster": d.roster,
        "commitment": d.commitment,
        "public_value_source": d.public_value_source,
        "public_value": d.public_value,
        "secret": d.revealed_secret(),
        "seed": if revealed { d.seed.clone() } else { None },
        "run_at": d.run_at.map(|t| t.to_string()),
        "drawn": d.drawn.iter().map(|a| json!({"subject": a.member.code, "grade": a.member.grade,
            "inspectors": a.inspectors, "short": a.short})).collect::<Vec<_>>(),
        "results": results,
    })
}

/// Draw `id` with its results as published.
pub fn published(
    store: &dyn xinjiao_store::Store,
    rules: &xinjiao_core::inspection::rules::InspectionRules,
    calendar: &xinjiao_core::calendar::Calendar,
    id: i64,
) -> Result<Value, xinjiao_store::StoreError> {
    let d = store.draw(id)?;
    let results = store
        .inspection_results(id)?
        .iter()
        .map(|r| {
            let by = xinjiao_core::inspection::results::publish_by(calendar, r.inspected_on, rules.publish_days);
            result_json(r, by)
        })
        .collect();
    Ok(draw_json(&d, results))
}
