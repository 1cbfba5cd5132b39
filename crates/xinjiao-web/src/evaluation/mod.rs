//! Credit evaluation: importing credit events ([`import_job`]), grades as
//! people read them ([`views`]), on the subject's profile ([`profile`]), in
//! the API ([`api`]), and the coordinator's runs ([`console`]).

pub mod account;
pub mod api;
pub mod console;
pub mod import_job;
pub mod profile;
pub mod views;

pub use api::api_routes;
/// The pages of evaluation: the public results, the console, and the subject's objections.
pub fn routes() -> axum::Router<crate::kernel::state::AppState> {
    console::routes().merge(account::routes())
}
