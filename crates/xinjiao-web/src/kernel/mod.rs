//! The kernel every capability module uses and that uses none of them: the
//! shared state of handlers ([`AppState`]: store, rules, clock), the page
//! banner, errors as Chinese pages and as API JSON ([`error`]), the
//! extractors for staff, subjects and API users and the same-origin checks
//! ([`auth`]), the write context and time formatting ([`context`]), the
//! public view models where personal data is masked ([`views`]), the
//! dashboard's cache ([`cache`]) and the workplace registry through which
//! capabilities contribute reminders and open cases ([`workplace`]) and
//! the console's navigation with its counts ([`chrome`]), and a party's
//! credit standing ([`facts`]).

pub mod auth;
pub mod cache;
pub mod chrome;
pub mod context;
pub mod error;
pub mod facts;
pub mod imports;
pub mod rules;
pub mod signing;
pub mod state;
pub mod throttle;
pub mod time;
pub mod views;
pub mod words;
pub mod workplace;

pub use rules::Rules;
pub use state::{AppState, Banner};
pub use time::{Clock, china_date, china_tz};
