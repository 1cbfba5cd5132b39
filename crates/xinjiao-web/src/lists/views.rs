//! What the list pages and responses show of candidates and entries: one
//! view for staff and the public, with persons' ID numbers masked in both
//! (staff read them in full only through the audited export).

use serde_json::{Value, json};
use xinjiao_core::calendar::Calendar;
use xinjiao_core::lists::definition::ListDefinition;
use xinjiao_core::lists::entries::{EntryState, PublicStanding, notice_last_day};
use xinjiao_core::lists::overload::{Candidate, Evidence};
use xinjiao_store::{Department, Entry};

use crate::kernel::context::dept_name;
use crate::kernel::views::{mask_id, mask_text};

/// A candidate as `lists candidates --json` prints it and the API gives it.
pub fn candidate_json(list: &ListDefinition, c: &Candidate) -> Value {
    let evidence: Vec<Value> = c.evidence.iter().map(evidence_json).collect();
    json!({
        "list": c.list,
        "criterion": c.criterion,
        "criterion_text": list.criterion(c.criterion).map(|x| x.text.as_str()),
        "party": c.party,
        "party_type": c.party_type.as_str(),
        "party_name": c.party_name,
        "reason": c.reason,
        "evidence": evidence,
    })
}

fn evidence_json(e: &Evidence) -> Value {
    match e {
        Evidence::Detection { id, date, plate, gross_kg, limit_kg, rate_bp } => json!({
            "kind": "detection", "id": id, "date": date.to_string(), "plate": plate,
            "gross_kg": gross_kg, "limit_kg": limit_kg,
            "over_limit_rate": format!("{}.{:02}%", rate_bp / 100, rate_bp % 100),
        }),
        Evidence::Penalty { record_id, decision_no, date, fine } => json!({
            "kind": "penalty", "record_id": record_id, "decision_no": decision_no, "date": date.to_string(),
            "fine_yuan": fine.map(|f| f.to_yuan_string()),
        }),
        Evidence::Commitment { id, date, finding, what } => json!({
            "kind": "commitment", "id": id, "date": date.to_string(), "finding": finding, "what": what,
        }),
        Evidence::Grade { run_id, scheme, cycle_year, grade } => json!({
            "kind": "grade", "run_id": run_id, "scheme": scheme, "cycle_year": cycle_year, "grade": grade,
        }),
    }
}

/// One line of evidence in Chinese.
pub fn evidence_line(e: &Value) -> String {
    let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
    match e["kind"].as_str() {
        Some("detection") => format!(
            "{} {} 检测：车货总质量 {} 千克，限值 {} 千克，超限率 {}",
            s("date"),
            s("plate"),
            e["gross_kg"],
            e["limit_kg"],
            s("over_limit_rate")
        ),
        Some("penalty") => format!(
            "{} 行政处罚 {}{}",
            s("date"),
            s("decision_no"),
            e["fine_yuan"].as_str().map(|f| format!("，罚款 {f} 元")).unwrap_or_default()
        ),
        Some("commitment") => format!(
            "{} 第 {} 号信用承诺（{}）经核查认定{}",
            s("date"),
            e["id"],
            s("what"),
            if s("finding") == "false" { "承诺不实" } else { "未履行" }
        ),
        Some("grade") => {
            format!("{} {} 年度定级 {}（第 {} 次评价）", s("scheme"), e["cycle_year"], s("grade"), e["run_id"])
        }
        _ => e["text"].as_str().map(str::to_string).unwrap_or_else(|| e.to_string()),
    }
}

/// A candidate as a row of the console.
pub struct CandidateRow {
    pub criterion: u32,
    pub criterion_text: String,
    pub party_type: &'static str,
    pub party: String,
    pub party_shown: String,
    pub party_name: String,
    pub reason: String,
    pub evidence: Vec<String>,
    /// An entry is open for the party already (its id).
    pub open_entry: Option<i64>,
}

pub fn candidate_row(list: &ListDefinition, c: &Candidate, open_entry: Option<i64>) -> CandidateRow {
    let j = candidate_json(list, c);
    CandidateRow {
        criterion: c.criterion,
        criterion_text: list.criterion(c.criterion).map(|x| x.text.clone()).unwrap_or_default(),
        party_type: c.party_type.label(),
        party: c.party.clone(),
        party_shown: if c.party_type.is_person() { mask_id(&c.party) } else { c.party.clone() },
        party_name: c.party_name.clone(),
        reason: c.reason.clone(),
        evidence: j["evidence"].as_array().map(|a| a.iter().map(evidence_line).collect()).unwrap_or_default(),
        open_entry,
    }
}

/// An entry as the pages show it.
pub struct EntryRow {
    pub id: i64,
    pub list_code: String,
    pub list_name: String,
    pub kind: &'static str,
    pub criterion: u32,
    pub criterion_text: String,
    pub party_type: &'static str,
    pub party_type_code: &'static str,
    pub party_shown: String,
    pub party_name: String,
    pub subject_key: Option<String>,
    pub reason: String,
    pub evidence: Vec<String>,
    pub state: &'static str,
    pub state_code: &'static str,
    /// 公示中 / 已列入 / 已移出 / 未公开, on the day shown.
    pub standing: &'static str,
    /// The same as `notice`, `listed`, `exited` or `hidden`, for the pages' choices.
    pub standing_code: &'static str,
    pub department: String,
    pub proposed: String,
    pub notice_from: String,
    pub notice_until: String,
    pub listed_on: String,
    pub shown_until: String,
    pub exited_on: String,
    pub end_text: String,
    pub origin: &'static str,
}

pub use crate::kernel::facts::standing_of;

pub fn entry_row(e: &Entry, departments: &[Department], cal: &Calendar, today: xinjiao_core::Date) -> EntryRow {
    let list = ListDefinition::find(&e.list_code);
    let day = |d: Option<xinjiao_core::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let (standing, standing_code, exited_on) = match standing_of(e, today) {
        PublicStanding::Notice => ("公示中", "notice", String::new()),
        PublicStanding::Listed => ("已列入", "listed", String::new()),
        PublicStanding::Exited(d) => ("已移出", "exited", d.to_string()),
        PublicStanding::Hidden => ("未公开", "hidden", String::new()),
    };
    let evidence: Vec<String> = serde_json::from_str::<Value>(&e.evidence)
        .ok()
        .and_then(|v| v.as_array().map(|a| a.iter().map(evidence_line).collect()))
        .unwrap_or_default();
    let end_text = match (e.state, e.end_kind.as_deref()) {
        (EntryState::Ended, Some(k)) => format!(
            "{}：{}",
            xinjiao_core::lists::entries::EndKind::parse(k).map_or("提前移出", |k| k.label()),
            e.end_note.clone().unwrap_or_default()
        ),
        (EntryState::Withdrawn, _) => e.end_note.clone().unwrap_or_default(),
        (EntryState::Rejected, _) => format!("审核不通过：{}", e.review_note.clone().unwrap_or_default()),
        (EntryState::Listed, _) if standing_code == "exited" => "公示期满移出".into(),
        _ => String::new(),
    };
    EntryRow {
        id: e.id,
        list_code: e.list_code.clone(),
        list_name: list.map_or_else(|| e.list_code.clone(), |l| l.name.clone()),
        kind: list.map_or("", |l| l.kind.label()),
        criterion: e.criterion,
        criterion_text: list.and_then(|l| l.criterion(e.criterion)).map(|c| c.text.clone()).unwrap_or_default(),
        party_type: e.party_type.label(),
        party_type_code: e.party_type.as_str(),
        party_shown: if e.party_type.is_person() { mask_id(&e.party) } else { e.party.clone() },
        party_name: e.party_name.clone(),
        subject_key: e.subject_key.clone(),
        reason: mask_text(&e.reason),
        evidence: evidence.iter().map(|x| mask_text(x)).collect(),
        state: e.state.label(),
        state_code: e.state.as_str(),
        standing,
        standing_code,
        department: e.department_id.map_or_else(|| "信用工作牵头科室".to_string(), |d| dept_name(departments, d)),
        proposed: crate::kernel::time::local_time(e.proposed_at),
        notice_from: day(e.notice_from),
        notice_until: match (list, e.notice_from) {
            (Some(l), Some(f)) => notice_last_day(l, f, cal).to_string(),
            _ => String::new(),
        },
        listed_on: day(e.listed_on),
        shown_until: day(e.shown_until),
        exited_on,
        end_text,
        origin: if e.origin == "computed" { "平台计算" } else { "部门举证提出" },
    }
}
