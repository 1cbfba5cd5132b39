//! Credit evaluation: importing credit events ([`import_job`]), grades as
//! people read them ([`views`]), on the subject's profile ([`profile`]), in
//! the API ([`api`]), and the coordinator's runs ([`console`]).

pub mod api;
pub mod console;
pub mod import_job;
pub mod profile;
pub mod views;

pub use api::api_routes;
pub use console::routes;
