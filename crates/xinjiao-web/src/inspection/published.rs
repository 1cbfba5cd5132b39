//! A draw as published (`GET /api/v1/draws/{id}`, `xinjiao draw … --json`)
//! and its check by anyone: [`verify_published`] recomputes the population
//! hash, the commitment, the seed, every drawn subject and every inspector
//! from the published JSON alone (`xinjiao draw verify`).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use xinjiao_core::inspection::draw::{self, Member};
use xinjiao_store::{Draw, FrozenRoster};

/// An inspection result as published: personal numbers in the findings
/// masked; `publish_by` is the deadline from the inspection day
/// (`rules/inspection.toml`), `late` whether it was entered after it.
pub fn result_json(r: &xinjiao_store::InspectionResult, publish_by: xinjiao_core::Date) -> Value {
    let published_on = xinjiao_store::china_date(r.entered_at);
    json!({"subject": r.subject_code, "outcome": r.outcome.as_str(), "outcome_label": r.outcome.label(),
        "findings": crate::kernel::views::mask_text(&r.findings), "inspected_on": r.inspected_on.to_string(),
        "published_on": published_on.to_string(), "publish_by": publish_by.to_string(), "late": published_on > publish_by})
}

/// The published form of a draw: the plan as frozen, and once run the
/// public value, the revealed secret, the seed and what was drawn (the
/// secret and seed are `null` before), with the inspections' `results`
/// (see [`result_json`]).
pub fn draw_json(d: &Draw, results: Vec<Value>) -> Value {
    let revealed = d.run_at.is_some();
    json!({
        "id": d.id,
        "matter": {"code": d.matter.code, "name": d.matter.name, "department": d.matter.department_name,
                   "legal_basis": d.matter.legal_basis, "scheme": d.matter.scheme, "priority": d.matter.priority},
        "as_of": d.as_of.to_string(),
        "population": d.population.iter().map(|m| json!({"subject": m.code, "grade": m.grade})).collect::<Vec<_>>(),
        "population_hash": d.population_hash,
        "shares": xinjiao_store::inspection::shares_text(&d.shares),
        "overridden": xinjiao_store::inspection::shares_text(&d.overridden),
        "inspectors_per_subject": d.inspectors_per_subject,
        "roster": d.roster,
        "commitment": d.commitment,
        "public_value_source": d.public_value_source,
        "public_value": d.public_value,
        "secret": d.revealed_secret(),
        "seed": if revealed { d.seed.clone() } else { None },
        "run_at": d.run_at.map(|t| t.to_string()),
        "drawn": d.drawn.iter().map(|a| json!({"subject": a.member.code, "grade": a.member.grade,
            "inspectors": a.inspectors, "short": a.short})).collect::<Vec<_>>(),
        "results": results,
    })
}

/// Draw `id` with its results as published.
pub fn published(
    store: &dyn xinjiao_store::Store,
    rules: &xinjiao_core::inspection::rules::InspectionRules,
    calendar: &xinjiao_core::calendar::Calendar,
    id: i64,
) -> Result<Value, xinjiao_store::StoreError> {
    let d = store.draw(id)?;
    let results = store
        .inspection_results(id)?
        .iter()
        .map(|r| {
            let by = xinjiao_core::inspection::results::publish_by(calendar, r.inspected_on, rules.publish_days);
            result_json(r, by)
        })
        .collect();
    Ok(draw_json(&d, results))
}

/// Recomputes a published draw from its JSON alone. `Ok` with the number
/// of drawn subjects when everything matches (a draw not yet run: its
/// population hash only); otherwise every difference, in Chinese.
pub fn verify_published(v: &Value) -> Result<usize, Vec<String>> {
    let mut problems = Vec::new();
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    let population: Option<Vec<Member>> = v.get("population").and_then(Value::as_array).map(|ps| {
        ps.iter()
            .map(|p| Member {
                code: p.get("subject").and_then(Value::as_str).unwrap_or_default().to_string(),
                grade: p.get("grade").and_then(Value::as_str).map(String::from),
            })
            .collect()
    });
    let Some(population) = population else { return Err(vec!["缺少 population（名录）".into()]) };
    if text("population_hash").as_deref() != Some(draw::population_hash(&population).as_str()) {
        problems.push(format!(
            "名录哈希不符：公布 {:?}，重算 {}",
            text("population_hash"),
            draw::population_hash(&population)
        ));
    }
    let (Some(secret), Some(public_value)) = (text("secret"), text("public_value")) else {
        return if problems.is_empty() { Ok(0) } else { Err(problems) };
    };
    if text("commitment").as_deref() != Some(draw::commitment(&secret).as_str()) {
        problems.push("秘密值与事先公布的承诺值不符".into());
    }
    let seed = draw::seed(&secret, &public_value);
    if text("seed").as_deref() != Some(seed.as_str()) {
        problems.push(format!("种子不符：公布 {:?}，重算 {seed}", text("seed")));
    }
    let shares: Option<BTreeMap<String, String>> = v.get("shares").and_then(|s| serde_json::from_value(s.clone()).ok());
    let Some(shares) = shares.as_ref().and_then(xinjiao_store::inspection::shares_from_text) else {
        problems.push("抽查比例无法读取".into());
        return Err(problems);
    };
    let roster: FrozenRoster = v.get("roster").and_then(|r| serde_json::from_value(r.clone()).ok()).unwrap_or_default();
    let m = v.get("inspectors_per_subject").and_then(Value::as_u64).unwrap_or(0) as usize;
    let again = match draw::run(&seed, &population, &shares, &|c| roster.eligible_for(c), m) {
        Ok(a) => a,
        Err(e) => {
            problems.push(e.to_string());
            return Err(problems);
        }
    };
    let published: Vec<(String, Vec<String>)> = v
        .get("drawn")
        .and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    let code = d.get("subject").and_then(Value::as_str).unwrap_or_default().to_string();
                    let inspectors =
                        d.get("inspectors").and_then(|i| serde_json::from_value(i.clone()).ok()).unwrap_or_default();
                    (code, inspectors)
                })
                .collect()
        })
        .unwrap_or_default();
    let recomputed: Vec<(String, Vec<String>)> =
        again.iter().map(|a| (a.member.code.clone(), a.inspectors.clone())).collect();
    if published != recomputed {
        let pub_set: std::collections::BTreeSet<_> = published.iter().collect();
        let re_set: std::collections::BTreeSet<_> = recomputed.iter().collect();
        for x in re_set.difference(&pub_set) {
            problems.push(format!("应抽中 {}（检查人员 {}），公布结果中没有", x.0, x.1.join("、")));
        }
        for x in pub_set.difference(&re_set) {
            problems.push(format!("公布结果中的 {}（检查人员 {}）不应抽中", x.0, x.1.join("、")));
        }
        if problems.is_empty() {
            problems.push("公布结果的顺序与规定的顺序不同".into());
        }
    }
    if problems.is_empty() { Ok(again.len()) } else { Err(problems) }
}
