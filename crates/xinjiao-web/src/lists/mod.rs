//! Lists and measures (名单与联合奖惩, issue 15): the vehicle register and
//! overload detection imports (`import_job.rs`), the lists in the console
//! (`console.rs`: candidates, proposals, review, notice, objections,
//! confirmation, early end, export) and in public (`portal.rs`: the lists,
//! the measures catalogue, the subject's profile and account), credit checks
//! with signed receipts (`checks.rs`), the lists as JSON (`api.rs`), and the views they share (`views.rs`).

pub mod api;
pub mod checks;
pub mod console;
pub mod import_job;
pub mod portal;
pub mod views;

use axum::Router;

use crate::kernel::state::AppState;

pub fn routes() -> Router<AppState> {
    console::routes().merge(portal::routes()).merge(checks::routes())
}

pub fn api_routes() -> Router<AppState> {
    checks::api_routes().merge(api::api_routes())
}
