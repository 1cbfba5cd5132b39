//! Disclosure windows of penalty information (公示期) as law-as-config:
//! `rules/disclosure.toml` holds versions with effective dates and sources;
//! each gives, per severity class (轻微 / 一般 / 严重), whether the decision is
//! published and its minimum and maximum periods in months from the decision
//! date, sector minimums, penalty classes with a longer maximum, and a
//! suggested class per penalty class. [`DisclosureRules::window`] computes
//! `(start, min_end, max_end)`; whether a record is public on a day is derived
//! from these dates, never stored.

use jiff::civil::Date;

/// The embedded default rule file.
pub const EMBEDDED: &str = include_str!("../../../../rules/disclosure.toml");

/// 失信程度: how serious the dishonesty a penalty records is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// 轻微
    Minor,
    /// 一般
    General,
    /// 严重
    Serious,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Minor, Severity::General, Severity::Serious];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::General => "general",
            Severity::Serious => "serious",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Severity::Minor => "轻微",
            Severity::General => "一般",
            Severity::Serious => "严重",
        }
    }
    /// Accepts the Chinese label (as in the optional column `失信程度`) or the code.
    pub fn parse(s: &str) -> Option<Severity> {
        let s = s.trim();
        Severity::ALL.into_iter().find(|v| v.label() == s || v.as_str() == s)
    }
}

/// What a rule version says about one severity class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassRule {
    /// Whether such decisions are published at all.
    pub publish: bool,
    /// Minimum period in months (repair may be applied for after it).
    pub min: u32,
    /// Maximum period in months (publication stops at its end).
    pub max: u32,
}

/// A version of the disclosure rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVersion {
    pub id: String,
    pub effective_from: Date,
    pub source: String,
    pub minor: ClassRule,
    pub general: ClassRule,
    pub serious: ClassRule,
    /// (keywords, minimum months): sectors with a longer minimum.
    pub sector_minimums: Vec<(Vec<String>, u32)>,
    /// (penalty class label, maximum months).
    pub class_maximums: Vec<(String, u32)>,
    /// (penalty class label, suggested severity).
    pub suggest: Vec<(String, Severity)>,
}

impl RuleVersion {
    pub fn class(&self, s: Severity) -> ClassRule {
        match s {
            Severity::Minor => self.minor,
            Severity::General => self.general,
            Severity::Serious => self.serious,
        }
    }
}

/// A record's disclosure window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// First public day: the decision date.
    pub start: Date,
    /// The day the minimum period has passed: repair may be applied for from it on.
    pub min_end: Date,
    /// The day publication stops: public on days `start..max_end`.
    pub max_end: Date,
    /// Whether the decision is published at all (minor cases are not, by default).
    pub published: bool,
    /// The rule version applied.
    pub version: String,
}

impl Window {
    /// Whether the record is public on `day` (before any repair or withdrawal).
    pub fn is_public_on(&self, day: Date) -> bool {
        self.published && self.start <= day && day < self.max_end
    }
    /// Whether repair may be applied for on `day`.
    pub fn is_repairable_on(&self, day: Date) -> bool {
        day >= self.min_end
    }
}

/// A problem with a rule file or a date no version covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureError {
    pub code: &'static str,
    pub message: String,
}

/// Every version of the disclosure rules, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRules {
    pub versions: Vec<RuleVersion>,
    /// How long licences are published.
    pub licences: LicenceRule,
}

/// How long licensing decisions are published (`licences` in the rule file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenceRule {
    /// `while_valid`: from the decision until the day after 有效期至, while its status is 有效.
    WhileValid,
    /// `months:N`: N months from the decision, whatever its validity.
    Months(u32),
}

fn add_months(d: Date, months: u32) -> Date {
    d.checked_add(jiff::Span::new().months(i64::from(months))).unwrap_or(Date::MAX)
}

impl DisclosureRules {
    pub fn embedded() -> DisclosureRules {
        DisclosureRules::parse(EMBEDDED).expect("embedded disclosure rules are valid")
    }

    /// Parses and validates a rule file: versions in ascending order of
    /// `effective_from`, `min ≤ max` for every class, known severities.
    pub fn parse(text: &str) -> Result<DisclosureRules, DisclosureError> {
        let err = |m: String| DisclosureError { code: "disclosure.format", message: m };
        let t: toml::Table = text.parse().map_err(|e| err(format!("不是有效的 TOML：{e}")))?;
        let list = t.get("version").and_then(toml::Value::as_array).ok_or_else(|| err("缺少 [[version]]".into()))?;
        let mut versions: Vec<RuleVersion> = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let n = i + 1;
            let v = v.as_table().ok_or_else(|| err(format!("第 {n} 个版本不是表")))?;
            let text = |k: &str| v.get(k).and_then(toml::Value::as_str).map(str::to_string);
            let id = text("id").ok_or_else(|| err(format!("第 {n} 个版本缺少 id")))?;
            let effective_from: Date = text("effective_from")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| err(format!("版本 {id} 的 effective_from 应为 YYYY-MM-DD")))?;
            let months = |x: Option<&toml::Value>, what: &str| -> Result<u32, DisclosureError> {
                x.and_then(toml::Value::as_integer)
                    .and_then(|m| u32::try_from(m).ok())
                    .filter(|m| *m <= 120)
                    .ok_or_else(|| err(format!("版本 {id} 的 {what} 应为 0 到 120 之间的月数")))
            };
            let class = |k: &str| -> Result<ClassRule, DisclosureError> {
                let c = v.get(k).and_then(toml::Value::as_table).ok_or_else(|| err(format!("版本 {id} 缺少 {k}")))?;
                let rule = ClassRule {
                    publish: c.get("publish").and_then(toml::Value::as_bool).unwrap_or(true),
                    min: months(c.get("min"), &format!("{k}.min"))?,
                    max: months(c.get("max"), &format!("{k}.max"))?,
                };
                if rule.min > rule.max {
                    return Err(err(format!(
                        "版本 {id} 的 {k}：最短期限 {} 个月长于最长期限 {} 个月",
                        rule.min, rule.max
                    )));
                }
                Ok(rule)
            };
            let tables = |k: &str| -> Vec<toml::Table> {
                v.get(k)
                    .and_then(toml::Value::as_array)
                    .map(|a| a.iter().filter_map(|x| x.as_table().cloned()).collect())
                    .unwrap_or_default()
            };
            let mut sector_minimums = Vec::new();
            for s in tables("sector_minimums") {
                let keywords: Vec<String> = s
                    .get("keywords")
                    .and_then(toml::Value::as_array)
                    .map(|a| a.iter().filter_map(|k| k.as_str().map(String::from)).collect())
                    .unwrap_or_default();
                if keywords.is_empty() {
                    return Err(err(format!("版本 {id} 的 sector_minimums 缺少 keywords")));
                }
                sector_minimums.push((keywords, months(s.get("min"), "sector_minimums.min")?));
            }
            let mut class_maximums = Vec::new();
            for c in tables("class_maximums") {
                let class = c
                    .get("class")
                    .and_then(toml::Value::as_str)
                    .ok_or_else(|| err(format!("版本 {id} 的 class_maximums 缺少 class")))?;
                class_maximums.push((class.to_string(), months(c.get("max"), "class_maximums.max")?));
            }
            let mut suggest = Vec::new();
            if let Some(s) = v.get("suggest").and_then(toml::Value::as_table) {
                for (class, sev) in s {
                    let sev = sev
                        .as_str()
                        .and_then(Severity::parse)
                        .ok_or_else(|| err(format!("版本 {id} 的 suggest.{class} 应为 minor、general 或 serious")))?;
                    suggest.push((class.clone(), sev));
                }
            }
            if let Some(prev) = versions.last()
                && prev.effective_from >= effective_from
            {
                return Err(err(format!("版本 {id} 的生效日期应晚于上一版本 {}", prev.id)));
            }
            versions.push(RuleVersion {
                source: text("source").unwrap_or_default(),
                minor: class("minor")?,
                general: class("general")?,
                serious: class("serious")?,
                id,
                effective_from,
                sector_minimums,
                class_maximums,
                suggest,
            });
        }
        let licences = match t.get("licences").and_then(toml::Value::as_str).unwrap_or("while_valid") {
            "while_valid" => LicenceRule::WhileValid,
            other => match other.strip_prefix("months:").and_then(|n| n.parse::<u32>().ok()).filter(|n| *n <= 120) {
                Some(n) => LicenceRule::Months(n),
                None => {
                    return Err(err(format!("licences 应为 while_valid 或 months:N（N 不超过 120），而不是 {other}")));
                }
            },
        };
        Ok(DisclosureRules { versions, licences })
    }

    /// The version in force for a decision of `decision_date`.
    pub fn version_for(&self, decision_date: Date) -> Result<&RuleVersion, DisclosureError> {
        self.versions.iter().rev().find(|v| v.effective_from <= decision_date).ok_or_else(|| DisclosureError {
            code: "disclosure.no_version",
            message: format!("{decision_date} 早于公示期限规则的最早版本，无法计算公示期限"),
        })
    }

    /// The window of a penalty: the severity's periods, raised by a matching
    /// sector minimum, and its maximum raised by the longest period of its
    /// penalty classes. `sector_text` is the violation type, facts and basis.
    pub fn window(
        &self,
        decision_date: Date,
        severity: Severity,
        classes: &[&str],
        sector_text: &str,
    ) -> Result<Window, DisclosureError> {
        let v = self.version_for(decision_date)?;
        let rule = v.class(severity);
        let mut min = rule.min;
        let mut max = rule.max;
        if severity != Severity::Minor {
            for (keywords, m) in &v.sector_minimums {
                if keywords.iter().any(|k| sector_text.contains(k.as_str())) {
                    min = min.max(*m);
                }
            }
            for (class, m) in &v.class_maximums {
                if classes.contains(&class.as_str()) {
                    max = max.max(*m);
                }
            }
        }
        let max = max.max(min);
        Ok(Window {
            start: decision_date,
            min_end: add_months(decision_date, min),
            max_end: add_months(decision_date, max),
            published: rule.publish,
            version: v.id.clone(),
        })
    }

    /// The class the rules suggest for a decision with these penalty classes:
    /// the most severe suggestion, or 一般 when none applies.
    pub fn suggest(&self, decision_date: Date, classes: &[&str]) -> Severity {
        let Ok(v) = self.version_for(decision_date) else { return Severity::General };
        classes
            .iter()
            .filter_map(|c| v.suggest.iter().find(|(k, _)| k == c).map(|(_, s)| *s))
            .max()
            .unwrap_or(Severity::General)
    }
}

/// The stored window of a record: its severity (penalties), the first day it
/// is no longer public (`None`: no end), and the day repair may be applied for
/// (`None`: never — a licence, or a penalty whose minimum period reaches its
/// maximum, which ends at its maximum with no early repair; always before
/// `public_until` when both are set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWindow {
    pub severity: Option<Severity>,
    pub public_until: Option<Date>,
    pub repairable_from: Option<Date>,
}

/// The window of a record from its canonical fields: a penalty's by the rules
/// (its 失信程度 as given, else the suggested class; a class that is not
/// published gets an empty window); a licence is public while it is valid
/// (until the day after 有效期至) and its status is 有效.
pub fn record_window<K: std::borrow::Borrow<str> + Ord>(
    rules: &DisclosureRules,
    kind: crate::RecordKind,
    decision_date: Date,
    fields: &std::collections::BTreeMap<K, String>,
    withdrawn_on: Option<Date>,
) -> RecordWindow {
    let mut w = window_of_fields(rules, kind, decision_date, fields);
    // A withdrawn record is not public from the day it was withdrawn.
    if let Some(day) = withdrawn_on {
        w.public_until = Some(w.public_until.map_or(day, |u| u.min(day)));
    }
    w
}

fn window_of_fields<K: std::borrow::Borrow<str> + Ord>(
    rules: &DisclosureRules,
    kind: crate::RecordKind,
    decision_date: Date,
    fields: &std::collections::BTreeMap<K, String>,
) -> RecordWindow {
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    match kind {
        crate::RecordKind::Penalty => {
            let classes: Vec<&str> = get("CF_CFLB").split('、').map(str::trim).filter(|c| !c.is_empty()).collect();
            let severity = Severity::parse(get("CF_SXCD")).unwrap_or_else(|| rules.suggest(decision_date, &classes));
            let sector = format!("{} {} {}", get("CF_WFXW"), get("CF_SY"), get("CF_YJ"));
            match rules.window(decision_date, severity, &classes, &sector) {
                Ok(w) => RecordWindow {
                    severity: Some(severity),
                    public_until: Some(if w.published { w.max_end } else { w.start }),
                    // Nothing to end early — a class that is not published, or
                    // a minimum period that reaches the maximum: no repair date
                    // (decision in rules/disclosure.toml).
                    repairable_from: (w.published && w.min_end < w.max_end).then_some(w.min_end),
                },
                // Older than every rule version: no longer public.
                Err(_) => RecordWindow {
                    severity: Some(severity),
                    public_until: Some(decision_date),
                    repairable_from: Some(decision_date),
                },
            }
        }
        crate::RecordKind::License => {
            let public_until = match rules.licences {
                LicenceRule::WhileValid => {
                    let valid = get("XK_ZT").is_empty() || get("XK_ZT") == "有效" || get("XK_ZT") == "1";
                    let until = crate::records::date::parse_date(get("XK_YXQZI")).and_then(|d| d.tomorrow().ok());
                    if valid { until } else { Some(decision_date) }
                }
                LicenceRule::Months(n) => Some(add_months(decision_date, n)),
            };
            RecordWindow { severity: None, public_until, repairable_from: None }
        }
    }
}

/// A fingerprint of rule texts (FNV-1a): stored windows computed with other
/// rules are recomputed.
pub fn fingerprint(texts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for t in texts {
        for b in t.bytes().chain(std::iter::once(0)) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// Decision date, severity, penalty classes, sector text → version, min_end, max_end, published.
    type Case =
        (&'static str, Severity, &'static [&'static str], &'static str, &'static str, &'static str, &'static str, bool);

    #[test]
    fn table_of_cases() {
        let r = DisclosureRules::embedded();
        // (decision date, severity, classes, sector text) → (version, min_end, max_end, published)
        let cases: &[Case] = &[
            ("2026-03-31", Severity::General, &["罚款"], "超限运输", "order58", "2026-06-30", "2027-03-31", true),
            ("2026-04-01", Severity::General, &["罚款"], "超限运输", "order36", "2026-07-01", "2027-04-01", true),
            ("2026-04-01", Severity::Serious, &["罚款"], "超限运输", "order36", "2027-04-01", "2029-04-01", true),
            (
                "2026-04-01",
                Severity::Minor,
                &["警告"],
                "未携带道路运输证",
                "order36",
                "2026-04-01",
                "2026-07-01",
                false,
            ),
            // Leap day: a year later is 28 February; three years later too.
            ("2024-02-29", Severity::Serious, &["罚款"], "", "order58", "2025-02-28", "2027-02-28", true),
            ("2024-02-29", Severity::General, &["罚款"], "", "order58", "2024-05-29", "2025-02-28", true),
            // Month ends clamp: 31 August + 3 months = 30 November.
            ("2025-08-31", Severity::General, &["罚款"], "", "order58", "2025-11-30", "2026-08-31", true),
            // A safety-production case: the sector minimum raises min (and max with it).
            (
                "2026-05-10",
                Severity::General,
                &["罚款"],
                "危险货物运输车辆未按规定安装卫星定位装置",
                "order36",
                "2027-05-10",
                "2027-05-10",
                true,
            ),
            // Several classes: the longest period wins (吊销许可证件: 36 months).
            (
                "2026-05-10",
                Severity::General,
                &["罚款", "吊销许可证件"],
                "",
                "order36",
                "2026-08-10",
                "2029-05-10",
                true,
            ),
        ];
        for (date, sev, classes, text, version, min_end, max_end, published) in cases {
            let w = r.window(d(date), *sev, classes, text).unwrap();
            assert_eq!(
                (w.version.as_str(), w.min_end, w.max_end, w.published),
                (*version, d(min_end), d(max_end), *published),
                "{date} {sev:?} {classes:?}"
            );
            assert_eq!(w.start, d(date));
        }
        assert_eq!(r.window(d("2014-12-31"), Severity::General, &[], "").unwrap_err().code, "disclosure.no_version");
        let old = r.window(d("2022-06-01"), Severity::Minor, &["警告"], "").unwrap();
        assert_eq!((old.version.as_str(), old.max_end, old.published), ("before-order58", d("2025-06-01"), true));
    }

    #[test]
    fn public_and_repairable_days() {
        let r = DisclosureRules::embedded();
        let w = r.window(d("2026-04-01"), Severity::General, &["罚款"], "").unwrap();
        assert!(!w.is_public_on(d("2026-03-31")) && w.is_public_on(d("2026-04-01")));
        assert!(w.is_public_on(d("2027-03-31")) && !w.is_public_on(d("2027-04-01")));
        assert!(!w.is_repairable_on(d("2026-06-30")) && w.is_repairable_on(d("2026-07-01")));
        let minor = r.window(d("2026-04-01"), Severity::Minor, &["警告"], "").unwrap();
        assert!(!minor.is_public_on(d("2026-04-01")), "minor cases are not published");
        assert!(minor.is_repairable_on(d("2026-04-01")), "and are repairable at once");
    }

    #[test]
    fn suggestions_take_the_most_severe_class() {
        let r = DisclosureRules::embedded();
        let day = d("2026-05-01");
        assert_eq!(r.suggest(day, &["警告"]), Severity::Minor);
        assert_eq!(r.suggest(day, &["警告", "罚款"]), Severity::General);
        assert_eq!(r.suggest(day, &["罚款", "吊销许可证件"]), Severity::Serious);
        assert_eq!(r.suggest(day, &["其他"]), Severity::General);
        assert_eq!(Severity::parse("严重"), Some(Severity::Serious));
        assert_eq!(Severity::parse("serious"), Some(Severity::Serious));
        assert_eq!(Severity::parse("很严重"), None);
    }

    #[test]
    fn bad_rule_files_are_refused() {
        let base = |general: &str| {
            format!(
                "[[version]]\nid = \"a\"\neffective_from = \"2023-05-01\"\nminor = {{ publish = false, min = 0, max = 3 }}\n\
                 general = {general}\nserious = {{ min = 12, max = 36 }}\n"
            )
        };
        assert!(DisclosureRules::parse(&base("{ min = 3, max = 12 }")).is_ok());
        assert!(DisclosureRules::parse(&base("{ min = 13, max = 12 }")).unwrap_err().message.contains("长于"));
        assert!(DisclosureRules::parse(&base("{ min = 3 }")).unwrap_err().message.contains("general.max"));
        let twice = format!("{}{}", base("{ min = 3, max = 12 }"), base("{ min = 3, max = 12 }"));
        assert!(DisclosureRules::parse(&twice).unwrap_err().message.contains("晚于"));
        assert!(DisclosureRules::parse("x = 1").is_err());
    }

    #[test]
    fn record_windows_from_fields() {
        let r = DisclosureRules::embedded();
        let f = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let p = record_window(
            &r,
            crate::RecordKind::Penalty,
            d("2026-05-10"),
            &f(&[("CF_CFLB", "罚款"), ("CF_WFXW", "超限运输")]),
            None,
        );
        assert_eq!(
            p,
            RecordWindow {
                severity: Some(Severity::General),
                public_until: Some(d("2027-05-10")),
                repairable_from: Some(d("2026-08-10"))
            }
        );
        let given = record_window(
            &r,
            crate::RecordKind::Penalty,
            d("2026-05-10"),
            &f(&[("CF_CFLB", "罚款"), ("CF_SXCD", "严重")]),
            None,
        );
        assert_eq!(given.public_until, Some(d("2029-05-10")));
        let minor = record_window(&r, crate::RecordKind::Penalty, d("2026-05-10"), &f(&[("CF_CFLB", "警告")]), None);
        assert_eq!(
            (minor.severity, minor.public_until),
            (Some(Severity::Minor), Some(d("2026-05-10"))),
            "empty window"
        );
        let lic = record_window(
            &r,
            crate::RecordKind::License,
            d("2026-05-10"),
            &f(&[("XK_YXQZI", "2030-05-09"), ("XK_ZT", "有效")]),
            None,
        );
        assert_eq!((lic.public_until, lic.repairable_from), (Some(d("2030-05-10")), None));
        let revoked = record_window(
            &r,
            crate::RecordKind::License,
            d("2026-05-10"),
            &f(&[("XK_YXQZI", "2030-05-09"), ("XK_ZT", "无效")]),
            None,
        );
        assert_eq!(revoked.public_until, Some(d("2026-05-10")));
        let mut three_years = r.clone();
        three_years.licences = LicenceRule::Months(36);
        let fixed = record_window(
            &three_years,
            crate::RecordKind::License,
            d("2026-05-10"),
            &f(&[("XK_YXQZI", "2030-05-09"), ("XK_ZT", "无效")]),
            None,
        );
        assert_eq!(fixed.public_until, Some(d("2029-05-10")), "the rule file may say otherwise");
        let text = EMBEDDED.replace("licences = \"while_valid\"", "licences = \"months:24\"");
        assert_eq!(DisclosureRules::parse(&text).unwrap().licences, LicenceRule::Months(24));
        let bad = EMBEDDED.replace("licences = \"while_valid\"", "licences = \"forever\"");
        assert!(DisclosureRules::parse(&bad).unwrap_err().message.contains("forever"));
        let withdrawn = record_window(
            &r,
            crate::RecordKind::Penalty,
            d("2026-05-10"),
            &f(&[("CF_CFLB", "罚款")]),
            Some(d("2026-06-01")),
        );
        assert_eq!(withdrawn.public_until, Some(d("2026-06-01")), "withdrawn: not public from that day");
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab"]));
    }

    proptest! {
        #[test]
        fn windows_are_ordered_and_bound_publication(
            days in 0i64..5000, sev in 0usize..3, classes in proptest::sample::subsequence(
                vec!["警告", "罚款", "吊销许可证件", "限制从业", "没收违法所得"], 0..4),
            sector in proptest::bool::ANY, probe in 0i64..2000,
        ) {
            let r = DisclosureRules::embedded();
            let date = d("2021-05-01").checked_add(jiff::Span::new().days(days)).unwrap();
            let text = if sector { "安全生产" } else { "超限运输" };
            let w = r.window(date, Severity::ALL[sev], &classes, text).unwrap();
            prop_assert!(w.start <= w.min_end && w.min_end <= w.max_end);
            let day = date.checked_add(jiff::Span::new().days(probe)).unwrap();
            if w.is_public_on(day) {
                prop_assert!(day < w.max_end && day >= w.start);
            }
            if day >= w.max_end {
                prop_assert!(!w.is_public_on(day));
            }
            if day < w.min_end {
                prop_assert!(!w.is_repairable_on(day));
            }
        }
    }

    /// Every class of every embedded version, with and without a sector
    /// minimum and a longer class maximum: a repair date, when there is one,
    /// is inside the window (the decision in `rules/disclosure.toml`).
    #[test]
    fn a_repair_date_is_always_before_the_end_of_publication() {
        let rules = DisclosureRules::embedded();
        let decided = |v: &str| -> Date {
            let from: Date = rules.versions.iter().find(|x| x.id == v).unwrap().effective_from;
            from.checked_add(jiff::Span::new().days(10)).unwrap()
        };
        // (version, 失信程度, 处罚类别, sector text) → (months published, months to repair or None)
        type Case = (&'static str, &'static str, &'static str, &'static str, u32, Option<u32>);
        let table: &[Case] = &[
            ("order36", "一般", "罚款", "超限运输", 12, Some(3)),
            ("order36", "一般", "罚款", "未落实安全生产责任", 12, None),
            ("order36", "一般", "吊销许可证件", "未落实安全生产责任", 36, Some(12)),
            ("order36", "严重", "罚款", "危险货物运输", 36, Some(12)),
            ("order36", "轻微", "警告", "安全生产", 0, None),
            ("order58", "一般", "罚款", "消防", 12, None),
            ("order58", "一般", "罚款", "超限运输", 12, Some(3)),
            ("before-order58", "一般", "罚款", "安全生产", 36, Some(6)),
        ];
        for (version, sev, classes, text, months, repair) in table {
            let d = decided(version);
            let fields: std::collections::BTreeMap<&str, String> =
                [("CF_SXCD", sev.to_string()), ("CF_CFLB", classes.to_string()), ("CF_WFXW", text.to_string())]
                    .into_iter()
                    .collect();
            let w = record_window(&rules, crate::RecordKind::Penalty, d, &fields, None);
            assert_eq!(w.public_until, Some(add_months(d, *months)), "{version} {sev} {classes} {text}");
            assert_eq!(w.repairable_from, repair.map(|m| add_months(d, m)), "{version} {sev} {classes} {text}");
        }
        // And every combination the rules allow keeps the invariant.
        for v in &rules.versions {
            let d = v.effective_from;
            for sev in ["轻微", "一般", "严重"] {
                for classes in ["罚款", "吊销许可证件", "限制从业", "警告"] {
                    for text in ["", "安全生产", "危险货物 特种设备"] {
                        let fields: std::collections::BTreeMap<&str, String> = [
                            ("CF_SXCD", sev.to_string()),
                            ("CF_CFLB", classes.to_string()),
                            ("CF_WFXW", text.to_string()),
                        ]
                        .into_iter()
                        .collect();
                        let w = record_window(&rules, crate::RecordKind::Penalty, d, &fields, None);
                        if let (Some(r), Some(u)) = (w.repairable_from, w.public_until)
                            && u > d
                        {
                            assert!(r < u, "{} {sev} {classes} {text}: repair {r} not before {u}", v.id);
                        }
                    }
                }
            }
        }
    }
}
