//! `rules/lists/<list>.toml`: what a list is (serious dishonesty, key
//! attention, red), who can be on it, its entry criteria — computed from the
//! platform's data or proposed by a department with evidence — its notice
//! period, how long an entry is shown, how it ends, and its legal basis.

/// The shipped lists, by code.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("overload", include_str!("../../../../rules/lists/overload.toml")),
    ("transport", include_str!("../../../../rules/lists/transport.toml")),
    ("red", include_str!("../../../../rules/lists/red.toml")),
];

/// The kind of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// 严重失信主体名单.
    SeriousDishonesty,
    /// 重点关注名单.
    KeyAttention,
    /// 守信激励名单 (红名单).
    Red,
}

impl ListKind {
    pub fn parse(s: &str) -> Option<ListKind> {
        match s {
            "serious_dishonesty" => Some(ListKind::SeriousDishonesty),
            "key_attention" => Some(ListKind::KeyAttention),
            "red" => Some(ListKind::Red),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::SeriousDishonesty => "serious_dishonesty",
            ListKind::KeyAttention => "key_attention",
            ListKind::Red => "red",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ListKind::SeriousDishonesty => "严重失信",
            ListKind::KeyAttention => "重点关注",
            ListKind::Red => "守信激励",
        }
    }
}

/// Who an entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartyType {
    /// A freight vehicle, by its plate.
    Vehicle,
    /// A driver, by the ID card number.
    Driver,
    /// An enterprise (or individual business), by its USCC.
    Enterprise,
    /// Another natural person, by the ID card number.
    Person,
}

impl PartyType {
    pub fn parse(s: &str) -> Option<PartyType> {
        match s {
            "vehicle" => Some(PartyType::Vehicle),
            "driver" => Some(PartyType::Driver),
            "enterprise" => Some(PartyType::Enterprise),
            "person" => Some(PartyType::Person),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            PartyType::Vehicle => "vehicle",
            PartyType::Driver => "driver",
            PartyType::Enterprise => "enterprise",
            PartyType::Person => "person",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PartyType::Vehicle => "车辆",
            PartyType::Driver => "驾驶人",
            PartyType::Enterprise => "企业",
            PartyType::Person => "个人",
        }
    }
    /// A natural person: the code is an ID number, masked in public.
    pub fn is_person(self) -> bool {
        matches!(self, PartyType::Driver | PartyType::Person)
    }
}

/// How an entry ends before or at its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The period shown has passed.
    Expiry,
    /// Credit repair (信用修复) approved.
    Repair,
    /// A court or an upper authority revoked the decision behind it.
    Decision,
}

impl Exit {
    pub fn parse(s: &str) -> Option<Exit> {
        match s {
            "expiry" => Some(Exit::Expiry),
            "repair" => Some(Exit::Repair),
            "decision" => Some(Exit::Decision),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Exit::Expiry => "expiry",
            Exit::Repair => "repair",
            Exit::Decision => "decision",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Exit::Expiry => "公示期满移出",
            Exit::Repair => "信用修复后移出",
            Exit::Decision => "依法院或上级机关决定移出",
        }
    }
}

/// How the platform computes a criterion from its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Computation {
    /// More than `more_than` days over the limit within `months` (a vehicle
    /// or a driver, by the criterion's party type).
    Trips { more_than: u32, months: u32 },
    /// The fleet's vehicles over the limit within `months` are more than
    /// `percent_more_than` % of the fleet, and a penalty in the same months
    /// carries `suspension_category`.
    FleetShare { percent_more_than: u32, months: u32, suspension_category: String },
    /// Penalties within `months` whose violation holds a word of each group:
    /// one with a fine of at least `fine_yuan_at_least`, or at least
    /// `penalties_at_least` of them.
    DirectingPenalties {
        months: u32,
        fine_yuan_at_least: u64,
        penalties_at_least: u32,
        violation_words: Vec<Vec<String>>,
    },
    /// The final grade of `scheme` was one of `grades` in each of the last
    /// `cycles` cycles, no penalty within `no_penalty_months`, on none of the
    /// lists `not_on`; with `no_commitment_breach`, no credit commitment
    /// found not kept or false in the same months either.
    GradeStreak {
        scheme: String,
        grades: Vec<String>,
        cycles: u32,
        no_penalty_months: u32,
        not_on: Vec<String>,
        no_commitment_breach: bool,
    },
    /// Credit commitments (issue 17) found false at least `false_at_least`
    /// times, or not kept at least `not_kept_at_least` times, within
    /// `months` (by the day of the finding).
    CommitmentBreaches { months: u32, false_at_least: u32, not_kept_at_least: u32 },
}

impl Computation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Computation::Trips { .. } => "trips",
            Computation::FleetShare { .. } => "fleet_share",
            Computation::DirectingPenalties { .. } => "directing_penalties",
            Computation::GradeStreak { .. } => "grade_streak",
            Computation::CommitmentBreaches { .. } => "commitment_breaches",
        }
    }
}

/// An entry criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    /// Its number in the source (§6.1 numbers 1–10).
    pub number: u32,
    /// Who it names; `None`: any party type of the list.
    pub party_type: Option<PartyType>,
    pub text: String,
    /// How the platform computes it; `None`: proposed by a department.
    pub computed: Option<Computation>,
    /// The evidence a proposal must carry (proposed criteria).
    pub evidence: Option<String>,
}

/// A list as its file defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDefinition {
    pub code: String,
    pub version: u32,
    pub name: String,
    pub kind: ListKind,
    /// The bureau set the criteria itself (no national rule does).
    pub bureau_choice: bool,
    pub party_types: Vec<PartyType>,
    pub basis: String,
    pub source: String,
    pub notice_working_days: u32,
    pub shown_months: u32,
    /// Months after confirmation before repair may be applied for.
    pub repair_after_months: Option<u32>,
    pub exits: Vec<Exit>,
    /// Days an exit stays announced on the public list page.
    pub exit_notice_days: u32,
    pub objections_to: String,
    pub criteria: Vec<Criterion>,
    /// The file as shipped (the rule book shows it).
    pub text: String,
}

impl ListDefinition {
    /// Every shipped list (checked by the tests), in the order of [`EMBEDDED`].
    pub fn embedded() -> &'static [ListDefinition] {
        static CELL: std::sync::OnceLock<Vec<ListDefinition>> = std::sync::OnceLock::new();
        CELL.get_or_init(|| {
            EMBEDDED.iter().map(|(_, text)| ListDefinition::parse(text).expect("embedded list")).collect()
        })
    }

    /// A shipped list by code.
    pub fn find(code: &str) -> Option<&'static ListDefinition> {
        Self::embedded().iter().find(|l| l.code == code)
    }

    pub fn criterion(&self, number: u32) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.number == number)
    }

    /// Reads a list file; a Chinese message names the first problem.
    pub fn parse(text: &str) -> Result<ListDefinition, String> {
        let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let s = |t: &toml::Table, k: &str, at: &str| -> Result<String, String> {
            t.get(k)
                .and_then(toml::Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("{at}缺少 {k}"))
        };
        let int = |t: &toml::Table, k: &str, at: &str, lo: i64, hi: i64| -> Result<u32, String> {
            t.get(k)
                .and_then(toml::Value::as_integer)
                .filter(|n| (lo..=hi).contains(n))
                .map(|n| n as u32)
                .ok_or_else(|| format!("{at}{k} 应为 {lo} 到 {hi} 之间的整数"))
        };
        let strings = |t: &toml::Table, k: &str, at: &str| -> Result<Vec<String>, String> {
            t.get(k)
                .and_then(toml::Value::as_array)
                .ok_or_else(|| format!("{at}缺少 {k}"))?
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("{at}{k} 应为字符串列表")))
                .collect()
        };
        let code = s(&t, "code", "")?;
        if !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
            return Err(format!("code “{code}” 只能由小写字母、数字、-、_ 组成"));
        }
        let kind_text = s(&t, "kind", "")?;
        let kind = ListKind::parse(&kind_text)
            .ok_or_else(|| format!("kind “{kind_text}” 应为 serious_dishonesty、key_attention 或 red"))?;
        let mut party_types = Vec::new();
        for p in strings(&t, "party_types", "")? {
            party_types.push(PartyType::parse(&p).ok_or_else(|| format!("party_types 中的 “{p}” 不是当事人类型"))?);
        }
        if party_types.is_empty() {
            return Err("party_types 不能为空".into());
        }
        let mut exits = Vec::new();
        for e in strings(&t, "exits", "")? {
            exits.push(Exit::parse(&e).ok_or_else(|| format!("exits 中的 “{e}” 应为 expiry、repair 或 decision"))?);
        }
        if !exits.contains(&Exit::Expiry) {
            return Err("exits 须包含 expiry：每个名单条目都有公示期限".into());
        }
        let repair_after_months = match t.get("repair_after_months") {
            None => None,
            Some(_) => Some(int(&t, "repair_after_months", "", 0, 120)?),
        };
        let mut criteria: Vec<Criterion> = Vec::new();
        let list = t.get("criterion").and_then(toml::Value::as_array).ok_or("缺少 [[criterion]]")?;
        for (i, c) in list.iter().enumerate() {
            let c = c.as_table().ok_or_else(|| format!("第 {} 个 [[criterion]] 不是表", i + 1))?;
            let at = format!("第 {} 个 [[criterion]] 的 ", i + 1);
            let number = int(c, "number", &at, 1, 99)?;
            if criteria.last().is_some_and(|p| p.number >= number) {
                return Err(format!("{at}number 应大于上一条的编号"));
            }
            let party_text = s(c, "party_type", &at)?;
            let party_type = match party_text.as_str() {
                "any" => None,
                p => {
                    let pt = PartyType::parse(p).ok_or_else(|| format!("{at}party_type “{p}” 不是当事人类型"))?;
                    if !party_types.contains(&pt) {
                        return Err(format!("{at}party_type “{p}” 不在名单的 party_types 中"));
                    }
                    Some(pt)
                }
            };
            let computed = match c.get("computed").and_then(toml::Value::as_str) {
                None => None,
                Some("trips") => {
                    if !matches!(party_type, Some(PartyType::Vehicle | PartyType::Driver)) {
                        return Err(format!("{at}trips 只能用于 vehicle 或 driver"));
                    }
                    Some(Computation::Trips {
                        more_than: int(c, "more_than", &at, 0, 1000)?,
                        months: int(c, "months", &at, 1, 120)?,
                    })
                }
                Some("fleet_share") => Some(Computation::FleetShare {
                    percent_more_than: int(c, "share_percent_more_than", &at, 0, 99)?,
                    months: int(c, "months", &at, 1, 120)?,
                    suspension_category: s(c, "suspension_category", &at)?,
                }),
                Some("directing_penalties") => {
                    let groups = c
                        .get("violation_words")
                        .and_then(toml::Value::as_array)
                        .ok_or_else(|| format!("{at}缺少 violation_words"))?;
                    let mut violation_words = Vec::new();
                    for g in groups {
                        let words: Option<Vec<String>> =
                            g.as_array().map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect());
                        match words {
                            Some(w) if !w.is_empty() && w.iter().all(|x| !x.trim().is_empty()) => {
                                violation_words.push(w)
                            }
                            _ => return Err(format!("{at}violation_words 应为非空字符串列表的列表")),
                        }
                    }
                    Some(Computation::DirectingPenalties {
                        months: int(c, "months", &at, 1, 120)?,
                        fine_yuan_at_least: u64::from(int(c, "fine_yuan_at_least", &at, 1, 100_000_000)?),
                        penalties_at_least: int(c, "penalties_at_least", &at, 1, 1000)?,
                        violation_words,
                    })
                }
                Some("grade_streak") => Some(Computation::GradeStreak {
                    scheme: s(c, "scheme", &at)?,
                    grades: strings(c, "grades", &at)?,
                    cycles: int(c, "cycles", &at, 1, 10)?,
                    no_penalty_months: int(c, "no_penalty_months", &at, 0, 120)?,
                    not_on: strings(c, "not_on", &at)?,
                    no_commitment_breach: c.get("no_commitment_breach").and_then(toml::Value::as_bool).unwrap_or(false),
                }),
                Some("commitment_breaches") => Some(Computation::CommitmentBreaches {
                    months: int(c, "months", &at, 1, 120)?,
                    false_at_least: int(c, "false_at_least", &at, 1, 100)?,
                    not_kept_at_least: int(c, "not_kept_at_least", &at, 1, 100)?,
                }),
                Some(other) => {
                    return Err(format!(
                        "{at}computed “{other}” 应为 trips、fleet_share、directing_penalties、grade_streak 或 commitment_breaches"
                    ));
                }
            };
            let evidence = c.get("evidence").and_then(toml::Value::as_str).map(str::to_string);
            if computed.is_some() == evidence.is_some() {
                return Err(format!("{at}应当或由平台计算（computed），或由部门附证据提出（evidence），二者取一"));
            }
            if matches!(
                computed,
                Some(
                    Computation::FleetShare { .. }
                        | Computation::DirectingPenalties { .. }
                        | Computation::GradeStreak { .. }
                )
            ) && party_type != Some(PartyType::Enterprise)
            {
                return Err(format!("{at}此计算方式只能用于 enterprise"));
            }
            criteria.push(Criterion { number, party_type, text: s(c, "text", &at)?, computed, evidence });
        }
        if criteria.is_empty() {
            return Err("至少需要一条 [[criterion]]".into());
        }
        Ok(ListDefinition {
            code,
            version: int(&t, "version", "", 1, 1_000_000)?,
            name: s(&t, "name", "")?,
            kind,
            bureau_choice: t
                .get("bureau_choice")
                .and_then(toml::Value::as_bool)
                .ok_or("缺少 bureau_choice（true 或 false）")?,
            party_types,
            basis: s(&t, "basis", "")?,
            source: s(&t, "source", "")?,
            notice_working_days: int(&t, "notice_working_days", "", 1, 60)?,
            shown_months: int(&t, "shown_months", "", 1, 120)?,
            repair_after_months,
            exits,
            exit_notice_days: int(&t, "exit_notice_days", "", 0, 365)?,
            objections_to: s(&t, "objections_to", "")?,
            criteria,
            text: text.to_string(),
        })
    }
}
