//! What every file import of the capabilities shares: why an import stored
//! nothing, and how many diagnostics a report keeps.

use xinjiao_import::FileError;
use xinjiao_store::StoreError;

/// Diagnostics a report keeps (the rest are counted).
pub const MAX_DIAGNOSTICS: usize = 100_000;

/// Why an import stored nothing.
#[derive(Debug)]
pub enum ImportError {
    /// The file broke a limit or could not be read midway.
    File(FileError),
    Store(StoreError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Store(e)
    }
}
