//! Evaluation schemes as versioned data (`rules/evaluation/<code>.toml`):
//! who is evaluated, the cycle, base score, bonus cap, floor, the item
//! catalogue, the grade bands (a band may combine the score with demerit
//! points, 不良行为记分), and the scheme's special rules. A scheme is added
//! by a file alone; [`Scheme::parse`] refuses a file that could grade some
//! score in no band, or grade a higher score worse.

use std::fmt;

use jiff::civil::Date;

/// A score in tenths of a point (schemes give at most one decimal: 94.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(pub i64);

impl Points {
    pub const ZERO: Points = Points(0);

    /// Whole points.
    pub const fn whole(n: i64) -> Points {
        Points(n * 10)
    }

    /// Reads `95`, `94.9` or `-2.5`; refuses more than one decimal.
    pub fn parse(s: &str) -> Option<Points> {
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 1 {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (digits.contains('.') && frac.is_empty()) {
            return None;
        }
        let tenths = int.parse::<i64>().ok()?.checked_mul(10)?.checked_add(frac.parse::<i64>().unwrap_or(0))?;
        Some(Points(if neg { -tenths } else { tenths }))
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.abs();
        if a % 10 == 0 { write!(f, "{sign}{}", a / 10) } else { write!(f, "{sign}{}.{}", a / 10, a % 10) }
    }
}

impl std::ops::Add for Points {
    type Output = Points;
    fn add(self, o: Points) -> Points {
        Points(self.0 + o.0)
    }
}

/// Who a scheme evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluates {
    Organisations,
    Persons,
}

/// How a scheme's cycles run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleKind {
    /// 1 January to 31 December.
    CalendarYear,
    /// Twelve months from a fixed day of the year (month, day).
    YearFrom(i8, i8),
}

/// One evaluation cycle, named by the year it starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cycle {
    pub year: i16,
    pub first: Date,
    pub last: Date,
}

impl CycleKind {
    /// The cycle starting in `year`.
    pub fn cycle(self, year: i16) -> Option<Cycle> {
        let (m, d) = match self {
            CycleKind::CalendarYear => (1, 1),
            CycleKind::YearFrom(m, d) => (m, d),
        };
        let first = Date::new(year, m, d).ok()?;
        let last = first.checked_add(jiff::Span::new().years(1)).ok()?.yesterday().ok()?;
        Some(Cycle { year, first, last })
    }

    /// The cycle containing `day`.
    pub fn cycle_of(self, day: Date) -> Option<Cycle> {
        let this = self.cycle(day.year())?;
        if day >= this.first { Some(this) } else { self.cycle(day.year() - 1) }
    }
}

/// A condition of a band: every bound given holds (score ≥ `score_min`,
/// score < `score_below`, demerits ≥ `demerits_min`, demerits < `demerits_below`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Condition {
    pub score_min: Option<Points>,
    pub score_below: Option<Points>,
    pub demerits_min: Option<i64>,
    pub demerits_below: Option<i64>,
}

impl Condition {
    pub fn holds(&self, score: Points, demerits: i64) -> bool {
        self.score_min.is_none_or(|m| score >= m)
            && self.score_below.is_none_or(|b| score < b)
            && self.demerits_min.is_none_or(|m| demerits >= m)
            && self.demerits_below.is_none_or(|b| demerits < b)
    }
}

/// A grade and when it is given: any of its conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub grade: String,
    /// What the grade means (信用好 …).
    pub label: String,
    pub when: Vec<Condition>,
}

/// An item of the catalogue: fixed points, or a range the input chooses in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub code: String,
    pub name: String,
    /// Fixed points (a deduction is negative).
    pub points: Option<Points>,
    /// The range, when the input gives the points.
    pub range: Option<(Points, Points)>,
    /// 不良行为记分 the item adds (schemes that count them).
    pub demerits: i64,
    /// A serious dishonest act: the scheme's `serious` rule applies.
    pub serious: bool,
    pub basis: String,
}

/// How a penalty in the platform becomes an item: all given tests hold
/// (any of the texts in the violation type or legal basis; any of the classes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub item: String,
    pub text: Vec<String>,
    pub classes: Vec<String>,
}

/// The serious-dishonesty rule: a serious act gives `grade` at once, for
/// `months` from its date, and at least as long as the penalty lasts when
/// `at_least_penalty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serious {
    pub grade: String,
    pub months: i32,
    pub at_least_penalty: bool,
}

/// The 不良记录 conditions of a scheme (the taxi drivers' §5.3), each optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BadRecord {
    /// The lowest grade in this many consecutive cycles.
    pub lowest_cycles_in_a_row: Option<u32>,
    /// The running score falling to or below `drops_to`…
    pub drops_to: Option<Points>,
    /// …this many times in one cycle.
    pub drops: Option<u32>,
}

/// One version of a scheme, in force from `effective_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeVersion {
    pub id: String,
    pub effective_from: Date,
    pub source: String,
    pub base: Points,
    pub bonus_cap: Points,
    pub floor: Points,
    /// Months a result is valid.
    pub valid_months: i32,
    /// 初评公示: working days a result is preliminary and open to objection.
    pub comment_days: u32,
    /// Steps a grade may rise from one cycle to the next (0: no limit).
    pub max_steps_up: u32,
    /// A subject with no result before and nothing in the cycle.
    pub default_grade: String,
    /// The best grade of a subject with no result before and a deduction in the cycle.
    pub default_grade_with_deduction: Option<String>,
    pub serious: Option<Serious>,
    pub bad_record: BadRecord,
    /// Bands from the best grade to the worst.
    pub bands: Vec<Band>,
    pub items: Vec<Item>,
    pub mappings: Vec<Mapping>,
    /// Inspection outcomes that score, as (outcome code, item of fixed
    /// points) (`[[version.inspection]]`; none where the scheme says nothing).
    pub inspection: Vec<(String, String)>,
}

impl SchemeVersion {
    /// The rank of `grade` (0: the best), if it is one of the bands.
    pub fn rank(&self, grade: &str) -> Option<usize> {
        self.bands.iter().position(|b| b.grade == grade)
    }

    /// The first band whose conditions hold.
    pub fn band(&self, score: Points, demerits: i64) -> Option<&Band> {
        self.bands.iter().find(|b| b.when.iter().any(|c| c.holds(score, demerits)))
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// The item a penalty maps to: its violation type and legal basis (one
    /// text each), its classes; the first mapping whose tests hold.
    pub fn map_penalty(&self, violation: &str, basis: &str, classes: &[&str]) -> Option<&Item> {
        self.mappings
            .iter()
            .find(|m| {
                (m.text.is_empty()
                    || m.text.iter().any(|t| violation.contains(t.as_str()) || basis.contains(t.as_str())))
                    && (m.classes.is_empty() || m.classes.iter().any(|c| classes.contains(&c.as_str())))
            })
            .and_then(|m| self.item(&m.item))
    }

    /// The highest score possible.
    pub fn ceiling(&self) -> Points {
        self.base + self.bonus_cap
    }
}

/// An evaluation scheme: its identity and its versions by effective date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    pub code: String,
    pub name: String,
    pub evaluates: Evaluates,
    /// The field it belongs to (公路建设, 出租汽车 …).
    pub field: String,
    /// Whether persons' grades are shown publicly (always masked).
    pub persons_public: bool,
    pub cycle: CycleKind,
    /// Versions, oldest first.
    pub versions: Vec<SchemeVersion>,
}

/// The schemes shipped with Xinjiao: (code, file text).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("highway-construction", include_str!("../../../../rules/evaluation/highway-construction.toml")),
    ("taxi-driver", include_str!("../../../../rules/evaluation/taxi-driver.toml")),
    ("road-transport", include_str!("../../../../rules/evaluation/road-transport.toml")),
];

/// The highest demerit count the coverage check tries.
const DEMERITS_CHECKED: i64 = 200;

impl Scheme {
    /// The embedded schemes, parsed (they are checked by the tests).
    pub fn embedded() -> Vec<Scheme> {
        Scheme::shipped().to_vec()
    }

    /// The embedded schemes, parsed once.
    pub fn shipped() -> &'static [Scheme] {
        static SHIPPED: std::sync::OnceLock<Vec<Scheme>> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(|| {
            EMBEDDED.iter().map(|(_, text)| Scheme::parse(text).expect("embedded evaluation scheme")).collect()
        })
    }

    /// The version in force on `day` (the oldest if `day` is before all).
    pub fn version_on(&self, day: Date) -> &SchemeVersion {
        self.versions.iter().rev().find(|v| v.effective_from <= day).unwrap_or(&self.versions[0])
    }

    /// Reads and checks a scheme file; the error names the key and the rule broken, in Chinese.
    pub fn parse(text: &str) -> Result<Scheme, String> {
        let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let code = string(&t, "code")?;
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err("code 应由小写字母、数字和连字符组成".into());
        }
        let evaluates = match string(&t, "evaluates")?.as_str() {
            "organisations" => Evaluates::Organisations,
            "persons" => Evaluates::Persons,
            other => return Err(format!("evaluates 应为 organisations 或 persons（收到 {other}）")),
        };
        let cycle = match string(&t, "cycle")?.as_str() {
            "calendar_year" => CycleKind::CalendarYear,
            other => {
                let md = other.strip_prefix("year_from:").ok_or("cycle 应为 calendar_year 或 year_from:MM-DD")?;
                let d: Date = format!("2001-{md}").parse().map_err(|_| format!("cycle 的日期“{md}”无效"))?;
                CycleKind::YearFrom(d.month(), d.day())
            }
        };
        let versions = t.get("version").and_then(toml::Value::as_array).ok_or("缺少 [[version]]")?;
        let mut out = Vec::new();
        for (i, v) in versions.iter().enumerate() {
            let v = v.as_table().ok_or("[[version]] 应为表")?;
            let version = parse_version(v).map_err(|e| format!("第 {} 个 [[version]]：{e}", i + 1))?;
            if let Some(prev) = out.last().map(|p: &SchemeVersion| p.effective_from)
                && version.effective_from <= prev
            {
                return Err(format!("第 {} 个 [[version]]：effective_from 应晚于上一版本", i + 1));
            }
            if out.iter().any(|p: &SchemeVersion| p.id == version.id) {
                return Err(format!("版本 id “{}”重复", version.id));
            }
            out.push(version);
        }
        if out.is_empty() {
            return Err("缺少 [[version]]".into());
        }
        Ok(Scheme {
            code,
            name: string(&t, "name")?,
            evaluates,
            field: string(&t, "field")?,
            persons_public: t.get("persons_public").and_then(toml::Value::as_bool).unwrap_or(false),
            cycle,
            versions: out,
        })
    }
}

fn string(t: &toml::Table, key: &str) -> Result<String, String> {
    t.get(key).and_then(toml::Value::as_str).map(str::to_string).ok_or_else(|| format!("缺少 {key}（文本）"))
}

fn points(v: &toml::Value, key: &str) -> Result<Points, String> {
    let text = match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => format!("{f}"),
        _ => return Err(format!("{key} 应为数值")),
    };
    Points::parse(&text).ok_or_else(|| format!("{key} 应为至多一位小数的数值（收到 {text}）"))
}

fn opt_points(t: &toml::Table, key: &str) -> Result<Option<Points>, String> {
    t.get(key).map(|v| points(v, key)).transpose()
}

fn opt_int(t: &toml::Table, key: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_integer()
            .filter(|i| range.contains(i))
            .map(Some)
            .ok_or_else(|| format!("{key} 应为 {} 到 {} 之间的整数", range.start(), range.end())),
    }
}

fn strings(t: &toml::Table, key: &str) -> Result<Vec<String>, String> {
    match t.get(key) {
        None => Ok(vec![]),
        Some(v) => v
            .as_array()
            .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
            .ok_or_else(|| format!("{key} 应为文本列表")),
    }
}

fn tables<'a>(t: &'a toml::Table, key: &str) -> Result<Vec<&'a toml::Table>, String> {
    match t.get(key) {
        None => Ok(vec![]),
        Some(v) => v
            .as_array()
            .and_then(|a| a.iter().map(toml::Value::as_table).collect::<Option<Vec<_>>>())
            .ok_or_else(|| format!("{key} 应为表的列表")),
    }
}

fn parse_version(v: &toml::Table) -> Result<SchemeVersion, String> {
    let id = string(v, "id")?;
    let effective_from: Date =
        string(v, "effective_from")?.parse().map_err(|_| "effective_from 应为 YYYY-MM-DD".to_string())?;
    let base = opt_points(v, "base")?.ok_or("缺少 base")?;
    let bonus_cap = opt_points(v, "bonus_cap")?.unwrap_or(Points::ZERO);
    let floor = opt_points(v, "floor")?.unwrap_or(Points::ZERO);
    if floor >= base || bonus_cap < Points::ZERO {
        return Err("须 floor < base，bonus_cap ≥ 0".into());
    }
    let mut bands = Vec::new();
    for b in tables(v, "bands")? {
        let grade = string(b, "grade")?;
        let mut when = Vec::new();
        for c in tables(b, "when")? {
            for k in c.keys() {
                if !["score_min", "score_below", "demerits_min", "demerits_below"].contains(&k.as_str()) {
                    return Err(format!("等级 {grade} 的条件中有未知的键 {k}"));
                }
            }
            when.push(Condition {
                score_min: opt_points(c, "score_min")?,
                score_below: opt_points(c, "score_below")?,
                demerits_min: opt_int(c, "demerits_min", 0..=10_000)?,
                demerits_below: opt_int(c, "demerits_below", 0..=10_000)?,
            });
        }
        if when.is_empty() {
            return Err(format!("等级 {grade} 缺少条件 when"));
        }
        if bands.iter().any(|x: &Band| x.grade == grade) {
            return Err(format!("等级 {grade} 重复"));
        }
        bands.push(Band { grade, label: string(b, "label").unwrap_or_default(), when });
    }
    if bands.len() < 2 {
        return Err("至少需要两个等级 [[version.bands]]".into());
    }
    let mut items = Vec::new();
    for it in tables(v, "items")? {
        let code = string(it, "code")?;
        let fixed = opt_points(it, "points")?;
        let range = match (opt_points(it, "min")?, opt_points(it, "max")?) {
            (Some(a), Some(b)) if a <= b => Some((a, b)),
            (None, None) => None,
            _ => return Err(format!("事项 {code}：min 和 max 须同时给出且 min ≤ max")),
        };
        if fixed.is_some() == range.is_some() {
            return Err(format!("事项 {code}：须给出 points，或给出 min 和 max（二者之一）"));
        }
        if items.iter().any(|x: &Item| x.code == code) {
            return Err(format!("事项代码 {code} 重复"));
        }
        items.push(Item {
            name: string(it, "name")?,
            points: fixed,
            range,
            demerits: opt_int(it, "demerits", 0..=1000)?.unwrap_or(0),
            serious: it.get("serious").and_then(toml::Value::as_bool).unwrap_or(false),
            basis: string(it, "basis").unwrap_or_default(),
            code,
        });
    }
    if items.is_empty() {
        return Err("缺少事项目录 [[version.items]]".into());
    }
    let mut mappings = Vec::new();
    for m in tables(v, "mapping")? {
        let item = string(m, "item")?;
        match items.iter().find(|i| i.code == item) {
            None => return Err(format!("[[version.mapping]] 引用了不存在的事项 {item}")),
            // A penalty carries no points: it maps to items of fixed points.
            Some(i) if i.points.is_none() => {
                return Err(format!("[[version.mapping]] 的事项 {item} 须为固定分值（处罚记录不带分值）"));
            }
            Some(_) => {}
        }
        let (text, classes) = (strings(m, "text")?, strings(m, "classes")?);
        if text.is_empty() && classes.is_empty() {
            return Err(format!("事项 {item} 的对应规则须给出 text 或 classes"));
        }
        mappings.push(Mapping { item, text, classes });
    }
    let mut inspection = Vec::new();
    for t in tables(v, "inspection")? {
        let (outcome, item) = (string(t, "outcome")?, string(t, "item")?);
        if crate::inspection::results::Outcome::parse(&outcome).is_none_or(|o| o.as_str() != outcome) {
            return Err(format!(
                "[[version.inspection]] 的 outcome 应为 clean、rectification 或 case（收到 {outcome}）"
            ));
        }
        match items.iter().find(|i| i.code == item) {
            None => return Err(format!("[[version.inspection]] 引用了不存在的事项 {item}")),
            Some(i) if i.points.is_none() => {
                return Err(format!("[[version.inspection]] 的事项 {item} 须为固定分值（检查结果不带分值）"));
            }
            Some(_) => {}
        }
        if inspection.iter().any(|(o, _)| *o == outcome) {
            return Err(format!("[[version.inspection]] 的 outcome {outcome} 重复"));
        }
        inspection.push((outcome, item));
    }
    let grade_of = |key: &str, g: String| -> Result<String, String> {
        if bands.iter().any(|b| b.grade == g) { Ok(g) } else { Err(format!("{key} 的等级 {g} 不在 bands 中")) }
    };
    let serious = match v.get("serious").and_then(toml::Value::as_table) {
        None => None,
        Some(s) => Some(Serious {
            grade: grade_of("serious.grade", string(s, "grade")?)?,
            months: opt_int(s, "months", 1..=120)?.ok_or("serious 缺少 months")? as i32,
            at_least_penalty: s.get("at_least_penalty").and_then(toml::Value::as_bool).unwrap_or(false),
        }),
    };
    if serious.is_none() && items.iter().any(|i| i.serious) {
        return Err("有事项标为 serious，但没有 [version.serious] 规则".into());
    }
    let bad_record = match v.get("bad_record").and_then(toml::Value::as_table) {
        None => BadRecord::default(),
        Some(b) => BadRecord {
            lowest_cycles_in_a_row: opt_int(b, "lowest_cycles_in_a_row", 2..=10)?.map(|n| n as u32),
            drops_to: opt_points(b, "drops_to")?,
            drops: opt_int(b, "drops", 1..=100)?.map(|n| n as u32),
        },
    };
    let version = SchemeVersion {
        id,
        effective_from,
        source: string(v, "source")?,
        base,
        bonus_cap,
        floor,
        valid_months: opt_int(v, "valid_months", 1..=60)?.ok_or("缺少 valid_months")? as i32,
        comment_days: opt_int(v, "comment_days", 0..=60)?.unwrap_or(0) as u32,
        max_steps_up: opt_int(v, "max_steps_up", 0..=10)?.unwrap_or(0) as u32,
        default_grade: grade_of("default_grade", string(v, "default_grade")?)?,
        default_grade_with_deduction: match v.get("default_grade_with_deduction").and_then(toml::Value::as_str) {
            Some(g) => Some(grade_of("default_grade_with_deduction", g.to_string())?),
            None => None,
        },
        serious,
        bad_record,
        bands,
        items,
        mappings,
        inspection,
    };
    check_bands(&version)?;
    Ok(version)
}

/// Every reachable (score, demerits) falls in a band, and neither a higher
/// score nor fewer demerits ever gives a worse grade. Bands are unions of
/// intervals, so membership changes only at their bounds: checking each
/// bound and the value just below it (and the ends of the range) checks
/// every value.
fn check_bands(v: &SchemeVersion) -> Result<(), String> {
    let (lo, hi) = (v.floor.0, v.ceiling().0);
    let mut scores = vec![lo, hi];
    let mut demerits = vec![0, DEMERITS_CHECKED];
    for c in v.bands.iter().flat_map(|b| &b.when) {
        for s in [c.score_min, c.score_below].into_iter().flatten() {
            scores.extend([s.0, s.0 - 1]);
        }
        for d in [c.demerits_min, c.demerits_below].into_iter().flatten() {
            demerits.extend([d, d - 1]);
        }
    }
    scores.retain(|s| (lo..=hi).contains(s));
    demerits.retain(|d| (0..=DEMERITS_CHECKED).contains(d));
    scores.sort_unstable();
    scores.dedup();
    demerits.sort_unstable();
    demerits.dedup();
    for (i, &d) in demerits.iter().enumerate() {
        let mut previous = usize::MAX;
        for &s in &scores {
            let score = Points(s);
            let Some(band) = v.band(score, d) else {
                return Err(format!(
                    "得分 {score}、记分 {d} 不属于任何等级（各等级的条件须覆盖 {} 到 {} 分）",
                    v.floor,
                    v.ceiling()
                ));
            };
            let rank = v.rank(&band.grade).unwrap_or(usize::MAX);
            if previous != usize::MAX && rank > previous {
                return Err(format!(
                    "得分 {score}、记分 {d} 的等级 {} 低于更低得分的等级：分数越高等级不应越低",
                    band.grade
                ));
            }
            previous = rank;
            if i > 0 {
                let fewer = demerits[i - 1];
                if v.band(score, fewer).and_then(|b| v.rank(&b.grade)).unwrap_or(usize::MAX) > rank {
                    return Err(format!("得分 {score}：记分 {d} 的等级高于记分 {fewer} 的等级：记分越多等级不应越高"));
                }
            }
        }
    }
    Ok(())
}
