//! The working-day calendar years stored in the database: [`CalendarStore`].

use crate::*;

/// The working-day calendar years loaded into the database.
pub trait CalendarStore: Send + Sync {
    /// Stores (or replaces) a year of the working-day calendar: the validated
    /// text of its rule file. Appends a `calendar.loaded` event.
    fn save_calendar_year(&self, ctx: &WriteContext, year: i16, source_text: &str) -> Result<()>;

    /// The calendar years loaded into this installation, with their texts.
    fn calendar_years(&self) -> Result<Vec<(i16, String)>>;
}
