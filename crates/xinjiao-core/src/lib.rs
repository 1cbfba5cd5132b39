//! The pure domain core of Xinjiao (信交): identifiers with check digits,
//! dual-disclosure records and their validation, dates. It never reads the disk,
//! the network or the clock: `today` and rule data are parameters.

pub mod calendar;
pub mod counts;
pub mod date;
pub mod diag;
pub mod disclosure;
pub mod fields;
pub mod ids;
pub mod objections;
pub mod org;
pub mod period;
pub mod personal;
pub mod publication;
pub mod rates;
pub mod record;
pub mod repairs;
pub mod rulefile;
pub mod text;

pub use diag::Diagnostic;
pub use fields::{FieldDef, RecordKind};
pub use jiff::civil::Date;
pub use record::{FieldValues, ParseContext, Record, parse_record};
