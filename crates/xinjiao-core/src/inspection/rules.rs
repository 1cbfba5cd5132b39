//! `rules/inspection.toml`: shares by grade with their limits, inspectors
//! per inspection, the recent-inspection exclusion and the publication
//! deadline of results.

use std::collections::BTreeMap;

use super::draw::{NO_GRADE, Share};

/// The shipped file.
pub const EMBEDDED: &str = include_str!("../../../../rules/inspection.toml");

/// A grade's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeRule {
    pub share: Share,
    pub times_a_year: u32,
    pub min: Share,
    pub max: Share,
}

/// The inspection rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionRules {
    pub version: i64,
    pub source: String,
    /// Working days from an inspection to the publication of its result.
    pub publish_days: u32,
    /// Inspectors per inspection (at least 2).
    pub min_inspectors: u32,
    /// An inspector who inspected a subject within this many days is excluded from it.
    pub recent_days: u32,
    /// By grade ([`NO_GRADE`] for subjects without one).
    pub grades: BTreeMap<String, GradeRule>,
}

/// A plan's shares checked against the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanShares {
    /// Every grade's share (the rules' where the plan does not set one).
    pub shares: BTreeMap<String, Share>,
    /// The grades whose share the plan set, with the rules' default.
    pub overridden: BTreeMap<String, Share>,
}

impl InspectionRules {
    /// The shipped rules.
    pub fn embedded() -> InspectionRules {
        InspectionRules::parse(EMBEDDED).expect("rules/inspection.toml is valid")
    }

    /// Parses a rules file; a Chinese message names the first problem.
    pub fn parse(text: &str) -> Result<InspectionRules, String> {
        let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let [publish_days] = crate::rulefile::working_days(text, ["publish_result"])?;
        let int = |table: &toml::Table, k: &str, lo: i64, hi: i64| -> Result<u32, String> {
            table
                .get(k)
                .and_then(toml::Value::as_integer)
                .filter(|v| (lo..=hi).contains(v))
                .map(|v| v as u32)
                .ok_or_else(|| format!("{k} 应为 {lo} 到 {hi} 之间的整数"))
        };
        let inspectors = t.get("inspectors").and_then(toml::Value::as_table).ok_or("缺少 [inspectors]")?;
        let min_inspectors = int(inspectors, "minimum", 2, 20)?;
        let recent_days = int(inspectors, "recent_days", 0, 3660)?;
        let mut grades = BTreeMap::new();
        for (i, g) in t.get("grade").and_then(toml::Value::as_array).ok_or("缺少 [[grade]]")?.iter().enumerate() {
            let g = g.as_table().ok_or_else(|| format!("第 {} 个 [[grade]] 不是表", i + 1))?;
            let name = g
                .get("grade")
                .and_then(toml::Value::as_str)
                .ok_or_else(|| format!("第 {} 个 [[grade]] 缺少 grade", i + 1))?;
            let share = |k: &str| {
                g.get(k)
                    .and_then(toml::Value::as_str)
                    .and_then(Share::parse)
                    .ok_or_else(|| format!("等级 {name} 的 {k} 应为 0 到 100 之间、至多两位小数的百分数（文本）"))
            };
            let rule = GradeRule {
                share: share("share")?,
                times_a_year: int(g, "times_a_year", 1, 12)?,
                min: share("min")?,
                max: share("max")?,
            };
            if !(rule.min <= rule.share && rule.share <= rule.max) {
                return Err(format!("等级 {name} 的比例 {} 不在其范围 {}–{} 内", rule.share, rule.min, rule.max));
            }
            if grades.insert(name.to_string(), rule).is_some() {
                return Err(format!("等级 {name} 重复"));
            }
        }
        if !grades.contains_key(NO_GRADE) {
            return Err(format!("缺少无等级主体（{NO_GRADE}）的比例"));
        }
        Ok(InspectionRules {
            version: t.get("version").and_then(toml::Value::as_integer).ok_or("缺少 version")?,
            source: t.get("source").and_then(toml::Value::as_str).unwrap_or_default().to_string(),
            publish_days,
            min_inspectors,
            recent_days,
            grades,
        })
    }

    /// The shares of a plan over `grades` (the matter's scheme's grades):
    /// the rules' defaults, with `overrides` (grade → share) checked
    /// against each grade's limits. A Chinese message names the first problem.
    pub fn plan_shares(&self, grades: &[String], overrides: &BTreeMap<String, Share>) -> Result<PlanShares, String> {
        let mut shares = BTreeMap::new();
        let mut overridden = BTreeMap::new();
        for g in grades.iter().map(String::as_str).chain([NO_GRADE]) {
            let rule = self.grades.get(g).ok_or_else(|| format!("检查规则没有等级“{g}”的抽查比例"))?;
            shares.insert(g.to_string(), rule.share);
        }
        for (g, s) in overrides {
            let rule =
                shares.get(g).and(self.grades.get(g)).ok_or_else(|| format!("等级“{g}”不属于该事项的评价体系"))?;
            if *s < rule.min || *s > rule.max {
                return Err(format!("等级 {g} 的抽查比例 {s}% 超出规则允许的范围 {}%–{}%", rule.min, rule.max));
            }
            if *s != rule.share {
                overridden.insert(g.clone(), rule.share);
            }
            shares.insert(g.clone(), *s);
        }
        Ok(PlanShares { shares, overridden })
    }
}

/// Parses `AA=3,A=5,none=2.5` (a plan's overrides); a Chinese message names the first problem.
pub fn parse_overrides(text: &str) -> Result<BTreeMap<String, Share>, String> {
    let mut out = BTreeMap::new();
    for part in text.split([',', '，']).map(str::trim).filter(|p| !p.is_empty()) {
        let (g, s) = part.split_once('=').ok_or_else(|| format!("“{part}”应为 等级=百分数"))?;
        let share = Share::parse(s.trim().trim_end_matches('%'))
            .ok_or_else(|| format!("“{part}”的比例应为 0 到 100 之间、至多两位小数的百分数"))?;
        if out.insert(g.trim().to_string(), share).is_some() {
            return Err(format!("等级 {} 重复", g.trim()));
        }
    }
    Ok(out)
}
