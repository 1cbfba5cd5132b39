//! Accounts (账户): staff sign-in, API tokens and the administration of staff
//! accounts, and subject accounts (claim codes, activation, sign-in).

pub mod access;
pub mod staff;
pub mod subjects;

use axum::Router;

use crate::kernel::state::AppState;

/// The accounts' pages.
pub fn routes() -> Router<AppState> {
    Router::new().merge(staff::routes()).merge(access::routes()).merge(subjects::routes())
}
