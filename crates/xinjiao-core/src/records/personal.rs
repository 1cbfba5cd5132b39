//! Personal data in records: which fields are personal as a whole, and the
//! ID-card, mobile and bank-card numbers found inside any other text, from
//! `rules/personal-data.toml`. Public views mask both; uploads warn the clerk
//! when a free-text field carries such a number.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::Diagnostic;
use crate::records::fields::{FieldDef, RecordKind, ValueKind};

/// The embedded rule file.
pub const EMBEDDED: &str = include_str!("../../../../rules/personal-data.toml");

/// What kind of number was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalKind {
    IdCard,
    Mobile,
    BankCard,
}

impl PersonalKind {
    pub fn label(self) -> &'static str {
        match self {
            PersonalKind::IdCard => "身份证号码",
            PersonalKind::Mobile => "手机号码",
            PersonalKind::BankCard => "银行卡号",
        }
    }
}

/// Whether a kind of number is looked for, and how many digits stay visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detector {
    pub enabled: bool,
    pub keep_start: usize,
    pub keep_end: usize,
}

/// A number found in a text: its byte range and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub kind: PersonalKind,
}

/// The rule file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDataRules {
    pub version: i64,
    pub source: String,
    pub personal_fields: Vec<String>,
    pub exempt_fields: Vec<String>,
    pub id_card: Detector,
    pub mobile: Detector,
    pub bank_card: Detector,
}

impl PersonalDataRules {
    /// The embedded rules (parsed once).
    pub fn embedded() -> &'static PersonalDataRules {
        static RULES: OnceLock<PersonalDataRules> = OnceLock::new();
        RULES.get_or_init(|| PersonalDataRules::parse(EMBEDDED).expect("embedded personal-data rules are valid"))
    }

    pub fn parse(text: &str) -> Result<PersonalDataRules, String> {
        let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let list = |key: &str| -> Result<Vec<String>, String> {
            let codes: Vec<String> = t
                .get(key)
                .and_then(toml::Value::as_array)
                .ok_or_else(|| format!("缺少 {key}"))?
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("{key} 中应为字段代码")))
                .collect::<Result<_, _>>()?;
            for c in &codes {
                if RecordKind::Penalty.field(c).is_none() && RecordKind::License.field(c).is_none() {
                    return Err(format!("{key} 中的 {c} 不是数据标准的字段代码"));
                }
            }
            Ok(codes)
        };
        let detector = |name: &str| -> Result<Detector, String> {
            let d = t
                .get("detect")
                .and_then(|d| d.get(name))
                .and_then(toml::Value::as_table)
                .ok_or_else(|| format!("缺少 [detect.{name}]"))?;
            let num = |k: &str| {
                d.get(k)
                    .and_then(toml::Value::as_integer)
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n <= 8)
                    .ok_or_else(|| format!("[detect.{name}] 的 {k} 应为 0 到 8"))
            };
            Ok(Detector {
                enabled: d.get("enabled").and_then(toml::Value::as_bool).unwrap_or(true),
                keep_start: num("keep_start")?,
                keep_end: num("keep_end")?,
            })
        };
        Ok(PersonalDataRules {
            version: t.get("version").and_then(toml::Value::as_integer).unwrap_or(0),
            source: t.get("source").and_then(toml::Value::as_str).unwrap_or("").to_string(),
            personal_fields: list("personal_fields")?,
            exempt_fields: list("exempt_fields")?,
            id_card: detector("id_card")?,
            mobile: detector("mobile")?,
            bank_card: detector("bank_card")?,
        })
    }

    /// Whether the field holds personal data as a whole.
    pub fn is_personal(&self, code: &str) -> bool {
        self.personal_fields.iter().any(|c| c == code)
    }

    /// Whether the field's text is scanned for numbers.
    pub fn scans(&self, def: &FieldDef) -> bool {
        matches!(def.kind, ValueKind::Text | ValueKind::Code)
            && !self.is_personal(def.code)
            && !self.exempt_fields.iter().any(|c| c == def.code)
    }

    fn detector(&self, kind: PersonalKind) -> &Detector {
        match kind {
            PersonalKind::IdCard => &self.id_card,
            PersonalKind::Mobile => &self.mobile,
            PersonalKind::BankCard => &self.bank_card,
        }
    }

    /// The numbers in `text`, in order.
    pub fn find(&self, text: &str) -> Vec<Found> {
        scan(text, self).into_iter().map(|m| m.found).collect()
    }

    /// `text` with every number found masked (separators kept).
    pub fn mask_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let matches = scan(text, self);
        if matches.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in matches {
            out.push_str(&text[last..m.found.start]);
            let d = self.detector(m.found.kind);
            let keep_start = d.keep_start + m.prefix_digits;
            let n = m.digit_positions.len();
            for (pos, c) in text[m.found.start..m.found.end].char_indices() {
                let at = m.found.start + pos;
                match m.digit_positions.iter().position(|p| *p == at) {
                    Some(k) if k >= keep_start && k + d.keep_end < n => out.push('*'),
                    _ => out.push(c),
                }
            }
            last = m.found.end;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// A field's value as the public sees it: personal fields masked whole,
    /// scanned fields with their numbers masked, others as they are.
    pub fn mask_field<'a>(&self, def: &FieldDef, value: &'a str) -> Cow<'a, str> {
        if self.is_personal(def.code) {
            Cow::Owned(crate::records::ids::mask_middle(value, 4, 4))
        } else if self.scans(def) {
            self.mask_text(value)
        } else {
            Cow::Borrowed(value)
        }
    }

    /// Warnings for the clerk: a scanned field carries a personal number.
    /// They do not reject the row; the number is masked when published.
    pub fn warnings(&self, kind: RecordKind, values: &crate::FieldValues) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        // Only the few fields with enough digits are looked up (in catalogue order).
        let suspects: Vec<&str> = values.iter().filter(|(_, v)| may_hold_number(v)).map(|(k, _)| *k).collect();
        if suspects.is_empty() {
            return out;
        }
        for def in kind.fields().iter().filter(|d| suspects.contains(&d.code)) {
            let Some(v) = values.get(def.code) else { continue };
            if !self.scans(def) {
                continue;
            }
            let found = self.find(v);
            if let Some(first) = found.first() {
                let masked = self.mask_text(&v[first.start..first.end]).into_owned();
                out.push(Diagnostic::new(
                    def.code,
                    "personal.in_text",
                    format!(
                        "「{}」中有疑似{}（{masked}）{}，公开时将自动遮蔽；如非必要，请从该字段删除",
                        def.name,
                        first.kind.label(),
                        if found.len() > 1 { format!("等{}处个人信息", found.len()) } else { String::new() }
                    ),
                ));
            }
        }
        out
    }
}

struct Match {
    found: Found,
    /// Byte offsets of the digits (and a final X) of the number.
    digit_positions: Vec<usize>,
    /// Digits of a country prefix (86) before a mobile number.
    prefix_digits: usize,
}

fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8),
        '０'..='９' => Some(b'0' + (c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

fn is_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{3000}' | '－')
}

fn valid_date(y: &[u8], m: &[u8], d: &[u8]) -> bool {
    let num = |s: &[u8]| std::str::from_utf8(s).ok().and_then(|s| s.parse::<i16>().ok());
    match (num(y), num(m), num(d)) {
        (Some(y), Some(m), Some(d)) => {
            (1900..=2099).contains(&y)
                && i8::try_from(m).is_ok_and(|m| i8::try_from(d).is_ok_and(|d| jiff::civil::Date::new(y, m, d).is_ok()))
        }
        _ => false,
    }
}

fn is_id18(d: &[u8]) -> bool {
    d.len() == 18
        && (b'1'..=b'8').contains(&d[0])
        && d[..17].iter().all(u8::is_ascii_digit)
        && valid_date(&d[6..10], &d[10..12], &d[12..14])
        && crate::records::ids::id_card_check_char(&d[..17]) == Some(d[17] as char)
}

fn is_id15(d: &[u8]) -> bool {
    d.len() == 15 && (b'1'..=b'8').contains(&d[0]) && {
        let year = [b'1', b'9', d[6], d[7]];
        valid_date(&year, &d[8..10], &d[10..12])
    }
}

fn is_mobile(d: &[u8]) -> bool {
    d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1])
}

fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0');
            if i % 2 == 1 { if v * 2 > 9 { v * 2 - 9 } else { v * 2 } } else { v }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_bank_card(d: &[u8]) -> bool {
    (16..=19).contains(&d.len()) && (b'3'..=b'6').contains(&d[0]) && luhn(d)
}

/// What a run of digits is, if anything: the kind and the digits of a prefix.
fn classify(d: &[u8], rules: &PersonalDataRules) -> Option<(PersonalKind, usize)> {
    if rules.id_card.enabled && (is_id18(d) || is_id15(d)) {
        return Some((PersonalKind::IdCard, 0));
    }
    if rules.mobile.enabled {
        if is_mobile(d) {
            return Some((PersonalKind::Mobile, 0));
        }
        if d.len() == 13 && d.starts_with(b"86") && is_mobile(&d[2..]) {
            return Some((PersonalKind::Mobile, 2));
        }
    }
    if rules.bank_card.enabled && is_bank_card(d) {
        return Some((PersonalKind::BankCard, 0));
    }
    None
}

/// Groups of consecutive digits: (byte offsets of their digits, byte offset after the group).
fn digit_groups(text: &str) -> Vec<(Vec<usize>, Vec<u8>, usize)> {
    let mut groups: Vec<(Vec<usize>, Vec<u8>, usize)> = Vec::new();
    let mut current: Option<(Vec<usize>, Vec<u8>, usize)> = None;
    for (pos, c) in text.char_indices() {
        match digit(c) {
            Some(b) => {
                let g = current.get_or_insert_with(|| (Vec::new(), Vec::new(), pos));
                g.0.push(pos);
                g.1.push(b);
                g.2 = pos + c.len_utf8();
            }
            None => {
                if let Some(g) = current.take() {
                    groups.push(g);
                }
            }
        }
    }
    if let Some(g) = current.take() {
        groups.push(g);
    }
    groups
}

/// Whether `text` may hold a number worth scanning for: at least 11 digits
/// (the shortest number looked for), or full-width characters (whose
/// digits take three bytes). Most fields of most rows stop here.
fn may_hold_number(text: &str) -> bool {
    let mut digits = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            digits += 1;
            if digits >= 11 {
                return true;
            }
        } else if b == 0xEF {
            return true;
        }
    }
    false
}

fn scan(text: &str, rules: &PersonalDataRules) -> Vec<Match> {
    const MAX_GROUPS: usize = 6;
    if !may_hold_number(text) {
        return Vec::new();
    }
    let groups = digit_groups(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < groups.len() {
        // Groups joined by exactly one separator, as far as they go.
        let mut last = i;
        while last + 1 < groups.len() && last + 1 - i < MAX_GROUPS {
            let gap = &text[groups[last].2..groups[last + 1].0[0]];
            if gap.chars().count() == 1 && gap.chars().all(is_separator) {
                last += 1;
            } else {
                break;
            }
        }
        let mut matched = None;
        'spans: for j in (i..=last).rev() {
            let mut digits: Vec<u8> = Vec::new();
            let mut positions: Vec<usize> = Vec::new();
            for g in &groups[i..=j] {
                digits.extend_from_slice(&g.1);
                positions.extend_from_slice(&g.0);
            }
            let end = groups[j].2;
            // An ID card number may end in X.
            if let Some(c) = text[end..].chars().next()
                && is_x(c)
                && digits.len() == 17
            {
                let mut with_x = digits.clone();
                with_x.push(b'X');
                if rules.id_card.enabled && is_id18(&with_x) {
                    let mut pos = positions.clone();
                    pos.push(end);
                    let found = Found { start: positions[0], end: end + c.len_utf8(), kind: PersonalKind::IdCard };
                    matched = Some((j, Match { found, digit_positions: pos, prefix_digits: 0 }));
                    break 'spans;
                }
            }
            if let Some((kind, prefix)) = classify(&digits, rules) {
                let found = Found { start: positions[0], end, kind };
                matched = Some((j, Match { found, digit_positions: positions, prefix_digits: prefix }));
                break 'spans;
            }
        }
        match matched {
            Some((j, m)) => {
                out.push(m);
                i = j + 1;
            }
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> &'static PersonalDataRules {
        PersonalDataRules::embedded()
    }

    fn id18(first17: &str) -> String {
        format!("{first17}{}", crate::records::ids::id_card_check_char(first17.as_bytes()).unwrap())
    }

    #[test]
    fn embedded_rules_name_catalogue_fields() {
        let r = rules();
        assert!(r.is_personal("CF_XDR_ZJHM"));
        assert!(!r.is_personal("CF_SY"));
        assert!(r.scans(RecordKind::Penalty.field("CF_SY").unwrap()));
        assert!(r.scans(RecordKind::Penalty.field("BZ").unwrap()));
        assert!(!r.scans(RecordKind::Penalty.field("CF_XDR_SHXYM").unwrap()));
        assert!(!r.scans(RecordKind::Penalty.field("CF_JDRQ").unwrap()));
        let bad = EMBEDDED.replace("\"CF_FR_ZJHM\"", "\"CF_NOPE\"");
        assert!(PersonalDataRules::parse(&bad).unwrap_err().contains("CF_NOPE"));
    }

    #[test]
    fn ids_phones_and_cards_in_text_are_masked() {
        let id = id18("44052419800101001");
        let cases = [
            (
                format!("当事人身份证{id}，已处罚"),
                format!("当事人身份证{}，已处罚", crate::records::ids::mask_middle(&id, 4, 4)),
            ),
            ("联系电话13800138000。".to_string(), "联系电话138****8000。".to_string()),
            ("电话：138-0013-8000".to_string(), "电话：138-****-8000".to_string()),
            ("电话 +86 13800138000".to_string(), "电话 +86 138****8000".to_string()),
            ("手机８６１３８００１３８０００".to_string(), "手机８６１３８****８０００".to_string()),
            ("卡号6222 0202 0000 0000 006".to_string(), "卡号6222 **** **** ***0 006".to_string()),
            ("旧证440524800101001".to_string(), "旧证4405*******1001".to_string()),
        ];
        for (text, want) in cases {
            assert_eq!(rules().mask_text(&text), want, "{text}");
        }
    }

    #[test]
    fn ids_ending_in_x() {
        // Find a body whose check character is X.
        let body = (0..1000)
            .map(|n| format!("44052419800101{n:03}"))
            .find(|b| crate::records::ids::id_card_check_char(b.as_bytes()) == Some('X'))
            .unwrap();
        for x in ["X", "x", "Ｘ"] {
            let text = format!("证件{body}{x}号");
            let f = rules().find(&text);
            assert_eq!(f.len(), 1, "{text}");
            assert_eq!(f[0].kind, PersonalKind::IdCard);
            assert_eq!(&text[f[0].start..f[0].end], format!("{body}{x}"));
            assert!(!rules().mask_text(&text).contains(&body));
        }
    }

    #[test]
    fn ordinary_numbers_stay() {
        for text in [
            "罚款20100元",
            "河交罚〔2024〕12号",
            "2024-05-28",
            "道路运输证号441600123456",
            "91441600MA4UXXXX",
            "电话0762-3388123",
            "440524198001010015",  // wrong check digit
            "12800138000",         // not a mobile prefix
            "6222020200000000007", // fails Luhn
        ] {
            assert_eq!(rules().mask_text(text), text, "{text}");
        }
    }

    #[test]
    fn warnings_name_the_field_and_mask_the_number() {
        let mut values = crate::FieldValues::new();
        values.insert("CF_SY", "当事人电话13800138000、13900139000".to_string());
        values.insert("CF_XDR_ZJHM", id18("44052419800101001"));
        let w = rules().warnings(RecordKind::Penalty, &values);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].field, w[0].code), ("CF_SY", "personal.in_text"));
        assert!(w[0].message.contains("138****8000") && w[0].message.contains("等2处"), "{}", w[0].message);
        assert!(!w[0].message.contains("13800138000"));
    }

    proptest! {
        #[test]
        fn any_valid_id_in_any_text_is_masked(
            region in 110000u32..820000,
            y in 1900i16..2026, m in 1i8..=12, d in 1i8..=28, seq in 0u32..1000,
            before in "[^0-9０-９]{0,8}", after in "[^0-9０-９XxＸｘ]{0,8}",
        ) {
            let id = id18(&format!("{region}{y:04}{m:02}{d:02}{seq:03}"));
            let text = format!("{before}{id}{after}");
            let masked = rules().mask_text(&text);
            prop_assert!(!masked.contains(&id));
            prop_assert!(!masked.contains(&id[4..14]));
        }

        #[test]
        fn any_mobile_is_masked(p in 3u8..=9, rest in 0u64..1_000_000_000, sep in prop::sample::select(vec!["", " ", "-"])) {
            let n = format!("1{p}{rest:09}");
            let text = format!("电话{}{sep}{}{sep}{}。", &n[..3], &n[3..7], &n[7..]);
            let masked = rules().mask_text(&text).into_owned();
            prop_assert!(!masked.replace([' ', '-'], "").contains(&n), "{}", masked);
        }

        #[test]
        fn masking_never_panics_and_keeps_length(text in "\\PC{0,64}") {
            let masked = rules().mask_text(&text);
            prop_assert_eq!(masked.chars().count(), text.chars().count());
        }
    }
}
