//! `rules/warnings.toml`: the warning rules, the daily scheduler's catch-up
//! and the outbox's retries.

/// The shipped file.
pub const EMBEDDED: &str = include_str!("../../../../rules/warnings.toml");

/// What a rule watches, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `count` or more penalties decided within `months` up to the day.
    PenaltiesWithin { count: u32, months: u32 },
    /// A grade at least `steps` worse than in the scheme's previous final run.
    GradeDrop { steps: u32 },
    /// A licence whose validity ends within `days` from the day.
    LicenceExpiring { days: u32 },
    /// An inspection that ordered rectification `working_days` ago or more.
    RectificationDue { working_days: u32 },
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::PenaltiesWithin { .. } => "penalties_within",
            RuleKind::GradeDrop { .. } => "grade_drop",
            RuleKind::LicenceExpiring { .. } => "licence_expiring",
            RuleKind::RectificationDue { .. } => "rectification_due",
        }
    }

    /// The condition in Chinese, as the rulebook and the warning pages show it.
    pub fn describe(self) -> String {
        match self {
            RuleKind::PenaltiesWithin { count, months } => {
                format!("{months} 个月内（按决定日期）受到 {count} 次及以上行政处罚（未撤销）")
            }
            RuleKind::GradeDrop { steps } => format!("最新定级的信用等级比上一次定级下降 {steps} 级及以上"),
            RuleKind::LicenceExpiring { days } => format!("行政许可有效期在 {days} 日内届满"),
            RuleKind::RectificationDue { working_days } => {
                format!("双随机抽查责令整改后已满 {working_days} 个工作日，需核查整改情况")
            }
        }
    }
}

/// A warning rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningRule {
    /// Stable code (stored with each warning).
    pub code: String,
    pub name: String,
    pub kind: RuleKind,
}

/// How the outbox retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxRules {
    pub first_retry_seconds: u32,
    pub max_retry_seconds: u32,
    pub max_attempts: u32,
}

impl OutboxRules {
    /// Seconds to wait after the `attempts`-th failed attempt (1, 2, …):
    /// the first retry's wait doubled for each further one, at most the
    /// maximum; `None` when no attempt is left.
    pub fn retry_after(&self, attempts: u32) -> Option<u32> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doubled = u64::from(self.first_retry_seconds) << attempts.saturating_sub(1).min(32);
        Some(doubled.min(u64::from(self.max_retry_seconds)) as u32)
    }
}

/// The monitoring rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningRules {
    pub version: i64,
    pub source: String,
    /// Missed days evaluated after a restart, at most.
    pub catch_up_days: u32,
    /// Deadlines within this many working days are reminded of.
    pub soon_working_days: u32,
    pub outbox: OutboxRules,
    pub rules: Vec<WarningRule>,
}

impl WarningRules {
    /// The shipped rules.
    pub fn embedded() -> WarningRules {
        WarningRules::parse(EMBEDDED).expect("rules/warnings.toml is valid")
    }

    /// The rule of `code`.
    pub fn rule(&self, code: &str) -> Option<&WarningRule> {
        self.rules.iter().find(|r| r.code == code)
    }

    /// Parses a rules file; a Chinese message names the first problem.
    pub fn parse(text: &str) -> Result<WarningRules, String> {
        let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let int = |table: &toml::Table, what: &str, k: &str, lo: i64, hi: i64| -> Result<u32, String> {
            table
                .get(k)
                .and_then(toml::Value::as_integer)
                .filter(|v| (lo..=hi).contains(v))
                .map(|v| v as u32)
                .ok_or_else(|| format!("{what}{k} 应为 {lo} 到 {hi} 之间的整数"))
        };
        let table = |k: &str| t.get(k).and_then(toml::Value::as_table).ok_or_else(|| format!("缺少 [{k}]"));
        let scheduler = table("scheduler")?;
        let outbox = table("outbox")?;
        let outbox = OutboxRules {
            first_retry_seconds: int(outbox, "outbox.", "first_retry_seconds", 1, 86_400)?,
            max_retry_seconds: int(outbox, "outbox.", "max_retry_seconds", 1, 86_400)?,
            max_attempts: int(outbox, "outbox.", "max_attempts", 1, 100)?,
        };
        if outbox.max_retry_seconds < outbox.first_retry_seconds {
            return Err("outbox.max_retry_seconds 不应小于 first_retry_seconds".into());
        }
        let mut rules: Vec<WarningRule> = Vec::new();
        for (i, r) in t.get("rule").and_then(toml::Value::as_array).ok_or("缺少 [[rule]]")?.iter().enumerate() {
            let at = format!("第 {} 条 [[rule]] 的 ", i + 1);
            let r = r.as_table().ok_or_else(|| format!("第 {} 条 [[rule]] 不是表", i + 1))?;
            let text = |k: &str| {
                r.get(k)
                    .and_then(toml::Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| format!("{at}{k} 应为非空文本"))
            };
            let code = text("code")?;
            if !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') || code.len() > 40 {
                return Err(format!("{at}code 应由小写字母、数字和下划线组成（至多 40 个字符）"));
            }
            let kind = match text("kind")?.as_str() {
                "penalties_within" => RuleKind::PenaltiesWithin {
                    count: int(r, &at, "count", 1, 100)?,
                    months: int(r, &at, "months", 1, 60)?,
                },
                "grade_drop" => RuleKind::GradeDrop { steps: int(r, &at, "steps", 1, 10)? },
                "licence_expiring" => RuleKind::LicenceExpiring { days: int(r, &at, "days", 1, 366)? },
                "rectification_due" => {
                    RuleKind::RectificationDue { working_days: int(r, &at, "working_days", 1, 250)? }
                }
                other => {
                    return Err(format!(
                        "{at}kind“{other}”未知（可用 penalties_within、grade_drop、licence_expiring、rectification_due）"
                    ));
                }
            };
            if rules.iter().any(|x| x.code == code) {
                return Err(format!("规则代码 {code} 重复"));
            }
            rules.push(WarningRule { code, name: text("name")?, kind });
        }
        Ok(WarningRules {
            version: t.get("version").and_then(toml::Value::as_integer).ok_or("缺少 version")?,
            source: t.get("source").and_then(toml::Value::as_str).unwrap_or_default().to_string(),
            catch_up_days: int(scheduler, "scheduler.", "catch_up_days", 1, 366)?,
            soon_working_days: int(scheduler, "scheduler.", "soon_working_days", 0, 20)?,
            outbox,
            rules,
        })
    }

    /// The longest look-back of the penalty rules, in months (0: none).
    pub fn penalty_months(&self) -> u32 {
        self.rules
            .iter()
            .filter_map(|r| match r.kind {
                RuleKind::PenaltiesWithin { months, .. } => Some(months),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The longest look-ahead of the licence rules, in days (0: none).
    pub fn licence_days(&self) -> u32 {
        self.rules
            .iter()
            .filter_map(|r| match r.kind {
                RuleKind::LicenceExpiring { days } => Some(days),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}
