//! Reading CSV and XLSX files into rows of raw field values.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use xinjiao_core::Diagnostic;
use xinjiao_core::fields::{FieldDef, RecordKind, Requirement, ValueKind, match_header};
use xinjiao_core::record::FieldValues;

/// Text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// BOM, then strict UTF-8, else GB18030.
    Auto,
    Utf8,
    /// GBK and GB2312 files are read with the GB18030 decoder (a superset).
    Gb18030,
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Encoding::Auto),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "gbk" | "gb2312" | "gb18030" | "cp936" => Some(Encoding::Gb18030),
            _ => None,
        }
    }
}

/// File format, from the file name or the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub kind: RecordKind,
    pub encoding: Encoding,
    /// XLSX sheet name; the first sheet if `None`.
    pub sheet: Option<String>,
}

/// A problem with the whole file: nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// Stable machine code (`file.unreadable`, `file.unknown_columns`, …).
    pub code: &'static str,
    /// Chinese message naming what is wrong.
    pub message: String,
}

impl FileError {
    fn new(code: &'static str, message: impl Into<String>) -> FileError {
        FileError { code, message: message.into() }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}（{}）", self.message, self.code)
    }
}

/// One data row: spreadsheet row number (header = 1), cells as read, values by
/// field code, and problems found while reading cells.
#[derive(Debug, Clone)]
pub struct SourceRow {
    pub number: u64,
    pub cells: Vec<String>,
    pub values: FieldValues,
    pub cell_errors: Vec<Diagnostic>,
}

/// Headers that are not fields but are common in clerks' files and ignored.
const IGNORED_HEADERS: &[&str] = &["序号", "编号", "行号"];

/// The column layout: for each column, the field it holds (or `None` if ignored).
#[derive(Debug, Clone)]
struct Columns {
    fields: Vec<Option<&'static FieldDef>>,
    headers: Vec<String>,
}

fn map_headers(kind: RecordKind, headers: &[String]) -> Result<Columns, FileError> {
    let mut fields = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut dup = Vec::new();
    for h in headers {
        let t = xinjiao_core::text::trim(h);
        if t.is_empty() || IGNORED_HEADERS.contains(&t) {
            fields.push(None);
            continue;
        }
        match match_header(kind, t) {
            Some(def) => {
                if let Some(prev) = seen.insert(def.code, t) {
                    dup.push(format!("「{prev}」与「{t}」都对应 {}", def.code));
                }
                fields.push(Some(def));
            }
            None => {
                unknown.push(format!("「{t}」"));
                fields.push(None);
            }
        }
    }
    if !unknown.is_empty() {
        return Err(FileError::new(
            "file.unknown_columns",
            format!(
                "表头中有无法识别的列：{}。请使用{}数据标准的字段名称或字段代码（可下载模板对照）",
                unknown.join("、"),
                kind.label()
            ),
        ));
    }
    if !dup.is_empty() {
        return Err(FileError::new("file.duplicate_columns", format!("表头中有重复的列：{}", dup.join("；"))));
    }
    let missing: Vec<String> = kind
        .fields()
        .iter()
        .filter(|d| d.requirement == Requirement::Required && !seen.contains_key(d.code))
        .map(|d| format!("「{}」（{}）", d.name, d.code))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::new("file.missing_columns", format!("缺少必填列：{}", missing.join("、"))));
    }
    Ok(Columns { fields, headers: headers.to_vec() })
}

/// Streams rows from a CSV or XLSX source.
pub struct RowReader {
    columns: Columns,
    inner: Inner,
    pub format: Format,
    /// The encoding a CSV file was read with.
    pub encoding: Option<Encoding>,
}

enum Inner {
    Csv { reader: csv::Reader<Box<dyn Read + Send>>, record: csv::ByteRecord, number: u64, replacement_check: bool },
    Xlsx { rows: std::vec::IntoIter<(u64, Vec<Cell>)> },
}

/// A cell as XLSX gives it.
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Number(f64),
    Date(String),
    Empty,
    Error(String),
}

impl RowReader {
    /// The headers of the file as written.
    pub fn headers(&self) -> &[String] {
        &self.columns.headers
    }
}

impl Iterator for RowReader {
    type Item = SourceRow;

    fn next(&mut self) -> Option<SourceRow> {
        loop {
            match &mut self.inner {
                Inner::Csv { reader, record, number, replacement_check } => {
                    *number += 1;
                    match reader.read_byte_record(record) {
                        Ok(false) => return None,
                        Ok(true) => {
                            let row = csv_row(&self.columns, record, *number, *replacement_check);
                            if row.cells.iter().all(|c| c.trim().is_empty()) {
                                continue; // blank line
                            }
                            return Some(row);
                        }
                        Err(e) => {
                            let mut d =
                                Diagnostic::new("", "file.csv_syntax", format!("第{number}行无法按CSV格式解析：{e}"));
                            d.field = "";
                            return Some(SourceRow {
                                number: *number,
                                cells: vec![],
                                values: FieldValues::new(),
                                cell_errors: vec![d],
                            });
                        }
                    }
                }
                Inner::Xlsx { rows } => {
                    let (number, cells) = rows.next()?;
                    if cells.iter().all(|c| matches!(c, Cell::Empty))
                        || cells
                            .iter()
                            .all(|c| matches!(c, Cell::Text(t) if t.trim().is_empty()) || matches!(c, Cell::Empty))
                    {
                        continue;
                    }
                    return Some(xlsx_row(&self.columns, cells, number));
                }
            }
        }
    }
}

fn csv_row(cols: &Columns, record: &csv::ByteRecord, number: u64, replacement_check: bool) -> SourceRow {
    let mut cells = Vec::with_capacity(record.len());
    let mut values = FieldValues::new();
    let mut errors = Vec::new();
    for (i, bytes) in record.iter().enumerate() {
        let def = cols.fields.get(i).copied().flatten();
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => {
                if let Some(def) = def {
                    errors.push(Diagnostic::new(
                        def.code,
                        "cell.encoding",
                        format!("「{}」含有无法按UTF-8解码的字节，请确认文件编码（可用 --encoding gbk）", def.name),
                    ));
                }
                String::from_utf8_lossy(bytes).into_owned()
            }
        };
        if let Some(def) = def {
            if replacement_check && text.contains('\u{FFFD}') {
                errors.push(Diagnostic::new(
                    def.code,
                    "cell.encoding",
                    format!("「{}」含有无法按GBK/GB18030解码的字符", def.name),
                ));
            }
            if !text.is_empty() {
                values.insert(def.code, text.clone());
            }
        }
        cells.push(text);
    }
    if record.len() > cols.fields.len()
        && record.iter().skip(cols.fields.len()).any(|b| !b.iter().all(u8::is_ascii_whitespace))
    {
        errors.push(Diagnostic::new(
            "",
            "row.extra_cells",
            format!("本行有{}个单元格，多于表头的{}列", record.len(), cols.fields.len()),
        ));
    }
    SourceRow { number, cells, values, cell_errors: errors }
}

/// Formats a number the way a person reads it (no `.0`, no exponent for integers).
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

fn xlsx_row(cols: &Columns, cells: Vec<Cell>, number: u64) -> SourceRow {
    let mut texts = Vec::with_capacity(cells.len());
    let mut values = FieldValues::new();
    let mut errors = Vec::new();
    for (i, cell) in cells.into_iter().enumerate() {
        let def = cols.fields.get(i).copied().flatten();
        let text = match &cell {
            Cell::Text(s) | Cell::Date(s) => s.clone(),
            Cell::Number(f) => number_text(*f),
            Cell::Empty => String::new(),
            Cell::Error(e) => e.clone(),
        };
        if let Some(def) = def {
            match (&cell, def.kind) {
                (Cell::Error(e), _) => errors.push(Diagnostic::new(
                    def.code,
                    "cell.error",
                    format!("「{}」单元格为Excel错误值 {e}", def.name),
                )),
                (Cell::Number(f), ValueKind::Code)
                    if f.abs() >= 1e15 || def.max_len >= 18 && f.fract() == 0.0 && number_text(*f).len() >= 16 =>
                {
                    errors.push(Diagnostic::new(
                        def.code,
                        "cell.numeric_code",
                        format!(
                            "「{}」单元格被Excel存成了数字（{}），18位代码超出Excel的15位数字精度，末几位已丢失、无法还原。请把该列设为“文本”格式后重新填写（模板中已设好）",
                            def.name,
                            number_text(*f)
                        ),
                    ));
                }
                (Cell::Date(_), ValueKind::Text | ValueKind::Code | ValueKind::Amount) => {
                    errors.push(Diagnostic::new(
                        def.code,
                        "cell.unexpected_date",
                        format!("「{}」单元格是日期格式，而该字段不是日期", def.name),
                    ));
                }
                _ => {
                    if !text.is_empty() {
                        values.insert(def.code, text.clone());
                    }
                }
            }
        }
        texts.push(text);
    }
    SourceRow { number, cells: texts, values, cell_errors: errors }
}

fn detect_format(name: &str, head: &[u8]) -> Format {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") || head.starts_with(b"PK\x03\x04") {
        Format::Xlsx
    } else {
        Format::Csv
    }
}

fn detect_encoding(head: &[u8]) -> Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Gb18030,
    }
}

/// Opens a file on disk (streaming for CSV).
pub fn open_path(path: &Path, opts: &ReadOptions) -> Result<RowReader, FileError> {
    let mut file = File::open(path)
        .map_err(|e| FileError::new("file.unreadable", format!("无法打开文件 {}：{e}", path.display())))?;
    let mut head = Vec::with_capacity(65536);
    (&mut file)
        .take(65536)
        .read_to_end(&mut head)
        .map_err(|e| FileError::new("file.unreadable", format!("无法读取文件：{e}")))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match detect_format(&name, &head) {
        Format::Csv => open_csv(Box::new(Cursor::new(head.clone()).chain(file)), &head, opts),
        Format::Xlsx => {
            let mut all = head;
            file.read_to_end(&mut all).map_err(|e| FileError::new("file.unreadable", format!("无法读取文件：{e}")))?;
            open_xlsx(all, opts)
        }
    }
}

/// Opens an uploaded file held in memory.
pub fn open_bytes(name: &str, bytes: Vec<u8>, opts: &ReadOptions) -> Result<RowReader, FileError> {
    let head_len = bytes.len().min(65536);
    match detect_format(name, &bytes[..head_len]) {
        Format::Csv => {
            let head = bytes[..head_len].to_vec();
            open_csv(Box::new(Cursor::new(bytes)), &head, opts)
        }
        Format::Xlsx => open_xlsx(bytes, opts),
    }
}

fn open_csv(source: Box<dyn Read + Send>, head: &[u8], opts: &ReadOptions) -> Result<RowReader, FileError> {
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::new("file.empty", "文件为空"));
    }
    let encoding = match opts.encoding {
        Encoding::Auto => detect_encoding(head),
        e => e,
    };
    let reader: Box<dyn Read + Send> = match encoding {
        // UTF-8 bytes go to the CSV reader as they are, without a leading BOM.
        Encoding::Utf8 | Encoding::Auto => {
            let mut source = source;
            if head.starts_with(b"\xEF\xBB\xBF") {
                let mut bom = [0u8; 3];
                source
                    .read_exact(&mut bom)
                    .map_err(|e| FileError::new("file.unreadable", format!("无法读取文件：{e}")))?;
            }
            source
        }
        Encoding::Gb18030 => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_override(true)
                .encoding(Some(encoding_rs::GB18030))
                .build(source),
        ),
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
    let mut header = csv::ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(FileError::new("file.empty", "文件为空")),
        Err(e) => {
            return Err(FileError::new("file.unreadable", format!("表头行无法按CSV格式解析：{e}")));
        }
    }
    let headers: Vec<String> =
        header.iter().map(|b| std::str::from_utf8(b).map(str::to_string)).collect::<Result<_, _>>().map_err(|_| {
            FileError::new("file.encoding", "表头不是有效的UTF-8文本；如果文件是GBK编码，请用 --encoding gbk")
        })?;
    if headers.iter().any(|h| h.contains('\u{FFFD}')) {
        return Err(FileError::new("file.encoding", "表头含有无法解码的字符，请确认文件编码（UTF-8 或 GBK）"));
    }
    let columns = map_headers(opts.kind, &headers)?;
    Ok(RowReader {
        columns,
        inner: Inner::Csv {
            reader,
            record: csv::ByteRecord::new(),
            number: 1,
            replacement_check: encoding == Encoding::Gb18030,
        },
        format: Format::Csv,
        encoding: Some(encoding),
    })
}

fn open_xlsx(bytes: Vec<u8>, opts: &ReadOptions) -> Result<RowReader, FileError> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| FileError::new("file.unreadable", format!("不是有效的XLSX文件：{e}")))?;
    let names = wb.sheet_names();
    let sheet = match &opts.sheet {
        Some(s) => names.iter().find(|n| *n == s).cloned().ok_or_else(|| {
            FileError::new("file.no_sheet", format!("工作簿中没有名为「{s}」的工作表；现有：{}", names.join("、")))
        })?,
        None => names.first().cloned().ok_or_else(|| FileError::new("file.empty", "工作簿中没有工作表"))?,
    };
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| FileError::new("file.unreadable", format!("无法读取工作表「{sheet}」：{e}")))?;
    let (start_row, start_col) = range.start().unwrap_or((0, 0));
    let mut rows_iter = range.rows();
    let header_cells =
        rows_iter.next().ok_or_else(|| FileError::new("file.empty", format!("工作表「{sheet}」为空")))?;
    let lead = vec![String::new(); start_col as usize];
    let headers: Vec<String> = lead
        .iter()
        .cloned()
        .chain(header_cells.iter().map(|c| match c {
            Data::String(s) => s.clone(),
            Data::Empty => String::new(),
            other => other.to_string(),
        }))
        .collect();
    let columns = map_headers(opts.kind, &headers)?;
    let mut rows = Vec::new();
    for (i, r) in rows_iter.enumerate() {
        let number = u64::from(start_row) + i as u64 + 2;
        let mut cells: Vec<Cell> = vec![Cell::Empty; start_col as usize];
        cells.extend(r.iter().map(|c| match c {
            Data::String(s) => Cell::Text(s.clone()),
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Float(f) => Cell::Number(*f),
            Data::Bool(b) => Cell::Text(if *b { "TRUE".into() } else { "FALSE".into() }),
            Data::DateTime(dt) => {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                Cell::Date(format!("{y:04}-{m:02}-{d:02}"))
            }
            Data::DateTimeIso(s) => Cell::Date(s.split('T').next().unwrap_or(s).to_string()),
            Data::DurationIso(s) => Cell::Text(s.clone()),
            Data::Error(e) => Cell::Error(format!("{e:?}")),
            Data::Empty => Cell::Empty,
        }));
        rows.push((number, cells));
    }
    Ok(RowReader { columns, inner: Inner::Xlsx { rows: rows.into_iter() }, format: Format::Xlsx, encoding: None })
}
