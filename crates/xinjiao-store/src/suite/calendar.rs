//! The shared suite's tests of the calendar capability.

use crate::Store;

use super::*;

pub fn calendar_years_replace_and_list(store: &dyn Store) {
    assert!(store.calendar_years().unwrap().is_empty());
    store.save_calendar_year(&ctx("admin"), 2027, "year = 2027 # v1").unwrap();
    store.save_calendar_year(&ctx("admin"), 2026, "year = 2026").unwrap();
    store.save_calendar_year(&ctx("admin"), 2027, "year = 2027 # v2").unwrap();
    assert_eq!(
        store.calendar_years().unwrap(),
        [(2026, "year = 2026".to_string()), (2027, "year = 2027 # v2".to_string())]
    );
    let loaded = store.events(10).unwrap().iter().filter(|e| e.action == "calendar.loaded").count();
    assert_eq!(loaded, 3);
}
