//! Line breaking and pagination, independent of any font: widths come from
//! a measuring function, so the rules are tested with a fixed-width one.

use crate::{Report, Table};

/// A4 in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN_X: f32 = 56.0;
/// Where the body starts and ends (header above, footer below).
pub const BODY_TOP: f32 = 72.0;
pub const BODY_BOTTOM: f32 = PAGE_H - 64.0;
pub const BODY_W: f32 = PAGE_W - 2.0 * MARGIN_X;
/// The QR code's side on the first page.
pub const QR_SIDE: f32 = 84.0;

const CLOSING: &str = "，。、；：！？）》」』”’〕】,.;:!?)%";
const OPENING: &str = "（《「『“‘〔【(";

/// Measures `text` at `size` points, bold or not.
pub type Measure<'a> = dyn Fn(&str, f32, bool) -> f32 + 'a;

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/@#:+%".contains(c)
}

/// The units lines are made of: a run of Latin letters and digits, a
/// space, or any other single character.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            out.push(&text[s..i]);
        }
        out.push(&text[i..i + c.len_utf8()]);
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Breaks `text` into lines no wider than `width` (as `measure` says):
/// between any two ideographs, Latin words and numbers kept whole unless
/// longer than a line, spaces dropped at line ends, closing punctuation kept
/// at the end of the line before (it may overhang), opening punctuation
/// carried to the next line. `\n` starts a new line.
pub fn wrap(text: &str, width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for tok in tokens(para) {
            let candidate = format!("{line}{tok}");
            if measure(&candidate) <= width || line.trim().is_empty() && !tok.is_empty() && measure(tok) <= width {
                line = candidate;
                continue;
            }
            if tok.chars().all(|c| CLOSING.contains(c)) && !line.is_empty() {
                line.push_str(tok);
                continue;
            }
            if tok == " " {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                continue;
            }
            // Carry an opening mark at the line's end over to the next line.
            let mut carry = String::new();
            if let Some(last) = line.chars().last()
                && OPENING.contains(last)
                && line.chars().count() > 1
            {
                line.pop();
                carry.push(last);
            }
            if !line.trim().is_empty() {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
            }
            line = carry;
            if measure(&format!("{line}{tok}")) <= width {
                line.push_str(tok);
            } else {
                // A word longer than a line: broken anywhere.
                for c in tok.chars() {
                    let next = format!("{line}{c}");
                    if measure(&next) > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    line.push(c);
                }
            }
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// What a page shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Text with its baseline at `y`.
    Text { x: f32, y: f32, size: f32, bold: bool, gray: bool, text: String },
    /// A horizontal rule.
    Rule { x1: f32, x2: f32, y: f32, width: f32 },
    /// A light-gray box (table headings).
    Shade { x: f32, y: f32, w: f32, h: f32 },
    /// The QR code with its top-left corner at (x, y).
    Qr { x: f32, y: f32, side: f32 },
}

/// Laid-out pages, before headers and footers.
pub struct Pages {
    pub pages: Vec<Vec<Op>>,
    y: f32,
}

impl Pages {
    fn new() -> Pages {
        Pages { pages: vec![vec![]], y: BODY_TOP }
    }
    fn page(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }
    fn new_page(&mut self) {
        self.pages.push(vec![]);
        self.y = BODY_TOP;
    }
    /// Makes room for `h` points, on a new page if needed.
    fn room(&mut self, h: f32) {
        if self.y + h > BODY_BOTTOM && self.y > BODY_TOP {
            self.new_page();
        }
    }
    /// Wrapped lines of text from the left margin.
    fn text_lines(&mut self, text: &str, width: f32, size: f32, bold: bool, gray: bool, m: &Measure<'_>) {
        let lead = size * 1.6;
        for line in wrap(text, width, &|s| m(s, size, bold)) {
            self.room(lead);
            self.y += lead;
            let y = self.y - size * 0.45;
            self.page().push(Op::Text { x: MARGIN_X, y, size, bold, gray, text: line });
        }
    }
}

const BODY_SIZE: f32 = 10.5;
const CELL_SIZE: f32 = 9.0;
const CELL_PAD: f32 = 3.5;

/// Places the report on pages.
pub fn paginate(r: &Report, m: &Measure<'_>) -> Pages {
    let mut p = Pages::new();
    p.page().push(Op::Qr { x: PAGE_W - MARGIN_X - QR_SIDE, y: BODY_TOP, side: QR_SIDE });
    p.page().push(Op::Text {
        x: PAGE_W - MARGIN_X - QR_SIDE,
        y: BODY_TOP + QR_SIDE + 11.0,
        size: 8.0,
        bold: false,
        gray: true,
        text: "扫码核验真伪与是否最新".into(),
    });
    let beside_qr = BODY_W - QR_SIDE - 12.0;
    p.text_lines(&r.title, beside_qr, 17.0, true, false, m);
    p.y += 6.0;
    for (label, value) in &r.facts {
        p.text_lines(&format!("{label}：{value}"), beside_qr, BODY_SIZE, false, false, m);
    }
    p.y = p.y.max(BODY_TOP + QR_SIDE + 18.0);
    for s in &r.sections {
        p.room(60.0);
        p.y += 10.0;
        p.text_lines(&s.heading, BODY_W, 13.0, true, false, m);
        for para in &s.paragraphs {
            p.text_lines(para, BODY_W, BODY_SIZE, false, false, m);
        }
        if let Some(t) = &s.table {
            p.y += 4.0;
            table(&mut p, t, m);
        }
    }
    p.y += 12.0;
    for n in &r.notes {
        p.text_lines(n, BODY_W, 8.5, false, true, m);
    }
    p
}

/// Column widths in points from the relative widths.
fn widths(t: &Table) -> Vec<f32> {
    let total: f32 = t.columns.iter().map(|c| c.1.max(0.1)).sum();
    t.columns.iter().map(|c| c.1.max(0.1) / total * BODY_W).collect()
}

fn row_ops(p: &mut Pages, cells: &[Vec<String>], widths: &[f32], bold: bool) -> f32 {
    let lead = CELL_SIZE * 1.45;
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let h = lines as f32 * lead + 2.0 * CELL_PAD;
    let top = p.y;
    if bold {
        p.page().push(Op::Shade { x: MARGIN_X, y: top, w: BODY_W, h });
    }
    let mut x = MARGIN_X;
    for (cell, w) in cells.iter().zip(widths) {
        for (i, line) in cell.iter().enumerate() {
            let y = top + CELL_PAD + (i as f32 + 1.0) * lead - CELL_SIZE * 0.35;
            p.page().push(Op::Text { x: x + CELL_PAD, y, size: CELL_SIZE, bold, gray: false, text: line.clone() });
        }
        x += w;
    }
    p.y = top + h;
    let y = p.y;
    p.page().push(Op::Rule { x1: MARGIN_X, x2: MARGIN_X + BODY_W, y, width: if bold { 0.8 } else { 0.3 } });
    h
}

fn table(p: &mut Pages, t: &Table, m: &Measure<'_>) {
    let ws = widths(t);
    let wrap_row = |row: &[String], bold: bool| -> Vec<Vec<String>> {
        row.iter().zip(&ws).map(|(c, w)| wrap(c, w - 2.0 * CELL_PAD, &|s| m(s, CELL_SIZE, bold))).collect()
    };
    let head: Vec<String> = t.columns.iter().map(|c| c.0.clone()).collect();
    let head = wrap_row(&head, true);
    let head_h = head.iter().map(Vec::len).max().unwrap_or(1) as f32 * CELL_SIZE * 1.45 + 2.0 * CELL_PAD;
    if t.rows.is_empty() {
        p.text_lines(&t.empty, BODY_W, BODY_SIZE, false, true, m);
        return;
    }
    p.room(head_h * 2.0);
    let y = p.y;
    p.page().push(Op::Rule { x1: MARGIN_X, x2: MARGIN_X + BODY_W, y, width: 0.8 });
    row_ops(p, &head, &ws, true);
    for row in &t.rows {
        let cells = wrap_row(row, false);
        let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * CELL_SIZE * 1.45 + 2.0 * CELL_PAD;
        if p.y + h > BODY_BOTTOM {
            // The table goes on over the page: its heading again.
            p.new_page();
            let y = p.y;
            p.page().push(Op::Rule { x1: MARGIN_X, x2: MARGIN_X + BODY_W, y, width: 0.8 });
            row_ops(p, &head, &ws, true);
        }
        row_ops(p, &cells, &ws, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Section;

    /// Ideographs one em, everything else half.
    fn fixed(s: &str) -> f32 {
        s.chars().map(|c| if c.is_ascii() { 0.5 } else { 1.0 }).sum()
    }

    #[test]
    fn lines_break_between_ideographs_and_keep_words_whole() {
        assert_eq!(wrap("一二三四五六", 4.0, &fixed), ["一二三四", "五六"]);
        // A number is not split when it fits on the next line.
        assert_eq!(wrap("罚款 12345 元", 4.0, &fixed), ["罚款", "12345 元"]);
        // Closing punctuation stays on the line before; opening goes on.
        assert_eq!(wrap("一二三四，五六", 4.0, &fixed), ["一二三四，", "五六"]);
        assert_eq!(wrap("一二三（四五", 4.0, &fixed), ["一二三", "（四五"]);
        // A word longer than a line is broken anywhere.
        assert_eq!(wrap("91441602MAWDQX4L6J", 4.0, &fixed), ["91441602", "MAWDQX4L", "6J"]);
        assert_eq!(wrap("甲\n乙", 10.0, &fixed), ["甲", "乙"]);
        assert_eq!(wrap("", 10.0, &fixed), [""]);
    }

    #[test]
    fn every_line_fits_and_nothing_is_lost() {
        let text = "2025年5月29日，当事人承建的源城区公路工程施工现场未按规定设置安全防护设施（《公路水运工程安全生产监督管理办法》第六十条），罚款23000元。Road works 91441602MAWDQX4L6J without guards.";
        for width in [3.0f32, 5.0, 8.5, 13.0, 40.0] {
            let lines = wrap(text, width, &fixed);
            for l in &lines {
                let over = fixed(l) - width;
                assert!(over <= 1.0, "{l:?} exceeds {width} by more than a closing mark");
            }
            let joined: String = lines.concat().chars().filter(|c| !c.is_whitespace()).collect();
            let want: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(joined, want, "width {width}");
            assert!(lines.iter().skip(1).all(|l| !l.starts_with('，') && !l.starts_with('。')));
        }
    }

    #[test]
    fn a_long_table_breaks_across_pages_with_its_heading_repeated() {
        let rows: Vec<Vec<String>> = (0..120)
            .map(|i| vec![format!("河交执罚〔2025〕{i}号"), "施工现场安全防护不到位".repeat(1 + i % 3)])
            .collect();
        let r = Report {
            title: "交通运输信用报告（公开版）".into(),
            number: "XJ-1".into(),
            facts: vec![("主体".into(), "甲公司".into())],
            qr_url: "https://x.test/verify?number=XJ-1".into(),
            sections: vec![Section {
                heading: "行政处罚".into(),
                paragraphs: vec![],
                table: Some(Table {
                    columns: vec![("文号".into(), 1.0), ("事由".into(), 2.0)],
                    rows,
                    empty: "无".into(),
                }),
            }],
            notes: vec!["说明".into()],
            issuer: "河源市交通运输局".into(),
        };
        let m = |s: &str, size: f32, _bold: bool| fixed(s) * size;
        let pages = paginate(&r, &m).pages;
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for (n, page) in pages.iter().enumerate() {
            let texts: Vec<&str> = page
                .iter()
                .filter_map(|o| if let Op::Text { text, .. } = o { Some(text.as_str()) } else { None })
                .collect();
            assert!(texts.contains(&"文号"), "page {} repeats the heading", n + 1);
            for o in page {
                if let Op::Text { y, .. } | Op::Rule { y, .. } = o {
                    assert!(
                        *y <= BODY_BOTTOM + 0.01 && *y >= BODY_TOP - 0.01,
                        "page {}: {o:?} outside the body",
                        n + 1
                    );
                }
            }
        }
        let all: Vec<String> = pages
            .iter()
            .flatten()
            .filter_map(|o| if let Op::Text { text, .. } = o { Some(text.clone()) } else { None })
            .collect();
        for i in [0, 59, 119] {
            assert!(all.contains(&format!("河交执罚〔2025〕{i}号")), "row {i} is on a page");
        }
    }
}
