//! Credit evaluation: schemes as versioned data ([`scheme`]) and the pure
//! engine that grades a subject's credit events by them ([`engine`]).

pub mod engine;
pub mod scheme;

#[cfg(test)]
mod tests;
