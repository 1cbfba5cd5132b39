//! Identifiers with check digits: the unified social credit code (GB 32100-2015),
//! the organisation code embedded in it (GB 11714) and the resident ID-card number
//! (GB 11643-1999). Each type can only be built by `parse`, so holding one means
//! the check digit was verified.

use std::fmt;

use jiff::civil::Date;

/// The 31 characters a unified social credit code may use (no I, O, Z, S, V).
pub const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..=17 of a USCC: 3^(i-1) mod 31.
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Why an identifier was rejected. Each variant has a stable machine code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// Wrong length or a character outside the allowed set.
    Format,
    /// The check character does not match.
    CheckDigit { expected: char },
    /// The embedded organisation code fails its own check (USCC only).
    EmbeddedOrgCode,
    /// Registration department / category pair not in the GB 32100 table (USCC only).
    Category,
    /// The birth date is not a real date, is before 1900 or after `today` (ID card only).
    BirthDate,
}

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// Computes the GB 32100 check character of the first 17 characters.
/// Returns `None` if a character is outside the charset.
pub fn uscc_check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        sum += uscc_value(*c)? * w;
    }
    let v = (31 - sum % 31) % 31;
    Some(USCC_CHARSET[v as usize] as char)
}

/// Computes the GB 11714 check character of the first 8 characters of an organisation code.
pub fn org_check_char(first8: &[u8]) -> Option<char> {
    if first8.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first8.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        v => char::from(b'0' + v as u8),
    })
}

/// Computes the GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits.
pub fn id_card_check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(ID_WEIGHTS) {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * w;
    }
    Some(ID_CHECK[(sum % 11) as usize] as char)
}

/// Registration departments (position 1) and the category codes (position 2)
/// they allow, from the GB 32100 code table.
fn uscc_category_ok(dept: u8, cat: u8) -> bool {
    let allowed: &[u8] = match dept {
        b'1' => b"1239",
        b'2' => b"19",
        b'3' => b"123459",
        b'4' => b"19",
        b'5' => b"1239",
        b'6' => b"129",
        b'7' => b"129",
        b'8' => b"19",
        b'9' => b"123",
        b'A' => b"19",
        b'N' => b"1239",
        b'Y' => b"1",
        _ => return false,
    };
    allowed.contains(&cat)
}

/// A verified 9-character organisation code (组织机构代码), stored without hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode(String);

impl OrgCode {
    /// Parses an organisation code; a hyphen before the check character is accepted.
    pub fn parse(s: &str) -> Result<OrgCode, IdError> {
        let s: String = s.chars().filter(|&c| c != '-').collect();
        let b = s.as_bytes();
        if b.len() != 9 || !b.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
            return Err(IdError::Format);
        }
        let expected = org_check_char(&b[..8]).ok_or(IdError::Format)?;
        if b[8] as char != expected {
            return Err(IdError::CheckDigit { expected });
        }
        Ok(OrgCode(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A verified unified social credit code (统一社会信用代码).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

impl Uscc {
    /// Parses an 18-character code: charset, department/category table, the
    /// embedded organisation code and the final check character.
    pub fn parse(s: &str) -> Result<Uscc, IdError> {
        let b = s.as_bytes();
        if b.len() != 18 || !b.iter().all(|c| USCC_CHARSET.contains(c)) {
            return Err(IdError::Format);
        }
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(IdError::Format);
        }
        let expected = uscc_check_char(&b[..17]).ok_or(IdError::Format)?;
        if b[17] as char != expected {
            return Err(IdError::CheckDigit { expected });
        }
        if !uscc_category_ok(b[0], b[1]) {
            return Err(IdError::Category);
        }
        if OrgCode::parse(&s[8..17]).is_err() {
            return Err(IdError::EmbeddedOrgCode);
        }
        Ok(Uscc(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The organisation code in positions 9–17.
    pub fn org_code(&self) -> &str {
        &self.0[8..17]
    }
    /// Registration department code (position 1), e.g. `9` for market regulation.
    pub fn department(&self) -> char {
        self.0.as_bytes()[0] as char
    }
    /// True for codes issued to individual businesses (`92…`).
    pub fn is_individual_business(&self) -> bool {
        self.0.starts_with("92")
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A verified 18-digit resident ID-card number (居民身份证号码).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdCardNo(String);

impl IdCardNo {
    /// Parses an ID-card number; the birth date must be real, from 1900 on and not after `today`.
    pub fn parse(s: &str, today: Date) -> Result<IdCardNo, IdError> {
        let b = s.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdError::Format);
        }
        let num = |r: std::ops::Range<usize>| s[r].parse::<i16>().unwrap_or(0);
        let (y, m, d) = (num(6..10), num(10..12) as i8, num(12..14) as i8);
        match Date::new(y, m, d) {
            Ok(birth) if y >= 1900 && birth <= today => {}
            _ => return Err(IdError::BirthDate),
        }
        let expected = id_card_check_char(&b[..17]).ok_or(IdError::Format)?;
        if b[17] as char != expected {
            return Err(IdError::CheckDigit { expected });
        }
        Ok(IdCardNo(s.to_owned()))
    }
    /// The full number. Callers that show it to the public must use [`IdCardNo::masked`].
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The masked form used on every public page: first 4 and last 4 characters kept.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 4, 4)
    }
}

impl fmt::Debug for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

/// Replaces all but the first `keep_start` and last `keep_end` characters by `*`.
/// Strings too short to keep anything are masked completely.
pub fn mask_middle(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(s.len());
    out.extend(&chars[..keep_start]);
    out.extend(std::iter::repeat_n('*', chars.len() - keep_start - keep_end));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        Date::new(2026, 11, 27).unwrap()
    }

    #[test]
    fn uscc_reference_vectors() {
        for ok in [
            "91350100M000100Y43",
            "91110108551385082Q",
            "91110000600037341L",
            "91230500MA1B3N1N2M",
            "11230500001755309F",
        ] {
            let code = Uscc::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
            assert_eq!(code.as_str(), ok);
        }
        assert_eq!(Uscc::parse("91110000100000000X"), Err(IdError::CheckDigit { expected: 'R' }));
        assert!(Uscc::parse("00000000000000000X").is_err());
        assert_eq!(Uscc::parse("9135010"), Err(IdError::Format));
        assert_eq!(Uscc::parse("91350100M000100I43"), Err(IdError::Format));
        assert_eq!(Uscc::parse("91350100M000100Y43").unwrap().org_code(), "M000100Y4");
    }

    #[test]
    fn org_code_vectors() {
        assert!(OrgCode::parse("M000100Y4").is_ok());
        assert!(OrgCode::parse("M000100Y-4").is_ok());
        assert!(OrgCode::parse("001755309").is_ok());
        assert!(matches!(OrgCode::parse("001755308"), Err(IdError::CheckDigit { .. })));
    }

    #[test]
    fn id_card_vectors() {
        assert!(IdCardNo::parse("11010519491231002X", today()).is_ok());
        assert!(IdCardNo::parse("440524188001010014", today()).is_err(), "born 1880");
        assert_eq!(IdCardNo::parse("110105194912310021", today()), Err(IdError::CheckDigit { expected: 'X' }));
        assert_eq!(IdCardNo::parse("110105194902300021", today()), Err(IdError::BirthDate));
        assert_eq!(IdCardNo::parse("11010519491231002X", Date::new(1949, 12, 30).unwrap()), Err(IdError::BirthDate));
        let id = IdCardNo::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn mask_short_strings() {
        assert_eq!(mask_middle("12345678", 4, 4), "********");
        assert_eq!(mask_middle("123456789", 4, 4), "1234*6789");
    }

    fn uscc_body() -> impl Strategy<Value = String> {
        let dept_cat = prop::sample::select(vec![
            "11", "12", "13", "19", "21", "31", "35", "51", "52", "53", "61", "71", "81", "91", "92", "93", "A1", "N1",
            "N3", "Y1",
        ]);
        let org = prop::collection::vec(prop::sample::select(b"0123456789ABCDEFGHJKLMNPQRTUWXY".to_vec()), 8);
        (dept_cat, 0u32..1_000_000, org).prop_map(|(dc, div, org)| {
            let org8 = String::from_utf8(org).unwrap();
            let org9 = format!("{org8}{}", org_check_char(org8.as_bytes()).unwrap());
            format!("{dc}{div:06}{org9}")
        })
    }

    proptest! {
        #[test]
        fn random_valid_uscc_parses(body in uscc_body()) {
            let code = format!("{body}{}", uscc_check_char(body.as_bytes()).unwrap());
            // An org code whose check character is X or 0 may still be outside the
            // USCC charset in theory; X and 0 are both in it, so every body is valid.
            prop_assert!(Uscc::parse(&code).is_ok(), "{}", code);
        }

        #[test]
        fn single_char_corruption_of_uscc_is_rejected(
            body in uscc_body(),
            pos in 0usize..18,
            repl in prop::sample::select(b"0123456789ABCDEFGHJKLMNPQRTUWXY".to_vec()),
        ) {
            let code = format!("{body}{}", uscc_check_char(body.as_bytes()).unwrap());
            let mut bytes = code.clone().into_bytes();
            prop_assume!(bytes[pos] != repl);
            bytes[pos] = repl;
            let bad = String::from_utf8(bytes).unwrap();
            prop_assert!(Uscc::parse(&bad).is_err(), "{} accepted", bad);
        }

        #[test]
        fn random_valid_id_card_parses(
            area in 110000u32..660000,
            days in 0i32..40000,
            seq in 0u32..1000,
        ) {
            let birth = Date::new(1910, 1, 1).unwrap().checked_add(jiff::Span::new().days(days)).unwrap();
            prop_assume!(birth <= today());
            let first = format!("{area}{}{seq:03}", birth.strftime("%Y%m%d"));
            let id = format!("{first}{}", id_card_check_char(first.as_bytes()).unwrap());
            prop_assert!(IdCardNo::parse(&id, today()).is_ok(), "{}", id);
        }

        #[test]
        fn single_digit_corruption_of_id_card_is_rejected(
            area in 110000u32..660000,
            days in 0i32..40000,
            seq in 0u32..1000,
            pos in 0usize..18,
            repl in prop::sample::select(b"0123456789X".to_vec()),
        ) {
            let birth = Date::new(1910, 1, 1).unwrap().checked_add(jiff::Span::new().days(days)).unwrap();
            prop_assume!(birth <= today());
            let first = format!("{area}{}{seq:03}", birth.strftime("%Y%m%d"));
            let id = format!("{first}{}", id_card_check_char(first.as_bytes()).unwrap());
            let mut bytes = id.into_bytes();
            prop_assume!(bytes[pos] != repl);
            bytes[pos] = repl;
            let bad = String::from_utf8(bytes).unwrap();
            prop_assert!(IdCardNo::parse(&bad, today()).is_err(), "{} accepted", bad);
        }

        #[test]
        fn single_char_corruption_of_org_code_is_rejected(
            org in prop::collection::vec(prop::sample::select(b"0123456789ABCDEFGHJKLMNPQRTUWXY".to_vec()), 8),
            pos in 0usize..9,
            repl in prop::sample::select(b"0123456789ABCDEFGHJKLMNPQRTUWXY".to_vec()),
        ) {
            let org8 = String::from_utf8(org).unwrap();
            let code = format!("{org8}{}", org_check_char(org8.as_bytes()).unwrap());
            prop_assert!(OrgCode::parse(&code).is_ok());
            let mut bytes = code.into_bytes();
            prop_assume!(bytes[pos] != repl);
            // GB 11714 is weak on letters: values 0..=35 modulo 11 collide when they
            // differ by a multiple of 11 (e.g. 0 and B). Those substitutions are not
            // detectable by the org code alone (the USCC check still catches them).
            let value = |c: u8| if c.is_ascii_digit() { i32::from(c - b'0') } else { i32::from(c - b'A') + 10 };
            prop_assume!(pos == 8 || (value(bytes[pos]) - value(repl)) % 11 != 0);
            bytes[pos] = repl;
            let bad = String::from_utf8(bytes).unwrap();
            prop_assert!(OrgCode::parse(&bad).is_err(), "{} accepted", bad);
        }
    }
}
