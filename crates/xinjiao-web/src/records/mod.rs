//! Records and subjects (记录与主体): the public portal (search, subject
//! profiles, records, the disclosure list), the clerk's start page, uploads
//! and single-record entry, the staff view of a record, and their JSON API;
//! the import job that parses a file on one thread and stores it on another.

pub mod api;
pub mod console;
pub mod import_job;
pub mod portal;

use axum::Router;

use crate::kernel::state::AppState;

/// The pages of records and subjects, public and staff.
pub fn routes() -> Router<AppState> {
    Router::new().merge(portal::routes()).merge(console::routes())
}

/// The records' routes under `/api/v1`.
pub fn api_routes() -> Router<AppState> {
    api::routes()
}
