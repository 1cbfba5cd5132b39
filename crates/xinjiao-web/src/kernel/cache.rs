//! The dashboard's cache of month counts, keyed by the store's data version
//! (the last event id): reused until anything changes, in any process.

use std::sync::{Arc, Mutex};

use xinjiao_core::reporting::period::Month;
use xinjiao_store::{Store, StoreError};

use crate::kernel::rules::Rules;

/// The month counts last computed (for up to [`RatesCache::ENTRIES`] ranges of
/// months), with the store's data version they were computed for: a dashboard
/// viewed again before anything changed (every change appends an event, in
/// any process) reuses them.
#[derive(Clone, Default)]
pub struct RatesCache(Arc<Mutex<Vec<CachedMonths>>>);

type CachedMonths = ((Month, Month, i64), Arc<Vec<xinjiao_core::reporting::rates::MonthCounts>>);

impl RatesCache {
    pub const ENTRIES: usize = 8;

    pub fn month_counts(
        &self,
        store: &dyn Store,
        rules: &Rules,
        from: Month,
        to: Month,
    ) -> Result<Arc<Vec<xinjiao_core::reporting::rates::MonthCounts>>, StoreError> {
        let key = (from, to, store.data_version()?);
        if let Some((_, v)) = self.0.lock().expect("rates cache").iter().find(|(k, _)| *k == key) {
            return Ok(v.clone());
        }
        let months =
            Arc::new(xinjiao_store::reporting::month_counts(store, &rules.calendar, &rules.publication, from, to)?);
        let mut entries = self.0.lock().expect("rates cache");
        // Entries of an older data version are useless; then the oldest goes.
        entries.retain(|(k, _)| k.2 == key.2);
        if entries.len() >= Self::ENTRIES {
            entries.remove(0);
        }
        entries.push((key, months.clone()));
        Ok(months)
    }
}
