//! The organisation: the organisation file (divisions, departments, the
//! authority codes each may use) and the count files of monthly
//! declarations.

pub mod counts;
pub mod file;
