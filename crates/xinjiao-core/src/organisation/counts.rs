//! Count files: a department's monthly declaration of decisions made
//! (应报送数), as exported from a licensing or case-handling system. CSV with
//! the header `部门编码,月份,类别,应报送数`; all rows are checked before any is
//! stored.

use crate::records::fields::RecordKind;
use crate::reporting::period::Month;

/// A valid line of a count file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountLine {
    /// Spreadsheet row (header = 1).
    pub row: usize,
    pub department_code: String,
    pub month: Month,
    pub kind: RecordKind,
    pub due: i64,
}

/// A problem with a row of a count file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountError {
    pub row: usize,
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

pub const HEADER: [&str; 4] = ["部门编码", "月份", "类别", "应报送数"];

/// Lines a count file may have (a city's departments × 12 months × 2 kinds is
/// a few thousand), checked before any line is parsed.
pub const MAX_LINES: usize = 20_000;
/// Errors reported before the rest of a broken file is left unchecked.
pub const MAX_ERRORS: usize = 1_000;

/// Parses a count file; `department_known` says whether a code exists.
pub fn parse_count_file(
    text: &str,
    department_known: impl Fn(&str) -> bool,
) -> Result<Vec<CountLine>, Vec<CountError>> {
    let text = text.trim_start_matches('\u{feff}');
    if text.lines().count() > MAX_LINES {
        return Err(vec![CountError {
            row: MAX_LINES + 1,
            field: "",
            code: "counts.too_many_lines",
            message: format!("文件超过 {MAX_LINES} 行，请按部门或年份拆分"),
        }]);
    }
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let err = |row, field, code, message: String| CountError { row, field, code, message };
    let Some((_, header)) = lines.next() else {
        return Err(vec![err(1, "", "counts.empty", "文件为空".into())]);
    };
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    if cols != HEADER {
        return Err(vec![err(1, "", "counts.header", format!("表头应为“{}”", HEADER.join(",")))]);
    }
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    // The row at which checking stopped because the errors reached the cap.
    let mut stopped_at = None;
    for (i, line) in lines {
        let row = i + 1;
        if errors.len() >= MAX_ERRORS {
            stopped_at = Some(row);
            break;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != 4 {
            errors.push(err(row, "", "counts.columns", format!("应有 4 列，实有 {} 列", cells.len())));
            continue;
        }
        let mut bad = false;
        if !department_known(cells[0]) {
            errors.push(err(row, "部门编码", "counts.department", format!("部门编码“{}”不存在", cells[0])));
            bad = true;
        }
        let month = Month::parse(cells[1]);
        if month.is_none() {
            errors.push(err(row, "月份", "counts.month", format!("月份“{}”无效，应如 2026-10", cells[1])));
            bad = true;
        }
        let kind = match cells[2] {
            "行政许可" | "license" => Some(RecordKind::License),
            "行政处罚" | "penalty" => Some(RecordKind::Penalty),
            _ => None,
        };
        if kind.is_none() {
            errors.push(err(row, "类别", "counts.kind", format!("类别“{}”无效，应为 行政许可 或 行政处罚", cells[2])));
            bad = true;
        }
        let due = cells[3].parse::<i64>().ok().filter(|n| (0..=1_000_000).contains(n));
        if due.is_none() {
            errors.push(err(row, "应报送数", "counts.due", format!("应报送数“{}”应为 0 到 1000000 的整数", cells[3])));
            bad = true;
        }
        if let (false, Some(month), Some(kind), Some(due)) = (bad, month, kind, due) {
            out.push(CountLine { row, department_code: cells[0].to_string(), month, kind, due });
        }
    }
    // A row can add up to four errors: the cap is applied after the last one
    // too, so that a report never holds more than the cap and its note.
    if errors.len() > MAX_ERRORS || stopped_at.is_some() {
        let row = stopped_at.or(errors.get(MAX_ERRORS).map(|e| e.row)).unwrap_or(0);
        errors.truncate(MAX_ERRORS);
        let note = match stopped_at {
            Some(row) => format!("错误超过 {MAX_ERRORS} 处，第{row}行起未再检查"),
            None => format!("错误超过 {MAX_ERRORS} 处，第{row}行的其余错误未列出"),
        };
        errors.push(err(row, "", "counts.too_many_errors", note));
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_lines_are_bounded() {
        let many = format!("{}\n{}", HEADER.join(","), ",,,\n".repeat(5_000));
        let errors = parse_count_file(&many, |_| false).unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(errors.last().unwrap().code, "counts.too_many_errors");
        // The cap is passed on the last row (333 rows of three errors, one of four).
        let last = format!("{}\n{}{}", HEADER.join(","), "X,bad,bad,1\n".repeat(333), ",,,\n");
        let errors = parse_count_file(&last, |_| false).unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(errors.last().unwrap().code, "counts.too_many_errors");
        let long = format!("{}\n{}", HEADER.join(","), "HY-WZCL,2026-10,行政处罚,1\n".repeat(MAX_LINES + 1));
        assert_eq!(parse_count_file(&long, |_| true).unwrap_err()[0].code, "counts.too_many_lines");
    }

    #[test]
    fn good_and_bad_rows() {
        let known = |c: &str| c == "HY-WZCL";
        let ok = parse_count_file(
            "\u{feff}部门编码,月份,类别,应报送数\nHY-WZCL,2026-10,行政处罚,12\n\nHY-WZCL,2026年11月,license,0\n",
            known,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!((ok[0].row, ok[0].due, ok[1].kind), (2, 12, RecordKind::License));
        let bad =
            parse_count_file("部门编码,月份,类别,应报送数\nXX,2026-13,罚款,-1\nHY-WZCL,2026-10\n", known).unwrap_err();
        let got: Vec<(usize, &str, &str)> = bad.iter().map(|e| (e.row, e.field, e.code)).collect();
        assert_eq!(
            got,
            [
                (2, "部门编码", "counts.department"),
                (2, "月份", "counts.month"),
                (2, "类别", "counts.kind"),
                (2, "应报送数", "counts.due"),
                (3, "", "counts.columns")
            ]
        );
        assert_eq!(parse_count_file("a,b\n", known).unwrap_err()[0].code, "counts.header");
    }
}
