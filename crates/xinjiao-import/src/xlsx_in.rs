//! Reading an XLSX sheet as a stream of rows, within [`Limits`].
//!
//! An XLSX file is a zip archive of XML parts. This reader trusts none of
//! it: the archive's directory is measured before the zip library parses it,
//! every part is decompressed through a [`Budget`] (so a zip bomb stops at the
//! byte budget, not at the end of memory), no XML token may grow past
//! `max_row_bytes`, the shared-string table is stored compactly and counted as
//! it grows, and the sheet's `dimension` is ignored: rows are produced one at
//! a time, each as wide as its own cells, and a cell past `max_columns` or a
//! row past `max_rows` ends the read with a `file.*` error.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};

use crate::limits::{Budget, Exceeded, Limits};
use crate::read::FileError;

/// The bytes of a file held in memory, shared without copying.
pub(crate) type Shared = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// A range of shared bytes, readable through a `Cursor`.
struct SharedSlice {
    data: Shared,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for SharedSlice {
    fn as_ref(&self) -> &[u8] {
        &(*self.data).as_ref()[self.start..self.end]
    }
}

/// A cell as the sheet gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Number(f64),
    /// A date cell (date number format or `t="d"`), as `YYYY-MM-DD`.
    Date(String),
    Empty,
    /// An Excel error value such as `#N/A`.
    Error(String),
}

type PartReader = quick_xml::Reader<BufReader<Budget<Box<dyn Read + Send>>>>;

fn err(code: &'static str, message: impl Into<String>) -> FileError {
    FileError { code, message: message.into() }
}

fn unreadable(message: impl std::fmt::Display) -> FileError {
    err("file.unreadable", format!("不是有效的XLSX文件：{message}"))
}

/// The archive: where each part's compressed bytes are, without keeping the
/// zip library's structures alive.
struct Archive {
    data: Shared,
    parts: HashMap<String, PartLocation>,
}

#[derive(Clone, Copy)]
struct PartLocation {
    start: usize,
    compressed: usize,
    deflated: bool,
    /// The uncompressed size the archive declares: a part declaring more
    /// than its budget is refused before it is inflated (one declaring less
    /// is still stopped by the budget as it inflates).
    declared: u64,
}

/// Finds the end-of-central-directory record and returns (entries, directory bytes).
fn directory_size(bytes: &[u8]) -> Option<(u64, u64)> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let from = bytes.len().saturating_sub(22 + 65_535);
    let at = bytes[from..].windows(4).rposition(|w| w == EOCD)? + from;
    let rec = bytes.get(at..at + 22)?;
    let entries = u16::from_le_bytes([rec[10], rec[11]]);
    let size = u32::from_le_bytes([rec[12], rec[13], rec[14], rec[15]]);
    if entries == u16::MAX || size == u32::MAX {
        // ZIP64: the real numbers are in the ZIP64 record the locator points to.
        let loc = bytes.get(at.checked_sub(20)?..at)?;
        if &loc[..4] != b"PK\x06\x07" {
            return None;
        }
        let off = usize::try_from(u64::from_le_bytes(loc[8..16].try_into().ok()?)).ok()?;
        let rec = bytes.get(off..off.checked_add(56)?)?;
        if &rec[..4] != b"PK\x06\x06" {
            return None;
        }
        let entries = u64::from_le_bytes(rec[32..40].try_into().ok()?);
        let size = u64::from_le_bytes(rec[40..48].try_into().ok()?);
        return Some((entries, size));
    }
    Some((u64::from(entries), u64::from(size)))
}

impl Archive {
    fn open(data: Shared, limits: &Limits) -> Result<Archive, FileError> {
        let bytes = (*data).as_ref();
        let (entries, dir_bytes) = directory_size(bytes).ok_or_else(|| unreadable("找不到zip目录"))?;
        if entries > limits.max_zip_entries as u64 || dir_bytes > limits.max_directory_bytes {
            return Err(err(
                "file.zip_bomb",
                format!(
                    "XLSX文件的压缩包目录过大（{entries}个条目，{dir_bytes}字节；上限{}个条目），不是正常的电子表格",
                    limits.max_zip_entries
                ),
            ));
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(SharedSlice { data: data.clone(), start: 0, end: bytes.len() }))
            .map_err(unreadable)?;
        let mut parts = HashMap::new();
        for i in 0..zip.len() {
            let f = zip.by_index_raw(i).map_err(unreadable)?;
            let deflated = match f.compression() {
                zip::CompressionMethod::Stored => false,
                zip::CompressionMethod::Deflated => true,
                _ => continue, // Excel writes only these two; other parts are never read.
            };
            let (Some(start), Ok(compressed)) = (f.data_start(), usize::try_from(f.compressed_size())) else {
                continue;
            };
            if start as usize > bytes.len() || compressed > bytes.len() - start as usize {
                return Err(unreadable("压缩包条目超出文件范围"));
            }
            let name = f.name().map_err(unreadable)?.trim_start_matches('/').to_string();
            let declared = f.size();
            parts.insert(name, PartLocation { start: start as usize, compressed, deflated, declared });
        }
        Ok(Archive { data, parts })
    }

    /// A part's decompressed bytes, counted against `max_total` (its own
    /// budget) and read in tokens of at most `max_token` bytes.
    fn part(&self, name: &str, max_total: u64, max_token: usize) -> Option<PartReader> {
        let loc = *self.parts.get(name)?;
        if loc.declared > max_total {
            // Refused at once: the first read reports the spent budget.
            let raw: Box<dyn Read + Send> = Box::new(std::io::empty());
            let mut budget = Budget::new(raw, 0, max_token);
            budget.spend_all();
            return Some(quick_xml::Reader::from_reader(BufReader::new(budget)));
        }
        let slice = SharedSlice { data: self.data.clone(), start: loc.start, end: loc.start + loc.compressed };
        let raw: Box<dyn Read + Send> = if loc.deflated {
            Box::new(flate2::read::DeflateDecoder::new(Cursor::new(slice)))
        } else {
            Box::new(Cursor::new(slice))
        };
        let mut reader =
            quick_xml::Reader::from_reader(BufReader::with_capacity(16 * 1024, Budget::new(raw, max_total, max_token)));
        reader.config_mut().check_end_names = false;
        Some(reader)
    }
}

/// Reads the next event of a part, restarting the token budget, and turns a
/// spent budget into the error that names it.
fn next_event<'b>(
    reader: &mut PartReader,
    buf: &'b mut Vec<u8>,
    part: &str,
    limits: &Limits,
) -> Result<Event<'b>, FileError> {
    buf.clear();
    reader.get_mut().get_mut().mark();
    match reader.read_event_into(buf) {
        Ok(e) => Ok(e),
        Err(e) => Err(match reader.get_ref().get_ref().exceeded() {
            Some(Exceeded::Total) => err(
                "file.zip_bomb",
                format!(
                    "XLSX文件中的「{part}」解压后超过了允许的大小，不是正常的电子表格（上限{}MB）",
                    {
                        if part.contains("worksheets") || part.contains("sharedStrings") {
                            limits.max_uncompressed_bytes >> 20
                        } else {
                            limits.max_small_part_bytes >> 20
                        }
                    }
                ),
            ),
            Some(Exceeded::SinceMark) => err(
                "file.row_too_large",
                format!("XLSX文件「{part}」中有一段内容超过{}KB，无法读取", limits.max_row_bytes >> 10),
            ),
            None => unreadable(format!("「{part}」无法解析：{e}")),
        }),
    }
}

fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<Cow<'a, str>> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
}

/// Text of a text or entity event, appended to `out`.
fn push_text(ev: &Event<'_>, out: &mut String) {
    match ev {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => {
            if let Ok(Some(c)) = r.resolve_char_ref() {
                out.push(c);
            } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r.xml10_content()) {
                out.push_str(s);
            }
        }
        _ => {}
    }
}

/// The shared-string table: all text in one buffer, with end offsets.
#[derive(Default)]
struct SharedStrings {
    text: String,
    ends: Vec<u32>,
}

impl SharedStrings {
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }
}

fn read_shared_strings(archive: &Archive, path: &str, limits: &Limits) -> Result<SharedStrings, FileError> {
    let mut table = SharedStrings::default();
    let Some(mut reader) = archive.part(path, limits.max_uncompressed_bytes, limits.max_row_bytes) else {
        return Ok(table);
    };
    let mut buf = Vec::new();
    // Depth inside a phonetic run (<rPh>), whose text is not part of the value.
    let (mut in_si, mut in_t, mut phonetic) = (false, false, 0u32);
    loop {
        let ev = next_event(&mut reader, &mut buf, path, limits)?;
        match &ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => in_si = true,
                "t" => in_t = true,
                "rPh" => phonetic += 1,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => {
                if table.ends.len() >= limits.max_shared_strings {
                    return Err(too_many_strings(limits));
                }
                table.ends.push(table.text.len() as u32);
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = false,
                "rPh" => phonetic = phonetic.saturating_sub(1),
                "si" => {
                    in_si = false;
                    if table.ends.len() >= limits.max_shared_strings {
                        return Err(too_many_strings(limits));
                    }
                    table.ends.push(table.text.len() as u32);
                }
                _ => {}
            },
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if in_si && in_t && phonetic == 0 => {
                let before = table.text.len();
                push_text(&ev, &mut table.text);
                if table.text.len() > limits.max_shared_string_bytes {
                    table.text.truncate(before);
                    return Err(too_many_strings(limits));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(table)
}

fn too_many_strings(limits: &Limits) -> FileError {
    err(
        "file.too_many_strings",
        format!(
            "XLSX文件的共享字符串表过大（上限{}条、{}MB），请拆分文件后上传",
            limits.max_shared_strings,
            limits.max_shared_string_bytes >> 20
        ),
    )
}

/// Whether a number format code shows a date or time.
fn is_date_format(code: &str) -> bool {
    let mut in_quotes = false;
    let mut in_brackets = false;
    let mut escaped = false;
    for c in code.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            '[' if !in_quotes => in_brackets = true,
            ']' if !in_quotes => in_brackets = false,
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' | '年' | '月' | '日'
                if !in_quotes && !in_brackets =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// Built-in number formats that show dates (including the Chinese locale's 27–36 and 50–58).
fn is_builtin_date_format(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// For each cell style, whether it shows a date.
fn read_date_styles(archive: &Archive, path: &str, limits: &Limits) -> Result<Vec<bool>, FileError> {
    let mut styles = Vec::new();
    let Some(mut reader) = archive.part(path, limits.max_small_part_bytes, limits.max_row_bytes) else {
        return Ok(styles);
    };
    let mut custom: HashMap<u32, bool> = HashMap::new();
    let mut buf = Vec::new();
    let mut in_cell_xfs = false;
    loop {
        let ev = next_event(&mut reader, &mut buf, path, limits)?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "numFmt" => {
                    if custom.len() >= limits.max_styles {
                        return Err(err("file.too_large", "XLSX文件的数字格式过多"));
                    }
                    let id = attr(e, "numFmtId").and_then(|v| v.parse().ok());
                    if let (Some(id), Some(code)) = (id, attr(e, "formatCode")) {
                        custom.insert(id, is_date_format(&code));
                    }
                }
                "cellXfs" if matches!(ev, Event::Start(_)) => in_cell_xfs = true,
                "xf" if in_cell_xfs => {
                    if styles.len() >= limits.max_styles {
                        return Err(err("file.too_large", "XLSX文件的单元格样式过多"));
                    }
                    let id: u32 = attr(e, "numFmtId").and_then(|v| v.parse().ok()).unwrap_or(0);
                    styles.push(custom.get(&id).copied().unwrap_or_else(|| is_builtin_date_format(id)));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(styles)
}

/// Resolves a relationship target against the folder of the part that names it.
fn resolve_target(base_dir: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut parts: Vec<&str> = base_dir.split('/').filter(|p| !p.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The workbook: sheet names with their parts, the shared strings' and styles' parts, and the date system.
struct Workbook {
    sheets: Vec<(String, String)>,
    shared_strings: String,
    styles: String,
    date1904: bool,
}

fn read_workbook(archive: &Archive, limits: &Limits) -> Result<Workbook, FileError> {
    let path = "xl/workbook.xml";
    let mut reader = archive
        .part(path, limits.max_small_part_bytes, limits.max_row_bytes)
        .ok_or_else(|| unreadable("缺少 xl/workbook.xml"))?;
    let mut buf = Vec::new();
    let mut sheets: Vec<(String, String)> = Vec::new();
    let mut date1904 = false;
    loop {
        let ev = next_event(&mut reader, &mut buf, path, limits)?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sheet" => {
                    if sheets.len() >= limits.max_styles {
                        return Err(err("file.too_large", "XLSX文件的工作表过多"));
                    }
                    let name = attr(e, "name").unwrap_or_default().into_owned();
                    let id = attr(e, "id").unwrap_or_default().into_owned();
                    sheets.push((name, id));
                }
                "workbookPr" => {
                    date1904 = matches!(attr(e, "date1904").as_deref(), Some("1" | "true"));
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    let rels_path = "xl/_rels/workbook.xml.rels";
    let mut targets: HashMap<String, String> = HashMap::new();
    let (mut shared_strings, mut styles) = ("xl/sharedStrings.xml".to_string(), "xl/styles.xml".to_string());
    if let Some(mut reader) = archive.part(rels_path, limits.max_small_part_bytes, limits.max_row_bytes) {
        loop {
            let ev = next_event(&mut reader, &mut buf, rels_path, limits)?;
            match &ev {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                    if targets.len() >= limits.max_styles {
                        return Err(err("file.too_large", "XLSX文件的关系条目过多"));
                    }
                    let target = resolve_target("xl", &attr(e, "Target").unwrap_or_default());
                    let kind = attr(e, "Type").unwrap_or_default();
                    if kind.ends_with("/sharedStrings") {
                        shared_strings = target.clone();
                    } else if kind.ends_with("/styles") {
                        styles = target.clone();
                    }
                    targets.insert(attr(e, "Id").unwrap_or_default().into_owned(), target);
                }
                Event::Eof => break,
                _ => {}
            }
        }
    }
    let sheets = sheets
        .into_iter()
        .enumerate()
        .map(|(i, (name, id))| {
            let part = targets.get(&id).cloned().unwrap_or_else(|| format!("xl/worksheets/sheet{}.xml", i + 1));
            (name, part)
        })
        .collect();
    Ok(Workbook { sheets, shared_strings, styles, date1904 })
}

/// Column index (A = 0) and row number of a cell reference such as `AB12`.
/// `None` if it is not a reference; the column may be any size (checked by the caller).
fn cell_ref(r: &str) -> Option<(u64, Option<u64>)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let mut col = 0u64;
    for b in r[..letters].bytes() {
        col = col * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    let row = r[letters..].parse().ok();
    Some((col - 1, row))
}

fn column_name(mut col: u64) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// One worksheet, read row by row.
pub(crate) struct SheetReader {
    reader: PartReader,
    part: String,
    buf: Vec<u8>,
    strings: SharedStrings,
    date_styles: Vec<bool>,
    date1904: bool,
    limits: Limits,
    last_row: u64,
    rows: u64,
    cells: u64,
    done: bool,
}

/// The value of the cell being read.
#[derive(Default)]
struct CellState {
    col: usize,
    kind: String,
    style: usize,
    value: String,
    has_value: bool,
}

impl SheetReader {
    /// Opens the named sheet (or the first) of an XLSX file.
    pub(crate) fn open(data: Shared, sheet: Option<&str>, limits: Limits) -> Result<SheetReader, FileError> {
        if (*data).as_ref().len() as u64 > limits.max_file_bytes {
            return Err(err("file.too_large", format!("XLSX文件超过{}MB，请拆分后上传", limits.max_file_bytes >> 20)));
        }
        let archive = Archive::open(data, &limits)?;
        let wb = read_workbook(&archive, &limits)?;
        let names: Vec<&str> = wb.sheets.iter().map(|(n, _)| n.as_str()).collect();
        let part = match sheet {
            Some(s) => wb.sheets.iter().find(|(n, _)| n == s).map(|(_, p)| p.clone()).ok_or_else(|| {
                err("file.no_sheet", format!("工作簿中没有名为「{s}」的工作表；现有：{}", names.join("、")))
            })?,
            None => wb.sheets.first().map(|(_, p)| p.clone()).ok_or_else(|| err("file.empty", "工作簿中没有工作表"))?,
        };
        let date_styles = read_date_styles(&archive, &wb.styles, &limits)?;
        let strings = read_shared_strings(&archive, &wb.shared_strings, &limits)?;
        let reader = archive
            .part(&part, limits.max_uncompressed_bytes, limits.max_row_bytes)
            .ok_or_else(|| unreadable(format!("缺少工作表内容 {part}")))?;
        Ok(SheetReader {
            reader,
            part,
            buf: Vec::new(),
            strings,
            date_styles,
            date1904: wb.date1904,
            limits,
            last_row: 0,
            rows: 0,
            cells: 0,
            done: false,
        })
    }

    /// The next row that has a cell: its row number (1-based) and its cells
    /// from column A to its last cell.
    pub(crate) fn next_row(&mut self) -> Result<Option<(u64, Vec<Cell>)>, FileError> {
        if self.done {
            return Ok(None);
        }
        let mut row: Option<(u64, Vec<Cell>)> = None;
        let mut cell: Option<CellState> = None;
        let mut next_col = 0usize;
        // Whether the text events belong to the value (<v>, or <t> of an inline string).
        let mut in_value = false;
        let mut in_phonetic = 0u32;
        loop {
            let limits = self.limits;
            let ev = next_event(&mut self.reader, &mut self.buf, &self.part, &limits)?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev, Event::Empty(_));
                    match e.local_name().as_ref() {
                        "row" => {
                            let r = match attr(e, "r") {
                                Some(v) => v.parse::<u64>().map_err(|_| unreadable(format!("行号「{v}」无效")))?,
                                None => self.last_row + 1,
                            };
                            if r <= self.last_row {
                                return Err(unreadable(format!("行号{r}出现在第{}行之后", self.last_row)));
                            }
                            self.last_row = r;
                            self.rows += 1;
                            if self.rows > self.limits.max_rows + 1 {
                                return Err(err(
                                    "file.too_many_rows",
                                    format!("XLSX文件超过{}行（第{r}行），请拆分后上传", self.limits.max_rows),
                                ));
                            }
                            next_col = 0;
                            if empty {
                                continue;
                            }
                            row = Some((r, Vec::new()));
                        }
                        "c" => {
                            let r = attr(e, "r");
                            let col = match r.as_deref().and_then(cell_ref) {
                                Some((c, _)) => c,
                                None => next_col as u64,
                            };
                            if col >= self.limits.max_columns as u64 {
                                let at = r
                                    .map(|r| r.into_owned())
                                    .unwrap_or_else(|| format!("{}{}", column_name(col), self.last_row));
                                return Err(err(
                                    "file.too_many_columns",
                                    format!(
                                        "单元格 {at} 超出了允许的{}列（到 {} 列）；请删除表格右侧的多余内容",
                                        self.limits.max_columns,
                                        column_name(self.limits.max_columns as u64 - 1)
                                    ),
                                ));
                            }
                            next_col = col as usize + 1;
                            if empty {
                                continue;
                            }
                            let style = attr(e, "s").and_then(|s| s.parse().ok()).unwrap_or(0);
                            let kind = attr(e, "t").map(Cow::into_owned).unwrap_or_default();
                            cell = Some(CellState { col: col as usize, kind, style, ..CellState::default() });
                        }
                        "v" | "t" if cell.is_some() && !empty && in_phonetic == 0 => {
                            in_value = true;
                            if let Some(c) = cell.as_mut() {
                                c.has_value = true;
                            }
                        }
                        "rPh" if !empty => in_phonetic += 1,
                        _ => {}
                    }
                }
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if in_value => {
                    if let Some(c) = cell.as_mut() {
                        push_text(&ev, &mut c.value);
                        if c.value.len() > self.limits.max_row_bytes {
                            return Err(err(
                                "file.row_too_large",
                                format!("第{}行有单元格超过{}KB", self.last_row, self.limits.max_row_bytes >> 10),
                            ));
                        }
                    }
                }
                Event::End(ref e) => match e.local_name().as_ref() {
                    "v" | "t" => in_value = false,
                    "rPh" => in_phonetic = in_phonetic.saturating_sub(1),
                    "c" => {
                        if let (Some(c), Some((_, cells))) = (cell.take(), row.as_mut()) {
                            let value = self.value(&c)?;
                            if value != Cell::Empty {
                                self.cells += 1;
                                if self.cells > self.limits.max_cells {
                                    return Err(err(
                                        "file.too_many_cells",
                                        format!("XLSX文件的单元格超过{}个，请拆分后上传", self.limits.max_cells),
                                    ));
                                }
                                if cells.len() <= c.col {
                                    cells.resize(c.col + 1, Cell::Empty);
                                }
                                cells[c.col] = value;
                            }
                        }
                    }
                    "row" => {
                        if let Some((r, cells)) = row.take()
                            && !cells.is_empty()
                        {
                            return Ok(Some((r, cells)));
                        }
                    }
                    "sheetData" => {
                        self.done = true;
                        return Ok(None);
                    }
                    _ => {}
                },
                Event::Eof => {
                    self.done = true;
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    fn value(&self, c: &CellState) -> Result<Cell, FileError> {
        if !c.has_value {
            return Ok(Cell::Empty);
        }
        let v = c.value.as_str();
        Ok(match c.kind.as_str() {
            "s" => {
                let i: usize = v.trim().parse().map_err(|_| unreadable(format!("共享字符串编号「{v}」无效")))?;
                let s = self
                    .strings
                    .get(i)
                    .ok_or_else(|| unreadable(format!("第{}行引用了不存在的共享字符串 {i}", self.last_row)))?;
                if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) }
            }
            "str" | "inlineStr" => {
                if v.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(v.to_string())
                }
            }
            "b" => Cell::Text(if v.trim() == "1" { "TRUE".into() } else { "FALSE".into() }),
            "e" => Cell::Error(v.to_string()),
            "d" => Cell::Date(v.split('T').next().unwrap_or(v).to_string()),
            _ => match v.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => {
                    if self.date_styles.get(c.style).copied().unwrap_or(false) {
                        let serial = f.floor() as i64 + if self.date1904 { 1462 } else { 0 };
                        match i32::try_from(serial).ok().and_then(xinjiao_core::records::date::excel_serial_to_date) {
                            Some(d) => Cell::Date(d.to_string()),
                            None => Cell::Number(f),
                        }
                    } else {
                        Cell::Number(f)
                    }
                }
                _ if v.is_empty() => Cell::Empty,
                _ => Cell::Text(v.to_string()),
            },
        })
    }
}

/// Whether `head` starts like a zip archive.
pub(crate) fn looks_like_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// Reads a whole stream into memory if it is no larger than `max` bytes.
pub(crate) fn read_bounded(mut r: impl BufRead, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    (&mut r).take(max + 1).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= max).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref("A1"), Some((0, Some(1))));
        assert_eq!(cell_ref("AB12"), Some((27, Some(12))));
        assert_eq!(cell_ref("XFD1048576"), Some((16383, Some(1048576))));
        assert_eq!(cell_ref("1"), None);
        assert_eq!(cell_ref("ABCD1"), None);
        for c in [0, 25, 26, 27, 701, 702, 16383] {
            assert_eq!(cell_ref(&format!("{}7", column_name(c))), Some((c, Some(7))));
        }
    }

    #[test]
    fn date_formats() {
        for code in ["yyyy-mm-dd", "yyyy\"年\"m\"月\"d\"日\"", "m/d/yy h:mm", "[$-804]yyyy年m月d日", "h:mm:ss"] {
            assert!(is_date_format(code), "{code}");
        }
        for code in ["General", "0.00", "#,##0\"天\"", "0.00_);[Red](0.00)", "@", "\\d0"] {
            assert!(!is_date_format(code), "{code}");
        }
    }

    #[test]
    fn a_part_declaring_more_than_its_budget_is_refused_before_inflating() {
        let rows: Vec<Vec<String>> = (0..2000).map(|i| vec![format!("第{i}行"), "x".repeat(40)]).collect();
        let file = crate::crafted::xlsx_of_rows(&rows);
        let limits = Limits { max_uncompressed_bytes: 10_000, ..Limits::DEFAULT };
        let data: Shared = Arc::new(file.clone());
        let mut sheet = SheetReader::open(data, None, limits).unwrap();
        let err = sheet.next_row().unwrap_err();
        assert_eq!(err.code, "file.zip_bomb", "{err:?}");
        // Within its budget the same file reads to the end.
        let mut sheet = SheetReader::open(Arc::new(file), None, Limits::DEFAULT).unwrap();
        let mut n = 0;
        while sheet.next_row().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 2000);
    }

    #[test]
    fn targets_resolve() {
        assert_eq!(resolve_target("xl", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve_target("xl", "/xl/worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve_target("xl", "../xl/x.xml"), "xl/x.xml");
    }
}
