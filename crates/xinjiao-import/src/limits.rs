//! Bounds on what an untrusted file may make the readers do. Every bound is
//! checked before the memory it guards is allocated: a reader counts the bytes
//! it pulls from the file (or from a decompressor) and stops with a `file.*`
//! error when a budget runs out, instead of growing a buffer to fit.

use std::io::Read;

/// The limits of one read. [`Limits::DEFAULT`] is what the CLI, the console
/// and the API use; tests and fuzz targets may pass smaller ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of an XLSX file (it is read into memory whole; CSV is streamed).
    pub max_file_bytes: u64,
    /// Data rows after the header.
    pub max_rows: u64,
    /// Highest column of any cell (the standard has about 30 fields).
    pub max_columns: usize,
    /// Non-empty cells in the sheet or file.
    pub max_cells: u64,
    /// Bytes of one CSV row, or of one XML token of an XLSX part.
    pub max_row_bytes: usize,
    /// XLSX: entries in the zip archive.
    pub max_zip_entries: usize,
    /// XLSX: bytes of the zip archive's central directory.
    pub max_directory_bytes: u64,
    /// XLSX: uncompressed bytes of every part read, together.
    pub max_uncompressed_bytes: u64,
    /// XLSX: uncompressed bytes of a small part (workbook, relationships, styles).
    pub max_small_part_bytes: u64,
    /// XLSX: entries of the shared-string table.
    pub max_shared_strings: usize,
    /// XLSX: bytes of text in the shared-string table.
    pub max_shared_string_bytes: usize,
    /// XLSX: cell styles and number formats.
    pub max_styles: usize,
}

impl Limits {
    /// Sized so that an accepted file is read in well under 300 MB: the
    /// shared strings are at most 96 MiB of text plus 4 bytes per string,
    /// rows are streamed, and no buffer grows past `max_row_bytes`.
    pub const DEFAULT: Limits = Limits {
        max_file_bytes: 128 * 1024 * 1024,
        max_rows: 2_000_000,
        max_columns: 256,
        max_cells: 60_000_000,
        max_row_bytes: 1024 * 1024,
        max_zip_entries: 10_000,
        max_directory_bytes: 4 * 1024 * 1024,
        max_uncompressed_bytes: 2 * 1024 * 1024 * 1024,
        max_small_part_bytes: 16 * 1024 * 1024,
        max_shared_strings: 4_000_000,
        max_shared_string_bytes: 96 * 1024 * 1024,
        max_styles: 65_536,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// Which budget of a [`Budget`] reader ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exceeded {
    /// All bytes of the stream.
    Total,
    /// Bytes since the last [`Budget::mark`] (one row or one token).
    SinceMark,
}

/// A reader that counts what passes through it and fails, instead of
/// reading on, when the stream as a whole or the piece since the last mark
/// grows past its budget. The error it returns is an I/O error; the owner
/// asks [`Budget::exceeded`] which budget it was.
pub(crate) struct Budget<R> {
    inner: R,
    total: u64,
    max_total: u64,
    since_mark: usize,
    max_since_mark: usize,
    exceeded: Option<Exceeded>,
}

impl<R: Read> Budget<R> {
    pub(crate) fn new(inner: R, max_total: u64, max_since_mark: usize) -> Budget<R> {
        Budget { inner, total: 0, max_total, since_mark: 0, max_since_mark, exceeded: None }
    }

    /// A piece (row, token) ended: its budget starts again.
    pub(crate) fn mark(&mut self) {
        self.since_mark = 0;
    }

    /// Marks the whole budget spent (a stream known in advance to be too large).
    pub(crate) fn spend_all(&mut self) {
        self.total = self.max_total.saturating_add(1);
    }

    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        self.exceeded
    }
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.total > self.max_total {
            self.exceeded = Some(Exceeded::Total);
        } else if self.since_mark > self.max_since_mark {
            self.exceeded = Some(Exceeded::SinceMark);
        }
        if self.exceeded.is_some() {
            return Err(std::io::Error::other("read budget exceeded"));
        }
        // Never read more than one byte past either budget.
        let room_total = (self.max_total - self.total).saturating_add(1);
        let room_mark = (self.max_since_mark - self.since_mark).saturating_add(1);
        let room = usize::try_from(room_total).unwrap_or(usize::MAX).min(room_mark).min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        self.total += n as u64;
        self.since_mark += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_stops_at_the_total() {
        let mut b = Budget::new(std::io::repeat(b'a'), 1000, usize::MAX - 1);
        let mut out = Vec::new();
        let err = b.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Other);
        assert_eq!(b.exceeded(), Some(Exceeded::Total));
        assert!(out.len() <= 1001, "{}", out.len());
        assert_eq!(b.total, out.len() as u64);
    }

    #[test]
    fn budget_since_mark_restarts_at_each_mark() {
        let mut b = Budget::new(std::io::repeat(b'a'), u64::MAX - 1, 100);
        let mut buf = [0u8; 60];
        for _ in 0..10 {
            b.read_exact(&mut buf).unwrap();
            b.mark();
        }
        let mut out = Vec::new();
        assert!(b.read_to_end(&mut out).is_err());
        assert_eq!(b.exceeded(), Some(Exceeded::SinceMark));
        assert!(out.len() <= 101);
    }
}
