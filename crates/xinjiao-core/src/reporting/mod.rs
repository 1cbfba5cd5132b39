//! Reporting: the three rates, reporting periods, and the publication
//! deadlines the timeliness rate measures against.

pub mod period;
pub mod publication;
pub mod rates;
