//! Credit commitments and integrity education (信用承诺与诚信教育, issue
//! 17): the matters that accept a commitment and their education material
//! (`education.rs`), the subject's account and signing (`account.rs`), the
//! staff's pages — decision, verification, the window, what is due, overdue
//! and broken (`staff.rs`), the public list and the profile (`public.rs`),
//! associations' uploads for their members (`associations.rs`), the JSON
//! API (`api.rs`), and what they share (`shared.rs`).

pub mod account;
pub mod api;
pub mod associations;
pub mod education;
pub mod public;
pub mod shared;
pub mod staff;

use axum::Router;

use crate::kernel::state::AppState;

pub fn routes() -> Router<AppState> {
    education::routes()
        .merge(account::routes())
        .merge(staff::routes())
        .merge(associations::routes())
        .merge(public::routes())
}

pub fn api_routes() -> Router<AppState> {
    api::api_routes()
}
