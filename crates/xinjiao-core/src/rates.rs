//! The three reporting rates the action plan holds every department to
//! (填报率、合格率、及时率, target 100 %). One definition each, here; the
//! dashboard shows the text of [`RateKind::definition`] beside every figure.
//! No official formula was found (rules-reference §3, unverified); these are
//! the definitions of issue 4.

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
            RateKind::Pass => "首次提交即通过校验的行数 ÷ 提交的全部行数（含每次上传中被拒绝的行）",
            RateKind::Timeliness => "在公示期限（决定日期后 7 个工作日）内公示的记录数 ÷ 已公示记录数",
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
}

impl RateCounts {
    pub fn rate(&self, kind: RateKind) -> Rate {
        match kind {
            RateKind::Fill => Rate::new(self.reported, self.due),
            RateKind::Pass => Rate::new(self.rows_first_pass, self.rows_submitted),
            RateKind::Timeliness => Rate::new(self.published_on_time, self.published),
        }
    }
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

    proptest! {
        #[test]
        fn per_mille_is_bounded_and_exact_only_at_equality(n in 0u64..1_000_000, d in 1u64..1_000_000) {
            let pm = Rate::new(n.min(d), d).per_mille().unwrap();
            prop_assert!(pm <= 1000);
            prop_assert_eq!(pm == 1000, n >= d);
        }
    }
}
