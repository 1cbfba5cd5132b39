//! Credit evaluation: importing credit events ([`import_job`]); its pages
//! and API follow (issue 13).

pub mod import_job;
