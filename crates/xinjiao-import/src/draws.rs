//! A published draw (`GET /api/v1/draws/{id}`) checked by anyone:
//! [`verify_draw`] recomputes the population hash, the commitment, the
//! seed, every drawn subject and every inspector from the JSON alone, by
//! `xinjiao_core::inspection::draw` (`xinjiao draw verify FILE`). The file
//! is untrusted: its size is checked before it is read.

use std::collections::BTreeMap;

use serde_json::Value;
use xinjiao_core::inspection::draw::{self, Member};

/// The largest published draw read (a million subjects take about 60 MB).
pub const MAX_DRAW_BYTES: u64 = 128 << 20;

/// The roster as published.
#[derive(Debug, Default, serde::Deserialize)]
struct Roster {
    #[serde(default)]
    eligible: Vec<String>,
    #[serde(default)]
    excluded: BTreeMap<String, Vec<String>>,
}

impl Roster {
    fn eligible_for(&self, code: &str) -> Vec<String> {
        let out: Vec<&String> = self.excluded.get(code).into_iter().flatten().collect();
        self.eligible.iter().filter(|c| !out.contains(c)).cloned().collect()
    }
}

/// Checks a published draw given as bytes: `Ok` with the number of drawn
/// subjects when everything matches (a draw not yet run: its population
/// hash only, `Ok(0)`); otherwise every difference, in Chinese.
pub fn verify_draw(bytes: &[u8]) -> Result<usize, Vec<String>> {
    if bytes.len() as u64 > MAX_DRAW_BYTES {
        return Err(vec![format!("文件超过 {} MB", MAX_DRAW_BYTES >> 20)]);
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| vec![format!("不是有效的 JSON：{e}")])?;
    verify_value(&v)
}

/// Whether the draw in `bytes` has been run (its secret revealed).
pub fn is_run(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).ok().is_some_and(|v| v.get("secret").is_some_and(|s| !s.is_null()))
}

/// Recomputes a published draw from its JSON alone. `Ok` with the number
/// of drawn subjects when everything matches (a draw not yet run: its
/// population hash only); otherwise every difference, in Chinese.
fn verify_value(v: &Value) -> Result<usize, Vec<String>> {
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
    let shares: Option<BTreeMap<String, draw::Share>> =
        shares.and_then(|m| m.into_iter().map(|(g, s)| draw::Share::parse(&s).map(|s| (g, s))).collect());
    let Some(shares) = shares else {
        problems.push("抽查比例无法读取".into());
        return Err(problems);
    };
    let roster: Roster = v.get("roster").and_then(|r| serde_json::from_value(r.clone()).ok()).unwrap_or_default();
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
        let pub_map: BTreeMap<&String, &Vec<String>> = published.iter().map(|(c, i)| (c, i)).collect();
        let re_map: BTreeMap<&String, &Vec<String>> = recomputed.iter().map(|(c, i)| (c, i)).collect();
        for (code, inspectors) in &re_map {
            match pub_map.get(code) {
                None => problems.push(format!("应抽中 {code}（检查人员 {}），公布结果中没有", inspectors.join("、"))),
                Some(p) if p != inspectors => {
                    problems.push(format!("{code} 的检查人员应为 {}，公布的是 {}", inspectors.join("、"), p.join("、")))
                }
                Some(_) => {}
            }
        }
        for code in pub_map.keys().filter(|c| !re_map.contains_key(*c)) {
            problems.push(format!("公布结果中的 {code} 不应抽中"));
        }
        if problems.is_empty() {
            problems.push("公布结果的顺序与规定的顺序不同".into());
        }
    }
    if problems.is_empty() { Ok(again.len()) } else { Err(problems) }
}
