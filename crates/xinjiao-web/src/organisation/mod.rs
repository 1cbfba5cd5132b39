//! The organisation (组织与职责): monthly declarations of each department,
//! the responsibility table, and documents and news — their console pages
//! and public pages.

pub mod declarations;
pub mod documents;
pub mod responsibilities;

use axum::Router;

use crate::kernel::state::AppState;

/// The organisation's pages, console and public.
pub fn routes() -> Router<AppState> {
    Router::new().merge(declarations::routes()).merge(responsibilities::routes()).merge(documents::routes())
}
