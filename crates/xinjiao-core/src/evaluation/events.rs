//! Credit-event files: what the bureau learns outside its own decisions
//! (inspections with and without findings, commendations, project owners'
//! performance ratings, third-party evaluations, commitments kept or
//! broken), one row per event, read like the record files (CSV in UTF-8 or
//! GBK, XLSX; the Chinese names below or the field codes as headers) and
//! checked row by row against the schemes.

use jiff::civil::Date;

use super::scheme::{Evaluates, Points, Scheme};
use crate::Diagnostic;
use crate::records::fields::{Catalogue, FieldDef, Requirement, ValueKind, f};
use crate::records::record::FieldValues;

/// The columns of a credit-event file. The field codes (`PJ_…`) are this
/// platform's own: no national standard names them.
pub static CREDIT_EVENT_FIELDS: &[FieldDef] = &[
    f("PJ_ZTDM", "主体代码", &["统一社会信用代码", "身份证件号码", "主体统一社会信用代码"], R, 64, ValueKind::Code),
    f("PJ_ZTMC", "主体名称", &["主体", "企业名称", "姓名"], R, 200, ValueKind::Text),
    f("PJ_TX", "评价体系", &["评价体系代码"], R, 64, ValueKind::Text),
    f("PJ_SXDM", "事项代码", &["评价事项代码"], R, 32, ValueKind::Code),
    f("PJ_FZ", "分值", &["分数"], O, 16, ValueKind::Amount),
    f("PJ_FSRQ", "发生日期", &["日期", "事项日期"], R, 32, ValueKind::Date),
    f("PJ_YJ", "依据", &["依据文号", "来源", "报告编号"], R, 200, ValueKind::Text),
    f("BZ", "备注", &[], O, 512, ValueKind::Text),
];

use Requirement::{Optional as O, Required as R};

/// The catalogue credit-event files are read with.
pub const CATALOGUE: Catalogue = Catalogue { label: "信用事件", fields: CREDIT_EVENT_FIELDS };

/// A valid row of a credit-event file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The subject's USCC, or a person's ID card number.
    pub subject_code: String,
    pub subject_name: String,
    /// The code is a person's.
    pub person: bool,
    pub scheme: String,
    pub item: String,
    /// The points given (items with a range only).
    pub points: Option<Points>,
    pub date: Date,
    /// The reference: a decision number, a report number.
    pub basis: String,
}

impl EventRow {
    /// The subject the row names, as a record would name it (an individual
    /// business by its code's category 92).
    pub fn subject_info(&self) -> crate::records::record::SubjectInfo {
        use crate::records::record::{IdDoc, IdDocType, SubjectInfo, SubjectKind};
        let uscc = (!self.person).then(|| crate::records::ids::Uscc::parse(&self.subject_code).ok()).flatten();
        SubjectInfo {
            kind: match (self.person, self.subject_code.starts_with("92")) {
                (true, _) => SubjectKind::NaturalPerson,
                (false, true) => SubjectKind::IndividualBusiness,
                (false, false) => SubjectKind::Organization,
            },
            name: self.subject_name.clone(),
            uscc,
            reg_no: None,
            org_code: None,
            tax_no: None,
            institution_no: None,
            social_org_no: None,
            legal_rep: None,
            legal_rep_id: None,
            id_doc: self.person.then(|| IdDoc::new(IdDocType::IdCard, self.subject_code.clone())),
        }
    }
}

/// Checks a row against the schemes as of `today`: a subject code with its
/// check digit (of the kind the scheme evaluates), a known scheme (by code
/// or name) and an item of the version in force on the event's date, points
/// exactly where the item has a range, a date not after today.
pub fn parse_event_row(values: &FieldValues, schemes: &[Scheme], today: Date) -> Result<EventRow, Vec<Diagnostic>> {
    let get = |k: &str| values.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut diags = Vec::new();
    let mut required = |code: &'static str, name: &str| -> String {
        let v = get(code);
        if v.is_empty() {
            diags.push(Diagnostic::new(code, "field.required", format!("「{name}」不能为空")));
        }
        v
    };
    let subject_code = required("PJ_ZTDM", "主体代码");
    let subject_name = required("PJ_ZTMC", "主体名称");
    let scheme_text = required("PJ_TX", "评价体系");
    let item_code = required("PJ_SXDM", "事项代码");
    let date_text = required("PJ_FSRQ", "发生日期");
    let basis = required("PJ_YJ", "依据");
    for def in CREDIT_EVENT_FIELDS {
        if get(def.code).chars().count() > def.max_len {
            diags.push(Diagnostic::new(
                def.code,
                "field.too_long",
                format!("「{}」超过 {} 个字符", def.name, def.max_len),
            ));
        }
    }
    let mut person = false;
    if !subject_code.is_empty() {
        use crate::records::ids::{IdCardNo, IdError, Uscc};
        match (Uscc::parse(&subject_code), IdCardNo::parse(&subject_code, today)) {
            (Ok(_), _) => {}
            (_, Ok(_)) => person = true,
            (Err(IdError::CheckDigit { expected }), _) if subject_code.len() == 18 && !is_id_shape(&subject_code) => {
                diags.push(Diagnostic::new(
                    "PJ_ZTDM",
                    "uscc.check_digit",
                    format!("「主体代码」{subject_code} 的统一社会信用代码校验位错误，应为 {expected}"),
                ));
            }
            (_, Err(IdError::CheckDigit { expected })) => diags.push(Diagnostic::new(
                "PJ_ZTDM",
                "id_card.check_digit",
                format!("「主体代码」{subject_code} 的身份证号码校验位错误，应为 {expected}"),
            )),
            _ => diags.push(Diagnostic::new(
                "PJ_ZTDM",
                "subject.code",
                format!("「主体代码」{subject_code} 既不是有效的统一社会信用代码，也不是有效的身份证号码"),
            )),
        }
    }
    let date = if date_text.is_empty() {
        None
    } else {
        match crate::records::date::parse_date(&date_text) {
            Some(d) if d > today => {
                diags.push(Diagnostic::new("PJ_FSRQ", "date.future", format!("「发生日期」{d} 晚于今天（{today}）")));
                None
            }
            Some(d) => Some(d),
            None => {
                diags.push(Diagnostic::new(
                    "PJ_FSRQ",
                    "date.format",
                    format!("「发生日期」“{date_text}”无法识别，应为 YYYY-MM-DD"),
                ));
                None
            }
        }
    };
    let scheme = if scheme_text.is_empty() {
        None
    } else {
        let found = schemes.iter().find(|s| s.code == scheme_text || s.name == scheme_text);
        if found.is_none() {
            let known: Vec<String> = schemes.iter().map(|s| format!("{}（{}）", s.code, s.name)).collect();
            diags.push(Diagnostic::new(
                "PJ_TX",
                "scheme.unknown",
                format!("「评价体系」“{scheme_text}”不存在，应为 {}", known.join("、")),
            ));
        }
        found
    };
    let points_text = get("PJ_FZ");
    let mut points = None;
    if let (Some(s), Some(d)) = (scheme, date) {
        if !subject_code.is_empty() && diags.iter().all(|x| x.field != "PJ_ZTDM") {
            let wants_person = s.evaluates == Evaluates::Persons;
            if wants_person != person {
                diags.push(Diagnostic::new(
                    "PJ_ZTDM",
                    "subject.kind_mismatch",
                    format!(
                        "评价体系“{}”评价{}，「主体代码」应为{}",
                        s.name,
                        if wants_person { "个人" } else { "企业等组织" },
                        if wants_person { "身份证号码" } else { "统一社会信用代码" }
                    ),
                ));
            }
        }
        let v = s.version_on(d);
        match v.item(&item_code) {
            None if !item_code.is_empty() => diags.push(Diagnostic::new(
                "PJ_SXDM",
                "item.unknown",
                format!(
                    "「事项代码」“{item_code}”不在评价体系“{}”{} 版的事项目录中（{} 起施行）",
                    s.name, v.id, v.effective_from
                ),
            )),
            None => {}
            Some(item) => match (item.range, points_text.is_empty()) {
                (Some((lo, hi)), true) => diags.push(Diagnostic::new(
                    "PJ_FZ",
                    "points.required",
                    format!("事项“{}”的「分值」须填写（{lo} 到 {hi}）", item.name),
                )),
                (Some((lo, hi)), false) => match Points::parse(&points_text) {
                    Some(p) if p >= lo && p <= hi => points = Some(p),
                    _ => diags.push(Diagnostic::new(
                        "PJ_FZ",
                        "points.range",
                        format!(
                            "事项“{}”的「分值」应为 {lo} 到 {hi} 之间、至多一位小数的数（收到 {points_text}）",
                            item.name
                        ),
                    )),
                },
                (None, false) => diags.push(Diagnostic::new(
                    "PJ_FZ",
                    "points.not_allowed",
                    format!("事项“{}”的分值固定为 {}，「分值」应留空", item.name, item.points.unwrap_or_default()),
                )),
                (None, true) => {}
            },
        }
    }
    match (diags.is_empty(), scheme, date) {
        (true, Some(s), Some(date)) => Ok(EventRow {
            subject_code,
            subject_name,
            person,
            scheme: s.code.clone(),
            item: item_code,
            points,
            date,
            basis,
        }),
        _ => Err(diags),
    }
}

/// Whether an 18-character code looks like an ID card number (17 digits and
/// a digit or X), so that its check-digit error is reported as one.
fn is_id_shape(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && (b[17].is_ascii_digit() || b[17] == b'X')
}
