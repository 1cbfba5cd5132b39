//! Text normalisation applied before parsing: full-width forms, spaces, letter case.
//! Free text (facts, content) is only trimmed; codes, dates, amounts and
//! enumerations are folded to half-width so that `９１３５…` and `（２０２４）` parse.

/// Folds full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space to
/// their half-width forms.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Trims white space, including the ideographic space and non-breaking spaces.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{FEFF}')
}

/// Normalises a code field (USCC, ID number, organisation code): half-width,
/// no white space, upper case.
pub fn normalize_code(s: &str) -> String {
    to_half_width(s).chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Normalises a decision number (文书号): trimmed, half-width letters, digits and
/// round brackets; other characters (e.g. 〔〕) are kept as written.
pub fn normalize_decision_no(s: &str) -> String {
    trim(s)
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The form in which names are indexed and searched: half-width, without white
/// space, Latin letters upper-cased. Search is "normalised query is a substring
/// of the normalised name".
pub fn normalize_for_search(s: &str) -> String {
    normalize_code(s)
}

/// Normalises a spreadsheet header for matching: half-width, no white space,
/// upper-case Latin letters.
pub fn normalize_header(s: &str) -> String {
    normalize_code(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width() {
        assert_eq!(to_half_width("９１３５０１００Ｍ０００１００Ｙ４３"), "91350100M000100Y43");
        assert_eq!(to_half_width("（万元）"), "(万元)");
        assert_eq!(to_half_width("河源　市"), "河源 市");
    }

    #[test]
    fn codes() {
        assert_eq!(normalize_code(" 91350100m000100y43 "), "91350100M000100Y43");
        assert_eq!(normalize_code("１１０１０５１９４９１２３１００２ｘ"), "11010519491231002X");
    }

    #[test]
    fn decision_numbers() {
        assert_eq!(normalize_decision_no(" 河交罚（２０２４）12号 "), "河交罚(2024)12号");
        assert_eq!(normalize_decision_no("河交罚〔2024〕12号"), "河交罚〔2024〕12号");
    }

    #[test]
    fn trimming() {
        assert_eq!(trim("\u{FEFF}\u{3000} 河源 \t"), "河源");
    }
}
