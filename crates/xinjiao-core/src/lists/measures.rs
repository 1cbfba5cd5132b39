//! The measures catalogue (联合奖惩措施清单, `rules/measures.toml`) and the
//! credit-check scenarios (`rules/scenarios.toml`): which measures apply to
//! a party and why ([`applicable`]), from the list entries in force and its
//! latest final grades.

use jiff::civil::Date;

use super::definition::{ListDefinition, PartyType};
use crate::evaluation::scheme::Scheme;

pub const MEASURES: &str = include_str!("../../../../rules/measures.toml");
pub const SCENARIOS: &str = include_str!("../../../../rules/scenarios.toml");

/// Reward or punishment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureKind {
    Reward,
    Punishment,
}

impl MeasureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Reward => "reward",
            MeasureKind::Punishment => "punishment",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            MeasureKind::Reward => "守信激励",
            MeasureKind::Punishment => "失信惩戒",
        }
    }
}

/// Grades of a scheme that trigger a measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeTrigger {
    pub scheme: String,
    pub grades: Vec<String>,
}

/// A measure of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    pub code: String,
    pub name: String,
    pub kind: MeasureKind,
    pub basis: String,
    pub applied_by: String,
    pub lists: Vec<String>,
    pub grades: Vec<GradeTrigger>,
    /// `None`: every party type.
    pub party_types: Option<Vec<PartyType>>,
    /// Lists whose entry in force withholds this measure (rewards).
    pub withheld_by_lists: Vec<String>,
    pub scenarios: Vec<String>,
}

/// What a scenario's answer may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sees {
    pub lists: bool,
    pub grades: bool,
    pub penalties: bool,
}

/// A credit-check scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub code: String,
    pub name: String,
    pub sees: Sees,
    pub persons: bool,
    pub vehicles: bool,
}

/// Both files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub version: u32,
    pub measures: Vec<Measure>,
    pub scenarios: Vec<Scenario>,
    pub scenarios_version: u32,
}

fn strings(t: &toml::Table, k: &str, at: &str) -> Result<Vec<String>, String> {
    match t.get(k) {
        None => Ok(Vec::new()),
        Some(v) => v
            .as_array()
            .ok_or_else(|| format!("{at}{k} 应为字符串列表"))?
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(|| format!("{at}{k} 应为字符串列表")))
            .collect(),
    }
}

fn text(t: &toml::Table, k: &str, at: &str) -> Result<String, String> {
    t.get(k)
        .and_then(toml::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{at}缺少 {k}"))
}

fn version(t: &toml::Table) -> Result<u32, String> {
    t.get("version")
        .and_then(toml::Value::as_integer)
        .filter(|v| *v >= 1)
        .map(|v| v as u32)
        .ok_or("缺少 version".into())
}

impl Catalogue {
    /// The shipped files (checked by the tests).
    pub fn embedded() -> &'static Catalogue {
        static CELL: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        CELL.get_or_init(|| {
            Catalogue::parse(MEASURES, SCENARIOS, ListDefinition::embedded(), &Scheme::embedded())
                .expect("embedded measures")
        })
    }

    /// Reads both files against the lists and schemes they name.
    pub fn parse(
        measures: &str,
        scenarios: &str,
        lists: &[ListDefinition],
        schemes: &[Scheme],
    ) -> Result<Catalogue, String> {
        let st: toml::Table = scenarios.parse().map_err(|e| format!("scenarios：不是有效的 TOML：{e}"))?;
        let mut out_scenarios: Vec<Scenario> = Vec::new();
        for (i, s) in st.get("scenario").and_then(toml::Value::as_array).ok_or("缺少 [[scenario]]")?.iter().enumerate()
        {
            let at = format!("第 {} 个 [[scenario]] 的 ", i + 1);
            let s = s.as_table().ok_or_else(|| format!("{at}不是表"))?;
            let code = text(s, "code", &at)?;
            if out_scenarios.iter().any(|x| x.code == code) {
                return Err(format!("{at}code “{code}” 重复"));
            }
            let mut sees = Sees::default();
            for x in strings(s, "sees", &at)? {
                match x.as_str() {
                    "lists" => sees.lists = true,
                    "grades" => sees.grades = true,
                    "penalties" => sees.penalties = true,
                    other => return Err(format!("{at}sees 中的 “{other}” 应为 lists、grades 或 penalties")),
                }
            }
            let flag =
                |k: &str| s.get(k).and_then(toml::Value::as_bool).ok_or_else(|| format!("{at}{k} 应为 true 或 false"));
            out_scenarios.push(Scenario {
                name: text(s, "name", &at)?,
                code,
                sees,
                persons: flag("persons")?,
                vehicles: flag("vehicles")?,
            });
        }
        let mt: toml::Table = measures.parse().map_err(|e| format!("measures：不是有效的 TOML：{e}"))?;
        let mut out: Vec<Measure> = Vec::new();
        for (i, m) in mt.get("measure").and_then(toml::Value::as_array).ok_or("缺少 [[measure]]")?.iter().enumerate()
        {
            let at = format!("第 {} 个 [[measure]] 的 ", i + 1);
            let m = m.as_table().ok_or_else(|| format!("{at}不是表"))?;
            let code = text(m, "code", &at)?;
            if out.iter().any(|x| x.code == code) {
                return Err(format!("{at}code “{code}” 重复"));
            }
            let kind = match text(m, "kind", &at)?.as_str() {
                "reward" => MeasureKind::Reward,
                "punishment" => MeasureKind::Punishment,
                other => return Err(format!("{at}kind “{other}” 应为 reward 或 punishment")),
            };
            let list_codes = strings(m, "lists", &at)?;
            let withheld = strings(m, "withheld_by_lists", &at)?;
            for l in list_codes.iter().chain(&withheld) {
                if !lists.iter().any(|d| &d.code == l) {
                    return Err(format!("{at}名单 “{l}” 不存在"));
                }
            }
            let mut grades = Vec::new();
            if let Some(v) = m.get("grades") {
                for g in v.as_array().ok_or_else(|| format!("{at}grades 应为列表"))? {
                    let g = g.as_table().ok_or_else(|| format!("{at}grades 的每一项应为 {{ scheme, grades }}"))?;
                    let scheme = text(g, "scheme", &at)?;
                    let s = schemes
                        .iter()
                        .find(|s| s.code == scheme)
                        .ok_or_else(|| format!("{at}评价体系 “{scheme}” 不存在"))?;
                    let gs = strings(g, "grades", &at)?;
                    for x in &gs {
                        if !s.versions.iter().any(|v| v.bands.iter().any(|b| &b.grade == x)) {
                            return Err(format!("{at}评价体系 “{scheme}” 没有等级 “{x}”"));
                        }
                    }
                    grades.push(GradeTrigger { scheme, grades: gs });
                }
            }
            if list_codes.is_empty() && grades.is_empty() {
                return Err(format!("{at}须由名单（lists）或信用等级（grades）触发"));
            }
            let party_types = match m.get("party_types") {
                None => None,
                Some(_) => Some(
                    strings(m, "party_types", &at)?
                        .iter()
                        .map(|p| {
                            PartyType::parse(p).ok_or_else(|| format!("{at}party_types 中的 “{p}” 不是当事人类型"))
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let sc = strings(m, "scenarios", &at)?;
            for s in &sc {
                if !out_scenarios.iter().any(|x| &x.code == s) {
                    return Err(format!("{at}场景 “{s}” 不存在"));
                }
            }
            out.push(Measure {
                name: text(m, "name", &at)?,
                basis: text(m, "basis", &at)?,
                applied_by: text(m, "applied_by", &at)?,
                code,
                kind,
                lists: list_codes,
                grades,
                party_types,
                withheld_by_lists: withheld,
                scenarios: sc,
            });
        }
        for s in &out_scenarios {
            if !out.iter().any(|m| m.scenarios.contains(&s.code)) {
                return Err(format!("场景 “{}” 没有任何措施", s.code));
            }
        }
        Ok(Catalogue {
            version: version(&mt)?,
            measures: out,
            scenarios: out_scenarios,
            scenarios_version: version(&st)?,
        })
    }

    pub fn scenario(&self, code: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.code == code)
    }
    pub fn measure(&self, code: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.code == code)
    }
}

/// A list entry in force (listed and shown on the day of the check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInForce {
    pub entry_id: i64,
    pub list: String,
    pub criterion: u32,
    pub listed_on: Date,
    pub shown_until: Date,
}

/// A party's latest final grade in a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalGrade {
    pub scheme: String,
    pub grade: String,
    pub cycle_year: i16,
    pub run_id: i64,
}

/// What the measures read about a party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyFacts {
    pub party_type: PartyType,
    pub entries: Vec<EntryInForce>,
    pub grades: Vec<FinalGrade>,
}

/// A measure that applies, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied<'a> {
    pub measure: &'a Measure,
    pub reasons: Vec<String>,
}

/// The measures that apply to a party (those of `scenario`, or all), in
/// catalogue order, each with the entries and grades that trigger it.
pub fn applicable<'a>(cat: &'a Catalogue, scenario: Option<&str>, facts: &PartyFacts) -> Vec<Applied<'a>> {
    let lists = ListDefinition::embedded();
    let list_name = |code: &str| lists.iter().find(|l| l.code == code).map_or(code.to_string(), |l| l.name.clone());
    let mut out = Vec::new();
    for m in &cat.measures {
        if scenario.is_some_and(|s| !m.scenarios.iter().any(|x| x == s)) {
            continue;
        }
        if m.party_types.as_ref().is_some_and(|p| !p.contains(&facts.party_type)) {
            continue;
        }
        if facts.entries.iter().any(|e| m.withheld_by_lists.contains(&e.list)) {
            continue;
        }
        let mut reasons: Vec<String> = facts
            .entries
            .iter()
            .filter(|e| m.lists.contains(&e.list))
            .map(|e| {
                format!(
                    "列入{}（第 {} 号条目，依据第 {} 项认定标准，{} 至 {}）",
                    list_name(&e.list),
                    e.entry_id,
                    e.criterion,
                    e.listed_on,
                    e.shown_until
                )
            })
            .collect();
        for t in &m.grades {
            if let Some(g) = facts.grades.iter().find(|g| g.scheme == t.scheme && t.grades.contains(&g.grade)) {
                reasons.push(format!(
                    "{} 最新定级为 {} 级（{} 年度周期，第 {} 次评价）",
                    g.scheme, g.grade, g.cycle_year, g.run_id
                ));
            }
        }
        if !reasons.is_empty() {
            out.push(Applied { measure: m, reasons });
        }
    }
    out
}
