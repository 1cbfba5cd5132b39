//! The lists as JSON for anyone who mirrors them (partners, upper
//! authorities, researchers): `GET /api/v1/lists` and
//! `GET /api/v1/lists/{code}/entries` — the same entries the portal shows on
//! the day, persons' ID numbers masked.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use xinjiao_core::lists::definition::ListDefinition;
use xinjiao_core::lists::entries::PublicStanding;

use super::portal::public_entries;
use super::views::{EntryRow, entry_row, standing_of};
use crate::kernel::error::ApiError;
use crate::kernel::state::AppState;

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/lists", get(lists)).route("/lists/{code}/entries", get(entries))
}

async fn lists(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let today = st.today();
    let entries = public_entries(&st, None).await?;
    let items: Vec<Value> = ListDefinition::embedded()
        .iter()
        .map(|l| {
            let count = |p: PublicStanding| {
                entries.iter().filter(|e| e.list_code == l.code && standing_of(e, today) == p).count()
            };
            json!({
                "code": l.code, "name": l.name, "kind": l.kind.as_str(), "bureau_choice": l.bureau_choice,
                "basis": l.basis, "notice_working_days": l.notice_working_days, "shown_months": l.shown_months,
                "notice": count(PublicStanding::Notice), "listed": count(PublicStanding::Listed),
            })
        })
        .collect();
    Ok(Json(json!({"as_of": today.to_string(), "items": items})))
}

fn entry_json(r: &EntryRow) -> Value {
    let opt = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
    json!({
        "id": r.id, "party_type": r.party_type_code, "party": r.party_shown, "party_name": r.party_name,
        "subject": r.subject_key, "criterion": r.criterion, "criterion_text": r.criterion_text, "reason": r.reason,
        "notice_from": opt(&r.notice_from), "notice_until": opt(&r.notice_until), "listed_on": opt(&r.listed_on),
        "shown_until": opt(&r.shown_until), "exited_on": opt(&r.exited_on), "exit": opt(&r.end_text),
        "department": r.department,
    })
}

async fn entries(State(st): State<AppState>, Path(code): Path<String>) -> Result<Json<Value>, ApiError> {
    let Some(list) = ListDefinition::find(&code) else { return Err(ApiError::not_found("名单")) };
    let today = st.today();
    let departments = st.db(|s| s.departments()).await?;
    let cal = st.rules.read().expect("rules").calendar.clone();
    let mut notices = Vec::new();
    let mut listed = Vec::new();
    let mut exits = Vec::new();
    for e in public_entries(&st, Some(&code)).await?.iter() {
        let row = entry_row(e, &departments, &cal, today);
        match standing_of(e, today) {
            PublicStanding::Notice => notices.push(entry_json(&row)),
            PublicStanding::Listed => listed.push(entry_json(&row)),
            PublicStanding::Exited(d)
                if today.since(d).map(|s| s.get_days() as u32 <= list.exit_notice_days).unwrap_or(false) =>
            {
                exits.push(entry_json(&row))
            }
            _ => {}
        }
    }
    Ok(Json(
        json!({"list": list.code, "name": list.name, "as_of": today.to_string(), "notices": notices, "listed": listed, "exits": exits}),
    ))
}
