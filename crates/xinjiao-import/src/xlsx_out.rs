//! XLSX files we hand to clerks: empty templates (code and date columns
//! formatted as text so Excel cannot turn 18-digit codes into numbers) and
//! error reports (the uploaded rows with a column of messages).

use rust_xlsxwriter::{Color, Format, Workbook, XlsxError};
use xinjiao_core::records::fields::{RecordKind, Requirement, ValueKind};

use crate::report::ImportReport;

fn header_format(required: bool) -> Format {
    let f = Format::new().set_bold().set_text_wrap().set_background_color(Color::RGB(0xDDEBF7));
    if required { f.set_font_color(Color::RGB(0xC00000)) } else { f }
}

/// An empty template for `kind`: one header row with the standard's Chinese names
/// (required ones in red), a second sheet explaining every field.
pub fn template_xlsx(kind: RecordKind) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let text = Format::new().set_num_format("@");
    {
        let ws = wb.add_worksheet();
        ws.set_name(kind.label())?;
        for (i, def) in kind.fields().iter().enumerate() {
            let col = i as u16;
            ws.write_string_with_format(0, col, def.name, &header_format(def.requirement == Requirement::Required))?;
            ws.set_column_width(col, 18)?;
            if matches!(def.kind, ValueKind::Code | ValueKind::Date | ValueKind::Text | ValueKind::Enum) {
                ws.set_column_format(col, &text)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("填写说明")?;
    let bold = Format::new().set_bold();
    for (c, h) in ["字段名称", "字段代码", "是否必填", "最大长度", "说明"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, def) in kind.fields().iter().enumerate() {
        let r = i as u32 + 1;
        let req = match def.requirement {
            Requirement::Required => "必填",
            Requirement::Conditional => "条件必填",
            Requirement::Optional => "选填",
        };
        let note = match def.kind {
            ValueKind::Date => "日期，如 2024-05-28",
            ValueKind::Amount => "金额，单位万元，最多6位小数（2000元填0.2）",
            ValueKind::Code => "代码，按文本填写",
            ValueKind::Enum => "取值见数据标准枚举",
            ValueKind::Text => "",
        };
        ws.write_string(r, 0, def.name)?;
        ws.write_string(r, 1, def.code)?;
        ws.write_string(r, 2, req)?;
        ws.write_number(r, 3, def.max_len as f64)?;
        ws.write_string(r, 4, note)?;
    }
    ws.set_column_width(0, 36)?;
    ws.set_column_width(4, 40)?;
    wb.save_to_buffer()
}

/// The uploaded rows with an added first column of messages; rows without errors
/// are left out.
pub fn error_report_xlsx(
    headers: &[String],
    rows: &[(u64, Vec<String>)],
    report: &ImportReport,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("错误报告")?;
    let bold = Format::new().set_bold();
    let red = Format::new().set_font_color(Color::RGB(0xC00000)).set_text_wrap();
    let text = Format::new().set_num_format("@");
    ws.write_string_with_format(0, 0, "原行号", &bold)?;
    ws.write_string_with_format(0, 1, "错误信息", &bold)?;
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, i as u16 + 2, h, &bold)?;
    }
    let mut r = 1u32;
    for (number, cells) in rows {
        let msgs = report.row_messages(*number);
        if msgs.is_empty() {
            continue;
        }
        let text_msgs: Vec<String> = msgs.iter().map(|d| format!("{}（{}）", d.message, d.code)).collect();
        ws.write_number(r, 0, *number as f64)?;
        ws.write_string_with_format(r, 1, text_msgs.join("\n"), &red)?;
        for (c, v) in cells.iter().enumerate() {
            ws.write_string_with_format(r, c as u16 + 2, v, &text)?;
        }
        r += 1;
    }
    ws.set_column_width(1, 60)?;
    ws.set_freeze_panes(1, 2)?;
    wb.save_to_buffer()
}

/// A cell of a plain table sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A fraction shown as a percentage with one decimal (0.666 → 66.6%).
    Percent(f64),
}

/// A plain table sheet: name, headers, rows.
pub type Sheet<'a> = (&'a str, Vec<&'a str>, Vec<Vec<Cell>>);

/// A workbook of plain tables: (sheet name, headers, rows), headers in bold,
/// first row frozen. Used for the dashboard's monthly report.
pub fn table_xlsx(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7));
    let percent = Format::new().set_num_format("0.0%");
    for (name, headers, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
            ws.set_column_width(c as u16, if c == 0 { 28 } else { 14 })?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(t) => ws.write_string(r as u32 + 1, c as u16, t)?,
                    Cell::Number(n) => ws.write_number(r as u32 + 1, c as u16, *n)?,
                    Cell::Percent(n) => ws.write_number_with_format(r as u32 + 1, c as u16, *n, &percent)?,
                };
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    wb.save_to_buffer()
}
