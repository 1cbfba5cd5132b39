//! The lifecycle of a published record (公示与修复): review before
//! publication, objections and credit repair — the subject's side and the
//! staff's side — and what they put on the staff's start page and dashboard.
//! (Withdrawal is an action on the staff's record page, in `records`.)

pub mod reminders;
pub mod staff;
pub mod subject;

use axum::Router;

use crate::kernel::state::AppState;

/// The lifecycle's pages, for subjects and for staff.
pub fn routes() -> Router<AppState> {
    Router::new().merge(subject::routes()).merge(staff::routes())
}
