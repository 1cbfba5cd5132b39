//! Reporting periods: months, quarters and years, as the dashboard and the
//! monthly report count them. A month is the unit every count is kept in;
//! quarters and years are sums of months.

use std::fmt;

use jiff::civil::Date;

/// A calendar month (`2026-10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i16,
    /// 1–12.
    pub month: i8,
}

impl Month {
    pub fn new(year: i16, month: i8) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=2999).contains(&year)).then_some(Month { year, month })
    }
    pub fn of(date: Date) -> Month {
        Month { year: date.year(), month: date.month() }
    }
    /// `2026-10`, `2026-1` or `2026年10月`.
    pub fn parse(s: &str) -> Option<Month> {
        let s = s.trim().trim_end_matches('月');
        let (y, m) = s.split_once(['-', '/', '年', '.'])?;
        Month::new(y.trim().parse().ok()?, m.trim().parse().ok()?)
    }
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).expect("valid month")
    }
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }
    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { month: self.month + 1, ..self } }
    }
    pub fn prev(self) -> Month {
        if self.month == 1 { Month { year: self.year - 1, month: 12 } } else { Month { month: self.month - 1, ..self } }
    }
    pub fn quarter(self) -> i8 {
        (self.month - 1) / 3 + 1
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Which length of period the dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub fn parse(s: &str) -> Option<PeriodKind> {
        match s {
            "month" => Some(PeriodKind::Month),
            "quarter" => Some(PeriodKind::Quarter),
            "year" => Some(PeriodKind::Year),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::Month => "月度",
            PeriodKind::Quarter => "季度",
            PeriodKind::Year => "年度",
        }
    }
}

/// A month, quarter or year: a contiguous range of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    /// The first month.
    pub start: Month,
}

impl Period {
    /// The period of `kind` that contains `month`.
    pub fn containing(kind: PeriodKind, month: Month) -> Period {
        let start = match kind {
            PeriodKind::Month => month,
            PeriodKind::Quarter => Month { month: (month.quarter() - 1) * 3 + 1, ..month },
            PeriodKind::Year => Month { month: 1, ..month },
        };
        Period { kind, start }
    }
    pub fn n_months(self) -> usize {
        match self.kind {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
        }
    }
    pub fn months(self) -> impl Iterator<Item = Month> {
        std::iter::successors(Some(self.start), |m| Some(m.next())).take(self.n_months())
    }
    pub fn last_month(self) -> Month {
        self.months().last().expect("a period has months")
    }
    pub fn contains(self, m: Month) -> bool {
        self.start <= m && m <= self.last_month()
    }
    pub fn first_day(self) -> Date {
        self.start.first_day()
    }
    pub fn last_day(self) -> Date {
        self.last_month().last_day()
    }
    /// The period just before this one.
    pub fn prev(self) -> Period {
        let mut m = self.start;
        for _ in 0..self.n_months() {
            m = m.prev();
        }
        Period { kind: self.kind, start: m }
    }
    /// The `n` periods ending with this one, oldest first.
    pub fn trailing(self, n: usize) -> Vec<Period> {
        let mut out: Vec<Period> = std::iter::successors(Some(self), |p| Some(p.prev())).take(n).collect();
        out.reverse();
        out
    }
    /// `2026-10`, `2026 Q4`, `2026`: the form used in URLs (`at=`).
    pub fn key(self) -> String {
        match self.kind {
            PeriodKind::Month => self.start.to_string(),
            PeriodKind::Quarter => format!("{}-Q{}", self.start.year, self.start.quarter()),
            PeriodKind::Year => self.start.year.to_string(),
        }
    }
    /// `2026年10月`, `2026年第4季度`, `2026年`.
    pub fn label(self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{}年{}月", self.start.year, self.start.month),
            PeriodKind::Quarter => format!("{}年第{}季度", self.start.year, self.start.quarter()),
            PeriodKind::Year => format!("{}年", self.start.year),
        }
    }
    /// Parses [`Period::key`] forms; a bare month with a quarter or year kind
    /// selects the period containing it.
    pub fn parse(kind: PeriodKind, s: &str) -> Option<Period> {
        let s = s.trim();
        if let Some((y, q)) = s.split_once("-Q") {
            let q: i8 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            return Some(Period::containing(kind, Month::new(y.parse().ok()?, (q - 1) * 3 + 1)?));
        }
        if let Some(m) = Month::parse(s) {
            return Some(Period::containing(kind, m));
        }
        let y: i16 = s.parse().ok()?;
        Some(Period::containing(kind, Month::new(y, 1)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn months_and_periods() {
        let m = Month::parse("2026-10").unwrap();
        assert_eq!(m.to_string(), "2026-10");
        assert_eq!(Month::parse("2026年1月"), Month::new(2026, 1));
        assert_eq!(Month::parse("2026-13"), None);
        assert_eq!(m.last_day().to_string(), "2026-10-31");
        assert_eq!(Month::new(2024, 2).unwrap().last_day().to_string(), "2024-02-29");
        assert_eq!(Month::new(2026, 12).unwrap().next(), Month::new(2027, 1).unwrap());
        let q = Period::containing(PeriodKind::Quarter, m);
        assert_eq!((q.key(), q.label()), ("2026-Q4".to_string(), "2026年第4季度".to_string()));
        assert_eq!(q.first_day().to_string(), "2026-10-01");
        assert_eq!(q.last_day().to_string(), "2026-12-31");
        assert_eq!(q.prev().key(), "2026-Q3");
        assert_eq!(Period::parse(PeriodKind::Quarter, "2026-Q4"), Some(q));
        assert_eq!(Period::parse(PeriodKind::Quarter, "2026-11"), Some(q));
        let y = Period::parse(PeriodKind::Year, "2025").unwrap();
        assert_eq!((y.first_day().to_string(), y.last_day().to_string()), ("2025-01-01".into(), "2025-12-31".into()));
        assert_eq!(y.months().count(), 12);
        let t = Period::containing(PeriodKind::Month, Month::new(2026, 2).unwrap()).trailing(3);
        assert_eq!(t.iter().map(|p| p.key()).collect::<Vec<_>>(), ["2025-12", "2026-01", "2026-02"]);
    }

    proptest! {
        #[test]
        fn every_month_is_in_exactly_its_periods(y in 2000i16..2100, mo in 1i8..=12) {
            let m = Month::new(y, mo).unwrap();
            for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
                let p = Period::containing(kind, m);
                prop_assert!(p.contains(m));
                prop_assert!(!p.prev().contains(m));
                prop_assert_eq!(Period::parse(kind, &p.key()), Some(p));
                prop_assert_eq!(p.prev().last_month().next(), p.start);
            }
            prop_assert_eq!(m.next().prev(), m);
        }
    }
}
