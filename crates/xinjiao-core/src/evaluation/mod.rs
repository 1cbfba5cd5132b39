//! Credit evaluation: schemes as versioned data ([`scheme`]) and the pure
//! engine that grades a subject's credit events by them ([`engine`]), and
//! the credit-event files the bureau imports ([`events`]).

pub mod engine;
pub mod events;
pub mod penalties;
pub mod scheme;

#[cfg(test)]
mod tests;
