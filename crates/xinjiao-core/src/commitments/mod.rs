//! Credit commitments (信用承诺, issue 17): the types of
//! `rules/commitments.toml`, who may not use the commitment route, the
//! states of a commitment and what each action does to it, its deadline in
//! working days, and what a breach becomes. Pure: the store keeps the signed
//! text and applies these decisions in its transactions.

use jiff::civil::Date;

use crate::calendar::Calendar;

pub mod matters;
pub mod members;
pub mod templates;
use crate::lists::definition::ListKind;

/// The embedded default rule file.
pub const EMBEDDED: &str = include_str!("../../../../rules/commitments.toml");

/// The digest kept with a window commitment's scan: lowercase hex SHA-256.
pub fn scan_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// When in a matter's life a commitment is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// With an application, before the matter is decided (审批型).
    Approval,
    /// On the subject's own initiative during supervision (主动公示型).
    Supervision,
    /// By an association for its members (行业自律型).
    SelfRegulation,
    /// With a credit repair application (信用修复型).
    Repair,
}

impl Stage {
    fn parse(s: &str) -> Option<Stage> {
        match s {
            "approval" => Some(Stage::Approval),
            "supervision" => Some(Stage::Supervision),
            "self-regulation" => Some(Stage::SelfRegulation),
            "repair" => Some(Stage::Repair),
            _ => None,
        }
    }
}

/// A type of commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentType {
    pub code: String,
    pub name: String,
    pub stage: Stage,
    /// Shown on the subject's profile and the public list.
    pub public: bool,
    /// What the subject undertakes to do by a deadline, if anything.
    pub obligation: Option<String>,
    /// The default deadline, in working days from the decision.
    pub working_days: Option<u32>,
    /// The consequences stated in a commitment of this type signed without
    /// a matter (a matter states its own).
    pub consequences: Option<String>,
}

/// Who may not use the commitment route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub list_kinds: Vec<ListKind>,
    pub unrepaired_breach: bool,
}

/// The evaluation items a commitment's outcome becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachItems {
    /// The outcomes (kept, kept late, not kept, false) of every type are shown publicly.
    pub outcomes_public: bool,
    pub not_kept: String,
    pub false_: String,
    pub kept: String,
}

/// `rules/commitments.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentRules {
    pub version: i64,
    pub types: Vec<CommitmentType>,
    pub exclusion: Exclusion,
    pub breach: BreachItems,
}

/// The non-blank text at `key`, trimmed; else "<at>缺少 <key>".
fn text(t: &toml::Table, key: &str, at: &str) -> Result<String, String> {
    t.get(key)
        .and_then(toml::Value::as_str)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{at}缺少 {key}"))
}

/// A version number (a positive integer) at `version`.
fn version(t: &toml::Table, at: &str) -> Result<u32, String> {
    t.get("version")
        .and_then(toml::Value::as_integer)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n >= 1)
        .ok_or(format!("{at}的 version 应为正整数"))
}

/// An optional number of working days (1 to 120) at `working_days`.
fn working_days(t: &toml::Table, at: &str) -> Result<Option<u32>, String> {
    t.get("working_days")
        .map(|v| {
            v.as_integer()
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| (1..=120).contains(d))
                .ok_or(format!("{at}的 working_days 应为 1 到 120 之间的整数"))
        })
        .transpose()
}

impl CommitmentRules {
    pub fn embedded() -> CommitmentRules {
        CommitmentRules::shipped().clone()
    }

    /// The embedded rules, parsed once.
    pub fn shipped() -> &'static CommitmentRules {
        static SHIPPED: std::sync::OnceLock<CommitmentRules> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(|| CommitmentRules::parse(EMBEDDED).expect("embedded commitment rules are valid"))
    }

    /// Reads the rule file; the error names the first problem, in Chinese.
    pub fn parse(src: &str) -> Result<CommitmentRules, String> {
        let t: toml::Table = src.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let version = t.get("version").and_then(toml::Value::as_integer).ok_or("缺少 version")?;
        let mut types: Vec<CommitmentType> = Vec::new();
        for (i, v) in t.get("type").and_then(toml::Value::as_array).ok_or("缺少 [[type]]")?.iter().enumerate() {
            let at = format!("第 {} 个 [[type]] ", i + 1);
            let ty = v.as_table().ok_or(format!("{at}不是表"))?;
            let code = text(ty, "code", &at)?;
            if types.iter().any(|x| x.code == code) {
                return Err(format!("{at}的 code {code} 重复"));
            }
            let stage = Stage::parse(&text(ty, "stage", &at)?).ok_or(format!("{at}的 stage 未知"))?;
            let obligation = ty.get("obligation").and_then(toml::Value::as_str).map(str::to_string);
            let working_days = working_days(ty, &at)?;
            if obligation.is_some() != working_days.is_some() {
                return Err(format!("{at}的 obligation 与 working_days 须同时给出"));
            }
            if obligation.is_some() && stage != Stage::Approval {
                return Err(format!("{at}：只有审批型承诺有补正期限"));
            }
            types.push(CommitmentType {
                name: text(ty, "name", &at)?,
                public: ty.get("public").and_then(toml::Value::as_bool).ok_or(format!("{at}缺少 public"))?,
                consequences: ty.get("consequences").and_then(toml::Value::as_str).map(str::to_string),
                code,
                stage,
                obligation,
                working_days,
            });
        }
        let ex = t.get("exclusion").and_then(toml::Value::as_table).ok_or("缺少 [exclusion]")?;
        let list_kinds = ex
            .get("list_kinds")
            .and_then(toml::Value::as_array)
            .ok_or("exclusion 缺少 list_kinds")?
            .iter()
            .map(|v| v.as_str().and_then(ListKind::parse).ok_or("exclusion.list_kinds 有未知的名单类别".to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let unrepaired_breach =
            ex.get("unrepaired_breach").and_then(toml::Value::as_bool).ok_or("exclusion 缺少 unrepaired_breach")?;
        let b = t.get("breach").and_then(toml::Value::as_table).ok_or("缺少 [breach]")?;
        let breach = BreachItems {
            outcomes_public: b
                .get("outcomes_public")
                .and_then(toml::Value::as_bool)
                .ok_or("breach 缺少 outcomes_public")?,
            not_kept: text(b, "not_kept_item", "breach ")?,
            false_: text(b, "false_item", "breach ")?,
            kept: text(b, "kept_item", "breach ")?,
        };
        Ok(CommitmentRules { version, types, exclusion: Exclusion { list_kinds, unrepaired_breach }, breach })
    }

    pub fn type_of(&self, code: &str) -> Option<&CommitmentType> {
        self.types.iter().find(|t| t.code == code)
    }

    /// Whether a subject may use the commitment route: `listed` are the
    /// kinds of the lists it is on today, `unrepaired_breaches` how many of
    /// its commitments are not kept or false and not repaired since. The
    /// error says why not, in Chinese (the applicant is told, and may apply
    /// the ordinary way).
    pub fn may_use(&self, listed: &[ListKind], unrepaired_breaches: usize) -> Result<(), String> {
        if let Some(k) = listed.iter().find(|k| self.exclusion.list_kinds.contains(k)) {
            return Err(format!("列入{}名单期间不适用告知承诺，请按一般程序提交全部材料。", k.label()));
        }
        if self.exclusion.unrepaired_breach && unrepaired_breaches > 0 {
            return Err("存在未经信用修复的虚假承诺或未履行承诺，不适用告知承诺，请按一般程序提交全部材料。".into());
        }
        Ok(())
    }

    /// The evaluation item an outcome becomes, if any (kept late: none —
    /// recorded on the history only).
    pub fn item_of(&self, state: State) -> Option<&str> {
        match state {
            State::NotKept => Some(&self.breach.not_kept),
            State::False => Some(&self.breach.false_),
            State::Kept => Some(&self.breach.kept),
            _ => None,
        }
    }
}

/// Where a commitment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Signed with an application, the matter not yet decided.
    Signed,
    /// Withdrawn by the subject (before the decision, or a public
    /// commitment given up).
    Withdrawn,
    /// The matter was refused: the commitment has no effect.
    Void,
    /// In force: obligations pending, or a commitment that holds.
    InForce,
    /// Obligations met by the deadline.
    Kept,
    /// Obligations met after the deadline.
    KeptLate,
    /// Obligations not met, or a public commitment broken.
    NotKept,
    /// What was promised proved untrue.
    False,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Signed,
        State::Withdrawn,
        State::Void,
        State::InForce,
        State::Kept,
        State::KeptLate,
        State::NotKept,
        State::False,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Signed => "signed",
            State::Withdrawn => "withdrawn",
            State::Void => "void",
            State::InForce => "in_force",
            State::Kept => "kept",
            State::KeptLate => "kept_late",
            State::NotKept => "not_kept",
            State::False => "false",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Signed => "已签署，待办结",
            State::Withdrawn => "已撤回",
            State::Void => "事项未获批准，承诺不生效",
            State::InForce => "履行中",
            State::Kept => "按期履行",
            State::KeptLate => "逾期履行",
            State::NotKept => "未履行",
            State::False => "承诺不实",
        }
    }

    /// Kept (on time or late), not kept or false: the commitment has an outcome.
    pub fn is_outcome(self) -> bool {
        matches!(self, State::Kept | State::KeptLate | State::NotKept | State::False)
    }

    /// A breach: counts against the subject until repaired.
    pub fn is_breach(self) -> bool {
        matches!(self, State::NotKept | State::False)
    }
}

/// The state a commitment starts in when signed: approval-stage ones wait
/// for the matter's decision; the others are in force at once.
pub fn initial(ty: &CommitmentType) -> State {
    if ty.stage == Stage::Approval { State::Signed } else { State::InForce }
}

/// What staff find when they check a commitment's obligations (or, for one
/// without, a breach found by supervision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Kept,
    NotKept,
    False,
}

/// What happens to a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The subject withdraws it.
    Withdraw,
    /// The matter it came with is decided.
    Decide { granted: bool },
    /// Staff record what they found.
    Verify(Finding),
}

/// A commitment's new state and, for a granted matter with obligations, the
/// deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub state: State,
    pub due: Option<Date>,
}

/// The deadline of a commitment of `ty` decided on `decided`: the matter's
/// own number of working days, else the type's. `None` without obligations.
pub fn due_date(ty: &CommitmentType, matter_days: Option<u32>, decided: Date, cal: &Calendar) -> Option<Date> {
    ty.working_days.map(|d| cal.add_working_days(decided, matter_days.unwrap_or(d)).value)
}

/// What `action` on `on` does to a commitment of `ty` in `state` with the
/// deadline `due` (a matter may set its own number of working days:
/// `matter_days`). The error says why not, in Chinese.
pub fn apply(
    ty: &CommitmentType,
    state: State,
    due: Option<Date>,
    action: Action,
    on: Date,
    matter_days: Option<u32>,
    cal: &Calendar,
) -> Result<Step, &'static str> {
    let keep = |state| Ok(Step { state, due });
    match (state, action) {
        (State::Signed, Action::Withdraw) => keep(State::Withdrawn),
        (State::InForce, Action::Withdraw) if ty.stage != Stage::Approval && ty.stage != Stage::Repair => {
            keep(State::Withdrawn)
        }
        (State::InForce, Action::Withdraw) => Err("事项已办结，承诺不能撤回"),
        (State::Signed, Action::Decide { granted: false }) => keep(State::Void),
        (State::Signed, Action::Decide { granted: true }) => {
            let due = due_date(ty, matter_days, on, cal);
            // Without obligations a granted commitment is simply in force.
            Ok(Step { state: State::InForce, due })
        }
        (_, Action::Decide { .. }) => Err("只有待办结的承诺才能随事项办结"),
        (State::InForce, Action::Verify(Finding::False)) => keep(State::False),
        (State::InForce, Action::Verify(Finding::Kept)) => match due {
            Some(d) if on > d => keep(State::KeptLate),
            Some(_) => keep(State::Kept),
            None => Err("该承诺没有须按期履行的事项"),
        },
        (State::InForce, Action::Verify(Finding::NotKept)) => match due {
            Some(d) if on <= d => Err("履行期限未到，不能认定未履行"),
            _ => keep(State::NotKept),
        },
        (State::Signed, Action::Verify(_)) => Err("事项尚未办结，承诺尚未生效"),
        (_, Action::Verify(_)) => Err("该承诺已有结论"),
        (_, Action::Withdraw) => Err("该承诺已有结论，不能撤回"),
    }
}

/// In force, with a deadline passed on `today`: the subject still owes it
/// and staff should check it.
pub fn is_overdue(state: State, due: Option<Date>, today: Date) -> bool {
    state == State::InForce && due.is_some_and(|d| d < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_rules_read() {
        let r = CommitmentRules::embedded();
        let codes: Vec<&str> = r.types.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(
            codes,
            ["approval-substitute", "deferred-materials", "certificate", "public", "self-regulation", "repair"]
        );
        assert_eq!(r.type_of("deferred-materials").unwrap().working_days, Some(20));
        assert!(r.type_of("public").unwrap().public && !r.type_of("certificate").unwrap().public);
        assert_eq!(r.exclusion.list_kinds, [ListKind::SeriousDishonesty]);
    }

    #[test]
    fn bad_rule_files_name_their_problem() {
        let good = EMBEDDED;
        for (from, to, says) in [
            ("working_days = 20", "working_days = 0", "working_days"),
            ("stage = \"supervision\"", "stage = \"later\"", "stage"),
            ("list_kinds = [\"serious_dishonesty\"]", "list_kinds = [\"grey\"]", "名单类别"),
            ("code = \"certificate\"", "code = \"deferred-materials\"", "重复"),
            ("false_item = \"COMMIT-FALSE\"", "", "false_item"),
        ] {
            let bad = good.replacen(from, to, 1);
            assert_ne!(bad, good, "{from}");
            let e = CommitmentRules::parse(&bad).unwrap_err();
            assert!(e.contains(says), "{from}: {e}");
        }
        // An obligation without a deadline, and one outside the approval stage.
        let no_days = good.replacen("working_days = 30\n", "", 1);
        assert!(CommitmentRules::parse(&no_days).unwrap_err().contains("同时给出"));
        let public_with = good.replacen(
            "stage = \"supervision\"\npublic = true",
            "stage = \"supervision\"\npublic = true\nobligation = \"x\"\nworking_days = 5",
            1,
        );
        assert!(CommitmentRules::parse(&public_with).unwrap_err().contains("只有审批型"));
    }

    #[test]
    fn exclusion_by_list_and_by_unrepaired_breach() {
        let r = CommitmentRules::embedded();
        assert!(r.may_use(&[], 0).is_ok());
        assert!(r.may_use(&[ListKind::Red], 0).is_ok(), "a red list does not exclude");
        assert!(r.may_use(&[ListKind::SeriousDishonesty], 0).unwrap_err().contains("严重失信"));
        assert!(r.may_use(&[], 1).unwrap_err().contains("未经信用修复"));
        let lenient =
            CommitmentRules { exclusion: Exclusion { list_kinds: vec![], unrepaired_breach: false }, ..r.clone() };
        assert!(lenient.may_use(&[ListKind::SeriousDishonesty], 3).is_ok());
    }

    /// Every type, state and action: the state after, or refused.
    #[test]
    fn a_table_of_cases() {
        let r = CommitmentRules::embedded();
        let cal = Calendar::embedded();
        // 2026-03-02 is a Monday; 20 working days later is 2026-03-30.
        let decided = d("2026-03-02");
        let due = Some(d("2026-03-30"));
        let deferred = r.type_of("deferred-materials").unwrap();
        let public = r.type_of("public").unwrap();
        let repair = r.type_of("repair").unwrap();
        assert_eq!(due_date(deferred, None, decided, &cal), due);
        assert_eq!(due_date(deferred, Some(5), decided, &cal), Some(d("2026-03-09")), "the matter's own days");
        assert_eq!(due_date(public, None, decided, &cal), None);
        assert_eq!(
            (initial(deferred), initial(public), initial(repair)),
            (State::Signed, State::InForce, State::InForce)
        );
        use Action::*;
        use Finding::*;
        let on_time = d("2026-03-30");
        let late = d("2026-03-31");
        // (type, state, deadline, action, day) → the state after, or why refused.
        type Case<'a> = (&'a CommitmentType, State, Option<Date>, Action, Date, Result<State, &'a str>);
        let cases: &[Case<'_>] = &[
            (deferred, State::Signed, None, Withdraw, decided, Ok(State::Withdrawn)),
            (deferred, State::Signed, None, Decide { granted: false }, decided, Ok(State::Void)),
            (deferred, State::Signed, None, Decide { granted: true }, decided, Ok(State::InForce)),
            (deferred, State::Signed, None, Verify(Kept), decided, Err("事项尚未办结")),
            (deferred, State::InForce, due, Withdraw, on_time, Err("不能撤回")),
            (deferred, State::InForce, due, Verify(Kept), on_time, Ok(State::Kept)),
            (deferred, State::InForce, due, Verify(Kept), late, Ok(State::KeptLate)),
            (deferred, State::InForce, due, Verify(NotKept), on_time, Err("期限未到")),
            (deferred, State::InForce, due, Verify(NotKept), late, Ok(State::NotKept)),
            (deferred, State::InForce, due, Verify(False), decided, Ok(State::False)),
            (deferred, State::InForce, due, Decide { granted: true }, decided, Err("待办结")),
            (deferred, State::Kept, due, Verify(False), late, Err("已有结论")),
            (deferred, State::NotKept, due, Withdraw, late, Err("已有结论")),
            (deferred, State::Withdrawn, None, Decide { granted: true }, late, Err("待办结")),
            (public, State::InForce, None, Withdraw, decided, Ok(State::Withdrawn)),
            (public, State::InForce, None, Verify(NotKept), decided, Ok(State::NotKept)),
            (public, State::InForce, None, Verify(False), decided, Ok(State::False)),
            (public, State::InForce, None, Verify(Kept), decided, Err("没有须按期履行")),
            (repair, State::InForce, None, Withdraw, decided, Err("不能撤回")),
            (repair, State::InForce, None, Verify(False), decided, Ok(State::False)),
        ];
        for (i, (ty, state, due, action, on, want)) in cases.iter().enumerate() {
            let got = apply(ty, *state, *due, *action, *on, None, &cal);
            match (got, want) {
                (Ok(step), Ok(w)) => assert_eq!(step.state, *w, "case {i}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "case {i}: {e}"),
                (got, want) => panic!("case {i}: {got:?}, wanted {want:?}"),
            }
        }
        // A granted matter sets the deadline; a refused one does not.
        let step = apply(deferred, State::Signed, None, Decide { granted: true }, decided, None, &cal).unwrap();
        assert_eq!(step.due, due);
        assert!(is_overdue(State::InForce, due, late) && !is_overdue(State::InForce, due, on_time));
        assert!(!is_overdue(State::Kept, due, late) && !is_overdue(State::InForce, None, late));
    }

    #[test]
    fn outcomes_become_items_and_breaches() {
        let r = CommitmentRules::embedded();
        assert_eq!(r.item_of(State::NotKept), Some("COMMIT-BROKEN"));
        assert_eq!(r.item_of(State::False), Some("COMMIT-FALSE"));
        assert_eq!(r.item_of(State::Kept), Some("COMMIT-KEPT"));
        for s in [State::KeptLate, State::InForce, State::Withdrawn, State::Void, State::Signed] {
            assert_eq!(r.item_of(s), None, "{s:?}");
        }
        assert_eq!(State::ALL.iter().filter(|s| s.is_breach()).count(), 2);
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }
}
