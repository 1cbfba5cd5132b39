//! Drawing the laid-out pages with krilla.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::TextDirection;

use crate::layout::{MARGIN_X, Op, PAGE_H, PAGE_W, paginate};
use crate::{Fonts, Report};

fn fill(gray: u8) -> Fill {
    Fill { paint: rgb::Color::new(gray, gray, gray).into(), ..Default::default() }
}

/// A written PDF and how many pages it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: u32,
}

/// The report as a PDF file.
pub fn render(r: &Report, fonts: &Fonts) -> Result<Pdf, String> {
    let measure = |s: &str, size: f32, bold: bool| {
        if bold { fonts.bold.width(s, size) } else { fonts.regular.width(s, size) }
    };
    let pages = paginate(r, &measure).pages;
    let qr = qrcode::QrCode::new(r.qr_url.as_bytes()).map_err(|e| format!("二维码无法生成：{e}"))?;
    let total = pages.len();
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new().title(format!("{} {}", r.title, r.number)).language("zh-CN".into()).creator(r.issuer.clone()),
    );
    for (n, ops) in pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("page size")?);
        let mut s = page.surface();
        let text = |s: &mut krilla::surface::Surface<'_>, x: f32, y: f32, size: f32, bold: bool, t: &str| {
            let face = if bold { &fonts.bold } else { &fonts.regular };
            s.draw_text(Point::from_xy(x, y), face.font.clone(), size, t, false, TextDirection::Auto);
        };
        // Header and footer.
        s.set_fill(Some(fill(90)));
        text(&mut s, MARGIN_X, 40.0, 8.5, false, &format!("报告编号：{}", r.number));
        let pages_text = format!("第 {} 页 共 {total} 页", n + 1);
        let w = fonts.regular.width(&pages_text, 8.5);
        text(&mut s, PAGE_W - MARGIN_X - w, 40.0, 8.5, false, &pages_text);
        text(&mut s, MARGIN_X, PAGE_H - 36.0, 8.5, false, &r.issuer);
        let rule = |s: &mut krilla::surface::Surface<'_>, x1: f32, x2: f32, y: f32, width: f32| {
            let mut pb = PathBuilder::new();
            pb.move_to(x1, y);
            pb.line_to(x2, y);
            if let Some(path) = pb.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke { paint: rgb::Color::new(60, 60, 60).into(), width, ..Default::default() }));
                s.draw_path(&path);
                s.set_stroke(None);
            }
        };
        rule(&mut s, MARGIN_X, PAGE_W - MARGIN_X, 48.0, 0.5);
        for op in ops {
            match op {
                Op::Text { x, y, size, bold, gray, text: t } => {
                    s.set_fill(Some(fill(if gray { 90 } else { 0 })));
                    text(&mut s, x, y, size, bold, &t);
                }
                Op::Rule { x1, x2, y, width } => rule(&mut s, x1, x2, y, width),
                Op::Shade { x, y, w, h } => {
                    let mut pb = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                        pb.push_rect(rect);
                    }
                    if let Some(path) = pb.finish() {
                        s.set_fill(Some(fill(235)));
                        s.draw_path(&path);
                    }
                }
                Op::Qr { x, y, side } => {
                    let width = qr.width();
                    let module = side / (width as f32 + 8.0);
                    let mut pb = PathBuilder::new();
                    for (i, c) in qr.to_colors().into_iter().enumerate() {
                        if c == qrcode::Color::Dark {
                            let (cx, cy) = ((i % width) as f32 + 4.0, (i / width) as f32 + 4.0);
                            if let Some(rect) = Rect::from_xywh(x + cx * module, y + cy * module, module, module) {
                                pb.push_rect(rect);
                            }
                        }
                    }
                    if let Some(path) = pb.finish() {
                        s.set_fill(Some(fill(0)));
                        s.draw_path(&path);
                    }
                }
            }
        }
        s.finish();
        page.finish();
    }
    let bytes = doc.finish().map_err(|e| format!("PDF 无法生成：{e:?}"))?;
    Ok(Pdf { bytes, pages: total as u32 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Section, Table};

    #[test]
    fn a_report_renders_with_the_system_font() {
        let fonts = match Fonts::shared() {
            Ok(f) => f,
            // The font is installed by scripts/test; without it this says why.
            Err(e) => panic!("{e}"),
        };
        let r = Report {
            title: "交通运输信用报告（公开版）".into(),
            number: "XJ-20261204-0001".into(),
            facts: vec![("主体名称".into(), "源城区广源路桥工程有限公司".into())],
            qr_url: "https://xinyong.example.test/verify?number=XJ-20261204-0001".into(),
            sections: vec![Section {
                heading: "一、行政处罚".into(),
                paragraphs: vec!["截至 2026-12-04 公示中的行政处罚。".into()],
                table: Some(Table {
                    columns: vec![("决定书文号".into(), 1.2), ("处罚内容".into(), 2.0)],
                    rows: vec![vec!["河交执罚〔2025〕3号".into(), "罚款23000元".into()]],
                    empty: "无".into(),
                }),
            }],
            notes: vec!["本报告可在平台核验。".into()],
            issuer: "河源市交通运输局".into(),
        };
        let pdf = render(&r, fonts).unwrap();
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert_eq!(pdf.pages, 1);
        // Subset: far smaller than the 20 MB collection.
        assert!(pdf.bytes.len() < 200_000, "{} bytes", pdf.bytes.len());
        assert_eq!(render(&r, fonts).unwrap(), pdf, "the same report gives the same bytes");
    }
}
