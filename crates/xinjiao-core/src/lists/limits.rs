//! `rules/vehicle-limits.toml`: the gross-mass limit of a freight vehicle by
//! type and axles, with the single-tyre and single-drive-axle adjustments,
//! and the over-limit rate of a detection.

use jiff::civil::Date;

/// The shipped file.
pub const EMBEDDED: &str = include_str!("../../../../rules/vehicle-limits.toml");

/// The vehicle types a detection or the vehicle register names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VehicleType {
    /// 货车: a rigid truck.
    Truck,
    /// 汽车列车: a combination (tractor with semi-trailer or full trailer).
    Combination,
}

impl VehicleType {
    /// From the Chinese name in a file, or the machine word.
    pub fn parse(s: &str) -> Option<VehicleType> {
        match s.trim() {
            "货车" | "truck" => Some(VehicleType::Truck),
            "汽车列车" | "combination" => Some(VehicleType::Combination),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            VehicleType::Truck => "truck",
            VehicleType::Combination => "combination",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            VehicleType::Truck => "货车",
            VehicleType::Combination => "汽车列车",
        }
    }
}

/// What a limit depends on besides the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axles {
    pub total: u8,
    /// Axles with single tyres on each side.
    pub single_tyre: u8,
    /// Drive axles of the tractor, when the detection states them.
    pub drive: Option<u8>,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRow {
    pub vehicle: VehicleType,
    pub axles: u8,
    /// The row holds for `axles` or more.
    pub and_more: bool,
    pub kg: u32,
    /// The limit when the tractor has a single drive axle.
    pub single_drive_axle_kg: Option<u32>,
}

/// A version of the table, in force from a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitVersion {
    pub id: String,
    pub effective_from: Date,
    pub single_tyre_axle_kg: u32,
    pub rows: Vec<LimitRow>,
}

/// The file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleLimits {
    pub version: u32,
    pub source: String,
    pub versions: Vec<LimitVersion>,
    pub text: String,
}

/// Why a detection has no limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoLimit {
    /// No row for this type and number of axles.
    NoRow,
    /// More single-tyre axles than axles, or more drive axles.
    Axles,
    /// The adjustments leave nothing.
    NonPositive,
}

/// A detection compared with its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    pub limit_kg: u32,
    /// Gross mass minus the limit (negative: under it).
    pub excess_kg: i64,
    /// The over-limit rate in hundredths of a percent, rounded down (0 when under).
    pub rate_bp: i64,
}

impl Assessment {
    pub fn over(&self) -> bool {
        self.excess_kg > 0
    }
    /// The rate as the pages show it (`12.34%`).
    pub fn rate_text(&self) -> String {
        format!("{}.{:02}%", self.rate_bp / 100, self.rate_bp % 100)
    }
}

/// Compares a gross mass with a limit.
pub fn assess(gross_kg: u32, limit_kg: u32) -> Assessment {
    let excess = i64::from(gross_kg) - i64::from(limit_kg);
    let rate_bp = if excess > 0 && limit_kg > 0 { excess * 10_000 / i64::from(limit_kg) } else { 0 };
    Assessment { limit_kg, excess_kg: excess, rate_bp }
}

impl VehicleLimits {
    /// The shipped table (checked by the tests).
    pub fn embedded() -> &'static VehicleLimits {
        static CELL: std::sync::OnceLock<VehicleLimits> = std::sync::OnceLock::new();
        CELL.get_or_init(|| VehicleLimits::parse(EMBEDDED).expect("embedded vehicle limits"))
    }

    /// Reads the file; a Chinese message names the first problem.
    pub fn parse(text: &str) -> Result<VehicleLimits, String> {
        let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let int = |v: Option<&toml::Value>, what: &str, lo: i64, hi: i64| -> Result<i64, String> {
            v.and_then(toml::Value::as_integer)
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(|| format!("{what} 应为 {lo} 到 {hi} 之间的整数"))
        };
        let version = int(t.get("version"), "version", 1, 1_000_000)? as u32;
        let source = t.get("source").and_then(toml::Value::as_str).ok_or("缺少 source")?.to_string();
        let mut versions = Vec::new();
        let tables = t.get("table").and_then(toml::Value::as_array).ok_or("缺少 [[table]]")?;
        for (i, v) in tables.iter().enumerate() {
            let at = format!("第 {} 个 [[table]]", i + 1);
            let v = v.as_table().ok_or_else(|| format!("{at} 不是表"))?;
            let id = v.get("id").and_then(toml::Value::as_str).ok_or_else(|| format!("{at} 缺少 id"))?.to_string();
            let effective_from = v
                .get("effective_from")
                .and_then(toml::Value::as_datetime)
                .and_then(|d| d.date)
                .and_then(|d| Date::new(d.year as i16, d.month as i8, d.day as i8).ok())
                .ok_or_else(|| format!("{at} 的 effective_from 应为日期"))?;
            let single_tyre_axle_kg = int(v.get("single_tyre_axle_kg"), "single_tyre_axle_kg", 0, 20_000)? as u32;
            let mut rows: Vec<LimitRow> = Vec::new();
            for (j, r) in v
                .get("limit")
                .and_then(toml::Value::as_array)
                .ok_or_else(|| format!("{at} 缺少 limit"))?
                .iter()
                .enumerate()
            {
                let rat = format!("{at} 的第 {} 个 limit", j + 1);
                let r = r.as_table().ok_or_else(|| format!("{rat} 不是表"))?;
                let vehicle = r
                    .get("type")
                    .and_then(toml::Value::as_str)
                    .and_then(VehicleType::parse)
                    .ok_or_else(|| format!("{rat} 的 type 应为 truck 或 combination"))?;
                let axles = int(r.get("axles"), &format!("{rat} 的 axles"), 2, 12)? as u8;
                let and_more = r.get("and_more").and_then(toml::Value::as_bool).unwrap_or(false);
                let kg = int(r.get("kg"), &format!("{rat} 的 kg"), 1000, 200_000)? as u32;
                let single_drive_axle_kg = match r.get("single_drive_axle_kg") {
                    None => None,
                    v => Some(int(v, &format!("{rat} 的 single_drive_axle_kg"), 1000, i64::from(kg))? as u32),
                };
                if rows.iter().any(|o| o.vehicle == vehicle && covers(o, axles)) {
                    return Err(format!("{rat}：{} {axles} 轴已有限值", vehicle.label()));
                }
                rows.push(LimitRow { vehicle, axles, and_more, kg, single_drive_axle_kg });
            }
            if versions.last().is_some_and(|p: &LimitVersion| p.effective_from >= effective_from) {
                return Err(format!("{at} 的 effective_from 应晚于上一版本"));
            }
            versions.push(LimitVersion { id, effective_from, single_tyre_axle_kg, rows });
        }
        if versions.is_empty() {
            return Err("至少需要一个 [[table]]".into());
        }
        Ok(VehicleLimits { version, source, versions, text: text.to_string() })
    }

    /// The version in force on `day` (the oldest if `day` is before all).
    pub fn version_on(&self, day: Date) -> &LimitVersion {
        self.versions.iter().rev().find(|v| v.effective_from <= day).unwrap_or(&self.versions[0])
    }

    /// The limit of a vehicle detected on `day`.
    pub fn limit(&self, day: Date, vehicle: VehicleType, axles: Axles) -> Result<u32, NoLimit> {
        let v = self.version_on(day);
        if axles.single_tyre > axles.total || axles.drive.is_some_and(|d| d == 0 || d > axles.total) {
            return Err(NoLimit::Axles);
        }
        let row = v.rows.iter().find(|r| r.vehicle == vehicle && covers(r, axles.total)).ok_or(NoLimit::NoRow)?;
        let base = match (row.single_drive_axle_kg, axles.drive) {
            (Some(kg), Some(1)) => kg,
            _ => row.kg,
        };
        let cut = u64::from(axles.single_tyre) * u64::from(v.single_tyre_axle_kg);
        u32::try_from(u64::from(base).checked_sub(cut).filter(|&kg| kg > 0).ok_or(NoLimit::NonPositive)?)
            .map_err(|_| NoLimit::NonPositive)
    }
}

fn covers(row: &LimitRow, axles: u8) -> bool {
    row.axles == axles || (row.and_more && axles >= row.axles)
}
