//! Writing records as CSV in the standard's layout (UTF-8 with BOM, so that
//! Chinese Excel opens it correctly), one column per field with the standard's
//! Chinese name as header.

use std::io::Write;

use xinjiao_core::{Record, RecordKind};

/// Writes `records` of `kind` as CSV; records of the other kind are skipped.
/// Returns the number of rows written.
pub fn write_csv<W: Write>(
    kind: RecordKind,
    records: impl IntoIterator<Item = Record>,
    mut out: W,
) -> csv::Result<u64> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    w.write_record(kind.fields().iter().map(|f| f.name))?;
    let mut n = 0;
    for rec in records.into_iter().filter(|r| r.kind() == kind) {
        let fields = rec.to_fields();
        w.write_record(kind.fields().iter().map(|f| fields.get(f.code).map(String::as_str).unwrap_or("")))?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}
