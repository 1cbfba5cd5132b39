//! The lifecycle of a published record: how long it is published
//! (disclosure windows), objections and credit repair, each from its rule
//! file.

pub mod disclosure;
pub mod objections;
pub mod repairs;
