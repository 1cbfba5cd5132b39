//! Records and subjects: the national data standard's fields, identifiers
//! with check digits, normalisation of text and dates, the parser that turns
//! a row into a [`record::Record`] or diagnostics, and the search for
//! personal data in any text.

pub mod date;
pub mod diag;
pub mod fields;
pub mod ids;
pub mod personal;
pub mod record;
pub mod text;
