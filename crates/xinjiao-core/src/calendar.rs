//! The official working-day calendar (工作日) as data: one file per year under
//! `rules/calendar/` (days off, weekend working days, the State Council
//! notice), embedded as defaults. A day is a working day if the year's file
//! lists it under `work`, or it is Monday–Friday and not listed under `off`.
//! A year without a file is computed on weekends alone, and every answer that
//! touched such a year is marked provisional.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};

/// The calendar files shipped with Xinjiao.
pub const EMBEDDED: &[&str] = &[
    include_str!("../../../rules/calendar/cn-2023.toml"),
    include_str!("../../../rules/calendar/cn-2024.toml"),
    include_str!("../../../rules/calendar/cn-2025.toml"),
    include_str!("../../../rules/calendar/cn-2026.toml"),
];

/// Festivals every year's notice must cover (a combined entry such as
/// "中秋节、国庆节" covers both).
const FESTIVALS: &[&str] = &["元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆"];

/// One year's official arrangement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCalendar {
    pub year: i16,
    pub notice_no: String,
    pub notice_date: String,
    pub source: String,
    pub off: BTreeSet<Date>,
    pub work: BTreeSet<Date>,
}

/// Why a calendar file was refused (Chinese message for the console and CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarError {
    pub code: &'static str,
    pub message: String,
}

fn cal_err(code: &'static str, message: impl Into<String>) -> CalendarError {
    CalendarError { code, message: message.into() }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn parse_dates(items: Option<&toml::Value>, field: &str, name: &str) -> Result<Vec<Date>, CalendarError> {
    let Some(items) = items else { return Ok(vec![]) };
    let arr =
        items.as_array().ok_or_else(|| cal_err("calendar.format", format!("「{name}」的 {field} 应为日期列表")))?;
    let mut out = Vec::new();
    for item in arr {
        let s =
            item.as_str().ok_or_else(|| cal_err("calendar.format", format!("「{name}」的 {field} 中有非文本的值")))?;
        let date = |t: &str| {
            t.trim().parse::<Date>().map_err(|_| {
                cal_err("calendar.date", format!("「{name}」的 {field} 中「{t}」不是有效日期（YYYY-MM-DD）"))
            })
        };
        match s.split_once("..") {
            Some((a, b)) => {
                let (a, b) = (date(a)?, date(b)?);
                if b < a {
                    return Err(cal_err("calendar.range", format!("「{name}」的区间 {s} 起止颠倒")));
                }
                let mut d = a;
                while d <= b {
                    out.push(d);
                    d = d.tomorrow().map_err(|_| cal_err("calendar.range", format!("区间 {s} 超出范围")))?;
                }
            }
            None => out.push(date(s)?),
        }
    }
    Ok(out)
}

impl YearCalendar {
    /// Parses and validates one year's file: dates inside the year, make-up
    /// working days on weekends, no day both off and working, every festival
    /// present.
    pub fn parse(text: &str) -> Result<YearCalendar, CalendarError> {
        let table: toml::Table =
            text.parse().map_err(|e| cal_err("calendar.format", format!("不是有效的 TOML：{e}")))?;
        let year = table
            .get("year")
            .and_then(toml::Value::as_integer)
            .and_then(|y| i16::try_from(y).ok())
            .filter(|y| (1949..=2099).contains(y))
            .ok_or_else(|| cal_err("calendar.year", "缺少有效的 year（如 2026）"))?;
        let text_field = |k: &str| table.get(k).and_then(toml::Value::as_str).unwrap_or("").to_string();
        let holidays = table
            .get("holidays")
            .and_then(toml::Value::as_array)
            .ok_or_else(|| cal_err("calendar.format", "缺少 [[holidays]] 节假日列表"))?;
        let mut cal = YearCalendar {
            year,
            notice_no: text_field("notice_no"),
            notice_date: text_field("notice_date"),
            source: text_field("source"),
            off: BTreeSet::new(),
            work: BTreeSet::new(),
        };
        let mut names = Vec::new();
        for h in holidays {
            let name = h.get("name").and_then(toml::Value::as_str).unwrap_or("").to_string();
            if name.is_empty() {
                return Err(cal_err("calendar.format", "每个节假日都需要 name"));
            }
            for d in parse_dates(h.get("off"), "off", &name)? {
                cal.off.insert(d);
            }
            for d in parse_dates(h.get("work"), "work", &name)? {
                if !is_weekend(d) {
                    return Err(cal_err("calendar.work_not_weekend", format!("「{name}」的调休上班日 {d} 不是周末")));
                }
                cal.work.insert(d);
            }
            names.push(name);
        }
        if let Some(d) = cal.off.iter().chain(cal.work.iter()).find(|d| d.year() != year) {
            return Err(cal_err("calendar.outside_year", format!("{d} 不在 {year} 年内")));
        }
        if let Some(d) = cal.off.intersection(&cal.work).next() {
            return Err(cal_err("calendar.both", format!("{d} 同时被列为放假和上班")));
        }
        let missing: Vec<&str> = FESTIVALS.iter().copied().filter(|f| !names.iter().any(|n| n.contains(f))).collect();
        if !missing.is_empty() {
            return Err(cal_err("calendar.incomplete", format!("{year} 年的安排缺少：{}", missing.join("、"))));
        }
        Ok(cal)
    }
}

/// An answer of the calendar, and whether it relied on a year without official data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer<T> {
    pub value: T,
    /// True if a year without an official calendar was involved (weekends only).
    pub provisional: bool,
}

/// The working-day calendar over all loaded years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i16, YearCalendar>,
}

impl Calendar {
    /// The calendar of the embedded files.
    pub fn embedded() -> Calendar {
        let mut cal = Calendar::default();
        for text in EMBEDDED {
            cal.insert(YearCalendar::parse(text).expect("embedded calendar files are valid"));
        }
        cal
    }

    /// Adds or replaces a year.
    pub fn insert(&mut self, year: YearCalendar) {
        self.years.insert(year.year, year);
    }

    pub fn year(&self, year: i16) -> Option<&YearCalendar> {
        self.years.get(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = &YearCalendar> {
        self.years.values()
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: Date) -> Answer<bool> {
        match self.years.get(&d.year()) {
            Some(y) => {
                Answer { value: y.work.contains(&d) || (!is_weekend(d) && !y.off.contains(&d)), provisional: false }
            }
            None => Answer { value: !is_weekend(d), provisional: true },
        }
    }

    /// The `n`-th working day after `d` (the day `d` itself is not counted);
    /// `n = 0` gives `d`.
    pub fn add_working_days(&self, d: Date, n: u32) -> Answer<Date> {
        let mut day = d;
        let mut left = n;
        let mut provisional = false;
        while left > 0 {
            day = day.tomorrow().expect("date within range");
            let a = self.is_working_day(day);
            provisional |= a.provisional;
            if a.value {
                left -= 1;
            }
        }
        Answer { value: day, provisional }
    }

    /// The number of working days after `a` up to and including `b` (0 if `b <= a`).
    pub fn working_days_between(&self, a: Date, b: Date) -> Answer<u32> {
        let mut n = 0;
        let mut provisional = false;
        let mut day = a;
        while day < b {
            day = day.tomorrow().expect("date within range");
            let w = self.is_working_day(day);
            provisional |= w.provisional;
            if w.value {
                n += 1;
            }
        }
        Answer { value: n, provisional }
    }
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
