//! Reporting (报送考核): the three rates (填报率、合格率、及时率) computed
//! once for the dashboard, its export and the API; the drill-down; and the
//! reminders of what a department has not yet declared, reported or
//! published on time.

pub mod api;
pub mod figures;
pub mod pages;
pub mod reminders;

use axum::Router;

use crate::kernel::state::AppState;

/// The console pages of the rates.
pub fn routes() -> Router<AppState> {
    pages::routes()
}

/// The rates under `/api/v1`.
pub fn api_routes() -> Router<AppState> {
    api::routes()
}
