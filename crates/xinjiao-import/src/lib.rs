//! Reads clerks' files into rows of field values, and rows into core records
//! plus diagnostics that name the spreadsheet row, the field code and the rule.
//!
//! Formats: CSV in UTF-8, UTF-8 with BOM or GBK/GB18030 (detected from the first
//! 64 KiB, overridable), and XLSX (first sheet or a named one). Both are read as
//! streams of rows within [`Limits`] that are checked before anything is
//! allocated, so that no file, however crafted, can exhaust memory. This crate
//! never touches the database; callers hand the records to a `Store`.

pub mod crafted;
pub mod draws;
mod export;
pub mod fuzzing;
mod limits;
pub mod proof;
mod read;
mod report;
mod xlsx_in;
mod xlsx_out;

pub use export::{table_csv, write_csv};
pub use limits::Limits;
pub use read::{Encoding, FileError, Format, ReadOptions, RowReader, SourceRow, open_bytes, open_path};
pub use report::{ImportReport, RowDiagnostic};
pub use xlsx_out::{Cell, error_report_xlsx, table_xlsx, template_xlsx};

use xinjiao_core::records::record::{ParseContext, parse_record};
use xinjiao_core::{Diagnostic, Record, RecordKind};

/// A row after parsing: its spreadsheet row number, its cells as read (for the
/// error report), the record or the broken rules, and warnings that do not
/// reject the row (personal numbers in free text).
#[derive(Debug)]
pub struct ParsedRow {
    pub row: u64,
    pub cells: Vec<String>,
    pub result: Result<Record, Vec<Diagnostic>>,
    pub warnings: Vec<Diagnostic>,
}

/// Parses one source row: cell-level problems (encoding, numeric cells that lost
/// digits) come first, then the record rules.
pub fn parse_row(kind: RecordKind, row: SourceRow, ctx: &ParseContext) -> ParsedRow {
    let result = if row.cell_errors.is_empty() {
        parse_record(kind, &row.values, ctx)
    } else {
        let mut values = row.values.clone();
        for d in &row.cell_errors {
            values.remove(d.field);
        }
        let mut diags = row.cell_errors.clone();
        if let Err(more) = parse_record(kind, &values, ctx) {
            // Keep rule diagnostics of other fields only; a field with a cell
            // error is reported once.
            diags.extend(more.into_iter().filter(|d| !row.cell_errors.iter().any(|c| c.field == d.field)));
        }
        Err(diags)
    };
    let warnings = xinjiao_core::records::personal::PersonalDataRules::embedded().warnings(kind, &row.values);
    ParsedRow { row: row.number, cells: row.cells, result, warnings }
}

/// Machine codes of problems found while reading cells and rows (in addition to
/// the record rules in `xinjiao_core::records::diag::CODES`) and of file-level errors.
pub const CODES: &[(&str, &str)] = &[
    ("cell.encoding", "单元格含有无法按文件编码解码的字节"),
    ("cell.numeric_code", "代码单元格被Excel存成数字，超出精度，无法还原"),
    ("cell.error", "单元格为Excel错误值"),
    ("cell.unexpected_date", "非日期字段的单元格为日期格式"),
    ("row.extra_cells", "本行单元格多于表头列数"),
    ("row.duplicate_key", "同一文件中决定书文号（同一决定机关）重复，第二行起未导入"),
    ("row.authority_not_allowed", "决定机关代码不属于报送人所在部门或区划（组织机构文件的 authority_codes）"),
    ("row.not_owner", "该决定已由其他部门报送，只能由该部门或信用工作协调员修改"),
    ("row.subject_not_held", "本行会更改一个本部门没有记录的主体的名称或法定代表人"),
    ("file.csv_syntax", "该行无法按CSV格式解析"),
    ("file.unreadable", "文件无法打开或读取"),
    ("file.empty", "文件为空"),
    ("file.encoding", "表头无法按所选编码解码"),
    ("file.unknown_columns", "表头中有无法识别的列"),
    ("file.duplicate_columns", "表头中有重复的列"),
    ("file.missing_columns", "缺少必填列"),
    ("file.no_sheet", "XLSX中没有指定的工作表"),
    ("file.too_large", "文件超过允许的大小"),
    ("file.too_many_rows", "文件的数据行超过上限"),
    ("file.too_many_columns", "文件有单元格超出允许的列数"),
    ("file.too_many_cells", "文件的单元格超过上限"),
    ("file.too_many_strings", "XLSX共享字符串表超过上限"),
    ("file.row_too_large", "一行或一个单元格超过允许的字节数"),
    ("file.zip_bomb", "XLSX解压后超过允许的大小（疑似压缩炸弹）"),
];
