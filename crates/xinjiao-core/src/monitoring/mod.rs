//! Credit risk monitoring (信用风险监测预警): warning rules as data
//! (`rules/warnings.toml`, [`rules`]), their evaluation over a day's facts
//! ([`warnings`]: pure, idempotent by occasion), and the outbox's retry
//! policy ([`rules::OutboxRules::retry_after`]).

pub mod rules;
pub mod warnings;

#[cfg(test)]
mod tests;
