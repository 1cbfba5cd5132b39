//! The three reporting rates (填报率、合格率、及时率) by department and by
//! division, per month, quarter or year: computing them once for the console
//! dashboard, its XLSX export and the API, the SVG trend chart, and the
//! drill-down to the records behind every shortfall.

use std::collections::BTreeMap;

use xinjiao_core::reporting::period::{Month, Period, PeriodKind};
use xinjiao_core::reporting::rates::{RateCounts, RateKind, sum_by};
use xinjiao_store::{Department, Division, Store, StoreError};

use crate::kernel::cache::RatesCache;
use crate::kernel::rules::Rules;

/// Rows by department or by division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Department,
    Division,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "" | "department" => Some(By::Department),
            "division" => Some(By::Division),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            By::Department => "department",
            By::Division => "division",
        }
    }
}

/// One row of the dashboard.
#[derive(Debug, Clone)]
pub struct FigureRow {
    /// Department id, division code, or `none` for unattributed records.
    pub key: String,
    pub name: String,
    pub division: String,
    pub counts: RateCounts,
}

/// Everything the dashboard, the export and the API show.
#[derive(Debug, Clone)]
pub struct Figures {
    pub period: Period,
    pub by: By,
    pub rows: Vec<FigureRow>,
    pub total: RateCounts,
    /// The periods ending with `period` (12 months, 8 quarters or 5 years), for
    /// the whole installation or one key.
    pub trend: Vec<(Period, RateCounts)>,
    /// Whose trend: "全部" or the name of the selected row.
    pub trend_of: String,
}

pub const NONE_KEY: &str = "none";

/// The figures `user` may see. Need to know (issue 9): coordinators and
/// administrators see every department; a clerk sees only the row, total and
/// trend of their own department, whatever `by` and `trend_key` ask for.
pub fn compute_for(
    store: &dyn Store,
    rules: &Rules,
    cache: &RatesCache,
    period: Period,
    by: By,
    trend_key: Option<&str>,
    user: &xinjiao_store::User,
) -> Result<Figures, StoreError> {
    let Some(own) = (!user.role.oversees()).then(|| user.department_id.map_or_else(String::new, |d| d.to_string()))
    else {
        return compute(store, rules, cache, period, by, trend_key);
    };
    let mut f = compute(store, rules, cache, period, By::Department, Some(&own))?;
    f.rows.retain(|r| r.key == own);
    f.total = f.rows.first().map(|r| r.counts).unwrap_or_default();
    Ok(f)
}

/// Computes the figures of `period` with rows `by`; the trend is that of the
/// row with key `trend_key` (or of everything).
pub fn compute(
    store: &dyn Store,
    rules: &Rules,
    cache: &RatesCache,
    period: Period,
    by: By,
    trend_key: Option<&str>,
) -> Result<Figures, StoreError> {
    // A year of months, two years of quarters, five years.
    let n = match period.kind {
        PeriodKind::Month => 12,
        PeriodKind::Quarter => 8,
        PeriodKind::Year => 5,
    };
    let trend_periods = period.trailing(n);
    let first = trend_periods[0].start;
    let months = cache.month_counts(store, rules, first, period.last_month())?;
    let departments = store.departments()?;
    let divisions = store.divisions()?;
    let key_of = key_fn(by, &departments);
    let sums = sum_by(&months, period, &key_of);
    let mut rows: Vec<FigureRow> = match by {
        By::Department => departments
            .iter()
            .map(|d| FigureRow {
                key: d.id.to_string(),
                name: d.name.clone(),
                division: division_name(&divisions, &d.division_code),
                counts: sums.get(&d.id.to_string()).copied().unwrap_or_default(),
            })
            .collect(),
        By::Division => divisions
            .iter()
            .map(|v| FigureRow {
                key: v.code.clone(),
                name: v.name.clone(),
                division: v.name.clone(),
                counts: sums.get(&v.code).copied().unwrap_or_default(),
            })
            .collect(),
    };
    if let Some(c) = sums.get(NONE_KEY) {
        rows.push(FigureRow {
            key: NONE_KEY.into(), name: "未归属部门".into(), division: String::new(), counts: *c
        });
    }
    let mut total = RateCounts::default();
    for c in sums.values() {
        total += *c;
    }
    let trend_of =
        trend_key.and_then(|k| rows.iter().find(|r| r.key == k)).map_or_else(|| "全部".to_string(), |r| r.name.clone());
    let trend = trend_periods
        .iter()
        .map(|p| {
            let s = sum_by(&months, *p, &key_of);
            let c = match trend_key {
                Some(k) => s.get(k).copied().unwrap_or_default(),
                None => s.values().fold(RateCounts::default(), |mut a, c| {
                    a += *c;
                    a
                }),
            };
            (*p, c)
        })
        .collect();
    Ok(Figures { period, by, rows, total, trend, trend_of })
}

fn division_name(divisions: &[Division], code: &str) -> String {
    divisions.iter().find(|v| v.code == code).map_or_else(|| code.to_string(), |v| v.name.clone())
}

/// The grouping key of a department id: itself, or its division's code.
fn key_fn(by: By, departments: &[Department]) -> impl Fn(Option<i64>) -> String + '_ {
    move |d: Option<i64>| match (by, d) {
        (_, None) => NONE_KEY.to_string(),
        (By::Department, Some(id)) => id.to_string(),
        (By::Division, Some(id)) => {
            departments.iter().find(|x| x.id == id).map_or_else(|| NONE_KEY.to_string(), |x| x.division_code.clone())
        }
    }
}

/// The departments a row key stands for (`None`: every department).
pub fn departments_of(key: &str, by: By, departments: &[Department]) -> Option<Vec<i64>> {
    match by {
        By::Department => key.parse().ok().map(|id| vec![id]),
        By::Division => Some(departments.iter().filter(|d| d.division_code == key).map(|d| d.id).collect()),
    }
}

/// A server-rendered SVG line chart of the three rates over the trend periods
/// (no script, no external resources). Periods with nothing to measure leave
/// a gap in their line.
pub fn trend_svg(trend: &[(Period, RateCounts)]) -> String {
    let (w, h, left, right, top, bottom) = (960.0, 260.0, 48.0, 16.0, 16.0, 40.0);
    let n = trend.len().max(2) as f64;
    let x = |i: usize| left + (w - left - right) * i as f64 / (n - 1.0);
    // The y axis spans 0 %–100 %: a low rate is drawn where it is.
    let y = |pm: u32| top + (h - top - bottom) * (1000.0 - f64::from(pm.min(1000))) / 1000.0;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="三率趋势图" class="trend">"##
    );
    for pm in [0u32, 250, 500, 750, 1000] {
        svg.push_str(&format!(
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d6dde6"/><text x="4" y="{:.1}" font-size="11" fill="#5f6b7a">{}%</text>"##,
            w - right,
            y(pm) + 4.0,
            pm / 10,
            y = y(pm)
        ));
    }
    for (i, (p, _)) in trend.iter().enumerate() {
        if i % 2 == 0 || trend.len() <= 6 {
            svg.push_str(&format!(
                r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#5f6b7a">{}</text>"##,
                x(i),
                h - 18.0,
                p.key()
            ));
        }
    }
    let colours = [(RateKind::Fill, "#0b4f9c"), (RateKind::Pass, "#1e6b34"), (RateKind::Timeliness, "#b3261e")];
    for (k, (kind, colour)) in colours.iter().enumerate() {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, (_, c)) in trend.iter().enumerate() {
            match c.rate(*kind).per_mille() {
                Some(pm) => {
                    path.push_str(&format!("{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(pm)));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            svg.push_str(&format!(r##"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"/>"##, path.trim()));
        }
        svg.push_str(&format!(
            r##"<rect x="{}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{}" font-size="12">{}</text>"##,
            left + 110.0 * k as f64,
            h - 12.0,
            left + 14.0 + 110.0 * k as f64,
            h - 3.0,
            kind.label()
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Parses the period parameters (`period=month|quarter|year`, `at=2026-10`,
/// `2026-Q4` or `2026`), defaulting to the month of `today`.
pub fn parse_period(kind: &str, at: &str, today: xinjiao_core::Date) -> Result<Period, String> {
    let kind = if kind.is_empty() {
        PeriodKind::Month
    } else {
        PeriodKind::parse(kind).ok_or("period 应为 month、quarter 或 year")?
    };
    if at.trim().is_empty() {
        return Ok(Period::containing(kind, Month::of(today)));
    }
    Period::parse(kind, at).ok_or_else(|| format!("“{at}”不是有效的统计期（如 2026-10、2026-Q4 或 2026）"))
}

/// Declared and reported counts of one department, month and kind, for the
/// fill-rate drill-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillLine {
    pub department_id: i64,
    pub month: Month,
    pub kind: xinjiao_core::RecordKind,
    pub declared: Option<i64>,
    pub reported: u64,
}

/// Every (department, month, kind) with a declaration or records in `period`,
/// of the given departments.
pub fn fill_lines(
    store: &dyn Store,
    rules: &Rules,
    period: Period,
    departments: Option<&[i64]>,
) -> Result<Vec<FillLine>, StoreError> {
    let deadlines =
        xinjiao_store::reporting::deadlines(period.first_day(), period.last_day(), &rules.calendar, &rules.publication);
    let mut lines: BTreeMap<(i64, Month, &'static str), FillLine> = BTreeMap::new();
    let wanted = |d: i64| departments.is_none_or(|ds| ds.contains(&d));
    for r in store.record_rate_rows(period.first_day(), period.last_day(), &deadlines)? {
        let Some(d) = r.department_id.filter(|d| wanted(*d)) else { continue };
        lines
            .entry((d, r.month, r.kind.as_str()))
            .or_insert(FillLine { department_id: d, month: r.month, kind: r.kind, declared: None, reported: 0 })
            .reported += r.reported;
    }
    for decl in store.declarations(period.start, period.last_month())? {
        if !wanted(decl.department_id) {
            continue;
        }
        lines
            .entry((decl.department_id, decl.month, decl.kind.as_str()))
            .or_insert(FillLine {
                department_id: decl.department_id,
                month: decl.month,
                kind: decl.kind,
                declared: None,
                reported: 0,
            })
            .declared = Some(decl.due);
    }
    Ok(lines.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A month with no record on time is drawn at 0 %, not at a floor, and
    /// a full month at 100 %: the axis runs from 0 to 100 %.
    #[test]
    fn the_trend_chart_draws_low_rates_where_they_are() {
        let at = |m: i8| Period::containing(PeriodKind::Month, Month { year: 2026, month: m });
        let none_on_time = RateCounts { published: 5, published_on_time: 0, ..Default::default() };
        let all_on_time = RateCounts { published: 5, published_on_time: 5, ..Default::default() };
        let half = RateCounts { published: 4, published_on_time: 2, ..Default::default() };
        let svg = trend_svg(&[(at(9), none_on_time), (at(10), half), (at(11), all_on_time)]);
        let line = svg.split("stroke=\"#b3261e\"").next().unwrap().rsplit("<path d=\"").next().unwrap();
        // Plot height 260 - 16 - 40 = 204 from y = 16: 0 % at 220, 50 % at 118, 100 % at 16.
        assert!(line.starts_with("M48.0,220.0 L496.0,118.0 L944.0,16.0"), "{line}");
        assert!(svg.contains(">0%</text>") && svg.contains(">100%</text>"));
    }
}
