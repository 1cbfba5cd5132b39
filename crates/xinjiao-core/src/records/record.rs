//! Licensing and penalty records with every field of the national standard,
//! their enumerations, and the parser that turns raw field values into records
//! or a list of diagnostics.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;

use crate::records::date::{MAX_DATE, parse_date};
use crate::records::diag::Diagnostic;
use crate::records::fields::{FieldDef, RecordKind, Requirement, ValueKind};
use crate::records::ids::{IdCardNo, IdError, OrgCode, Uscc};
use crate::records::text::{normalize_code, normalize_decision_no, to_half_width, trim};

/// Raw values of one row, keyed by field code.
pub type FieldValues = BTreeMap<&'static str, String>;

/// 行政相对人类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// 法人及非法人组织
    Organization,
    /// 自然人
    NaturalPerson,
    /// 个体工商户
    IndividualBusiness,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 3] =
        [SubjectKind::Organization, SubjectKind::NaturalPerson, SubjectKind::IndividualBusiness];
    pub fn label(self) -> &'static str {
        match self {
            SubjectKind::Organization => "法人及非法人组织",
            SubjectKind::NaturalPerson => "自然人",
            SubjectKind::IndividualBusiness => "个体工商户",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Organization => "organization",
            SubjectKind::NaturalPerson => "natural_person",
            SubjectKind::IndividualBusiness => "individual_business",
        }
    }
    pub fn parse(s: &str) -> Option<SubjectKind> {
        SubjectKind::ALL.into_iter().find(|k| k.label() == s || k.as_str() == s).or(match s {
            "法人" | "非法人组织" | "法人组织" => Some(SubjectKind::Organization),
            _ => None,
        })
    }
}

/// 证件类型 (of a natural person or a legal representative).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdDocType {
    /// 身份证
    IdCard,
    /// 护照号
    Passport,
    /// 港澳居民来往内地通行证
    HkMacauPermit,
    /// 台湾居民来往大陆通行证
    TaiwanPermit,
    /// 外国人永久居留身份证
    ForeignPermanentResident,
    /// 其他-<name>
    Other(String),
}

impl IdDocType {
    pub fn parse(s: &str) -> Option<IdDocType> {
        Some(match s {
            "身份证" | "居民身份证" | "中华人民共和国居民身份证" => IdDocType::IdCard,
            "护照号" | "护照" => IdDocType::Passport,
            "港澳居民来往内地通行证" => IdDocType::HkMacauPermit,
            "台湾居民来往大陆通行证" => IdDocType::TaiwanPermit,
            "外国人永久居留身份证" => IdDocType::ForeignPermanentResident,
            _ => {
                let rest = s.strip_prefix("其他")?;
                let name = rest.trim_start_matches(['-', '－', '—', ':', '：']);
                if name.is_empty() {
                    return None;
                }
                IdDocType::Other(name.to_string())
            }
        })
    }
}

impl fmt::Display for IdDocType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdDocType::IdCard => f.write_str("身份证"),
            IdDocType::Passport => f.write_str("护照号"),
            IdDocType::HkMacauPermit => f.write_str("港澳居民来往内地通行证"),
            IdDocType::TaiwanPermit => f.write_str("台湾居民来往大陆通行证"),
            IdDocType::ForeignPermanentResident => f.write_str("外国人永久居留身份证"),
            IdDocType::Other(n) => write!(f, "其他-{n}"),
        }
    }
}

/// An identity document: type and number. A 身份证 number has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdDoc {
    pub doc_type: IdDocType,
    number: String,
}

impl IdDoc {
    /// A document of `doc_type` with `number` (checked by the caller).
    pub fn new(doc_type: IdDocType, number: impl Into<String>) -> IdDoc {
        IdDoc { doc_type, number: number.into() }
    }
    /// The full number; public output must use [`IdDoc::masked`].
    pub fn expose(&self) -> &str {
        &self.number
    }
    pub fn masked(&self) -> String {
        crate::records::ids::mask_middle(&self.number, 4, 4)
    }
}

/// 处罚类别, after 行政处罚法 (2021) art. 9.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PenaltyClass {
    Warning,
    Criticism,
    Fine,
    ConfiscateIllegalGains,
    ConfiscateIllegalProperty,
    SuspendLicense,
    LowerQualification,
    RevokeLicense,
    RestrictBusiness,
    SuspendBusiness,
    OrderClosure,
    RestrictPractice,
    Detention,
    Other(String),
}

const PENALTY_CLASS_LABELS: &[(PenaltyClass, &str)] = &[
    (PenaltyClass::Warning, "警告"),
    (PenaltyClass::Criticism, "通报批评"),
    (PenaltyClass::Fine, "罚款"),
    (PenaltyClass::ConfiscateIllegalGains, "没收违法所得"),
    (PenaltyClass::ConfiscateIllegalProperty, "没收非法财物"),
    (PenaltyClass::SuspendLicense, "暂扣许可证件"),
    (PenaltyClass::LowerQualification, "降低资质等级"),
    (PenaltyClass::RevokeLicense, "吊销许可证件"),
    (PenaltyClass::RestrictBusiness, "限制开展生产经营活动"),
    (PenaltyClass::SuspendBusiness, "责令停产停业"),
    (PenaltyClass::OrderClosure, "责令关闭"),
    (PenaltyClass::RestrictPractice, "限制从业"),
    (PenaltyClass::Detention, "行政拘留"),
];

/// The names of the penalty classes, in the standard's order.
pub const PENALTY_CLASS_NAMES: &[&str] = &[
    "警告",
    "通报批评",
    "罚款",
    "没收违法所得",
    "没收非法财物",
    "暂扣许可证件",
    "降低资质等级",
    "吊销许可证件",
    "限制开展生产经营活动",
    "责令停产停业",
    "责令关闭",
    "限制从业",
    "行政拘留",
];

impl PenaltyClass {
    pub fn parse(s: &str) -> Option<PenaltyClass> {
        let s = match s {
            "暂扣许可证" | "暂扣许可证照" | "暂扣证照" => "暂扣许可证件",
            "吊销许可证" | "吊销许可证照" | "吊销证照" => "吊销许可证件",
            "责令停产停业整顿" => "责令停产停业",
            other => other,
        };
        if let Some((c, _)) = PENALTY_CLASS_LABELS.iter().find(|(_, l)| *l == s) {
            return Some(c.clone());
        }
        let rest = s.strip_prefix("其他")?;
        let name = rest.trim_start_matches(['-', '－', '—', ':', '：', '(']).trim_end_matches(')');
        Some(PenaltyClass::Other(name.to_string()))
    }
    /// Parses a multi-value cell: classes separated by `、`, `,`, `;`, `/` or spaces.
    pub fn parse_list(s: &str) -> Result<Vec<PenaltyClass>, String> {
        let mut out = Vec::new();
        for part in s.split(['、', ',', '，', ';', '；', '/', ' ', '|']).filter(|p| !p.is_empty()) {
            match PenaltyClass::parse(part) {
                Some(c) if !out.contains(&c) => out.push(c),
                Some(_) => {}
                None => return Err(part.to_string()),
            }
        }
        Ok(out)
    }
}

impl fmt::Display for PenaltyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let PenaltyClass::Other(n) = self {
            return if n.is_empty() { f.write_str("其他") } else { write!(f, "其他-{n}") };
        }
        let label = PENALTY_CLASS_LABELS.iter().find(|(c, _)| c == self).map(|(_, l)| *l);
        f.write_str(label.unwrap_or("其他"))
    }
}

/// 许可类别.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LicenseCategory {
    Ordinary,
    Franchise,
    Recognition,
    Approval,
    Registration,
    Other(String),
}

impl LicenseCategory {
    pub fn parse(s: &str) -> Option<LicenseCategory> {
        Some(match s {
            "普通" => LicenseCategory::Ordinary,
            "特许" => LicenseCategory::Franchise,
            "认可" => LicenseCategory::Recognition,
            "核准" => LicenseCategory::Approval,
            "登记" => LicenseCategory::Registration,
            _ => {
                let rest = s.strip_prefix("其他")?;
                LicenseCategory::Other(rest.trim_start_matches(['-', '－', '—', ':', '：']).to_string())
            }
        })
    }
}

impl fmt::Display for LicenseCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LicenseCategory::Ordinary => "普通",
            LicenseCategory::Franchise => "特许",
            LicenseCategory::Recognition => "认可",
            LicenseCategory::Approval => "核准",
            LicenseCategory::Registration => "登记",
            LicenseCategory::Other(n) if n.is_empty() => "其他",
            LicenseCategory::Other(n) => return write!(f, "其他-{n}"),
        })
    }
}

/// 当前状态 of a licence. The code table 1 = 有效, 2 = 无效 is unverified, so both
/// the code and the word are accepted and the word is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseStatus {
    Valid,
    Invalid,
}

impl LicenseStatus {
    pub fn parse(s: &str) -> Option<LicenseStatus> {
        match s {
            "1" | "有效" => Some(LicenseStatus::Valid),
            "2" | "无效" => Some(LicenseStatus::Invalid),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            LicenseStatus::Valid => "有效",
            LicenseStatus::Invalid => "无效",
        }
    }
}

/// An amount in 万元 with at most 6 decimals, held exactly as an integer count
/// of 0.000001 万元 (= 0.01 元, one fen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    pub fn from_fen(fen: i64) -> Amount {
        Amount(fen)
    }
    pub fn fen(self) -> i64 {
        self.0
    }
    /// Parses a non-negative decimal in 万元 (`0.2`, `1,000.5`, `.5`).
    pub fn parse_wan(s: &str) -> Option<Amount> {
        let s: String = s.chars().filter(|&c| c != ',').collect();
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        if (int.is_empty() && frac.is_empty())
            || frac.len() > 6
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
            || int.len() > 12
        {
            return None;
        }
        let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac_val: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
        let scale = 10i64.pow(6 - frac.len() as u32);
        Some(Amount(int * 1_000_000 + frac_val * scale))
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// Canonical 万元 text without trailing zeros (`0.2`, `15`).
    pub fn to_wan_string(self) -> String {
        let int = self.0 / 1_000_000;
        let frac = self.0 % 1_000_000;
        if frac == 0 {
            return int.to_string();
        }
        let f = format!("{frac:06}");
        format!("{int}.{}", f.trim_end_matches('0'))
    }
    /// The amount in 元 with two decimals (`2000.00`).
    pub fn to_yuan_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The subject (行政相对人) a record is about, as the record states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectInfo {
    pub kind: SubjectKind,
    pub name: String,
    pub uscc: Option<Uscc>,
    pub reg_no: Option<String>,
    pub org_code: Option<OrgCode>,
    pub tax_no: Option<String>,
    pub institution_no: Option<String>,
    pub social_org_no: Option<String>,
    pub legal_rep: Option<String>,
    pub legal_rep_id: Option<IdDoc>,
    /// The natural person's identity document.
    pub id_doc: Option<IdDoc>,
}

impl SubjectInfo {
    /// An enterprise (or, by its code's category 92, an individual business)
    /// known only by its USCC and name.
    pub fn organisation(uscc: crate::records::ids::Uscc, name: &str) -> SubjectInfo {
        SubjectInfo {
            kind: if uscc.as_str().starts_with("92") {
                SubjectKind::IndividualBusiness
            } else {
                SubjectKind::Organization
            },
            name: name.to_string(),
            uscc: Some(uscc),
            reg_no: None,
            org_code: None,
            tax_no: None,
            institution_no: None,
            social_org_no: None,
            legal_rep: None,
            legal_rep_id: None,
            id_doc: None,
        }
    }

    /// A natural person known by the ID card number and name.
    pub fn id_card_holder(number: &str, name: &str) -> SubjectInfo {
        SubjectInfo {
            kind: SubjectKind::NaturalPerson,
            name: name.to_string(),
            uscc: None,
            reg_no: None,
            org_code: None,
            tax_no: None,
            institution_no: None,
            social_org_no: None,
            legal_rep: None,
            legal_rep_id: None,
            id_doc: Some(IdDoc::new(IdDocType::IdCard, number.to_string())),
        }
    }

    /// The key that identifies the subject across records: the USCC, or the
    /// document type and number of a natural person.
    pub fn identity_key(&self) -> String {
        match (&self.uscc, &self.id_doc) {
            (Some(u), _) => u.as_str().to_string(),
            (None, Some(doc)) => format!("{}:{}", doc.doc_type, doc.number),
            (None, None) => format!("NAME:{}", self.name),
        }
    }
}

/// An organ with its code (处罚机关, 许可机关, 数据来源单位).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub name: String,
    pub code: Uscc,
}

/// 行政处罚 decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalty {
    pub subject: SubjectInfo,
    pub decision_no: String,
    pub violation_type: String,
    pub facts: String,
    pub basis: String,
    pub classes: Vec<PenaltyClass>,
    pub content: String,
    pub fine: Option<Amount>,
    pub confiscation: Option<Amount>,
    pub suspended_license: Option<String>,
    pub decision_date: Date,
    pub valid_until: Date,
    pub disclosure_end: Option<Date>,
    pub authority: Unit,
    pub source_unit: Unit,
    pub remarks: Option<String>,
    /// 失信程度, when the file or form gives it (else the rules suggest one).
    pub severity: Option<crate::lifecycle::disclosure::Severity>,
    /// 评价事项代码: the evaluation item the department names (a fixed-points
    /// item of a shipped scheme), else `None` (the schemes map the penalty).
    pub evaluation_item: Option<String>,
}

/// 行政许可 decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub subject: SubjectInfo,
    pub doc_title: String,
    pub decision_no: String,
    pub category: LicenseCategory,
    pub certificate_name: Option<String>,
    pub license_no: Option<String>,
    pub content: String,
    pub decision_date: Date,
    pub valid_from: Date,
    pub valid_to: Date,
    pub authority: Unit,
    pub status: LicenseStatus,
    pub source_unit: Unit,
    pub remarks: Option<String>,
}

/// Either kind of dual-disclosure record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    License(License),
    Penalty(Penalty),
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::License(_) => RecordKind::License,
            Record::Penalty(_) => RecordKind::Penalty,
        }
    }
    pub fn subject(&self) -> &SubjectInfo {
        match self {
            Record::License(l) => &l.subject,
            Record::Penalty(p) => &p.subject,
        }
    }
    pub fn authority(&self) -> &Unit {
        match self {
            Record::License(l) => &l.authority,
            Record::Penalty(p) => &p.authority,
        }
    }
    /// The decision number that, with the authority code, identifies the record.
    pub fn decision_no(&self) -> &str {
        match self {
            Record::License(l) => &l.decision_no,
            Record::Penalty(p) => &p.decision_no,
        }
    }
    pub fn decision_date(&self) -> Date {
        match self {
            Record::License(l) => l.decision_date,
            Record::Penalty(p) => p.decision_date,
        }
    }
    /// A one-line summary for lists: the penalty classes or the licence category and certificate.
    pub fn summary(&self) -> String {
        match self {
            Record::Penalty(p) => {
                let classes: Vec<String> = p.classes.iter().map(|c| c.to_string()).collect();
                let mut s = classes.join("、");
                if let Some(fine) = p.fine {
                    s.push_str(&format!("（金额 {} 元）", fine.to_yuan_string()));
                }
                s
            }
            Record::License(l) => match &l.certificate_name {
                Some(c) => format!("{}（{}）", c, l.category),
                None => l.category.to_string(),
            },
        }
    }
    /// The record as canonical field values (field code → text), the form in which
    /// it is stored and compared. Parsing these values again gives the same record.
    pub fn to_fields(&self) -> FieldValues {
        let mut m = FieldValues::new();
        let mut put = |code: &'static str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                m.insert(code, v);
            }
        };
        let date = |d: Date| Some(d.to_string());
        let (s, p) = match self {
            Record::License(l) => (&l.subject, "XK_"),
            Record::Penalty(p) => (&p.subject, "CF_"),
        };
        let code = |suffix: &str| -> &'static str {
            let kind = self.kind();
            kind.fields().iter().find(|f| f.code.strip_prefix(p) == Some(suffix)).map(|f| f.code).unwrap_or("")
        };
        put(code("XDR_MC"), Some(s.name.clone()));
        put(code("XDR_LB"), Some(s.kind.label().to_string()));
        put(code("XDR_SHXYM"), s.uscc.as_ref().map(|u| u.to_string()));
        put(code("XDR_GSZC"), s.reg_no.clone());
        put(code("XDR_ZZJG"), s.org_code.as_ref().map(|o| o.to_string()));
        put(code("XDR_SWDJ"), s.tax_no.clone());
        put(code("XDR_SYDW"), s.institution_no.clone());
        put(code("XDR_SHZZ"), s.social_org_no.clone());
        put(code("FRDB"), s.legal_rep.clone());
        put(code("FR_ZJLX"), s.legal_rep_id.as_ref().map(|d| d.doc_type.to_string()));
        put(code("FR_ZJHM"), s.legal_rep_id.as_ref().map(|d| d.number.clone()));
        put(code("XDR_ZJLX"), s.id_doc.as_ref().map(|d| d.doc_type.to_string()));
        put(code("XDR_ZJHM"), s.id_doc.as_ref().map(|d| d.number.clone()));
        match self {
            Record::Penalty(r) => {
                put("CF_WSH", Some(r.decision_no.clone()));
                put("CF_WFXW", Some(r.violation_type.clone()));
                put("CF_SY", Some(r.facts.clone()));
                put("CF_YJ", Some(r.basis.clone()));
                let classes: Vec<String> = r.classes.iter().map(|c| c.to_string()).collect();
                put("CF_CFLB", Some(classes.join("、")));
                put("CF_NR", Some(r.content.clone()));
                put("CF_NR_FK", r.fine.map(Amount::to_wan_string));
                put("CF_NR_WFFF", r.confiscation.map(Amount::to_wan_string));
                put("CF_NR_ZKDX", r.suspended_license.clone());
                put("CF_JDRQ", date(r.decision_date));
                put("CF_YXQ", date(r.valid_until));
                put("CF_GSJZQ", r.disclosure_end.and_then(date));
                put("CF_CFJG", Some(r.authority.name.clone()));
                put("CF_CFJGDM", Some(r.authority.code.to_string()));
                put("CF_SJLY", Some(r.source_unit.name.clone()));
                put("CF_SJLYDM", Some(r.source_unit.code.to_string()));
                put("CF_SXCD", r.severity.map(|s| s.label().to_string()));
                put("CF_PJSX", r.evaluation_item.clone());
                put("BZ", r.remarks.clone());
            }
            Record::License(r) => {
                put("XK_XKWS", Some(r.doc_title.clone()));
                put("XK_WSH", Some(r.decision_no.clone()));
                put("XK_XKLB", Some(r.category.to_string()));
                put("XK_XKZS", r.certificate_name.clone());
                put("XK_XKBH", r.license_no.clone());
                put("XK_NR", Some(r.content.clone()));
                put("XK_JDRQ", date(r.decision_date));
                put("XK_YXQZ", date(r.valid_from));
                put("XK_YXQZI", date(r.valid_to));
                put("XK_XKJG", Some(r.authority.name.clone()));
                put("XK_XKJGDM", Some(r.authority.code.to_string()));
                put("XK_ZT", Some(r.status.label().to_string()));
                put("XK_LYDW", Some(r.source_unit.name.clone()));
                put("XK_LYDWDM", Some(r.source_unit.code.to_string()));
                put("BZ", r.remarks.clone());
            }
        }
        m
    }
}

/// The field codes whose values differ between a stored version (`old`) and
/// a new one, in code order: what a `record.updated` event names.
pub fn changed_fields(old: &BTreeMap<String, String>, new: &FieldValues) -> Vec<String> {
    let keys: std::collections::BTreeSet<&str> = new.keys().copied().chain(old.keys().map(String::as_str)).collect();
    keys.into_iter()
        .filter(|k| old.get(*k).map(String::as_str) != new.get(k).map(String::as_str))
        .map(str::to_string)
        .collect()
}

/// What parsing needs to know about the world: today's date, so that decision
/// dates in the future and unborn ID-card holders are rejected.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext {
    pub today: Date,
}

/// Parses a row of raw values into a record, or returns every broken rule.
pub fn parse_record(kind: RecordKind, values: &FieldValues, ctx: &ParseContext) -> Result<Record, Vec<Diagnostic>> {
    let mut p = RowParser { kind, values, ctx, diags: control_char_diagnostics(kind, values) };
    let record = match kind {
        RecordKind::Penalty => p.penalty().map(Record::Penalty),
        RecordKind::License => p.license().map(Record::License),
    };
    match record {
        Some(r) if p.diags.is_empty() => Ok(r),
        _ => Err(p.diags),
    }
}

/// Whether `c` may not appear in a field: control characters (tab, line feed
/// and carriage return are allowed in free text only) and the bidirectional
/// overrides and isolates that make text display other than it reads.
fn forbidden_char(c: char, free_text: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => !free_text,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

/// `value.control_chars` for every field holding a character it may not hold.
pub fn control_char_diagnostics(kind: RecordKind, values: &FieldValues) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Fast path, without a look-up per field: every forbidden character starts
    // with one of these bytes (C0 and DEL; C1 is C2 80–9F in UTF-8; the bidi
    // controls start E2 80/81). Most rows have no field to look at further.
    let suspect = |v: &String| v.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xE2);
    if !values.values().any(suspect) {
        return out;
    }
    for def in kind.fields() {
        let Some(v) = values.get(def.code).filter(|v| suspect(v)) else { continue };
        let free_text = def.kind == ValueKind::Text;
        if let Some((i, c)) = v.chars().enumerate().find(|(_, c)| forbidden_char(*c, free_text)) {
            out.push(Diagnostic::new(
                def.code,
                "value.control_chars",
                format!(
                    "「{}」第{}个字符是不可见的控制字符（U+{:04X}）{}；请删除后重新提交",
                    def.name,
                    i + 1,
                    c as u32,
                    if free_text { "，只允许制表符和换行" } else { "" }
                ),
            ));
        }
    }
    out
}

struct RowParser<'a> {
    kind: RecordKind,
    values: &'a FieldValues,
    ctx: &'a ParseContext,
    diags: Vec<Diagnostic>,
}

fn id_error(field: &'static str, name: &str, what: &str, e: IdError) -> Diagnostic {
    let prefix = match what {
        "uscc" => "uscc",
        "org" => "org_code",
        _ => "id_card",
    };
    let (code, msg) = match e {
        IdError::Format => (
            "format",
            match what {
                "uscc" => {
                    format!("「{name}」格式错误：应为18位数字或大写字母（不含 I、O、Z、S、V）")
                }
                "org" => format!("「{name}」格式错误：应为9位数字或大写字母"),
                _ => format!("「{name}」格式错误：应为18位，前17位为数字，末位为数字或 X"),
            },
        ),
        IdError::CheckDigit { expected } => {
            ("check_digit", format!("「{name}」校验位错误：按前面各位计算，末位应为 {expected}"))
        }
        IdError::Category => ("category", format!("「{name}」第1、2位（登记管理部门与机构类别）不是有效组合")),
        IdError::EmbeddedOrgCode => ("org_code", format!("「{name}」第9至17位的组织机构代码校验失败")),
        IdError::BirthDate => ("birth_date", format!("「{name}」中的出生日期不是有效日期，或早于1900年、晚于今天")),
    };
    let code: &'static str = match (prefix, code) {
        ("uscc", "format") => "uscc.format",
        ("uscc", "check_digit") => "uscc.check_digit",
        ("uscc", "category") => "uscc.category",
        ("uscc", _) => "uscc.org_code",
        ("org_code", "check_digit") => "org_code.check_digit",
        ("org_code", _) => "org_code.format",
        (_, "check_digit") => "id_card.check_digit",
        (_, "birth_date") => "id_card.birth_date",
        _ => "id_card.format",
    };
    Diagnostic::new(field, code, msg)
}

impl RowParser<'_> {
    fn def(&self, code: &str) -> &'static FieldDef {
        self.kind.field(code).expect("field code from the catalogue")
    }

    /// The normalised cell, or `None` if empty. Reports missing required fields
    /// and over-long values.
    fn get(&mut self, code: &'static str) -> Option<String> {
        let def = self.def(code);
        let raw = self.values.get(code).map(String::as_str).unwrap_or("");
        let v = match def.kind {
            ValueKind::Text => trim(raw).to_string(),
            ValueKind::Code => normalize_code(raw),
            ValueKind::Date | ValueKind::Amount | ValueKind::Enum => trim(&to_half_width(raw)).to_string(),
        };
        if v.is_empty() {
            if def.requirement == Requirement::Required {
                self.diags.push(Diagnostic::new(
                    def.code,
                    "field.required",
                    format!("「{}」为必填项，不能为空", def.name),
                ));
            }
            return None;
        }
        let len = v.chars().count();
        if len > def.max_len {
            self.diags.push(Diagnostic::new(
                def.code,
                "field.too_long",
                format!("「{}」长度为{}个字符，超过上限{}", def.name, len, def.max_len),
            ));
            return None;
        }
        Some(v)
    }

    fn require(&mut self, code: &'static str, why: &str) -> Option<String> {
        let v = self.get(code);
        if v.is_none() && !self.diags.iter().any(|d| d.field == code) {
            let name = self.def(code).name;
            self.diags.push(Diagnostic::new(code, "field.required", format!("{why}，「{name}」不能为空")));
        }
        v
    }

    fn forbid(&mut self, code: &'static str, why: &str) {
        if self.get(code).is_some() {
            let name = self.def(code).name;
            self.diags.push(Diagnostic::new(code, "field.not_allowed", format!("{why}，不应填写「{name}」")));
        }
    }

    fn date(&mut self, code: &'static str) -> Option<Date> {
        let v = self.get(code)?;
        let v = if v == "长期" { MAX_DATE.to_string() } else { v };
        match parse_date(&v) {
            Some(d) => Some(d),
            None => {
                let name = self.def(code).name;
                self.diags.push(Diagnostic::new(
                    code,
                    "date.format",
                    format!("「{name}」的值「{v}」不是可识别的日期（如 2024-05-28、2024/5/28、2024年5月28日），或不在1949年10月1日至2099年12月31日之间"),
                ));
                None
            }
        }
    }

    fn not_future(&mut self, code: &'static str, d: Option<Date>) {
        if let Some(d) = d
            && d > self.ctx.today
        {
            let name = self.def(code).name;
            self.diags.push(Diagnostic::new(
                code,
                "date.future",
                format!("「{name}」{d} 晚于今天（{}）", self.ctx.today),
            ));
        }
    }

    fn order(&mut self, earlier: &'static str, a: Option<Date>, later: &'static str, b: Option<Date>) {
        if let (Some(a), Some(b)) = (a, b)
            && b < a
        {
            let (na, nb) = (self.def(earlier).name, self.def(later).name);
            self.diags.push(Diagnostic::new(later, "date.order", format!("「{nb}」{b} 早于「{na}」{a}")));
        }
    }

    fn amount(&mut self, code: &'static str) -> Option<Amount> {
        let v = self.get(code)?;
        match Amount::parse_wan(&v) {
            Some(a) => Some(a),
            None => {
                let name = self.def(code).name;
                self.diags.push(Diagnostic::new(
                    code,
                    "amount.format",
                    format!("「{name}」的值「{v}」不是有效金额：单位为万元，非负数，最多6位小数（1元 = 0.0001万元）"),
                ));
                None
            }
        }
    }

    fn enumeration<T>(&mut self, code: &'static str, parse: fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let v = self.get(code)?;
        let parsed = parse(&v);
        if parsed.is_none() {
            let name = self.def(code).name;
            self.diags.push(Diagnostic::new(
                code,
                "enum.invalid",
                format!("「{name}」的值「{v}」无效，应为：{allowed}"),
            ));
        }
        parsed
    }

    fn uscc(&mut self, code: &'static str) -> Option<Uscc> {
        let v = self.get(code)?;
        match Uscc::parse(&v) {
            Ok(u) => Some(u),
            Err(e) => {
                let name = self.def(code).name;
                self.diags.push(id_error(code, name, "uscc", e));
                None
            }
        }
    }

    fn unit(&mut self, name_code: &'static str, code_code: &'static str) -> Option<Unit> {
        let name = self.get(name_code);
        let code = self.uscc(code_code);
        Some(Unit { name: name?, code: code? })
    }

    fn id_doc(&mut self, type_code: &'static str, no_code: &'static str) -> Option<IdDoc> {
        let doc_type = self.enumeration(
            type_code,
            IdDocType::parse,
            "身份证、护照号、港澳居民来往内地通行证、台湾居民来往大陆通行证、外国人永久居留身份证，或“其他-证件名称”",
        );
        let number = self.get(no_code);
        match (doc_type, number) {
            (Some(IdDocType::IdCard), Some(n)) => match IdCardNo::parse(&n, self.ctx.today) {
                Ok(id) => Some(IdDoc { doc_type: IdDocType::IdCard, number: id.expose().to_string() }),
                Err(e) => {
                    let name = self.def(no_code).name;
                    self.diags.push(id_error(no_code, name, "id", e));
                    None
                }
            },
            (Some(t), Some(n)) => Some(IdDoc { doc_type: t, number: n }),
            (Some(_), None) => {
                self.require(no_code, "已填写证件类型");
                None
            }
            (None, Some(_)) if !self.diags.iter().any(|d| d.field == type_code) => {
                self.require(type_code, "已填写证件号码");
                None
            }
            _ => None,
        }
    }

    fn subject(&mut self, p: &str) -> Option<SubjectInfo> {
        let c = |s: &str| -> &'static str {
            self.kind
                .fields()
                .iter()
                .find(|f| f.code.strip_prefix(p) == Some(s))
                .map(|f| f.code)
                .expect("subject field")
        };
        let (mc, lb, shxym, gszc, zzjg, swdj, sydw, shzz, frdb, fr_zjlx, fr_zjhm, zjlx, zjhm) = (
            c("XDR_MC"),
            c("XDR_LB"),
            c("XDR_SHXYM"),
            c("XDR_GSZC"),
            c("XDR_ZZJG"),
            c("XDR_SWDJ"),
            c("XDR_SYDW"),
            c("XDR_SHZZ"),
            c("FRDB"),
            c("FR_ZJLX"),
            c("FR_ZJHM"),
            c("XDR_ZJLX"),
            c("XDR_ZJHM"),
        );
        let name = self.get(mc);
        let kind = self.enumeration(lb, SubjectKind::parse, "法人及非法人组织、自然人、个体工商户");
        let mut uscc = None;
        let mut id_doc = None;
        match kind {
            Some(SubjectKind::NaturalPerson) => {
                self.forbid(shxym, "行政相对人类别为自然人");
                if self.get(zjlx).is_none() {
                    self.require(zjlx, "行政相对人类别为自然人");
                }
                if self.get(zjhm).is_none() {
                    self.require(zjhm, "行政相对人类别为自然人");
                }
                id_doc = self.id_doc(zjlx, zjhm);
            }
            Some(k) => {
                if self.get(shxym).is_none() {
                    self.require(shxym, &format!("行政相对人类别为{}", k.label()));
                }
                uscc = self.uscc(shxym);
                if let Some(u) = &uscc {
                    let wrong = match k {
                        SubjectKind::IndividualBusiness => !u.is_individual_business(),
                        _ => u.is_individual_business(),
                    };
                    if wrong {
                        let msg = match k {
                            SubjectKind::IndividualBusiness => format!(
                                "行政相对人类别为个体工商户，统一社会信用代码应以92开头，实为{}",
                                &u.as_str()[..2]
                            ),
                            _ => "统一社会信用代码以92开头，属于个体工商户，但行政相对人类别填写为法人及非法人组织"
                                .to_string(),
                        };
                        self.diags.push(Diagnostic::new(shxym, "uscc.kind_mismatch", msg));
                    }
                }
            }
            None => {}
        }
        let org_code = match self.get(zzjg) {
            Some(v) => match OrgCode::parse(&v) {
                Ok(o) => {
                    if let Some(u) = &uscc
                        && u.org_code() != o.as_str()
                    {
                        self.diags.push(Diagnostic::new(
                            zzjg,
                            "org_code.mismatch",
                            format!("「组织机构代码」{} 与统一社会信用代码第9至17位 {} 不一致", o, u.org_code()),
                        ));
                    }
                    Some(o)
                }
                Err(e) => {
                    let name = self.def(zzjg).name;
                    self.diags.push(id_error(zzjg, name, "org", e));
                    None
                }
            },
            None => None,
        };
        let reg_no = self.get(gszc);
        let tax_no = self.get(swdj);
        let institution_no = self.get(sydw);
        let social_org_no = self.get(shzz);
        let legal_rep = self.get(frdb);
        let legal_rep_id = if self.get(fr_zjlx).is_some() || self.get(fr_zjhm).is_some() {
            self.id_doc(fr_zjlx, fr_zjhm)
        } else {
            None
        };
        Some(SubjectInfo {
            kind: kind?,
            name: name?,
            uscc,
            reg_no,
            org_code,
            tax_no,
            institution_no,
            social_org_no,
            legal_rep,
            legal_rep_id,
            id_doc,
        })
    }

    fn penalty(&mut self) -> Option<Penalty> {
        let subject = self.subject("CF_");
        let decision_no = self.get("CF_WSH").map(|s| normalize_decision_no(&s));
        let violation_type = self.get("CF_WFXW");
        let facts = self.get("CF_SY");
        let basis = self.get("CF_YJ");
        let classes = match self.get("CF_CFLB") {
            Some(v) => match PenaltyClass::parse_list(&v) {
                Ok(list) if !list.is_empty() => Some(list),
                Ok(_) => None,
                Err(bad) => {
                    self.diags.push(Diagnostic::new(
                        "CF_CFLB",
                        "enum.invalid",
                        format!("「处罚类别」中的「{bad}」无效，应为行政处罚法第九条所列类别（警告、通报批评、罚款、没收违法所得、没收非法财物、暂扣许可证件、降低资质等级、吊销许可证件、限制开展生产经营活动、责令停产停业、责令关闭、限制从业、行政拘留）或“其他-名称”，多个类别用“、”分隔"),
                    ));
                    None
                }
            },
            None => None,
        };
        let content = self.get("CF_NR");
        let fine = self.amount("CF_NR_FK");
        let confiscation = self.amount("CF_NR_WFFF");
        let suspended_license = self.get("CF_NR_ZKDX");
        if let Some(classes) = &classes {
            if classes.contains(&PenaltyClass::Fine)
                && fine.is_none_or(Amount::is_zero)
                && !self.diags.iter().any(|d| d.field == "CF_NR_FK")
            {
                self.diags.push(Diagnostic::new(
                    "CF_NR_FK",
                    "amount.required",
                    "处罚类别含“罚款”，「罚款金额（万元）」须填写且大于0",
                ));
            }
            let confiscates = classes
                .iter()
                .any(|c| matches!(c, PenaltyClass::ConfiscateIllegalGains | PenaltyClass::ConfiscateIllegalProperty));
            if confiscates && confiscation.is_none() && !self.diags.iter().any(|d| d.field == "CF_NR_WFFF") {
                self.diags.push(Diagnostic::new(
                    "CF_NR_WFFF",
                    "amount.required",
                    "处罚类别含“没收违法所得”或“没收非法财物”，「没收违法所得、没收非法财物的金额（万元）」须填写",
                ));
            }
            let license_action =
                classes.iter().any(|c| matches!(c, PenaltyClass::SuspendLicense | PenaltyClass::RevokeLicense));
            if license_action && suspended_license.is_none() && !self.diags.iter().any(|d| d.field == "CF_NR_ZKDX") {
                self.diags.push(Diagnostic::new(
                    "CF_NR_ZKDX",
                    "penalty.license_ref_required",
                    "处罚类别含“暂扣许可证件”或“吊销许可证件”，「暂扣或吊销证照名称及编号」须填写",
                ));
            }
        }
        let decision_date = self.date("CF_JDRQ");
        self.not_future("CF_JDRQ", decision_date);
        let valid_until = self.date("CF_YXQ");
        self.order("CF_JDRQ", decision_date, "CF_YXQ", valid_until);
        let disclosure_end = self.date("CF_GSJZQ");
        self.order("CF_JDRQ", decision_date, "CF_GSJZQ", disclosure_end);
        let authority = self.unit("CF_CFJG", "CF_CFJGDM");
        let source_unit = self.unit("CF_SJLY", "CF_SJLYDM");
        let remarks = self.get("BZ");
        let severity = match self.get("CF_SXCD") {
            None => None,
            Some(v) => match crate::lifecycle::disclosure::Severity::parse(&v) {
                Some(s) => Some(s),
                None => {
                    self.diags.push(Diagnostic::new(
                        "CF_SXCD",
                        "enum.invalid",
                        format!("「失信程度」“{v}”无效，应为 轻微、一般 或 严重（可不填）"),
                    ));
                    None
                }
            },
        };
        let evaluation_item = self.get("CF_PJSX").and_then(|code| {
            let fixed = crate::evaluation::scheme::Scheme::shipped()
                .iter()
                .flat_map(|s| s.versions.iter())
                .any(|v| v.item(&code).is_some_and(|i| i.points.is_some()));
            if fixed {
                Some(code)
            } else {
                self.diags.push(Diagnostic::new(
                    "CF_PJSX",
                    "item.unknown",
                    format!("「评价事项代码」“{code}”不是评价体系中固定分值的事项（见规则公开中的各评价体系）"),
                ));
                None
            }
        });
        Some(Penalty {
            evaluation_item,
            subject: subject?,
            decision_no: decision_no?,
            violation_type: violation_type?,
            facts: facts?,
            basis: basis?,
            classes: classes?,
            content: content?,
            fine,
            confiscation,
            suspended_license,
            decision_date: decision_date?,
            valid_until: valid_until?,
            disclosure_end,
            authority: authority?,
            source_unit: source_unit?,
            remarks,
            severity,
        })
    }

    fn license(&mut self) -> Option<License> {
        let subject = self.subject("XK_");
        let doc_title = self.get("XK_XKWS");
        let license_no = self.get("XK_XKBH");
        let decision_no = match self.get("XK_WSH") {
            Some(v) => Some(normalize_decision_no(&v)),
            None => match &license_no {
                Some(no) => Some(normalize_decision_no(no)),
                None => {
                    self.diags.push(Diagnostic::new(
                        "XK_WSH",
                        "license.decision_no_required",
                        "「行政许可决定文书号」为空时须填写「许可编号」，两者不能同时为空",
                    ));
                    None
                }
            },
        };
        let category = self.enumeration("XK_XKLB", LicenseCategory::parse, "普通、特许、认可、核准、登记、其他");
        let certificate_name = self.get("XK_XKZS");
        let content = self.get("XK_NR");
        let decision_date = self.date("XK_JDRQ");
        self.not_future("XK_JDRQ", decision_date);
        let valid_from = self.date("XK_YXQZ");
        let valid_to = self.date("XK_YXQZI");
        self.order("XK_YXQZ", valid_from, "XK_YXQZI", valid_to);
        let authority = self.unit("XK_XKJG", "XK_XKJGDM");
        let status = self.enumeration("XK_ZT", LicenseStatus::parse, "有效（1）、无效（2）");
        let source_unit = self.unit("XK_LYDW", "XK_LYDWDM");
        let remarks = self.get("BZ");
        Some(License {
            subject: subject?,
            doc_title: doc_title?,
            decision_no: decision_no?,
            category: category?,
            certificate_name,
            license_no,
            content: content?,
            decision_date: decision_date?,
            valid_from: valid_from?,
            valid_to: valid_to?,
            authority: authority?,
            status: status?,
            source_unit: source_unit?,
            remarks,
        })
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
