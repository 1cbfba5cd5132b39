//! The shared suite's tests of the installation capability.

use crate::Store;

pub fn meta_values(store: &dyn Store) {
    assert!(!store.write_in_progress().unwrap(), "no write open");
    assert_eq!(store.meta("demo").unwrap(), None);
    store.set_meta("demo", "1").unwrap();
    store.set_meta("demo", "2").unwrap();
    assert_eq!(store.meta("demo").unwrap().as_deref(), Some("2"));
}
