//! Graded supervision: the inspector roster import ([`import_job`]), draws
//! as published and checked by anyone ([`published`]), the public API
//! ([`api`]) and pages ([`pages`]).

pub mod api;
pub mod import_job;
pub mod pages;
pub mod published;

pub use api::api_routes;

/// The pages of graded supervision.
pub fn routes() -> axum::Router<crate::kernel::state::AppState> {
    pages::routes()
}

/// A draw's secret: 32 bytes from the operating system, lowercase hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("operating system randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
