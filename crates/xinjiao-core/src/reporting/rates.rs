//! The three reporting rates the action plan holds every department to
//! (填报率、合格率、及时率, target 100 %). One definition each, here; the
//! dashboard shows the text of [`RateKind::definition`] beside every figure.
//! No official formula was found (rules-reference §3, unverified); these are
//! the definitions of issue 4.

use crate::reporting::period::{Month, Period};

/// Which rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKind {
    /// 填报率
    Fill,
    /// 合格率
    Pass,
    /// 及时率
    Timeliness,
}

impl RateKind {
    pub fn label(self) -> &'static str {
        match self {
            RateKind::Fill => "填报率",
            RateKind::Pass => "合格率",
            RateKind::Timeliness => "及时率",
        }
    }
    /// The definition shown beside the figure.
    pub fn definition(self) -> &'static str {
        match self {
            RateKind::Fill => "已报送记录数 ÷ 应报送记录数（部门按月申报的决定数）",
            RateKind::Pass => {
                "通过校验的行数 ÷ 提交的全部行数（含每次上传中被拒绝的行；更正后重新提交的行再计一次，与已有记录完全相同的行不计）"
            }
            RateKind::Timeliness => {
                "在公示期限（决定或印发日期后 7 个工作日，按国务院节假日安排）内公示的记录和文件数 ÷ 已公示的记录和文件数"
            }
        }
    }
}

/// A rate as a fraction; `None` when there is nothing to measure (0 ÷ 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
}

impl Rate {
    pub fn new(numerator: u64, denominator: u64) -> Rate {
        Rate { numerator, denominator }
    }
    /// Per mille, rounded down (so that 99.95 % never shows as 100 %), or
    /// `None` for 0 ÷ 0. A numerator above the denominator (more reported than
    /// declared) is capped at 1000.
    pub fn per_mille(self) -> Option<u32> {
        if self.denominator == 0 {
            return None;
        }
        let pm = (u128::from(self.numerator) * 1000 / u128::from(self.denominator)).min(1000);
        Some(pm as u32)
    }
    /// `99.9%`, or `—` when there is nothing to measure.
    pub fn display(self) -> String {
        match self.per_mille() {
            None => "—".to_string(),
            Some(pm) => format!("{}.{}%", pm / 10, pm % 10),
        }
    }
    /// Whether the rate meets the plan's target of 100 % (nothing to measure meets it).
    pub fn meets_target(self) -> bool {
        self.per_mille().is_none_or(|pm| pm == 1000)
    }
}

/// Counts for one department and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateCounts {
    /// Decisions the department declared for the period (应报送).
    pub due: u64,
    /// Records it reported (已报送).
    pub reported: u64,
    /// Rows submitted, rejected ones included.
    pub rows_submitted: u64,
    /// Rows that passed validation on their first submission.
    pub rows_first_pass: u64,
    /// Records made public.
    pub published: u64,
    /// Records made public on or before their deadline.
    pub published_on_time: u64,
    /// Months (per kind of record) with reported records but no declaration:
    /// a shortfall of its own, since nothing says how many were due.
    pub undeclared: u64,
}

impl std::ops::AddAssign for RateCounts {
    fn add_assign(&mut self, o: RateCounts) {
        self.due += o.due;
        self.reported += o.reported;
        self.rows_submitted += o.rows_submitted;
        self.rows_first_pass += o.rows_first_pass;
        self.published += o.published;
        self.published_on_time += o.published_on_time;
        self.undeclared += o.undeclared;
    }
}

impl RateCounts {
    pub fn rate(&self, kind: RateKind) -> Rate {
        match kind {
            RateKind::Fill => Rate::new(self.reported, self.due),
            RateKind::Pass => Rate::new(self.rows_first_pass, self.rows_submitted),
            RateKind::Timeliness => Rate::new(self.published_on_time, self.published),
        }
    }

    /// Whether the figure meets the target: the rate is 100 % and, for the
    /// fill rate, every month with records was declared.
    pub fn meets_target(&self, kind: RateKind) -> bool {
        self.rate(kind).meets_target() && (kind != RateKind::Fill || self.undeclared == 0)
    }

    /// Why a figure misses its target, in Chinese (`None` when it meets it):
    /// months not declared come first — a fill rate reads 100.0 % without them.
    pub fn shortfall(&self, kind: RateKind) -> Option<String> {
        if self.meets_target(kind) {
            return None;
        }
        let r = self.rate(kind);
        let missing = r.denominator.saturating_sub(r.numerator);
        Some(match kind {
            RateKind::Fill if self.undeclared > 0 => format!("{} 项未申报", self.undeclared),
            RateKind::Fill => format!("尚缺 {missing} 条"),
            RateKind::Pass => format!("{missing} 行未通过校验"),
            RateKind::Timeliness => format!("{missing} 条超期公示"),
        })
    }
}

/// The counts of one department (`None`: records not attributed to any) in one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthCounts {
    pub department_id: Option<i64>,
    pub month: Month,
    pub counts: RateCounts,
}

/// Sums month counts inside `period` by a grouping key (a department, its
/// division, or one key for the whole installation).
pub fn sum_by<K: Ord>(
    rows: &[MonthCounts],
    period: Period,
    key: impl Fn(Option<i64>) -> K,
) -> std::collections::BTreeMap<K, RateCounts> {
    let mut out = std::collections::BTreeMap::new();
    for r in rows.iter().filter(|r| period.contains(r.month)) {
        *out.entry(key(r.department_id)).or_default() += r.counts;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rates_by_hand() {
        let c = RateCounts {
            due: 40,
            reported: 38,
            rows_submitted: 45,
            rows_first_pass: 40,
            published: 38,
            published_on_time: 35,
            undeclared: 0,
        };
        assert_eq!(c.rate(RateKind::Fill).display(), "95.0%");
        assert_eq!(c.rate(RateKind::Pass).display(), "88.8%", "40/45 = 88.88…% rounds down");
        assert_eq!(c.rate(RateKind::Timeliness).display(), "92.1%");
        assert!(!c.rate(RateKind::Fill).meets_target());
        assert_eq!(Rate::new(0, 0).display(), "—");
        assert!(Rate::new(0, 0).meets_target());
        assert_eq!(Rate::new(1999, 2000).display(), "99.9%", "never rounds up to 100 %");
        assert_eq!(Rate::new(5, 4).per_mille(), Some(1000));
        assert!(Rate::new(7, 7).meets_target());
        for k in [RateKind::Fill, RateKind::Pass, RateKind::Timeliness] {
            assert!(!k.definition().is_empty() && !k.label().is_empty());
        }
    }

    #[test]
    fn sums_by_period_and_key() {
        let m = |mo| Month::new(2026, mo).unwrap();
        let c = |due, reported| RateCounts { due, reported, ..RateCounts::default() };
        let rows = [
            MonthCounts { department_id: Some(1), month: m(1), counts: c(10, 9) },
            MonthCounts { department_id: Some(1), month: m(2), counts: c(10, 10) },
            MonthCounts { department_id: Some(2), month: m(2), counts: c(5, 5) },
            MonthCounts { department_id: None, month: m(4), counts: c(0, 3) },
        ];
        let q1 = Period::containing(crate::reporting::period::PeriodKind::Quarter, m(2));
        let by_dept = sum_by(&rows, q1, |d| d);
        assert_eq!(by_dept[&Some(1)].rate(RateKind::Fill).display(), "95.0%");
        assert_eq!(by_dept.len(), 2, "April is outside Q1");
        let all = sum_by(&rows, q1, |_| ());
        assert_eq!(all[&()].rate(RateKind::Fill), Rate::new(24, 25));
        let undeclared = RateCounts { reported: 3, undeclared: 1, ..RateCounts::default() };
        assert!(undeclared.rate(RateKind::Fill).meets_target() && !undeclared.meets_target(RateKind::Fill));
        assert!(undeclared.meets_target(RateKind::Pass));
    }

    proptest! {
        #[test]
        fn per_mille_is_bounded_and_exact_only_at_equality(n in 0u64..1_000_000, d in 1u64..1_000_000) {
            let pm = Rate::new(n.min(d), d).per_mille().unwrap();
            prop_assert!(pm <= 1000);
            prop_assert_eq!(pm == 1000, n >= d);
        }
    }

    #[test]
    fn a_missed_target_says_why() {
        let c = RateCounts {
            due: 72,
            reported: 73,
            rows_submitted: 10,
            rows_first_pass: 8,
            published: 5,
            published_on_time: 5,
            undeclared: 1,
        };
        assert_eq!(c.rate(RateKind::Fill).display(), "100.0%", "the figure alone would read as met");
        assert_eq!(c.shortfall(RateKind::Fill).as_deref(), Some("1 项未申报"));
        assert_eq!(c.shortfall(RateKind::Pass).as_deref(), Some("2 行未通过校验"));
        assert_eq!(c.shortfall(RateKind::Timeliness), None);
        let declared = RateCounts { undeclared: 0, due: 10, reported: 7, ..c };
        assert_eq!(declared.shortfall(RateKind::Fill).as_deref(), Some("尚缺 3 条"));
        let late = RateCounts { published: 9, published_on_time: 6, ..c };
        assert_eq!(late.shortfall(RateKind::Timeliness).as_deref(), Some("3 条超期公示"));
    }
}
