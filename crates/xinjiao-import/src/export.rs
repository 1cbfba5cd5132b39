//! Writing records as CSV in the standard's layout (UTF-8 with BOM, so that
//! Chinese Excel opens it correctly), one column per field with the standard's
//! Chinese name as header. A cell that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, tab or carriage return) is written
//! with a leading apostrophe, unless it is a plain number.

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
        w.write_record(
            kind.fields().iter().map(|f| neutralise(fields.get(f.code).map(String::as_str).unwrap_or("")).into_owned()),
        )?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// A cell as written to CSV: formula-leading text gets a leading apostrophe
/// (OWASP's CSV-injection advice); plain numbers such as `-5` stay as they are.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = {
        let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
        !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().filter(|b| *b == b'.').count() <= 1
            && digits.bytes().any(|b| b.is_ascii_digit())
    };
    if risky && !number { std::borrow::Cow::Owned(format!("'{cell}")) } else { std::borrow::Cow::Borrowed(cell) }
}

/// A plain table as CSV (UTF-8 with BOM, CRLF), every cell neutralised.
pub fn table_csv(headers: &[&str], rows: &[Vec<String>]) -> csv::Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        w.write_record(headers)?;
        for row in rows {
            w.write_record(row.iter().map(|c| neutralise(c).into_owned()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("-5", "-5"),
            ("+0.25", "+0.25"),
            ("罚款2000元", "罚款2000元"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), out, "{cell}");
        }
    }

    #[test]
    fn a_plain_table_neutralises_its_cells() {
        let out = super::table_csv(&["a", "b"], &[vec!["=1+1".into(), "-5".into()]]).unwrap();
        assert_eq!(out, "\u{FEFF}a,b\r\n'=1+1,-5\r\n".as_bytes());
    }
}
