//! Reading CSV and XLSX files into rows of raw field values.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use xinjiao_core::Diagnostic;
use xinjiao_core::records::fields::{Catalogue, FieldDef, RecordKind, Requirement, ValueKind, match_header_in};
use xinjiao_core::records::record::FieldValues;

use crate::limits::{Budget, Exceeded, Limits};
use crate::xlsx_in::{Cell, SheetReader};

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
    /// The columns the file may have.
    pub catalogue: Catalogue,
    pub encoding: Encoding,
    /// XLSX sheet name; the first sheet if `None`.
    pub sheet: Option<String>,
    /// What the file may make the reader do.
    pub limits: Limits,
}

impl ReadOptions {
    /// Automatic encoding, the first sheet, the default limits.
    pub fn new(kind: RecordKind) -> ReadOptions {
        ReadOptions::of(kind.catalogue())
    }

    /// Reading a file of another catalogue (credit events).
    pub fn of(catalogue: Catalogue) -> ReadOptions {
        ReadOptions { catalogue, encoding: Encoding::Auto, sheet: None, limits: Limits::DEFAULT }
    }
}

/// A problem with the whole file: nothing of it is stored. Found when the
/// file is opened, or while its rows are read (a limit reached midway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// Stable machine code (`file.unreadable`, `file.unknown_columns`, …).
    pub code: &'static str,
    /// Chinese message naming what is wrong.
    pub message: String,
}

impl FileError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> FileError {
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

fn map_headers(catalogue: Catalogue, headers: &[String]) -> Result<Columns, FileError> {
    let mut fields = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut dup = Vec::new();
    for h in headers {
        let t = xinjiao_core::records::text::trim(h);
        if t.is_empty() || IGNORED_HEADERS.contains(&t) {
            fields.push(None);
            continue;
        }
        match match_header_in(catalogue.fields, t) {
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
                catalogue.label
            ),
        ));
    }
    if !dup.is_empty() {
        return Err(FileError::new("file.duplicate_columns", format!("表头中有重复的列：{}", dup.join("；"))));
    }
    let missing: Vec<String> = catalogue
        .fields
        .iter()
        .filter(|d| d.requirement == Requirement::Required && !seen.contains_key(d.code))
        .map(|d| format!("「{}」（{}）", d.name, d.code))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::new("file.missing_columns", format!("缺少必填列：{}", missing.join("、"))));
    }
    Ok(Columns { fields, headers: headers.to_vec() })
}

/// Streams rows from a CSV or XLSX source. Each item is a row, or the
/// `file.*` error that ends the read (a limit reached midway): then nothing
/// of the file may be stored.
pub struct RowReader {
    columns: Columns,
    inner: Inner,
    limits: Limits,
    rows: u64,
    done: bool,
    pub format: Format,
    /// The encoding a CSV file was read with.
    pub encoding: Option<Encoding>,
}

enum Inner {
    Csv { reader: csv::Reader<Budget<Box<dyn Read + Send>>>, record: csv::ByteRecord, number: u64, encoding: Encoding },
    Xlsx { sheet: Box<SheetReader> },
}

impl RowReader {
    /// The headers of the file as written.
    pub fn headers(&self) -> &[String] {
        &self.columns.headers
    }

    fn next_row(&mut self) -> Result<Option<SourceRow>, FileError> {
        loop {
            let row = match &mut self.inner {
                Inner::Csv { reader, record, number, encoding } => {
                    *number += 1;
                    reader.get_mut().mark();
                    match reader.read_byte_record(record) {
                        Ok(false) => return Ok(None),
                        Ok(true) => {
                            let row = csv_row(&self.columns, record, *number, *encoding, &self.limits);
                            if row.cells.iter().all(|c| c.trim().is_empty()) {
                                continue; // blank line
                            }
                            row
                        }
                        Err(e) => {
                            if let Some(which) = reader.get_ref().exceeded() {
                                return Err(csv_budget_error(which, *number, &self.limits));
                            }
                            if let csv::ErrorKind::Io(io) = e.kind() {
                                return Err(FileError::new("file.unreadable", format!("读取第{number}行时出错：{io}")));
                            }
                            let d =
                                Diagnostic::new("", "file.csv_syntax", format!("第{number}行无法按CSV格式解析：{e}"));
                            SourceRow {
                                number: *number,
                                cells: vec![],
                                values: FieldValues::new(),
                                cell_errors: vec![d],
                            }
                        }
                    }
                }
                Inner::Xlsx { sheet } => {
                    let Some((number, cells)) = sheet.next_row()? else {
                        return Ok(None);
                    };
                    if cells
                        .iter()
                        .all(|c| matches!(c, Cell::Empty) || matches!(c, Cell::Text(t) if t.trim().is_empty()))
                    {
                        continue;
                    }
                    xlsx_row(&self.columns, cells, number)
                }
            };
            self.rows += 1;
            if self.rows > self.limits.max_rows {
                return Err(FileError::new(
                    "file.too_many_rows",
                    format!("文件超过{}行数据（第{}行），请拆分后上传", self.limits.max_rows, row.number),
                ));
            }
            return Ok(Some(row));
        }
    }
}

fn csv_budget_error(which: Exceeded, number: u64, limits: &Limits) -> FileError {
    match which {
        Exceeded::SinceMark => FileError::new(
            "file.row_too_large",
            format!("第{number}行超过{}KB，可能缺少换行或引号未闭合；文件未导入", limits.max_row_bytes >> 10),
        ),
        Exceeded::Total => FileError::new("file.too_large", "文件过大，请拆分后上传"),
    }
}

impl Iterator for RowReader {
    type Item = Result<SourceRow, FileError>;

    fn next(&mut self) -> Option<Result<SourceRow, FileError>> {
        if self.done {
            return None;
        }
        match self.next_row() {
            Ok(Some(row)) => Some(Ok(row)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Whether a cell that is valid UTF-8 looks like UTF-8 text in a GBK file:
/// it has characters from U+0800 on (CJK takes three bytes in UTF-8) and none
/// of the two-byte range, which is what GBK bytes read as UTF-8 usually give.
fn looks_like_utf8_text(s: &str) -> bool {
    s.chars().any(|c| c as u32 >= 0x800) && !s.chars().any(|c| (0x80..0x800).contains(&(c as u32)))
}

/// Decodes one cell; `Err` carries the text as far as it could be read.
fn decode_cell(bytes: &[u8], encoding: Encoding) -> Result<String, (String, &'static str)> {
    match encoding {
        Encoding::Utf8 | Encoding::Auto => std::str::from_utf8(bytes).map(str::to_string).map_err(|_| {
            (String::from_utf8_lossy(bytes).into_owned(), "含有无法按UTF-8解码的字节，可能是GBK编码的内容")
        }),
        Encoding::Gb18030 => {
            if bytes.is_ascii() {
                return Ok(String::from_utf8_lossy(bytes).into_owned());
            }
            if let Ok(s) = std::str::from_utf8(bytes)
                && looks_like_utf8_text(s)
            {
                return Err((s.to_string(), "是UTF-8编码的内容，而文件其余部分是GBK编码"));
            }
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
                Some(s) => Ok(s.into_owned()),
                None => Err((
                    encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned(),
                    "含有无法按GBK/GB18030解码的字节",
                )),
            }
        }
    }
}

fn csv_row(cols: &Columns, record: &csv::ByteRecord, number: u64, encoding: Encoding, limits: &Limits) -> SourceRow {
    let width = record.len().min(limits.max_columns.max(cols.fields.len()));
    let mut cells = Vec::with_capacity(width);
    let mut values = FieldValues::new();
    let mut errors = Vec::new();
    for (i, bytes) in record.iter().take(width).enumerate() {
        let def = cols.fields.get(i).copied().flatten();
        let text = match decode_cell(bytes, encoding) {
            Ok(s) => s,
            Err((s, why)) => {
                if let Some(def) = def {
                    let hint = if encoding == Encoding::Gb18030 {
                        ""
                    } else {
                        "（整个文件为GBK时可用 --encoding gbk）"
                    };
                    errors.push(Diagnostic::new(
                        def.code,
                        "cell.encoding",
                        format!("「{}」{why}，请把该单元格改为与文件相同的编码{hint}", def.name),
                    ));
                }
                s
            }
        };
        if let Some(def) = def
            && !text.is_empty()
        {
            values.insert(def.code, text.clone());
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

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) | Cell::Date(s) | Cell::Error(s) => s.clone(),
        Cell::Number(f) => number_text(*f),
        Cell::Empty => String::new(),
    }
}

fn xlsx_row(cols: &Columns, cells: Vec<Cell>, number: u64) -> SourceRow {
    let mut texts = Vec::with_capacity(cells.len());
    let mut values = FieldValues::new();
    let mut errors = Vec::new();
    for (i, cell) in cells.into_iter().enumerate() {
        let def = cols.fields.get(i).copied().flatten();
        let text = cell_text(&cell);
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
    if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") || crate::xlsx_in::looks_like_zip(head) {
        Format::Xlsx
    } else {
        Format::Csv
    }
}

/// Detects the encoding of a CSV file from its first bytes: a UTF-8 BOM, or
/// else the majority of the lines with non-ASCII bytes (valid UTF-8 or not),
/// so that one pasted cell in another encoding is reported as that cell, not
/// as every row of the file.
fn detect_encoding(head: &[u8]) -> Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Encoding::Utf8;
    }
    let (mut utf8, mut other) = (0u32, 0u32);
    let mut lines = head.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_ascii() {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(_) => utf8 += 1,
            // A multi-byte character cut at the end of the sample is still UTF-8.
            Err(e) if e.error_len().is_none() && lines.peek().is_none() => utf8 += 1,
            Err(_) => other += 1,
        }
    }
    if other > utf8 { Encoding::Gb18030 } else { Encoding::Utf8 }
}

/// Opens a file on disk (streaming for CSV; an XLSX file is read whole,
/// after its size is checked).
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
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len > opts.limits.max_file_bytes {
                return Err(FileError::new(
                    "file.too_large",
                    format!("XLSX文件超过{}MB，请拆分后上传", opts.limits.max_file_bytes >> 20),
                ));
            }
            let all = crate::xlsx_in::read_bounded(
                std::io::BufReader::new(Cursor::new(head).chain(file)),
                opts.limits.max_file_bytes,
            )
            .map_err(|e| FileError::new("file.unreadable", format!("无法读取文件：{e}")))?
            .ok_or_else(|| {
                FileError::new("file.too_large", format!("XLSX文件超过{}MB", opts.limits.max_file_bytes >> 20))
            })?;
            open_xlsx(Arc::new(all), opts)
        }
    }
}

/// Opens an uploaded file held in memory (shared, not copied).
pub fn open_bytes<B>(name: &str, bytes: B, opts: &ReadOptions) -> Result<RowReader, FileError>
where
    B: AsRef<[u8]> + Send + Sync + 'static,
{
    let data = bytes.as_ref();
    let head_len = data.len().min(65536);
    match detect_format(name, &data[..head_len]) {
        Format::Csv => {
            let head = data[..head_len].to_vec();
            open_csv(Box::new(Cursor::new(bytes)), &head, opts)
        }
        Format::Xlsx => open_xlsx(Arc::new(bytes), opts),
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
    let mut source = source;
    if head.starts_with(b"\xEF\xBB\xBF") {
        let mut bom = [0u8; 3];
        source.read_exact(&mut bom).map_err(|e| FileError::new("file.unreadable", format!("无法读取文件：{e}")))?;
    }
    // Cells are decoded one by one: CSV's separators and quotes are ASCII,
    // and no byte of a GBK or GB18030 character is one of them.
    let budget = Budget::new(source, u64::MAX - 1, opts.limits.max_row_bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(budget);
    let mut header = csv::ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(FileError::new("file.empty", "文件为空")),
        Err(e) => {
            if let Some(which) = reader.get_ref().exceeded() {
                return Err(csv_budget_error(which, 1, &opts.limits));
            }
            return Err(FileError::new("file.unreadable", format!("表头行无法按CSV格式解析：{e}")));
        }
    }
    if header.len() > opts.limits.max_columns {
        return Err(FileError::new(
            "file.too_many_columns",
            format!("表头有{}列，超过允许的{}列", header.len(), opts.limits.max_columns),
        ));
    }
    let headers: Vec<String> =
        header.iter().map(|b| decode_cell(b, encoding).ok()).collect::<Option<_>>().ok_or_else(|| {
            FileError::new(
                "file.encoding",
                match encoding {
                    Encoding::Gb18030 => "表头无法按GBK/GB18030解码，请确认文件编码（UTF-8 或 GBK）",
                    _ => "表头不是有效的UTF-8文本；如果文件是GBK编码，请用 --encoding gbk",
                },
            )
        })?;
    let columns = map_headers(opts.catalogue, &headers)?;
    Ok(RowReader {
        columns,
        inner: Inner::Csv { reader, record: csv::ByteRecord::new(), number: 1, encoding },
        limits: opts.limits,
        rows: 0,
        done: false,
        format: Format::Csv,
        encoding: Some(encoding),
    })
}

fn open_xlsx(data: crate::xlsx_in::Shared, opts: &ReadOptions) -> Result<RowReader, FileError> {
    let mut sheet = SheetReader::open(data, opts.sheet.as_deref(), opts.limits)?;
    let (_, header_cells) = sheet.next_row()?.ok_or_else(|| FileError::new("file.empty", "工作表为空"))?;
    let headers: Vec<String> = header_cells.iter().map(cell_text).collect();
    let columns = map_headers(opts.catalogue, &headers)?;
    Ok(RowReader {
        columns,
        inner: Inner::Xlsx { sheet: Box::new(sheet) },
        limits: opts.limits,
        rows: 0,
        done: false,
        format: Format::Xlsx,
        encoding: None,
    })
}
