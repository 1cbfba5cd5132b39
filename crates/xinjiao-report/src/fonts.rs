//! The report's font: Noto Sans CJK SC, regular and bold, read from the
//! system's font directory and picked out of the OpenType collections by
//! family name (not by a position in the file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

/// The environment variable naming another font directory.
pub const FONT_DIR_ENV: &str = "XINJIAO_FONT_DIR";
/// Where Debian's fonts-noto-cjk puts the collections.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/opentype/noto";
/// The family used.
pub const FAMILY: &str = "Noto Sans CJK SC";

/// One face: krilla's font and the advance widths it draws with.
pub struct Face {
    pub font: krilla::text::Font,
    /// Advance width of each character in em (1.0 for ideographs).
    advances: HashMap<char, f32>,
    /// For characters not in the table: looked up in the font.
    data: Arc<Vec<u8>>,
    index: u32,
}

impl Face {
    fn load(path: &Path) -> Result<Face, String> {
        let bytes = std::fs::read(path).map_err(|e| {
            format!("无法读取字体 {}：{e}（请安装 fonts-noto-cjk，或用 {FONT_DIR_ENV} 指定字体目录）", path.display())
        })?;
        let data = Arc::new(bytes);
        let index =
            family_index(&data, FAMILY).ok_or_else(|| format!("字体文件 {} 中没有 {FAMILY}", path.display()))?;
        let font = krilla::text::Font::new(data.clone().into(), index)
            .ok_or_else(|| format!("字体 {} 无法使用", path.display()))?;
        let mut face = Face { font, advances: HashMap::new(), data, index };
        // The characters of every report's fixed text and digits, measured once.
        for c in (' '..='~').chain("一二三四五六七八九十年月日第页共，。、；：（）《》".chars())
        {
            let a = face.lookup(c);
            face.advances.insert(c, a);
        }
        Ok(face)
    }

    fn lookup(&self, c: char) -> f32 {
        let Ok(f) = FontRef::from_index(&self.data, self.index) else { return 1.0 };
        let upem = f.metrics(skrifa::instance::Size::unscaled(), skrifa::instance::LocationRef::default()).units_per_em;
        let upem = if upem == 0 { 1000.0 } else { f32::from(upem) };
        let metrics = f.glyph_metrics(skrifa::instance::Size::unscaled(), skrifa::instance::LocationRef::default());
        f.charmap().map(c).and_then(|g| metrics.advance_width(g)).map_or(1.0, |w| w / upem)
    }

    /// The width of `text` at `size` points (advances summed; no kerning).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| match self.advances.get(&c) {
                Some(a) => *a,
                None if is_wide(c) => 1.0,
                None => self.lookup(c),
            })
            .sum::<f32>()
            * size
    }
}

/// Ideographs and full-width forms: one em in Noto CJK.
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF01..=0xFF60)
}

/// The position in a font file (or collection) of the face of `family`.
pub fn family_index(data: &[u8], family: &str) -> Option<u32> {
    let faces: Vec<FontRef> = match FileRef::new(data).ok()? {
        FileRef::Font(f) => vec![f],
        FileRef::Collection(c) => c.iter().filter_map(Result::ok).collect(),
    };
    faces
        .iter()
        .position(|f| f.localized_strings(StringId::FAMILY_NAME).any(|s| s.chars().eq(family.chars())))
        .map(|i| i as u32)
}

/// The regular and bold faces.
pub struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

impl Fonts {
    /// Loads the faces from `dir` (`NotoSansCJK-Regular.ttc`, `-Bold.ttc`).
    pub fn load(dir: &Path) -> Result<Fonts, String> {
        Ok(Fonts {
            regular: Face::load(&dir.join("NotoSansCJK-Regular.ttc"))?,
            bold: Face::load(&dir.join("NotoSansCJK-Bold.ttc"))?,
        })
    }

    /// The directory: `XINJIAO_FONT_DIR`, else Debian's.
    pub fn dir() -> PathBuf {
        std::env::var_os(FONT_DIR_ENV).map_or_else(|| PathBuf::from(DEFAULT_FONT_DIR), PathBuf::from)
    }

    /// The faces, loaded once per process (the collections are large).
    pub fn shared() -> Result<&'static Fonts, String> {
        static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
        FONTS.get_or_init(|| Fonts::load(&Fonts::dir())).as_ref().map_err(Clone::clone)
    }
}
