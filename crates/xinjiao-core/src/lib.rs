//! The pure domain core of Xinjiao (信交), one module per capability:
//! `records` (identifiers with check digits, dual-disclosure records and
//! their validation, dates), `lifecycle` (disclosure windows, objections,
//! repairs), `organisation`, `reporting` (rates, periods, publication
//! deadlines), `calendar` (working days), `evaluation` (credit grades),
//! `inspection`, `monitoring` and `lists` (serious-dishonesty and red lists).
//! It never reads the disk, the network or the clock: `today` and rule data
//! are parameters.

pub mod calendar;
pub mod commitments;
pub mod evaluation;
pub mod inspection;
pub mod lifecycle;
pub mod lists;
pub mod monitoring;
pub mod organisation;
pub mod records;
pub mod reporting;
pub mod rulefile;
pub mod signed_note;
pub mod transparency;

pub use jiff::civil::Date;
pub use records::diag::Diagnostic;
pub use records::fields::{FieldDef, RecordKind};
pub use records::record::{FieldValues, ParseContext, Record, parse_record};
