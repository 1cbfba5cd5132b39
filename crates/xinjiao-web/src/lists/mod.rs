//! Lists and measures (名单与联合奖惩, issue 15): the vehicle register and
//! overload detection imports (`import_job.rs`).

pub mod import_job;
