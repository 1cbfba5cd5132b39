//! PDF credit reports (信用报告): a report model ([`Report`]) laid out on A4
//! pages with Chinese line breaking, tables that break across pages with
//! their header repeated, a header and footer on every page ("第 n 页 共 m
//! 页") and a QR code to the verification page; written by krilla, which
//! embeds only the glyphs used (font subsetting). The font is Noto Sans CJK
//! SC from the system (Debian's fonts-noto-cjk), found by family name in the
//! collection, never shipped with the project.
//!
//! The layout is ours and small: [`layout::wrap`] breaks lines (between any
//! two ideographs; Latin words and numbers kept whole; closing punctuation
//! never starts a line), [`layout::paginate`] places blocks on pages.

pub mod fonts;
pub mod layout;
mod render;

pub use fonts::{FONT_DIR_ENV, Fonts};
pub use render::{Pdf, render};

/// A report ready to lay out.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The title on the first page (e.g. 交通运输信用报告（公开版）).
    pub title: String,
    /// The report number, printed in every page's header.
    pub number: String,
    /// Label–value lines under the title (subject, code, as of, issued at…).
    pub facts: Vec<(String, String)>,
    /// What the QR code encodes (the verification page of this report).
    pub qr_url: String,
    pub sections: Vec<Section>,
    /// Small print at the end (how to verify, what the report is not).
    pub notes: Vec<String>,
    /// The issuer in every page's footer.
    pub issuer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    /// Paragraphs before the table.
    pub paragraphs: Vec<String>,
    pub table: Option<Table>,
}

/// A table: column headings with relative widths, and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<(String, f32)>,
    pub rows: Vec<Vec<String>>,
    /// Shown instead of an empty table.
    pub empty: String,
}
