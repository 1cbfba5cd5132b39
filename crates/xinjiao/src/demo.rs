//! Deterministic, fictional but realistic demo data: Heyuan's real county-level
//! divisions and bureau names, made-up enterprises, individual businesses and
//! people with valid check digits, and licences and penalties typical of road
//! transport, overloading, waterways and construction. The same seed gives the
//! same data.

use xinjiao_core::records::ids::{USCC_CHARSET, id_card_check_char, org_check_char, uscc_check_char};
use xinjiao_core::records::record::{FieldValues, ParseContext, parse_record};
use xinjiao_core::{Date, Record, RecordKind};

/// The day the demo data is anchored at: every decision date lies before it.
pub const ANCHOR: Date = Date::constant(2026, 11, 20);

/// SplitMix64: a tiny, well-known deterministic generator (no dependency).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Heyuan's divisions: (code, name, place prefix used in company names).
pub const DIVISIONS: &[(&str, &str)] = &[
    ("441600", "河源市"),
    ("441602", "源城区"),
    ("441621", "紫金县"),
    ("441622", "龙川县"),
    ("441623", "连平县"),
    ("441624", "和平县"),
    ("441625", "东源县"),
];

/// A fictional but check-digit-valid USCC for organ `n` of a division (机构编制, 机关).
fn organ_uscc(division: &str, n: u64) -> String {
    let org8 = format!("MB{:06}", 100_000 + n);
    uscc_from(&format!("11{division}"), &org8)
}

fn uscc_from(prefix8: &str, org8: &str) -> String {
    let org9 = format!("{org8}{}", org_check_char(org8.as_bytes()).expect("org body"));
    let first17 = format!("{prefix8}{org9}");
    format!("{first17}{}", uscc_check_char(first17.as_bytes()).expect("uscc body"))
}

fn random_org8(rng: &mut Rng) -> String {
    // Start with "MA" like codes issued since 2015; the rest from the USCC charset
    // minus letters that GB 11714 would weigh ambiguously.
    let mut s = String::from("MA");
    for _ in 0..6 {
        s.push(USCC_CHARSET[rng.below(31) as usize] as char);
    }
    s
}

/// The transport bureau of each division.
pub fn bureaus() -> Vec<(String, String)> {
    DIVISIONS
        .iter()
        .enumerate()
        .map(|(i, (code, name))| (format!("{name}交通运输局"), organ_uscc(code, i as u64)))
        .collect()
}

const BRANDS: &[&str] = &[
    "顺达",
    "安通",
    "恒通",
    "鸿运",
    "万里",
    "通达",
    "客家",
    "万绿",
    "东江",
    "新丰江",
    "粤运",
    "宏发",
    "龙腾",
    "和顺",
    "昌盛",
    "永安",
    "桂山",
    "槎城",
    "康禾",
    "蓝口",
    "义合",
    "船塘",
    "骆湖",
    "佗城",
    "霍山",
    "老隆",
    "忠信",
    "大湖",
    "阳明",
    "林寨",
    "安达",
    "联运",
    "信诚",
    "捷顺",
    "广源",
    "汇通",
    "金河",
    "华运",
    "丰达",
    "路路通",
];
const TYPES: &[&str] = &[
    "运输有限公司",
    "物流有限公司",
    "货运有限公司",
    "客运有限公司",
    "汽车运输有限公司",
    "汽车维修有限公司",
    "驾驶培训有限公司",
    "建设工程有限公司",
    "路桥工程有限公司",
    "航运有限公司",
    "出租汽车有限公司",
    "危险货物运输有限公司",
];
const SHOP_TYPES: &[&str] = &["汽车修理店", "货运部", "汽车配件维修部", "轮胎修补店"];
const SURNAMES: &[&str] =
    &["陈", "李", "黄", "张", "刘", "叶", "邓", "曾", "钟", "罗", "赖", "谢", "何", "黎", "温", "朱", "邱", "丘"];
const GIVEN: &[&str] =
    &["伟", "强", "志明", "国华", "建军", "小红", "丽萍", "海燕", "文杰", "俊", "永康", "德胜", "春梅", "家豪", "子轩"];

/// A demo subject.
#[derive(Clone)]
struct DemoSubject {
    /// Index in [`DIVISIONS`] of where it is registered (its name, its
    /// code's region and, mostly, the bureau that decides on it).
    division: usize,
    kind: &'static str,
    name: String,
    uscc: Option<String>,
    id_no: Option<String>,
    legal_rep: Option<String>,
    business: &'static str,
}

fn person_name(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
}

fn id_card(rng: &mut Rng, div: &str) -> String {
    let birth = Date::constant(1960, 1, 1).checked_add(jiff::Span::new().days(rng.below(15_000) as i64)).expect("date");
    let first17 = format!("{div}{}{:03}", birth.strftime("%Y%m%d"), rng.below(1000));
    format!("{first17}{}", id_card_check_char(first17.as_bytes()).expect("digits"))
}

fn subjects(rng: &mut Rng, n: usize) -> Vec<DemoSubject> {
    let mut out = Vec::with_capacity(n);
    let mut seen = std::collections::HashSet::new();
    while out.len() < n {
        let roll = rng.below(100);
        let division = rng.below(DIVISIONS.len() as u64) as usize;
        let (div, place) = DIVISIONS[division];
        let s = if roll < 70 {
            let t = *rng.pick(TYPES);
            let name = format!("{place}{}{t}", rng.pick(BRANDS));
            let business = t;
            DemoSubject {
                division,
                kind: "法人及非法人组织",
                name,
                uscc: Some(uscc_from(&format!("91{div}"), &random_org8(rng))),
                id_no: None,
                legal_rep: Some(person_name(rng)),
                business,
            }
        } else if roll < 85 {
            let t = *rng.pick(SHOP_TYPES);
            let owner = person_name(rng);
            DemoSubject {
                division,
                kind: "个体工商户",
                name: format!("{place}{owner}{t}"),
                uscc: Some(uscc_from(&format!("92{div}"), &random_org8(rng))),
                id_no: None,
                legal_rep: Some(owner),
                business: t,
            }
        } else {
            DemoSubject {
                division,
                kind: "自然人",
                name: person_name(rng),
                uscc: None,
                id_no: Some(id_card(rng, div)),
                legal_rep: None,
                business: "驾驶员",
            }
        };
        let key = s.uscc.clone().or(s.id_no.clone()).unwrap_or_default();
        if seen.insert(key) {
            out.push(s);
        }
    }
    out
}

/// A kind of violation: 违法行为类型, the facts (`{plate}`: a vehicle's
/// plate; `{place}`: where), 处罚依据, 处罚类别, the fine range in yuan, and
/// the trades it happens in (matched in the subject's business).
struct Violation {
    kind: &'static str,
    facts: &'static str,
    basis: &'static str,
    classes: &'static str,
    fine: (u64, u64),
    trades: &'static [&'static str],
}

const FREIGHT: &[&str] = &["运输有限公司", "物流", "货运", "驾驶员"];

const VIOLATIONS: &[Violation] = &[
    Violation {
        kind: "超限运输",
        facts: "驾驶{plate}号货车在G205国道{place}段运输，经称重检测车货总质量超过限定标准",
        basis: "《公路安全保护条例》第六十四条",
        classes: "罚款",
        fine: (500, 30000),
        trades: FREIGHT,
    },
    Violation {
        kind: "未取得道路运输经营许可擅自从事道路普通货物运输",
        facts: "未取得道路运输经营许可，使用{plate}号货车在{place}擅自从事道路普通货物运输经营",
        basis: "《中华人民共和国道路运输条例》第六十三条",
        classes: "罚款、没收违法所得",
        fine: (10000, 50000),
        trades: &["货运部", "物流"],
    },
    Violation {
        kind: "未按规定携带道路运输证",
        facts: "驾驶{plate}号营运货车在{place}行驶时未随车携带道路运输证",
        basis: "《中华人民共和国道路运输条例》第六十八条",
        classes: "警告",
        fine: (0, 0),
        trades: FREIGHT,
    },
    Violation {
        kind: "道路旅客运输未按规定线路行驶",
        facts: "{plate}号客运班车未按批准的客运线路、站点在{place}运输旅客",
        basis: "《中华人民共和国道路运输条例》第六十九条",
        classes: "罚款",
        fine: (1000, 3000),
        trades: &["客运"],
    },
    Violation {
        kind: "未按规定进行车辆二级维护",
        facts: "所属{plate}号营运车辆超过规定周期未进行二级维护",
        basis: "《道路运输车辆技术管理规定》第三十一条",
        classes: "罚款",
        fine: (1000, 5000),
        trades: &["运输有限公司", "客运", "物流"],
    },
    Violation {
        kind: "船舶未按规定配备船员",
        facts: "所属货船在东江{place}段航行时未按规定配备持证船员",
        basis: "《中华人民共和国内河交通安全管理条例》第六十九条",
        classes: "罚款",
        fine: (2000, 20000),
        trades: &["航运"],
    },
    Violation {
        kind: "施工现场安全防护不到位",
        facts: "承建的{place}公路工程施工现场未按规定设置安全防护设施",
        basis: "《公路水运工程安全生产监督管理办法》第六十条",
        classes: "罚款",
        fine: (10000, 30000),
        trades: &["建设工程", "路桥"],
    },
    Violation {
        kind: "巡游出租汽车不按规定使用计程计价设备",
        facts: "所属{plate}号巡游出租汽车在{place}营运时不按规定使用计程计价设备",
        basis: "《巡游出租汽车经营服务管理规定》第四十七条",
        classes: "罚款",
        fine: (500, 2000),
        trades: &["出租汽车"],
    },
    Violation {
        kind: "网约车未取得经营许可从事经营",
        facts: "驾驶{plate}号小型客车在{place}通过网络平台揽客，未取得网络预约出租汽车运输证",
        basis: "《网络预约出租汽车经营服务管理暂行办法》第三十四条",
        classes: "罚款",
        fine: (3000, 10000),
        trades: &["驾驶员"],
    },
    Violation {
        kind: "危险货物运输车辆未按规定安装卫星定位装置",
        facts: "所属{plate}号危险货物运输车辆卫星定位装置未正常使用",
        basis: "《道路危险货物运输管理规定》第六十六条",
        classes: "罚款",
        fine: (800, 3000),
        trades: &["危险货物"],
    },
    Violation {
        kind: "擅自改装营运车辆",
        facts: "为{plate}号营运货车擅自加高货厢栏板，改变车辆外廓尺寸",
        basis: "《中华人民共和国道路运输条例》第七十一条",
        classes: "罚款",
        fine: (5000, 20000),
        trades: &["汽车维修", "汽车修理店", "汽车配件维修部"],
    },
    Violation {
        kind: "机动车维修经营者未按规定建立维修档案",
        facts: "在{place}从事机动车维修经营，未按规定建立机动车维修档案",
        basis: "《机动车维修管理规定》第五十二条",
        classes: "警告",
        fine: (0, 0),
        trades: &["汽车维修", "汽车修理店", "汽车配件维修部", "轮胎修补店"],
    },
    Violation {
        kind: "驾驶培训机构未按规定组织教学",
        facts: "在{place}的训练场未按照全国统一的教学大纲进行培训",
        basis: "《机动车驾驶员培训管理规定》第五十条",
        classes: "罚款",
        fine: (1000, 3000),
        trades: &["驾驶培训"],
    },
    Violation {
        kind: "严重违法超限运输",
        facts: "所属{plate}号货车一年内违法超限运输超过3次",
        basis: "《公路安全保护条例》第六十六条",
        classes: "吊销许可证件",
        fine: (0, 0),
        trades: &["运输有限公司", "物流", "货运有限公司"],
    },
];

/// (文书名称, 许可类别, 证书名称, 许可内容, the trades that apply for it)
type License = (&'static str, &'static str, &'static str, &'static str, &'static [&'static str]);
const LICENSES: &[License] = &[
    ("道路运输经营许可决定书", "普通", "道路运输经营许可证", "道路普通货物运输", &["运输有限公司", "物流", "货运"]),
    ("道路旅客运输经营许可决定书", "普通", "道路运输经营许可证", "县内班车客运", &["客运"]),
    (
        "超限运输车辆行驶公路许可决定书",
        "普通",
        "超限运输车辆通行证",
        "大件运输车辆通行G205、S229",
        &["运输有限公司", "物流", "路桥"],
    ),
    ("水路运输经营许可决定书", "特许", "国内水路运输经营许可证", "东江、新丰江库区内河普通货船运输", &["航运"]),
    ("公路建设项目施工许可决定书", "核准", "施工许可", "县道X152线路面改造工程施工", &["建设工程", "路桥"]),
    ("巡游出租汽车经营许可决定书", "特许", "巡游出租汽车经营许可证", "巡游出租汽车客运", &["出租汽车"]),
    ("道路危险货物运输经营许可决定书", "普通", "道路运输经营许可证", "危险货物运输（3类）", &["危险货物"]),
    ("机动车驾驶员培训备案", "登记", "驾驶培训备案证明", "普通机动车驾驶员培训（C1、C2）", &["驾驶培训"]),
    (
        "机动车维修经营备案",
        "登记",
        "机动车维修经营备案证明",
        "二类机动车维修",
        &["汽车维修", "修理店", "维修部", "轮胎"],
    ),
];

/// A Heyuan plate (粤P) for a demo vehicle.
fn plate(rng: &mut Rng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    format!("粤P·{}{:04}", LETTERS[rng.below(LETTERS.len() as u64) as usize] as char, rng.below(10_000))
}

fn fine_text(yuan: u64) -> (String, String) {
    let wan = format!("{}", yuan as f64 / 10000.0);
    (format!("罚款{yuan}元"), wan)
}

/// The demo installation's organisation: Heyuan's real structure.
pub const ORGANISATION: &str = include_str!("../../../config/heyuan-organisation.toml");

/// A stable hash of a text (FNV-1a), for deterministic choices per record.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The code of the department a demo record belongs to: the county bureau
/// for county records; in the city bureau, the section that handles the matter.
pub fn department_code(rec: &Record, departments: &[(String, String)]) -> Option<String> {
    let authority = &rec.authority().name;
    if let Some((code, _)) = departments.iter().find(|(_, name)| name == authority) {
        return Some(code.clone());
    }
    let code = match rec {
        Record::Penalty(p) if p.violation_type.contains("超限") => "HY-WZCL",
        Record::Penalty(p) if p.violation_type.contains("船舶") => "HY-ZF3",
        Record::Penalty(_) => "HY-ZFJD",
        Record::License(l) if l.doc_title.contains("水路") => "HY-GHGL",
        Record::License(l) if l.doc_title.contains("施工") => "HY-JJGL",
        Record::License(l) if l.doc_title.contains("出租") => "HY-CSGJ",
        Record::License(l) if l.doc_title.contains("超限") => "HY-DLYS",
        Record::License(_) => "HY-KJXX",
    };
    Some(code.to_string())
}

/// Working days from decision to publication of a demo record: mostly well in
/// time, some on the last day, about one in twenty late.
pub fn publication_lag(rec: &Record) -> u32 {
    let h = stable_hash(rec.decision_no());
    match h % 100 {
        0..=84 => 1 + (h / 100 % 6) as u32,
        85..=94 => 7,
        _ => 8 + (h / 100 % 8) as u32,
    }
}

#[cfg(test)]
/// Generates `n_subjects` subjects and `n_records` records for `seed` (only of
/// kind `only`, if given).
pub fn generate(seed: u64, n_subjects: usize, n_records: usize, only: Option<RecordKind>) -> Vec<Record> {
    generate_iter(seed, n_subjects, n_records, only).collect()
}

/// Like [`generate`], one record at a time (for sets too large to hold in memory).
pub fn generate_iter(
    seed: u64,
    n_subjects: usize,
    n_records: usize,
    only: Option<RecordKind>,
) -> impl Iterator<Item = Record> {
    let mut rng = Rng::new(seed);
    let subs = subjects(&mut rng, n_subjects.max(1));
    let bureaus = bureaus();
    let ctx = ParseContext { today: ANCHOR };
    let mut produced = 0usize;
    let mut seq = 0u64;
    std::iter::from_fn(move || {
        if produced >= n_records {
            return None;
        }
        loop {
            seq += 1;
            let s = subs[rng.below(subs.len() as u64) as usize].clone();
            // The subject's own county bureau mostly, the city bureau otherwise.
            let (bureau, bureau_code) =
                if rng.below(100) < 65 { bureaus[s.division].clone() } else { bureaus[0].clone() };
            // Decision dates ascend over the 900 days before the anchor, so that
            // the loader can publish day by day.
            let back = 900 - (produced as u64 * 900 / n_records.max(1) as u64);
            let date = ANCHOR.checked_sub(jiff::Span::new().days(back as i64)).expect("date");
            let year = date.year();
            let short = bureau.chars().next().unwrap_or('河');
            let is_penalty = match only {
                Some(k) => k == RecordKind::Penalty,
                None => s.kind == "自然人" || rng.below(100) < 55,
            };
            if !is_penalty && s.kind == "自然人" {
                continue;
            }
            let mut m = FieldValues::new();
            let (p, kind) = if is_penalty { ("CF_", RecordKind::Penalty) } else { ("XK_", RecordKind::License) };
            let put = |m: &mut FieldValues, suffix: &str, v: String| {
                if let Some(def) =
                    kind.fields().iter().find(|f| f.code.strip_prefix(p) == Some(suffix) || f.code == suffix)
                {
                    m.insert(def.code, v);
                }
            };
            put(&mut m, "XDR_MC", s.name.clone());
            put(&mut m, "XDR_LB", s.kind.to_string());
            if let Some(u) = &s.uscc {
                put(&mut m, "XDR_SHXYM", u.clone());
            }
            if let Some(id) = &s.id_no {
                put(&mut m, "XDR_ZJLX", "身份证".into());
                put(&mut m, "XDR_ZJHM", id.clone());
            }
            if let Some(l) = &s.legal_rep {
                put(&mut m, "FRDB", l.clone());
            }
            if is_penalty {
                let fits: Vec<&Violation> =
                    VIOLATIONS.iter().filter(|v| v.trades.iter().any(|t| s.business.contains(t))).collect();
                let v = *rng.pick(&fits);
                let (cflb, (lo, hi)) = (v.classes, v.fine);
                let place = DIVISIONS[s.division].1;
                let facts = v.facts.replace("{plate}", &plate(&mut rng)).replace("{place}", place);
                m.insert("CF_WSH", format!("{short}交执罚〔{year}〕{seq}号"));
                m.insert("CF_WFXW", v.kind.into());
                m.insert("CF_SY", format!("{}，当事人{facts}", date.strftime("%Y年%-m月%-d日")));
                m.insert("CF_YJ", v.basis.into());
                m.insert("CF_CFLB", cflb.into());
                if hi > 0 {
                    let yuan = (lo + rng.below(hi - lo + 1)) / 100 * 100;
                    let (nr, wan) = fine_text(yuan.max(100));
                    m.insert("CF_NR", nr);
                    m.insert("CF_NR_FK", wan);
                    if cflb.contains("没收") {
                        m.insert("CF_NR_WFFF", format!("{}", (rng.below(50) + 1) as f64 / 100.0));
                    }
                } else if cflb.contains("吊销") {
                    m.insert("CF_NR", "吊销道路运输证".into());
                    m.insert("CF_NR_ZKDX", format!("道路运输证 粤交运管河字{:09}号", rng.below(1_000_000_000)));
                } else {
                    m.insert("CF_NR", "警告".into());
                }
                m.insert("CF_JDRQ", date.to_string());
                m.insert("CF_YXQ", date.checked_add(jiff::Span::new().days(7)).expect("date").to_string());
                m.insert("CF_CFJG", bureau.clone());
                m.insert("CF_CFJGDM", bureau_code.clone());
                m.insert("CF_SJLY", bureau.clone());
                m.insert("CF_SJLYDM", bureau_code.clone());
            } else {
                let fits: Vec<&License> =
                    LICENSES.iter().filter(|l| l.4.iter().any(|t| s.business.contains(t))).collect();
                let (xkws, xklb, xkzs, nr, _) = **rng.pick(&fits);
                m.insert("XK_XKWS", xkws.into());
                m.insert("XK_WSH", format!("{short}交运许〔{year}〕{seq}号"));
                m.insert("XK_XKLB", xklb.into());
                m.insert("XK_XKZS", xkzs.into());
                m.insert("XK_XKBH", format!("粤交运管许可河字441600{:06}号", seq % 1_000_000));
                m.insert("XK_NR", nr.into());
                m.insert("XK_JDRQ", date.to_string());
                m.insert("XK_YXQZ", date.to_string());
                m.insert("XK_YXQZI", date.checked_add(jiff::Span::new().years(4)).expect("date").to_string());
                m.insert("XK_XKJG", bureau.clone());
                m.insert("XK_XKJGDM", bureau_code.clone());
                m.insert("XK_ZT", "有效".into());
                m.insert("XK_LYDW", bureau.clone());
                m.insert("XK_LYDWDM", bureau_code.clone());
            }
            match parse_record(kind, &m, &ctx) {
                Ok(rec) => {
                    produced += 1;
                    return Some(rec);
                }
                Err(diags) => panic!("demo generator produced an invalid record: {diags:?}"),
            }
        }
    })
}

/// Loads the demo installation into an empty `store` as of `now`: the
/// organisation, records attributed to departments and published day by day
/// (some late), monthly declarations (a few short or missing), one upload per
/// department and month (some rows rejected), documents and news (one late, one
/// draft), and a responsibility table with fictional people. One transaction
/// for the records.
pub fn load_into(
    store: &dyn xinjiao_store::Store,
    now: jiff::Timestamp,
    seed: u64,
    n_subjects: usize,
    n_records: usize,
) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    use xinjiao_core::reporting::period::Month;
    use xinjiao_store::{DocumentKind, NewDocument, NewSubmission, Responsibility, WriteContext};

    let org = xinjiao_core::organisation::file::OrgFile::parse(ORGANISATION).map_err(anyhow::Error::msg)?;
    let (divisions, departments) = xinjiao_store::from_file(&org);
    let sys = WriteContext::new("system", now, "加载演示数据");
    store.save_organisation(&sys, &divisions, &departments)?;
    let stored = store.departments()?;
    let names: Vec<(String, String)> = stored.iter().map(|d| (d.code.clone(), d.name.clone())).collect();
    let id_of = |code: &str| stored.iter().find(|d| d.code == code).map(|d| d.id);
    let loader = store.create_user(&sys, "demo-loader", "演示数据导入", xinjiao_store::Role::Clerk, "!", None)?;

    let calendar = xinjiao_core::calendar::Calendar::embedded();
    let today = xinjiao_store::china_date(now);
    // Publication at 10:00 China time on the day.
    let at =
        |d: Date| -> jiff::Timestamp { jiff::tz::TimeZone::UTC.to_timestamp(d.at(2, 0, 0, 0)).unwrap_or(now).min(now) };
    // (publication day, department) → records; flushed once the generator has
    // passed the day (decision dates ascend and publication follows decision).
    let mut pending: BTreeMap<(Date, Option<i64>), Vec<Record>> = BTreeMap::new();
    let mut reported: BTreeMap<(i64, Month, RecordKind), i64> = BTreeMap::new();
    let mut generated = generate_iter(seed, n_subjects, n_records, None);
    let mut ready: std::collections::VecDeque<(WriteContext, Vec<Record>)> = Default::default();
    let mut batches = std::iter::from_fn(|| {
        loop {
            if let Some(b) = ready.pop_front() {
                return Some(Ok(b));
            }
            let Some(rec) = generated.next() else {
                // The end: flush everything.
                let rest = std::mem::take(&mut pending);
                ready.extend(rest.into_iter().map(|((day, dept), recs)| {
                    (WriteContext::new("demo-loader", at(day), "演示数据：报送").in_department(dept), recs)
                }));
                return ready.pop_front().map(Ok);
            };
            let dept = department_code(&rec, &names).and_then(|c| id_of(&c));
            if let Some(d) = dept {
                *reported.entry((d, Month::of(rec.decision_date()), rec.kind())).or_default() += 1;
            }
            let lag = publication_lag(&rec);
            let day = calendar.add_working_days(rec.decision_date(), lag).value.min(today);
            let decided = rec.decision_date();
            pending.entry((day, dept)).or_default().push(rec);
            // Every group published on or before the current decision day is complete.
            while let Some(entry) = pending.first_entry() {
                if entry.key().0 > decided {
                    break;
                }
                let ((day, dept), recs) = entry.remove_entry();
                ready
                    .push_back((WriteContext::new("demo-loader", at(day), "演示数据：报送").in_department(dept), recs));
            }
        }
    });
    store.write_batches(&mut batches, &mut |_| {})?;

    // Declarations: most months exactly what was reported, some short, a few missing.
    let mut declarations = Vec::new();
    for ((dept, month, kind), n) in &reported {
        let h = stable_hash(&format!("{dept}-{month}-{}", kind.as_str()));
        match h % 20 {
            0 => {}
            1 | 2 => declarations.push((*dept, *month, *kind, n + 1 + (h / 20 % 2) as i64)),
            _ => declarations.push((*dept, *month, *kind, *n)),
        }
    }
    // Each month is declared early in the next one (its 3rd working day), as a clerk would.
    let mut by_month: BTreeMap<Month, Vec<(i64, Month, RecordKind, i64)>> = BTreeMap::new();
    for d in declarations {
        by_month.entry(d.1).or_default().push(d);
    }
    for (month, rows) in by_month {
        let day = calendar.add_working_days(month.last_day(), 3).value.min(today);
        store.declare(&WriteContext::new("demo-loader", at(day), "演示数据：月度应报送数申报"), &rows)?;
    }

    // One upload per department and month; some rows rejected at first.
    let mut per_month: BTreeMap<(i64, Month), i64> = BTreeMap::new();
    for ((dept, month, _), n) in &reported {
        *per_month.entry((*dept, *month)).or_default() += n;
    }
    for ((dept, month), n) in per_month {
        let h = stable_hash(&format!("upload-{dept}-{month}"));
        let rejected = if h.is_multiple_of(4) { 1 + (h / 4 % 3) as i64 } else { 0 };
        let day = Month::of(month.last_day()).last_day().min(today);
        let ctx = WriteContext::new("demo-loader", at(day), "演示数据：上传").in_department(Some(dept));
        let report = serde_json::json!({"rows": n + rejected, "accepted": n, "unchanged": 0, "rejected": rejected,
            "diagnostics": (0..rejected).map(|i| serde_json::json!({"row": i + 2, "field": "CF_XDR_SHXYM",
            "code": "uscc.check_digit", "message": "统一社会信用代码校验位错误（演示）"})).collect::<Vec<_>>()});
        store.create_submission(
            &ctx,
            &NewSubmission {
                user_id: loader,
                kind: RecordKind::Penalty,
                filename: format!("演示数据-{month}.csv"),
                n_rows: n + rejected,
                n_accepted: n,
                n_unchanged: 0,
                n_rejected: rejected,
                report_json: report.to_string(),
                file: Vec::new(),
                dry_run: false,
            },
        )?;
    }

    // Documents and news.
    let docs: &[(DocumentKind, &str, &str, i64, Option<i64>)] = &[
        (DocumentKind::Policy, "河源市交通运输局关于印发《交通运输信用管理办法》的通知", "HY-ZCFG", 60, Some(3)),
        (DocumentKind::Policy, "关于进一步做好“双公示”信息报送工作的通知", "HY-ZCFG", 25, Some(2)),
        (DocumentKind::News, "我局开展2026年“信用交通宣传月”活动", "HY-ZCFG", 40, Some(5)),
        (DocumentKind::News, "道路运输领域信用修复专题培训顺利举办", "HY-ZFJD", 18, Some(12)),
        (DocumentKind::News, "东源县交通运输局开展诚信经营宣传进企业活动", "DY-JTJ", 9, Some(1)),
        (DocumentKind::Commitment, "道路运输经营许可告知承诺制事项清单", "HY-KJXX", 33, Some(4)),
        (DocumentKind::Commitment, "港口经营企业信用承诺书（汇总公示）", "HY-GHGL", 6, None),
    ];
    for (kind, title, dept, days_ago, lag) in docs {
        let Some(dept) = id_of(dept) else { continue };
        let issued = calendar.add_working_days(today, 0).value.checked_sub(jiff::Span::new().days(*days_ago))?;
        let published = lag.map(|l| calendar.add_working_days(issued, l as u32).value.min(today));
        let ctx = WriteContext::new("demo-loader", at(published.unwrap_or(today)), "演示数据：发布文件");
        store.create_document(
            &ctx,
            &NewDocument {
                kind: *kind,
                title: title.to_string(),
                body: format!("{title}。\n\n（演示数据：正文为虚构内容。）"),
                issue_date: issued,
                department_id: dept,
                published_on: published,
            },
        )?;
    }

    // The responsibility table (fictional people).
    let rows: &[(&str, &str, &str, &str)] = &[
        ("信用工作统筹、政策文件与信用工作动态", "HY-ZCFG", "陈志远", "科长"),
        ("行政许可“双公示”信息", "HY-KJXX", "黄晓玲", "信息报送员"),
        ("行政许可“双公示”信息（道路运输）", "HY-DLYS", "李国强", "信息报送员"),
        ("行政许可“双公示”信息（港航）", "HY-GHGL", "钟伟明", "信息报送员"),
        ("行政许可“双公示”信息（公路建设）", "HY-JJGL", "刘建华", "信息报送员"),
        ("行政处罚“双公示”信息（超限运输）", "HY-WZCL", "张丽华", "信息报送员"),
        ("行政处罚“双公示”信息", "HY-ZFJD", "罗文斌", "副科长"),
        ("信用异议处理与信用修复", "HY-ZFJD", "罗文斌", "副科长"),
        ("信用承诺公示", "HY-KJXX", "黄晓玲", "信息报送员"),
        ("东源县“双公示”信息", "DY-JTJ", "叶春梅", "信息报送员"),
    ];
    let table: Vec<Responsibility> = rows
        .iter()
        .filter_map(|(category, dept, person, post)| {
            Some(Responsibility {
                category: category.to_string(),
                department_id: id_of(dept)?,
                person: person.to_string(),
                post: post.to_string(),
            })
        })
        .collect();
    store.replace_responsibilities(&sys, &table)?;
    // One department reviews before publication, so the demo shows both ways.
    if let Some(d) = id_of("HY-GHGL") {
        store.set_review_required(&sys, d, true)?;
        awaiting_review(store, seed, n_subjects, d, today, at)?;
    }
    objections_and_repairs(store, today, at)?;
    commitments(store, today, &at)?;
    // Grading a million-record set takes most of a minute (BENCHMARKS.md):
    // the demo grades, and draws by grade, only at the demo's own size.
    if n_records <= 20_000 {
        evaluations(store, seed, n_subjects, today, &at)?;
        inspections(store, seed, today, &at)?;
        lists(store, seed, n_subjects, today, &at)?;
    }
    Ok(())
}

/// Commitments of every type in every state it can reach (the repair type
/// is signed with repair applications, in `objections_and_repairs`): for
/// each approval type one awaiting the decision, withdrawn, refused (void),
/// in force, overdue, kept, kept late, not kept and false; public ones in
/// force, withdrawn, broken and false; an association's for its members in
/// force and broken. Each by another organisation; education read first
/// where the matter asks for it; decisions and findings by the matter's
/// department on the days they would have been made.
fn commitments(
    store: &dyn xinjiao_store::Store,
    today: Date,
    at: &impl Fn(Date) -> jiff::Timestamp,
) -> anyhow::Result<()> {
    use xinjiao_core::commitments::matters::MatterList;
    use xinjiao_core::commitments::templates::Templates;
    use xinjiao_core::commitments::{Action, CommitmentRules, Finding, initial};
    use xinjiao_store::{NewCommitment, PageRequest, RecordFilter, WriteContext};
    let (rules, matters, templates) = (CommitmentRules::embedded(), MatterList::embedded(), Templates::embedded());
    let calendar = xinjiao_core::calendar::Calendar::embedded();
    let departments = store.departments()?;
    let mut keys: Vec<String> = Vec::new();
    let rows = store.list_records(&RecordFilter::default(), PageRequest::new(1, 100))?.items;
    for r in rows.iter().filter(|r| !r.subject_key.starts_with('P')) {
        if !keys.contains(&r.subject_key) {
            keys.push(r.subject_key.clone());
        }
    }
    anyhow::ensure!(!keys.is_empty(), "no organisations for the demo's commitments");
    let ago = |d: i64| today.checked_sub(jiff::Span::new().days(d)).unwrap_or(today);
    let plus = |day: Date, d: i64| day.checked_add(jiff::Span::new().days(d)).unwrap_or(day).min(today);
    // (type, matter, association, what happens)
    #[derive(Clone, Copy)]
    enum Plan {
        Signed,
        Withdrawn,
        Void,
        InForce,
        Overdue,
        Kept,
        KeptLate,
        NotKept,
        False,
    }
    let approval = [
        Plan::Signed,
        Plan::Withdrawn,
        Plan::Void,
        Plan::InForce,
        Plan::Overdue,
        Plan::Kept,
        Plan::KeptLate,
        Plan::NotKept,
        Plan::False,
    ];
    let mut plans: Vec<(&str, Option<&str>, Option<&str>, Plan)> = Vec::new();
    for (kind, matter) in
        [("deferred-materials", "YS-HY-01"), ("certificate", "YS-CY-02"), ("approval-substitute", "YS-WX-03")]
    {
        plans.extend(approval.iter().map(|p| (kind, Some(matter), None, *p)));
    }
    plans.extend([Plan::InForce, Plan::Withdrawn, Plan::NotKept, Plan::False].map(|p| ("public", None, None, p)));
    plans.extend(
        [Plan::InForce, Plan::InForce, Plan::NotKept].map(|p| ("self-regulation", None, Some("河源市道路运输协会"), p)),
    );
    for (n, (kind, matter_code, association, plan)) in plans.into_iter().enumerate() {
        let key = &keys[n % keys.len()];
        let Some(subject) = store.subject_by_key(key)? else { continue };
        let ty = rules.type_of(kind).expect("a shipped type");
        let matter = matter_code.and_then(|m| matters.matter(m));
        let days = i64::from(matter.and_then(|m| m.working_days).or(ty.working_days).unwrap_or(20));
        // Long enough ago for a deadline of `days` working days to have passed.
        let back = match plan {
            Plan::Signed => 2,
            Plan::Withdrawn => 12,
            Plan::Void => 20,
            Plan::InForce => 6,
            Plan::False => 40,
            _ => days * 2 + 25,
        } + n as i64 % 5;
        let signed = ago(back);
        let who = format!("subject:{key}");
        if let Some(material) = matter.and_then(|m| m.education.as_deref()).and_then(|c| matters.material(c)) {
            let ctx = WriteContext::new(who.clone(), at(signed), "确认已阅读诚信教育材料");
            store.acknowledge_education(&ctx, subject.id, &material.code, material.version)?;
        }
        let code = subject.uscc.clone().unwrap_or_default();
        let (tpl, text) =
            templates.render_for(ty, matter, (&subject.name, &code), signed).map_err(|e| anyhow::anyhow!(e))?;
        let department_id = matter.and_then(|m| departments.iter().find(|d| d.code == m.department)).map(|d| d.id);
        let by_association = association.is_some();
        let new = NewCommitment {
            subject_id: subject.id,
            kind: kind.into(),
            matter: matter.map(|m| m.code.clone()),
            template_version: tpl.version,
            text,
            signed_via: if by_association { "association".into() } else { "account".into() },
            association: association.map(str::to_string),
            public: ty.public,
            department_id,
            scan: None,
        };
        let signer = if by_association { "association:河源市道路运输协会".to_string() } else { who.clone() };
        let id = store.sign_commitment(&WriteContext::new(signer, at(signed), "签署信用承诺"), &new, initial(ty))?;
        let staff = |day: Date, why: &str| {
            WriteContext::new("coordinator", at(day), why).in_department(department_id).overseeing(true)
        };
        let step = |action: Action, day: Date, why: &str| {
            store.act_on_commitment(
                &staff(day, why),
                id,
                action,
                day,
                matter.and_then(|m| m.working_days),
                &rules,
                &calendar,
            )
        };
        let decided = plus(signed, 1);
        let approve = ty.working_days.is_some();
        match plan {
            Plan::Signed => {}
            Plan::Withdrawn => {
                store.act_on_commitment(
                    &WriteContext::new(who, at(decided), "撤回信用承诺"),
                    id,
                    Action::Withdraw,
                    decided,
                    None,
                    &rules,
                    &calendar,
                )?;
            }
            Plan::Void => {
                step(Action::Decide { granted: false }, decided, "申请材料不符合法定形式，不予许可")?;
            }
            Plan::InForce | Plan::Overdue => {
                if approve {
                    step(Action::Decide { granted: true }, decided, "告知承诺办理，准予许可")?;
                }
            }
            Plan::Kept | Plan::KeptLate | Plan::NotKept | Plan::False => {
                let due = if approve {
                    step(Action::Decide { granted: true }, decided, "告知承诺办理，准予许可")?.due
                } else {
                    None
                };
                let (finding, day, why) = match (plan, due) {
                    (Plan::Kept, Some(d)) => (Finding::Kept, plus(decided, 8).min(d), "申请人已按期补交材料，核查属实"),
                    (Plan::KeptLate, Some(d)) => (Finding::Kept, plus(d, 4), "申请人逾期补交材料"),
                    (Plan::NotKept, Some(d)) => (Finding::NotKept, plus(d, 6), "期限届满，申请人未补交材料"),
                    (Plan::NotKept, None) => {
                        (Finding::NotKept, plus(signed, 20), "日常检查发现未履行公开承诺的服务标准")
                    }
                    _ => (Finding::False, plus(decided, 15), "核查发现承诺内容与事实不符"),
                };
                step(Action::Verify(finding), day, why)?;
            }
        }
    }
    Ok(())
}

/// The lists: three freight firms' fleets, a year of overload detections
/// (mostly within the limit) that put a vehicle and a firm on the overload
/// list (confirmed), a driver whose entry an objection withdrew, a vehicle
/// in its public notice, a candidate not yet proposed; a transport-list
/// proposal awaiting review and one ended early by repair; the red list
/// from the road-transport grades where two top grades in a row exist.
fn lists(
    store: &dyn xinjiao_store::Store,
    seed: u64,
    n_subjects: usize,
    today: Date,
    at: &impl Fn(Date) -> jiff::Timestamp,
) -> anyhow::Result<()> {
    use xinjiao_core::lifecycle::objections::ObjectionAction as O;
    use xinjiao_core::lists::definition::ListDefinition;
    use xinjiao_core::lists::entries::{EndKind, EntryAction as A};
    use xinjiao_core::lists::limits::{Axles, VehicleLimits, VehicleType};
    use xinjiao_core::lists::overload::{Detection, VehicleRow};
    use xinjiao_store::{NewEntry, NewListObjection, WriteContext};
    let ago = |days: i64| today.checked_sub(jiff::Span::new().days(days)).unwrap_or(today);
    let firms: Vec<DemoSubject> = subjects(&mut Rng::new(seed), n_subjects.max(1))
        .into_iter()
        .filter(|s| {
            s.uscc.is_some()
                && (s.business.contains("货运") || s.business.contains("物流") || s.business.contains("运输"))
        })
        .take(3)
        .collect();
    if firms.len() < 3 {
        return Ok(());
    }
    let sys = WriteContext::new("demo-loader", at(ago(370)), "演示数据：货运车辆档案");
    // Fleets of 20, 10 and 8 combinations.
    let mut fleet = Vec::new();
    for (f, n) in firms.iter().zip([20, 10, 8]) {
        for i in 0..n {
            fleet.push(VehicleRow {
                plate: format!(
                    "粤P{}{:04}",
                    ["A", "B", "C"][fleet.len() / 20 % 3],
                    stable_hash(&format!("{}{i}", f.name)) % 10_000
                ),
                vehicle: VehicleType::Combination,
                axles: 6,
                enterprise_code: f.uscc.clone().unwrap_or_default(),
                enterprise_name: f.name.clone(),
            });
        }
    }
    fleet.sort_by(|a, b| a.plate.cmp(&b.plate));
    fleet.dedup_by(|a, b| a.plate == b.plate);
    store.save_vehicles(&sys, &fleet)?;
    let of = |k: usize| -> Vec<&VehicleRow> {
        fleet.iter().filter(|v| Some(&v.enterprise_code) == firms[k].uscc.as_ref()).collect()
    };
    let (a, b, c) = (of(0), of(1), of(2));
    let mut rng = Rng::new(seed ^ 0x5eed);
    let drivers: Vec<(String, String)> = (0..6).map(|_| (id_card(&mut rng, "441602"), person_name(&mut rng))).collect();
    let det = |v: &VehicleRow, days: i64, kg: u32, driver: usize, place: &str| Detection {
        id: 0,
        date: ago(days),
        place: place.into(),
        plate: v.plate.clone(),
        vehicle: v.vehicle,
        axles: Axles { total: v.axles, single_tyre: 0, drive: None },
        gross_kg: kg,
        driver_id: drivers[driver].0.clone(),
        driver_name: drivers[driver].1.clone(),
        enterprise_code: v.enterprise_code.clone(),
        enterprise_name: v.enterprise_name.clone(),
        penalty_no: None,
    };
    let mut ds = Vec::new();
    // Routine checks within the limit.
    for (i, v) in fleet.iter().enumerate() {
        ds.push(det(v, 20 + (i as i64 * 7) % 300, 41_000 + (i as u32 * 137) % 7_000, i % 6, "源城区超限检测站"));
    }
    // Firm A's first vehicle over the limit five times (driver 0); two more of its vehicles once.
    for (n, d) in [300, 250, 200, 150, 120].into_iter().enumerate() {
        ds.push(det(a[0], d, 55_000 + n as u32 * 900, 0, "龙川县不停车检测点"));
    }
    ds.push(det(a[1], 130, 52_400, 5, "东源县治超站"));
    ds.push(det(a[2], 125, 51_300, 5, "东源县治超站"));
    // Driver 1 over the limit four times in firm B's vehicles.
    for (n, d) in [200, 170, 140, 110].into_iter().enumerate() {
        ds.push(det(b[n % b.len()], d, 53_000 + n as u32 * 500, 1, "和平县超限检测站"));
    }
    // Firm B's vehicle 5, four trips in the last two months; firm C's vehicle, four in the last 40 days.
    for (n, d) in [60, 45, 30, 20].into_iter().enumerate() {
        ds.push(det(b[5 % b.len()], d, 50_500 + n as u32 * 300, 2, "紫金县超限检测站"));
    }
    for (n, d) in [40, 35, 25, 15].into_iter().enumerate() {
        ds.push(det(c[0], d, 52_000 + n as u32 * 250, 3, "连平县超限检测站"));
    }
    store.save_detections(&WriteContext::new("demo-loader", at(ago(10)), "演示数据：超限检测记录"), &ds)?;
    // Firm A ordered to suspend business for rectification.
    let (bureau, code) = bureaus()[0].clone();
    let mut m = FieldValues::new();
    let firm_a = &firms[0];
    for (k, v) in [
        ("CF_XDR_MC", firm_a.name.clone()),
        ("CF_XDR_LB", firm_a.kind.to_string()),
        ("CF_XDR_SHXYM", firm_a.uscc.clone().unwrap_or_default()),
        ("CF_WSH", format!("河交执罚〔{}〕900号", ago(105).year())),
        ("CF_WFXW", "所属货运车辆一年内违法超限运输超过本单位车辆总数10%".to_string()),
        ("CF_SY", "经查，当事人所属货运车辆多次违法超限运输".to_string()),
        ("CF_YJ", "《公路安全保护条例》第六十六条".to_string()),
        ("CF_CFLB", "罚款；责令停产停业".to_string()),
        ("CF_NR", "罚款30000元，责令停业整顿15日".to_string()),
        ("CF_NR_FK", "3".to_string()),
        ("CF_JDRQ", ago(105).to_string()),
        ("CF_YXQ", ago(98).to_string()),
        ("CF_CFJG", bureau.clone()),
        ("CF_CFJGDM", code.clone()),
        ("CF_SJLY", bureau.clone()),
        ("CF_SJLYDM", code.clone()),
    ] {
        m.insert(k, v);
    }
    let suspension = parse_record(RecordKind::Penalty, &m, &ParseContext { today })
        .map_err(|d| anyhow::anyhow!("demo suspension penalty: {d:?}"))?;
    let wzcl = store.departments()?.into_iter().find(|d| d.code == "HY-WZCL").map(|d| d.id);
    store.write_records(
        &WriteContext::new("demo-loader", at(ago(104)), "演示数据：报送").in_department(wzcl),
        &[suspension],
    )?;

    let calendar = xinjiao_core::calendar::Calendar::embedded();
    let clerk = |d: i64| WriteContext::new("clerk", at(ago(d)), "演示数据：提出列入名单").in_department(wzcl);
    let coord = |d: i64| WriteContext::new("coordinator", at(ago(d)), "演示数据：审核名单").overseeing(true);
    let propose =
        |list: &ListDefinition, c: &xinjiao_core::lists::overload::Candidate, d: i64| -> anyhow::Result<i64> {
            let evidence = serde_json::to_string(&xinjiao_web::lists::views::candidate_json(list, c)["evidence"])?;
            let e = NewEntry {
                list_code: list.code.clone(),
                criterion: c.criterion,
                origin: "computed".into(),
                party_type: c.party_type,
                subject: xinjiao_web::lists::console::subject_of(store, c.party_type, &c.party, &c.party_name)?,
                party: c.party.clone(),
                party_name: c.party_name.clone(),
                reason: c.reason.clone(),
                evidence,
                department_id: wzcl,
            };
            Ok(store.propose_entry(&clerk(d), &e, ago(d))?)
        };
    let act = |id: i64, action: A, d: i64| -> anyhow::Result<()> {
        store.act_on_entry(&coord(d), id, &action, ago(d), &calendar)?;
        Ok(())
    };
    let overload = ListDefinition::find("overload").expect("shipped list");
    let limits = VehicleLimits::embedded();
    // As of 100 days ago: firm A's vehicle, driver 1, firm A (criterion 3).
    for c in xinjiao_store::lists::candidates(store, overload, limits, ago(100))? {
        let id = propose(overload, &c, 100)?;
        act(id, A::Approve, 99)?;
        if c.party == drivers[1].0 {
            let o = store.file_list_objection(
                &WriteContext::new("clerk", at(ago(95)), "演示数据：代录异议"),
                &NewListObjection {
                    entry_id: id,
                    objector: c.party_name.clone(),
                    filed_via: "staff".into(),
                    reasons: "其中一次检测时车辆由他人驾驶，附运输合同和行车记录".into(),
                },
                ago(95),
                &calendar,
            )?;
            store.act_on_list_objection(&coord(94), o, &O::Acknowledge)?;
            store.act_on_list_objection(
                &coord(90),
                o,
                &O::Uphold("经调取行车记录核实，2 次检测非本人驾驶，不足 4 次".into()),
            )?;
        } else {
            act(id, A::Confirm, 80)?;
        }
    }
    // As of 10 days ago: firm B's vehicle, now in its notice; firm C's stays a candidate.
    for c in xinjiao_store::lists::candidates(store, overload, limits, ago(10))? {
        if store
            .entries(&xinjiao_store::EntryFilter { party: Some(c.party.clone()), ..Default::default() }, 1)?
            .is_empty()
            && b.iter().any(|v| v.plate == c.party)
        {
            let id = propose(overload, &c, 10)?;
            act(id, A::Approve, 7)?;
        }
    }
    // The transport list: one proposal awaiting review, one ended by repair.
    let transport = ListDefinition::find("transport").expect("shipped list");
    let others: Vec<DemoSubject> = subjects(&mut Rng::new(seed), n_subjects.max(1))
        .into_iter()
        .filter(|s| s.uscc.is_some() && !firms.iter().any(|f| f.name == s.name))
        .skip(5)
        .take(2)
        .collect();
    for (i, s) in others.iter().enumerate() {
        let code = s.uscc.clone().unwrap_or_default();
        let e = NewEntry {
            list_code: transport.code.clone(),
            criterion: 2,
            origin: "proposed".into(),
            party_type: xinjiao_core::lists::definition::PartyType::Enterprise,
            subject: xinjiao_web::lists::console::subject_of(
                store,
                xinjiao_core::lists::definition::PartyType::Enterprise,
                &code,
                &s.name,
            )?,
            party: code,
            party_name: s.name.clone(),
            reason: "在公路养护工程招标中以他人名义投标，弄虚作假骗取中标".into(),
            evidence:
                serde_json::json!([{"kind": "text", "text": format!("河交执罚〔2025〕{}号行政处罚决定书", 700 + i)}])
                    .to_string(),
            department_id: wzcl,
        };
        if i == 0 {
            store.propose_entry(&clerk(3), &e, ago(3))?;
        } else {
            let id = store.propose_entry(&clerk(420), &e, ago(420))?;
            act(id, A::Approve, 419)?;
            act(id, A::Confirm, 400)?;
            act(id, A::End(EndKind::Repair, "当事人已纠正失信行为并完成信用修复（河交信修〔2026〕12号）".into()), 12)?;
        }
    }
    // The red list, from two cycles of road-transport grades.
    let red = ListDefinition::find("red").expect("shipped list");
    for c in xinjiao_store::lists::candidates(store, red, limits, ago(30))?.into_iter().take(3) {
        let id = propose(red, &c, 30)?;
        act(id, A::Approve, 29)?;
        act(id, A::Confirm, 20)?;
    }
    Ok(())
}

/// Two inspection matters, a roster (one inspector on leave, one declared
/// conflict), a draw run a month ago and one planned, waiting for its
/// public value.
fn inspections(
    store: &dyn xinjiao_store::Store,
    seed: u64,
    today: Date,
    at: &impl Fn(Date) -> jiff::Timestamp,
) -> anyhow::Result<()> {
    use xinjiao_store::WriteContext;
    use xinjiao_store::inspection::{PlanRequest, plan_draw, run_draw};
    let depts = store.departments()?;
    let id_of = |code: &str| depts.iter().find(|d| d.code == code).map(|d| d.id);
    let (Some(kj), Some(jj)) = (id_of("HY-KJXX"), id_of("HY-JJGL")) else { return Ok(()) };
    let month_ago = today.checked_sub(jiff::Span::new().days(30))?;
    let coord = WriteContext::new("coordinator", at(month_ago), "演示数据：双随机抽查").overseeing(true);
    for (code, name, dept, basis, scheme, priority) in [
        (
            "HY-SJ-01",
            "道路运输经营者经营行为检查",
            kj,
            "《中华人民共和国道路运输条例》第五十八条",
            "road-transport",
            "key",
        ),
        (
            "HY-SJ-02",
            "公路建设市场从业单位检查",
            jj,
            "《公路建设市场管理办法》第四十条",
            "highway-construction",
            "general",
        ),
    ] {
        let m = xinjiao_store::NewMatter {
            code: code.into(),
            name: name.into(),
            department_id: dept,
            legal_basis: basis.into(),
            scheme: scheme.into(),
            priority: priority.into(),
            times_a_year: 1,
        };
        store.save_matter(&coord, &m)?;
    }
    let inspector = |n: u32, dept: i64, active: bool| xinjiao_store::Inspector {
        certificate: format!("粤交执-44160{n:04}"),
        name: ["陈志明", "李晓红", "黄伟强", "刘秀英", "张建华", "何国平", "罗美玲", "钟伟"][n as usize % 8].into(),
        department_id: dept,
        active,
    };
    let roster: Vec<_> =
        (0..5).map(|n| inspector(n, kj, n != 3)).chain((5..8).map(|n| inspector(n, jj, true))).collect();
    store.save_inspectors(&coord, &roster)?;
    let rules = xinjiao_core::inspection::rules::InspectionRules::embedded();
    let schemes = xinjiao_core::evaluation::scheme::Scheme::embedded();
    // A demo's secrets follow from its seed (anyone could compute them);
    // real plans take 32 bytes from the operating system.
    let secret = |n: u64| format!("{:016x}", crate::demo::stable_hash(&format!("{seed}-draw-{n}"))).repeat(4);
    let plan = |matter: &str, n: u64, source: &str| PlanRequest {
        matter_code: matter.into(),
        as_of: month_ago,
        overrides: Default::default(),
        inspectors: None,
        public_value_source: source.into(),
        secret: secret(n),
    };
    if let Some((key, _)) = store.licensed_subjects(kj)?.first()
        && let Some(s) = store.subject_by_key(key)?
    {
        store.declare_conflict(&coord, "粤交执-441600001", s.id, "配偶在该企业任职")?;
    }
    let first =
        plan_draw(store, &coord, &rules, &schemes, &plan("HY-SJ-01", 1, "开奖日公布的中国福利彩票双色球开奖号码"))?;
    let runner =
        WriteContext::new("coordinator", at(month_ago.checked_add(jiff::Span::new().days(2))?), "演示数据：抽取")
            .overseeing(true);
    let drawn = run_draw(store, &runner, first, "03 08 14 19 26 31 + 12")?.drawn;
    // The department has inspected two of them: one clean, one with findings.
    let clerk =
        WriteContext::new("kjxx-clerk", at(month_ago.checked_add(jiff::Span::new().days(12))?), "演示数据：检查结果")
            .in_department(Some(kj));
    for (a, (outcome, findings)) in drawn.iter().zip([
        (xinjiao_core::inspection::results::Outcome::Clean, ""),
        (xinjiao_core::inspection::results::Outcome::Rectification, "车辆技术档案不全，责令15日内整改"),
    ]) {
        let on = month_ago.checked_add(jiff::Span::new().days(9))?;
        xinjiao_store::inspection::enter_result(store, &clerk, first, &a.member.code, outcome, findings, on)?;
    }
    let coord_now = WriteContext::new("coordinator", at(today), "演示数据：双随机抽查").overseeing(true);
    let mut second = plan("HY-SJ-02", 2, "下周二公布的中国体育彩票超级大乐透开奖号码");
    second.as_of = today;
    plan_draw(store, &coord_now, &rules, &schemes, &second)?;
    Ok(())
}

/// Credit events the bureau learned elsewhere (commendations, inspections,
/// project owners' ratings), and evaluation runs: road transport for 2024
/// and 2025 (final), highway construction for 2025 (still in its comment
/// period), taxi drivers for 2025 (persons: not public).
fn evaluations(
    store: &dyn xinjiao_store::Store,
    seed: u64,
    n_subjects: usize,
    today: Date,
    at: &impl Fn(Date) -> jiff::Timestamp,
) -> anyhow::Result<()> {
    use xinjiao_core::evaluation::events::EventRow;
    use xinjiao_core::evaluation::scheme::Scheme;
    use xinjiao_store::{NewCreditEvent, WriteContext};
    let schemes = Scheme::embedded();
    let mut events = Vec::new();
    for (i, s) in subjects(&mut Rng::new(seed), n_subjects.max(1)).into_iter().enumerate() {
        let Some(code) = s.uscc.clone().or(s.id_no.clone()) else { continue };
        let h = stable_hash(&code);
        let (scheme, item, points, basis) = if s.business.contains("建设工程") || s.business.contains("路桥") {
            match h % 3 {
                0 => (
                    "highway-construction",
                    "HC-05",
                    Some(-((h / 3 % 16) as i64) * 10),
                    format!("项目法人履约评价〔2025〕{i}号"),
                ),
                1 => ("highway-construction", "HC-04", None, format!("河交质检〔2025〕{i}号")),
                _ => continue,
            }
        } else if s.business.contains("运输")
            || s.business.contains("物流")
            || s.business.contains("货运")
            || s.business.contains("客运")
        {
            match h % 4 {
                0 => ("road-transport", "RT-B01", Some((1 + h / 4 % 5) as i64 * 10), format!("河交表〔2025〕{i}号")),
                1 => ("road-transport", "RT-04", None, format!("河交检〔2025〕{i}号")),
                _ => continue,
            }
        } else if s.kind == "自然人" && h.is_multiple_of(3) {
            ("taxi-driver", "TX-03", None, format!("河交出租投诉〔2025〕{i}号"))
        } else {
            continue;
        };
        let date = Date::constant(2025, 1 + (h / 7 % 11) as i8, 1 + (h / 11 % 27) as i8);
        let row = EventRow {
            subject_code: code,
            subject_name: s.name.clone(),
            person: s.kind == "自然人",
            scheme: scheme.into(),
            item: item.into(),
            points: points.map(xinjiao_core::evaluation::scheme::Points),
            date,
            basis,
        };
        events.push((
            date,
            NewCreditEvent {
                subject: row.subject_info(),
                scheme: row.scheme,
                item: row.item,
                points,
                date,
                basis: row.basis,
            },
        ));
    }
    // Known a few weeks after they happened: one batch per day they became known.
    events.sort_by_key(|e| e.0);
    let mut by_day: std::collections::BTreeMap<Date, Vec<NewCreditEvent>> = std::collections::BTreeMap::new();
    for (date, e) in events {
        by_day.entry(date.checked_add(jiff::Span::new().days(20))?.min(today)).or_default().push(e);
    }
    for (known, batch) in by_day {
        store.write_credit_events(&WriteContext::new("demo-loader", at(known), "演示数据：信用事件"), &batch)?;
    }
    let calendar = xinjiao_core::calendar::Calendar::embedded();
    let run = |code: &str, cycle: i16, as_of: Date| -> anyhow::Result<()> {
        let scheme = schemes.iter().find(|s| s.code == code).expect("shipped scheme");
        let ctx = WriteContext::new("coordinator", at(as_of.min(today)), "演示数据：信用评价").overseeing(true);
        xinjiao_store::evaluation::run_evaluation(
            store,
            &ctx,
            &schemes,
            scheme,
            cycle,
            as_of.min(today),
            &calendar,
            &mut |_, _| Ok(()),
        )?;
        Ok(())
    };
    run("road-transport", 2024, Date::constant(2025, 1, 1))?;
    run("road-transport", 2025, Date::constant(2026, 1, 1))?;
    run("taxi-driver", 2025, Date::constant(2026, 1, 1))?;
    run("highway-construction", 2025, today.checked_sub(jiff::Span::new().days(2))?)?;
    Ok(())
}

/// Three water-transport licences of the reviewing department (港航管理科)
/// awaiting review, one past its publication deadline, and one sent back.
fn awaiting_review(
    store: &dyn xinjiao_store::Store,
    seed: u64,
    n_subjects: usize,
    department: i64,
    today: Date,
    at: impl Fn(Date) -> jiff::Timestamp,
) -> anyhow::Result<()> {
    use xinjiao_store::{RecordOutcome, WriteContext};
    let subs = subjects(&mut Rng::new(seed), n_subjects.max(1));
    let shipping: Vec<&DemoSubject> = subs.iter().filter(|s| s.business.contains("航运")).collect();
    let (bureau, code) = bureaus()[0].clone();
    let mut ids = Vec::new();
    for (i, days_back) in [2i64, 6, 16].into_iter().enumerate() {
        let Some(s) = shipping.get(i).or(shipping.first()).copied() else { return Ok(()) };
        let decided = today.checked_sub(jiff::Span::new().days(days_back))?;
        let mut m = FieldValues::new();
        for (k, v) in [
            ("XK_XDR_MC", s.name.clone()),
            ("XK_XDR_LB", s.kind.to_string()),
            ("XK_XDR_SHXYM", s.uscc.clone().unwrap_or_default()),
            ("XK_FRDB", s.legal_rep.clone().unwrap_or_default()),
            ("XK_XKWS", "水路运输经营许可决定书".to_string()),
            ("XK_WSH", format!("河交港许〔{}〕{}号", decided.year(), 40 + i)),
            ("XK_XKLB", "特许".to_string()),
            ("XK_XKZS", "国内水路运输经营许可证".to_string()),
            ("XK_XKBH", format!("交粤HY水运{:04}", 300 + i)),
            ("XK_NR", "东江、新丰江库区内河普通货船运输".to_string()),
            ("XK_JDRQ", decided.to_string()),
            ("XK_YXQZ", decided.to_string()),
            ("XK_YXQZI", decided.checked_add(jiff::Span::new().years(5))?.to_string()),
            ("XK_XKJG", bureau.clone()),
            ("XK_XKJGDM", code.clone()),
            ("XK_ZT", "有效".to_string()),
            ("XK_LYDW", bureau.clone()),
            ("XK_LYDWDM", code.clone()),
        ] {
            m.insert(k, v);
        }
        let rec = parse_record(RecordKind::License, &m, &ParseContext { today })
            .map_err(|d| anyhow::anyhow!("demo licence invalid: {d:?}"))?;
        let ctx = WriteContext::new(
            "demo-loader",
            at(decided.checked_add(jiff::Span::new().days(1))?.min(today)),
            "演示数据：报送",
        )
        .in_department(Some(department));
        if let Some(RecordOutcome::Created { record_id }) = store.write_records(&ctx, &[rec])?.first() {
            ids.push(*record_id);
        }
    }
    if let Some(id) = ids.get(1) {
        let ctx = WriteContext::new("coordinator", at(today), "审核记录").overseeing(true);
        store.reject_record(&ctx, *id, "许可内容未写明航线起讫港口，请补充后重新报送")?;
    }
    Ok(())
}

/// Objections in each state (awaiting acknowledgement, one of them overdue;
/// acknowledged; extended; upheld; rejected) on recent penalties, and credit
/// repair applications in each state (filed, accepted, approved, refused,
/// revoked) on penalties decided three to four months ago, each by the
/// subject and handled by the coordinator.
fn objections_and_repairs(
    store: &dyn xinjiao_store::Store,
    today: Date,
    at: impl Fn(Date) -> jiff::Timestamp,
) -> anyhow::Result<()> {
    use xinjiao_core::lifecycle::objections::ObjectionAction as O;
    use xinjiao_core::lifecycle::repairs::RepairAction as R;
    use xinjiao_store::{PageRequest, RecordFilter, WriteContext};
    let ago = |days: i64| today.checked_sub(jiff::Span::new().days(days)).unwrap_or(today);
    let penalties = |from: i64, to: i64| -> anyhow::Result<Vec<xinjiao_store::RecordRow>> {
        let f = RecordFilter {
            kind: Some(RecordKind::Penalty),
            date_from: Some(ago(from)),
            date_to: Some(ago(to)),
            public_on: Some(today),
            ..Default::default()
        };
        Ok(store
            .list_records(&f, PageRequest::new(1, 100))?
            .items
            .into_iter()
            .filter(|r| !r.subject_key.starts_with('P'))
            .collect())
    };
    let staff = |day: Date, why: &str| WriteContext::new("coordinator", at(day), why).overseeing(true);
    let subject = |r: &xinjiao_store::RecordRow, day: Date, why: &str| {
        WriteContext::new(format!("subject:{}", r.subject_key), at(day), why)
    };
    // (days since filing, the staff's actions with days after filing)
    let objections: &[(i64, &[(i64, O)])] = &[
        (1, &[]),
        (9, &[]),
        (6, &[(1, O::Acknowledge)]),
        (12, &[(1, O::Acknowledge), (4, O::Extend("需向执法大队调取现场检测记录核实".into()))]),
        (20, &[(1, O::Acknowledge), (4, O::Uphold("经核查，处罚决定书文号录入有误，已更正后重新公示".into()))]),
        (25, &[(1, O::Acknowledge), (5, O::Reject("经核查，公示内容与处罚决定书一致".into()))]),
    ];
    let reasons = [
        "罚款金额与处罚决定书不一致，决定书载明罚款2000元",
        "该车辆已于违法行为发生前转让，当事人并非本公司",
        "违法事实描述中的车牌号码有误",
        "处罚决定已被行政复议撤销，请停止公示",
        "决定书文号有误",
        "罚款已按时缴纳，请求更正处罚内容",
    ];
    for ((back, actions), (r, why)) in objections.iter().zip(penalties(80, 30)?.iter().zip(reasons)) {
        let filed = ago(*back);
        let id = store.file_objection(&subject(r, filed, "提出信用异议"), r.id, r.subject_id, why, &[])?;
        for (after, action) in actions.iter() {
            let day = filed.checked_add(jiff::Span::new().days(*after))?.min(today);
            store.act_on_objection(&staff(day, "处理信用异议"), id, action)?;
        }
    }
    let repairs: &[(i64, &[(i64, R)])] = &[
        (2, &[]),
        (6, &[(1, R::Accept)]),
        (15, &[(1, R::Accept), (5, R::Approve("已履行全部义务，信用承诺书已签署".into()))]),
        (12, &[(1, R::Accept), (4, R::Refuse("罚款尚未缴清，不符合修复条件".into()))]),
        (
            25,
            &[
                (1, R::Accept),
                (4, R::Approve("已履行全部义务，信用承诺书已签署".into())),
                (15, R::Revoke("经核查，承诺的整改措施未落实，承诺不实".into())),
            ],
        ),
    ];
    let (rules, templates) = (
        xinjiao_core::commitments::CommitmentRules::embedded(),
        xinjiao_core::commitments::templates::Templates::embedded(),
    );
    let repair_type = rules.type_of("repair").expect("a shipped type");
    for ((back, actions), r) in repairs.iter().zip(penalties(120, 95)?.iter()) {
        let filed = ago(*back);
        let (tpl, text) = templates
            .render_for(repair_type, None, (&r.subject_name, &r.subject_key), filed)
            .map_err(|e| anyhow::anyhow!(e))?;
        let commitment =
            xinjiao_store::RepairCommitment { by: "法定代表人", template_version: tpl.version, text: &text };
        let id = store.file_repair(
            &subject(r, filed, "申请信用修复"),
            r.id,
            r.subject_id,
            &commitment,
            "罚款已全额缴纳，涉事车辆已整改并通过复检",
            None,
        )?;
        for (after, action) in actions.iter() {
            let day = filed.checked_add(jiff::Span::new().days(*after))?.min(today);
            store.act_on_repair(&staff(day, "办理信用修复"), id, action)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let a = generate(7, 50, 200, None);
        let b = generate(7, 50, 200, None);
        assert_eq!(a, b);
        assert_ne!(a, generate(8, 50, 200, None));
        assert_eq!(a.len(), 200);
        assert!(a.iter().any(|r| r.kind() == RecordKind::License));
        assert!(a.iter().any(|r| r.kind() == RecordKind::Penalty));
        assert!(a.iter().any(|r| r.subject().kind == xinjiao_core::records::record::SubjectKind::NaturalPerson));
    }
}
