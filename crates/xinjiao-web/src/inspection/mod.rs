//! Graded supervision: the inspector roster import ([`import_job`]), draws
//! as published and checked by anyone ([`published`]), the public API
//! ([`api`]) and pages ([`pages`]).

pub mod api;
pub mod import_job;
pub mod pages;
pub mod published;
pub mod secret;

pub use api::api_routes;
pub use secret::new_secret;

/// The pages of graded supervision.
pub fn routes() -> axum::Router<crate::kernel::state::AppState> {
    pages::routes()
}
