//! Time as the platform shows it: the clock handlers read (the system clock
//! in production, a fixed one in tests), and dates and times in China
//! (UTC+8, no daylight saving).

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use xinjiao_core::Date;

/// Where the server gets the time from. Production reads the system clock;
/// tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// China Standard Time (UTC+8, no daylight saving).
pub fn china_tz() -> TimeZone {
    TimeZone::fixed(Offset::constant(8))
}

/// The calendar date in China at `ts`.
pub fn china_date(ts: Timestamp) -> Date {
    Offset::constant(8).to_datetime(ts).date()
}

/// `ts` as a date and minute in China, e.g. `2026-06-15 09:30`.
pub fn local_time(ts: Timestamp) -> String {
    Offset::constant(8).to_datetime(ts).strftime("%Y-%m-%d %H:%M").to_string()
}
