//! Credit risk monitoring (信用风险监测预警) and reminders where staff work:
//! the daily run of the warning rules and the outbox's deliverer
//! (`jobs.rs`, started by [`crate::serve`]), and the console pages
//! (`pages.rs`).

pub mod jobs;
pub mod pages;

pub use pages::routes;
