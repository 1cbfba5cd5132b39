//! Overloading (超限超载): the vehicle register (车辆档案) and overload
//! detection files (检测记录), read like the record files and checked row by
//! row, and the candidates for the overload list computed from them
//! ([`candidates`]): trips per vehicle and driver, the fleet share of an
//! enterprise, penalties for directing drivers to overload.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use super::definition::{Computation, ListDefinition, PartyType};
use super::limits::{Assessment, Axles, NoLimit, VehicleLimits, VehicleType, assess};
use crate::Diagnostic;
use crate::records::fields::{Catalogue, FieldDef, Requirement, ValueKind, f};
use crate::records::ids::{IdCardNo, IdError, Uscc};
use crate::records::record::{Amount, FieldValues};
use crate::records::text::normalize_code;

use Requirement::{Optional as O, Required as R};

/// The columns of a vehicle register file. The field codes (`CL_…`) are this
/// platform's own.
pub static VEHICLE_FIELDS: &[FieldDef] = &[
    f("CL_CPHM", "车牌号码", &["号牌号码", "车牌号"], R, 16, ValueKind::Code),
    f("CL_CLLX", "车辆类型", &["车型"], R, 8, ValueKind::Text),
    f("CL_ZS", "轴数", &["车轴数"], R, 4, ValueKind::Code),
    f("CL_QYDM", "企业代码", &["统一社会信用代码", "企业统一社会信用代码"], R, 18, ValueKind::Code),
    f("CL_QYMC", "企业名称", &["所属企业", "业户名称"], R, 200, ValueKind::Text),
];

/// The columns of an overload detection file (`CX_…`, this platform's own).
pub static DETECTION_FIELDS: &[FieldDef] = &[
    f("CX_JCRQ", "检测日期", &["检测时间", "日期"], R, 32, ValueKind::Date),
    f("CX_JCDD", "检测地点", &["检测站点", "地点"], O, 200, ValueKind::Text),
    f("CX_CPHM", "车牌号码", &["号牌号码", "车牌号"], R, 16, ValueKind::Code),
    f("CX_CLLX", "车辆类型", &["车型"], R, 8, ValueKind::Text),
    f("CX_ZS", "轴数", &["车轴数"], R, 4, ValueKind::Code),
    f("CX_ZZL", "车货总质量", &["车货总质量(kg)", "总质量", "总重"], R, 16, ValueKind::Code),
    f("CX_DTZS", "单胎轴数", &["单胎车轴数"], O, 4, ValueKind::Code),
    f("CX_QDZS", "驱动轴数", &["牵引车驱动轴数"], O, 4, ValueKind::Code),
    f("CX_JSYZJ", "驾驶员证件号码", &["驾驶人证件号码", "驾驶员身份证号码"], R, 18, ValueKind::Code),
    f("CX_JSYXM", "驾驶员姓名", &["驾驶人姓名"], R, 50, ValueKind::Text),
    f("CX_QYDM", "企业代码", &["统一社会信用代码", "企业统一社会信用代码"], R, 18, ValueKind::Code),
    f("CX_QYMC", "企业名称", &["所属企业", "业户名称"], R, 200, ValueKind::Text),
    f("CX_CFJDS", "处罚决定书文号", &["处罚决定书号", "行政处罚决定书文号"], O, 128, ValueKind::Text),
];

/// The catalogue vehicle register files are read with.
pub const VEHICLE_CATALOGUE: Catalogue = Catalogue { label: "货运车辆档案", fields: VEHICLE_FIELDS };
/// The catalogue detection files are read with.
pub const DETECTION_CATALOGUE: Catalogue = Catalogue { label: "超限检测记录", fields: DETECTION_FIELDS };

/// Province abbreviations a plate starts with.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// A plate in its stored form: half-width, upper case, without spaces,
/// `·` or `-` (粤A·12345 → 粤A12345); `None` unless it is a Chinese plate: a
/// province, a letter, then 5 or 6 letters and digits, the last possibly 挂.
pub fn normalize_plate(raw: &str) -> Option<String> {
    let s: String = normalize_code(raw).chars().filter(|c| !matches!(c, '·' | '•' | '-' | '.')).collect();
    let mut chars = s.chars();
    let province = chars.next()?;
    let letter = chars.next()?;
    let rest: Vec<char> = chars.collect();
    let ok = PROVINCES.contains(province)
        && letter.is_ascii_uppercase()
        && (5..=6).contains(&rest.len())
        && rest.iter().enumerate().all(|(i, c)| c.is_ascii_alphanumeric() || (i == rest.len() - 1 && *c == '挂'));
    ok.then_some(s)
}

/// A valid row of a vehicle register file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleRow {
    pub plate: String,
    pub vehicle: VehicleType,
    pub axles: u8,
    pub enterprise_code: String,
    pub enterprise_name: String,
}

/// A valid row of a detection file (or a stored detection, with `id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The stored detection's id (0 before it is stored).
    pub id: i64,
    pub date: Date,
    pub place: String,
    pub plate: String,
    pub vehicle: VehicleType,
    pub axles: Axles,
    pub gross_kg: u32,
    pub driver_id: String,
    pub driver_name: String,
    pub enterprise_code: String,
    pub enterprise_name: String,
    pub penalty_no: Option<String>,
}

impl Detection {
    /// The key under which a detection is stored once: the same vehicle on
    /// the same day at the same place with the same mass is the same detection.
    pub fn key(&self) -> (Date, String, String, u32) {
        (self.date, self.plate.clone(), self.place.clone(), self.gross_kg)
    }

    /// Compared with the limit in force on its day.
    pub fn assess(&self, limits: &VehicleLimits) -> Result<Assessment, NoLimit> {
        limits.limit(self.date, self.vehicle, self.axles).map(|limit| assess(self.gross_kg, limit))
    }
}

/// A row being checked against a catalogue of this platform's own files
/// (the vehicle register, detections, associations' member commitments):
/// the diagnostics gathered so far.
pub(crate) struct Row<'a> {
    pub(crate) values: &'a FieldValues,
    pub(crate) fields: &'static [FieldDef],
    pub(crate) diags: Vec<Diagnostic>,
}

impl Row<'_> {
    pub(crate) fn get(&self, code: &str) -> String {
        self.values.get(code).map(|v| crate::records::text::trim(v).to_string()).unwrap_or_default()
    }
    /// Required fields filled, every field within its length.
    pub(crate) fn lengths(&mut self) {
        for def in self.fields {
            let v = self.get(def.code);
            if v.is_empty() && def.requirement == R {
                self.diags.push(Diagnostic::new(def.code, "field.required", format!("「{}」不能为空", def.name)));
            } else if v.chars().count() > def.max_len {
                self.diags.push(Diagnostic::new(
                    def.code,
                    "field.too_long",
                    format!("「{}」超过 {} 个字符", def.name, def.max_len),
                ));
            }
        }
    }
    fn name(&self, code: &str) -> &'static str {
        self.fields.iter().find(|d| d.code == code).map_or("", |d| d.name)
    }
    fn plate(&mut self, code: &'static str) -> Option<String> {
        let raw = self.get(code);
        if raw.is_empty() {
            return None;
        }
        let p = normalize_plate(&raw);
        if p.is_none() {
            self.diags.push(Diagnostic::new(
                code,
                "plate.format",
                format!("「车牌号码」“{raw}”不是有效的车牌号码（省份简称、发牌机关字母，再加5或6位字母数字，挂车以“挂”结尾）"),
            ));
        }
        p
    }
    fn vehicle(&mut self, code: &'static str) -> Option<VehicleType> {
        let raw = self.get(code);
        if raw.is_empty() {
            return None;
        }
        let v = VehicleType::parse(&raw);
        if v.is_none() {
            self.diags.push(Diagnostic::new(
                code,
                "vehicle.type",
                format!("「车辆类型」应为“货车”或“汽车列车”（收到 {raw}）"),
            ));
        }
        v
    }
    /// A whole number within `lo..=hi` (Excel's `6.0` accepted).
    fn number(&mut self, code: &'static str, lo: u32, hi: u32, diag: &'static str) -> Option<u32> {
        let raw = normalize_code(&self.get(code)).replace(',', "");
        if raw.is_empty() {
            return None;
        }
        let whole = raw.strip_suffix(".0").or_else(|| raw.strip_suffix(".00")).unwrap_or(&raw);
        match whole.parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) => Some(n),
            _ => {
                let name = self.name(code);
                self.diags.push(Diagnostic::new(
                    code,
                    diag,
                    format!("「{name}」应为 {lo} 到 {hi} 之间的整数（收到 {raw}）"),
                ));
                None
            }
        }
    }
    /// A date not after `today` (empty: `None`, the required check is `lengths`'s).
    pub(crate) fn date_not_after(&mut self, code: &'static str, today: Date) -> Option<Date> {
        let text = self.get(code);
        if text.is_empty() {
            return None;
        }
        let name = self.name(code);
        match crate::records::date::parse_date(&text) {
            Some(d) if d > today => {
                self.diags.push(Diagnostic::new(code, "date.future", format!("「{name}」{d} 晚于今天（{today}）")));
                None
            }
            Some(d) => Some(d),
            None => {
                self.diags.push(Diagnostic::new(
                    code,
                    "date.format",
                    format!("「{name}」“{text}”无法识别，应为 YYYY-MM-DD"),
                ));
                None
            }
        }
    }
    pub(crate) fn enterprise(&mut self, code: &'static str) -> Option<String> {
        let raw = normalize_code(&self.get(code));
        if raw.is_empty() {
            return None;
        }
        let name = self.name(code);
        match Uscc::parse(&raw) {
            Ok(_) => Some(raw),
            Err(IdError::CheckDigit { expected }) => {
                self.diags.push(Diagnostic::new(
                    code,
                    "uscc.check_digit",
                    format!("「{name}」{raw} 的统一社会信用代码校验位错误，应为 {expected}"),
                ));
                None
            }
            Err(_) => {
                self.diags.push(Diagnostic::new(
                    code,
                    "uscc.format",
                    format!("「{name}」{raw} 不是有效的统一社会信用代码（18位，不含 I、O、Z、S、V）"),
                ));
                None
            }
        }
    }
}

/// Checks a vehicle register row: a plate, a type, 2 to 12 axles, the owner's
/// USCC with its check digit and its name.
pub fn parse_vehicle_row(values: &FieldValues) -> Result<VehicleRow, Vec<Diagnostic>> {
    let mut row = Row { values, fields: VEHICLE_FIELDS, diags: Vec::new() };
    row.lengths();
    let plate = row.plate("CL_CPHM");
    let vehicle = row.vehicle("CL_CLLX");
    let axles = row.number("CL_ZS", 2, 12, "axles.range");
    let enterprise_code = row.enterprise("CL_QYDM");
    let enterprise_name = row.get("CL_QYMC");
    match (plate, vehicle, axles, enterprise_code) {
        (Some(plate), Some(vehicle), Some(axles), Some(enterprise_code)) if row.diags.is_empty() => {
            Ok(VehicleRow { plate, vehicle, axles: axles as u8, enterprise_code, enterprise_name })
        }
        _ => Err(row.diags),
    }
}

/// Checks a detection row as of `today`: a date not after today, a plate, a
/// type, axles, a gross mass in kg (1,000 to 200,000), single-tyre and drive
/// axles no more than the axles, a limit for the type and axles in
/// `limits`, the driver's ID card number and the enterprise's USCC with
/// their check digits.
pub fn parse_detection_row(
    values: &FieldValues,
    limits: &VehicleLimits,
    today: Date,
) -> Result<Detection, Vec<Diagnostic>> {
    let mut row = Row { values, fields: DETECTION_FIELDS, diags: Vec::new() };
    row.lengths();
    let date = row.date_not_after("CX_JCRQ", today);
    let plate = row.plate("CX_CPHM");
    let vehicle = row.vehicle("CX_CLLX");
    let total = row.number("CX_ZS", 2, 12, "axles.range");
    let gross = row.number("CX_ZZL", 1000, 200_000, "mass.range");
    let single = if row.get("CX_DTZS").is_empty() { Some(0) } else { row.number("CX_DTZS", 0, 12, "axles.range") };
    let drive =
        if row.get("CX_QDZS").is_empty() { Some(None) } else { row.number("CX_QDZS", 1, 12, "axles.range").map(Some) };
    let driver_raw = normalize_code(&row.get("CX_JSYZJ"));
    let driver_id = if driver_raw.is_empty() {
        None
    } else {
        match IdCardNo::parse(&driver_raw, today) {
            Ok(_) => Some(driver_raw),
            Err(IdError::CheckDigit { expected }) => {
                row.diags.push(Diagnostic::new(
                    "CX_JSYZJ",
                    "id_card.check_digit",
                    format!("「驾驶员证件号码」的身份证号码校验位错误，应为 {expected}"),
                ));
                None
            }
            Err(_) => {
                row.diags.push(Diagnostic::new(
                    "CX_JSYZJ",
                    "id_card.format",
                    "「驾驶员证件号码」不是有效的18位身份证号码".to_string(),
                ));
                None
            }
        }
    };
    let enterprise_code = row.enterprise("CX_QYDM");
    let (
        Some(date),
        Some(plate),
        Some(vehicle),
        Some(total),
        Some(gross),
        Some(single),
        Some(drive),
        Some(driver_id),
        Some(enterprise_code),
    ) = (date, plate, vehicle, total, gross, single, drive, driver_id, enterprise_code)
    else {
        return Err(row.diags);
    };
    let axles = Axles { total: total as u8, single_tyre: single as u8, drive: drive.map(|d| d as u8) };
    match limits.limit(date, vehicle, axles) {
        Ok(_) => {}
        Err(NoLimit::NoRow) => row.diags.push(Diagnostic::new(
            "CX_ZS",
            "limit.none",
            format!("{} {total} 轴没有车货总质量限值（见车辆限值规则），无法判断是否超限", vehicle.label()),
        )),
        Err(NoLimit::Axles) => row.diags.push(Diagnostic::new(
            if axles.single_tyre > axles.total { "CX_DTZS" } else { "CX_QDZS" },
            "axles.range",
            format!("「单胎轴数」和「驱动轴数」不能多于「轴数」{total}"),
        )),
        Err(NoLimit::NonPositive) => row.diags.push(Diagnostic::new(
            "CX_DTZS",
            "axles.range",
            "按单胎轴数折减后限值不大于0，请核对「单胎轴数」".to_string(),
        )),
    }
    if !row.diags.is_empty() {
        return Err(row.diags);
    }
    let penalty_no = Some(crate::records::text::normalize_decision_no(&row.get("CX_CFJDS"))).filter(|s| !s.is_empty());
    Ok(Detection {
        id: 0,
        date,
        place: row.get("CX_JCDD"),
        plate,
        vehicle,
        axles,
        gross_kg: gross,
        driver_id,
        driver_name: row.get("CX_JSYXM"),
        enterprise_code,
        enterprise_name: row.get("CX_QYMC"),
        penalty_no,
    })
}

/// A penalty the list criteria read (decided, not withdrawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PenaltyFact {
    pub record_id: i64,
    pub decision_no: String,
    /// The party's USCC (or ID number).
    pub subject_code: String,
    pub subject_name: String,
    pub decided_on: Date,
    /// 处罚类别, as stored (several joined by `；`).
    pub categories: String,
    /// 违法行为类型 and 违法事实.
    pub violation: String,
    pub fine: Option<Amount>,
}

/// What the overload criteria read.
#[derive(Debug, Clone, Default)]
pub struct OverloadFacts {
    pub detections: Vec<Detection>,
    /// The vehicle register.
    pub fleet: Vec<VehicleRow>,
    /// Penalties of the enterprises (any decided on or before the day).
    pub penalties: Vec<PenaltyFact>,
}

/// What a candidate rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    Detection {
        id: i64,
        date: Date,
        plate: String,
        gross_kg: u32,
        limit_kg: u32,
        rate_bp: i64,
    },
    Penalty {
        record_id: i64,
        decision_no: String,
        date: Date,
        fine: Option<Amount>,
    },
    /// A credit commitment found not kept or false (issue 17).
    Commitment {
        id: i64,
        date: Date,
        /// `not_kept` or `false`.
        finding: String,
        /// The type and matter, in Chinese.
        what: String,
    },
    /// A final grade in an evaluation run.
    Grade {
        run_id: i64,
        scheme: String,
        cycle_year: i16,
        grade: String,
    },
}

/// A party the data puts forward for a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub list: String,
    pub criterion: u32,
    pub party_type: PartyType,
    /// The plate, the driver's ID number or the enterprise's USCC.
    pub party: String,
    /// The driver's or the enterprise's name; for a vehicle, its owner as
    /// the latest detection counted names it.
    pub party_name: String,
    /// Why, in Chinese, with the figures.
    pub reason: String,
    pub evidence: Vec<Evidence>,
}

fn detection_evidence(d: &Detection, a: &Assessment) -> Evidence {
    Evidence::Detection {
        id: d.id,
        date: d.date,
        plate: d.plate.clone(),
        gross_kg: d.gross_kg,
        limit_kg: a.limit_kg,
        rate_bp: a.rate_bp,
    }
}

/// The candidates of `list`'s computed trip, fleet-share and penalty
/// criteria as of `as_of`, sorted by criterion and party.
pub fn candidates(list: &ListDefinition, facts: &OverloadFacts, limits: &VehicleLimits, as_of: Date) -> Vec<Candidate> {
    let mut out = Vec::new();
    let within = |d: Date, months: u32| d <= as_of && d >= crate::monitoring::warnings::months_back(as_of, months);
    // Detections over the limit, with their assessment, by date then id.
    let mut over: Vec<(&Detection, Assessment)> = facts
        .detections
        .iter()
        .filter_map(|d| d.assess(limits).ok().filter(Assessment::over).map(|a| (d, a)))
        .collect();
    over.sort_by_key(|(d, _)| (d.date, d.id));
    for c in &list.criteria {
        let Some(computed) = &c.computed else { continue };
        match computed {
            Computation::Trips { more_than, months } => {
                let driver = c.party_type == Some(PartyType::Driver);
                let mut by: BTreeMap<&str, Vec<&(&Detection, Assessment)>> = BTreeMap::new();
                for x in over.iter().filter(|(d, _)| within(d.date, *months)) {
                    by.entry(if driver { &x.0.driver_id } else { &x.0.plate }).or_default().push(x);
                }
                for (party, xs) in by {
                    let days: BTreeSet<Date> = xs.iter().map(|(d, _)| d.date).collect();
                    if days.len() as u32 > *more_than {
                        let last = xs.last().map(|(d, _)| *d).expect("non-empty");
                        out.push(Candidate {
                            list: list.code.clone(),
                            criterion: c.number,
                            party_type: if driver { PartyType::Driver } else { PartyType::Vehicle },
                            party: party.to_string(),
                            party_name: if driver { last.driver_name.clone() } else { last.enterprise_name.clone() },
                            reason: format!(
                                "{months} 个月内（{} 至 {as_of}）超限运输 {} 次（{} 条检测记录），超过 {more_than} 次",
                                crate::monitoring::warnings::months_back(as_of, *months),
                                days.len(),
                                xs.len()
                            ),
                            evidence: xs.iter().map(|(d, a)| detection_evidence(d, a)).collect(),
                        });
                    }
                }
            }
            Computation::FleetShare { percent_more_than, months, suspension_category } => {
                let mut fleets: BTreeMap<&str, (Vec<&VehicleRow>, &str)> = BTreeMap::new();
                for v in &facts.fleet {
                    fleets.entry(&v.enterprise_code).or_insert((Vec::new(), &v.enterprise_name)).0.push(v);
                }
                for (code, (vehicles, name)) in fleets {
                    let plates: BTreeSet<&str> = vehicles.iter().map(|v| v.plate.as_str()).collect();
                    let hits: Vec<&(&Detection, Assessment)> = over
                        .iter()
                        .filter(|(d, _)| within(d.date, *months) && plates.contains(d.plate.as_str()))
                        .collect();
                    let vehicles_over: BTreeSet<&str> = hits.iter().map(|(d, _)| d.plate.as_str()).collect();
                    let share_over =
                        vehicles_over.len() as u64 * 100 > u64::from(*percent_more_than) * plates.len() as u64;
                    let suspensions: Vec<&PenaltyFact> = facts
                        .penalties
                        .iter()
                        .filter(|p| p.subject_code == code && within(p.decided_on, *months))
                        .filter(|p| {
                            p.categories.split(['；', ';', ',', '，', '、']).any(|x| x.trim() == suspension_category)
                        })
                        .collect();
                    if share_over && !suspensions.is_empty() {
                        let mut evidence: Vec<Evidence> = hits.iter().map(|(d, a)| detection_evidence(d, a)).collect();
                        evidence.extend(suspensions.iter().map(|p| penalty_evidence(p)));
                        out.push(Candidate {
                            list: list.code.clone(),
                            criterion: c.number,
                            party_type: PartyType::Enterprise,
                            party: code.to_string(),
                            party_name: name.to_string(),
                            reason: format!(
                                "{months} 个月内有超限运输的车辆 {} 辆，占本单位货运车辆 {} 辆的 {}，超过 {percent_more_than}%；并被{suspension_category}（{}）",
                                vehicles_over.len(),
                                plates.len(),
                                percent_text(vehicles_over.len() as u64, plates.len() as u64),
                                suspensions.iter().map(|p| p.decision_no.as_str()).collect::<Vec<_>>().join("、")
                            ),
                            evidence,
                        });
                    }
                }
            }
            Computation::DirectingPenalties { months, fine_yuan_at_least, penalties_at_least, violation_words } => {
                let mut by: BTreeMap<&str, Vec<&PenaltyFact>> = BTreeMap::new();
                for p in facts.penalties.iter().filter(|p| within(p.decided_on, *months)) {
                    if violation_words.iter().all(|group| group.iter().any(|w| p.violation.contains(w.as_str()))) {
                        by.entry(&p.subject_code).or_default().push(p);
                    }
                }
                let threshold = Amount::from_fen(*fine_yuan_at_least as i64 * 100);
                for (code, mut ps) in by {
                    ps.sort_by_key(|p| (p.decided_on, p.record_id));
                    let big: Vec<&&PenaltyFact> =
                        ps.iter().filter(|p| p.fine.is_some_and(|f| f >= threshold)).collect();
                    let many = ps.len() as u32 >= *penalties_at_least;
                    if big.is_empty() && !many {
                        continue;
                    }
                    let reason = if let Some(p) = big.first() {
                        format!(
                            "因指使、强令驾驶人超限运输被处以 {} 元罚款（{}），不低于 {fine_yuan_at_least} 元",
                            p.fine.map(Amount::to_yuan_string).unwrap_or_default(),
                            p.decision_no
                        )
                    } else {
                        format!("{months} 个月内因指使、强令驾驶人超限运输受到行政处罚 {} 次", ps.len())
                    };
                    out.push(Candidate {
                        list: list.code.clone(),
                        criterion: c.number,
                        party_type: PartyType::Enterprise,
                        party: code.to_string(),
                        party_name: ps[0].subject_name.clone(),
                        reason,
                        evidence: ps.iter().map(|p| penalty_evidence(p)).collect(),
                    });
                }
            }
            Computation::GradeStreak { .. } | Computation::CommitmentBreaches { .. } => {}
        }
    }
    out
}

fn penalty_evidence(p: &PenaltyFact) -> Evidence {
    Evidence::Penalty { record_id: p.record_id, decision_no: p.decision_no.clone(), date: p.decided_on, fine: p.fine }
}

/// `part` of `whole` in percent with two decimals, rounded down (`10.00%`).
pub fn percent_text(part: u64, whole: u64) -> String {
    let bp = (part * 10_000).checked_div(whole).unwrap_or(0);
    format!("{}.{:02}%", bp / 100, bp % 100)
}
