//! The list of matters that accept a commitment (告知承诺事项清单) and the
//! integrity education material (诚信教育) read before applying: the
//! installation's data (`config/heyuan-commitment-matters.toml`), checked
//! against the commitment types and the departments when read.

use super::CommitmentRules;

/// The Heyuan bureau's list, embedded as the default.
pub const EMBEDDED: &str = include_str!("../../../../config/heyuan-commitment-matters.toml");

/// A matter that accepts a commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matter {
    pub code: String,
    pub name: String,
    /// The deciding department's code (`config/heyuan-organisation.toml`).
    pub department: String,
    /// The commitment types allowed (approval-stage types).
    pub types: Vec<String>,
    /// What the commitment replaces.
    pub replaces: String,
    /// Working days for what is missing; the type's default if `None`.
    pub working_days: Option<u32>,
    /// The consequences of a false or broken commitment, shown before signing.
    pub consequences: String,
    /// The education material to read first, and whether its
    /// acknowledgement is required before signing.
    pub education: Option<String>,
    pub education_required: bool,
}

/// Integrity education material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    pub code: String,
    pub version: u32,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatterList {
    pub version: i64,
    pub matters: Vec<Matter>,
    pub materials: Vec<Material>,
}

impl MatterList {
    pub fn embedded() -> MatterList {
        MatterList::shipped().clone()
    }

    /// The embedded list, parsed once.
    pub fn shipped() -> &'static MatterList {
        static SHIPPED: std::sync::OnceLock<MatterList> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(|| {
            MatterList::parse(EMBEDDED, CommitmentRules::shipped()).expect("embedded matter list is valid")
        })
    }

    /// Reads the list: codes unique, types known and of the approval stage,
    /// education material defined; the error names the first problem.
    pub fn parse(src: &str, rules: &CommitmentRules) -> Result<MatterList, String> {
        let t: toml::Table = src.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let version = t.get("version").and_then(toml::Value::as_integer).ok_or("缺少 version")?;
        let mut materials: Vec<Material> = Vec::new();
        for (i, v) in t.get("material").and_then(toml::Value::as_array).into_iter().flatten().enumerate() {
            let at = format!("第 {} 个 [[material]] ", i + 1);
            let x = v.as_table().ok_or(format!("{at}不是表"))?;
            let get = |k: &str| super::text(x, k, &at);
            let code = get("code")?;
            if materials.iter().any(|m| m.code == code) {
                return Err(format!("{at}的 code {code} 重复"));
            }
            let version = super::version(x, &at)?;
            materials.push(Material { code, version, title: get("title")?, text: get("text")? });
        }
        let mut matters: Vec<Matter> = Vec::new();
        for (i, v) in t.get("matter").and_then(toml::Value::as_array).ok_or("缺少 [[matter]]")?.iter().enumerate() {
            let at = format!("第 {} 个 [[matter]] ", i + 1);
            let x = v.as_table().ok_or(format!("{at}不是表"))?;
            let get = |k: &str| super::text(x, k, &at);
            let code = get("code")?;
            if matters.iter().any(|m| m.code == code) {
                return Err(format!("{at}的 code {code} 重复"));
            }
            let types: Vec<String> = x
                .get("types")
                .and_then(toml::Value::as_array)
                .ok_or(format!("{at}缺少 types"))?
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or(format!("{at}的 types 应为文字")))
                .collect::<Result<_, _>>()?;
            if types.is_empty() {
                return Err(format!("{at}至少允许一种承诺类型"));
            }
            for ty in &types {
                match rules.type_of(ty) {
                    None => return Err(format!("{at}的承诺类型 {ty} 未知")),
                    Some(t) if t.stage != super::Stage::Approval => {
                        return Err(format!("{at}：{} 不是办理事项可用的审批型承诺", t.name));
                    }
                    Some(_) => {}
                }
            }
            let working_days = super::working_days(x, &at)?;
            let education = x.get("education").and_then(toml::Value::as_str).map(str::to_string);
            if let Some(e) = &education
                && !materials.iter().any(|m| &m.code == e)
            {
                return Err(format!("{at}的诚信教育材料 {e} 未定义"));
            }
            let education_required = x.get("education_required").and_then(toml::Value::as_bool).unwrap_or(false);
            if education_required && education.is_none() {
                return Err(format!("{at}要求诚信教育却未指定材料"));
            }
            matters.push(Matter {
                name: get("name")?,
                department: get("department")?,
                replaces: get("replaces")?,
                consequences: get("consequences")?,
                code,
                types,
                working_days,
                education,
                education_required,
            });
        }
        Ok(MatterList { version, matters, materials })
    }

    pub fn matter(&self, code: &str) -> Option<&Matter> {
        self.matters.iter().find(|m| m.code == code)
    }

    pub fn material(&self, code: &str) -> Option<&Material> {
        self.materials.iter().find(|m| m.code == code)
    }

    /// Departments named that `known` does not have (checked at start
    /// against the organisation).
    pub fn unknown_departments<'a>(&'a self, known: &[&str]) -> Vec<&'a str> {
        self.matters.iter().map(|m| m.department.as_str()).filter(|d| !known.contains(d)).collect()
    }
}

/// Whether a subject may sign a commitment for `matter` now: the education
/// it requires acknowledged (`acknowledged`: the material codes and
/// versions the subject has acknowledged). The error says what to read.
pub fn education_done(list: &MatterList, matter: &Matter, acknowledged: &[(String, u32)]) -> Result<(), String> {
    let Some(code) = matter.education.as_deref().filter(|_| matter.education_required) else { return Ok(()) };
    let m = list.material(code).expect("checked when read");
    if acknowledged.iter().any(|(c, v)| c == code && *v == m.version) {
        Ok(())
    } else {
        Err(format!("办理“{}”前须先阅读并确认《{}》（第 {} 版）。", matter.name, m.title, m.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bureau_s_list_reads_and_names_real_departments() {
        let list = MatterList::embedded();
        assert_eq!(list.matters.len(), 3);
        let freight = list.matter("YS-HY-01").unwrap();
        assert_eq!(freight.types, ["deferred-materials", "certificate"]);
        assert_eq!((freight.working_days, freight.education.as_deref()), (Some(20), Some("EDU-FREIGHT")));
        let org =
            crate::organisation::file::OrgFile::parse(include_str!("../../../../config/heyuan-organisation.toml"))
                .unwrap();
        let codes: Vec<&str> = org.departments.iter().map(|d| d.code.as_str()).collect();
        assert!(list.unknown_departments(&codes).is_empty(), "{:?}", list.unknown_departments(&codes));
        assert_eq!(list.unknown_departments(&["HY-KJXX"]), ["HY-DLYS"]);
    }

    #[test]
    fn bad_lists_are_refused_with_the_reason() {
        let rules = CommitmentRules::embedded();
        for (from, to, says) in [
            ("types = [\"certificate\"]", "types = [\"public\"]", "不是办理事项可用的审批型承诺"),
            ("types = [\"certificate\"]", "types = [\"nope\"]", "未知"),
            ("types = [\"certificate\"]", "types = []", "至少允许一种"),
            ("education = \"EDU-DRIVER\"", "education = \"EDU-NONE\"", "EDU-NONE 未定义"),
            ("code = \"YS-CY-02\"", "code = \"YS-HY-01\"", "重复"),
            ("working_days = 30", "working_days = 365", "working_days"),
        ] {
            let bad = EMBEDDED.replacen(from, to, 1);
            assert_ne!(bad, EMBEDDED, "{from}");
            let e = MatterList::parse(&bad, &rules).unwrap_err();
            assert!(e.contains(says), "{from}: {e}");
        }
        let no_material = EMBEDDED.replacen("education = \"EDU-DRIVER\"\n", "", 1);
        assert!(MatterList::parse(&no_material, &rules).unwrap_err().contains("未指定材料"));
    }

    #[test]
    fn education_is_required_where_the_matter_says_so() {
        let list = MatterList::embedded();
        let freight = list.matter("YS-HY-01").unwrap();
        let repair_shop = list.matter("YS-WX-03").unwrap();
        assert!(education_done(&list, freight, &[]).unwrap_err().contains("道路运输经营者诚信经营须知"));
        assert!(education_done(&list, freight, &[("EDU-FREIGHT".into(), 1)]).is_ok());
        assert!(education_done(&list, freight, &[("EDU-FREIGHT".into(), 0)]).is_err(), "an older version");
        assert!(education_done(&list, freight, &[("EDU-DRIVER".into(), 1)]).is_err());
        assert!(education_done(&list, repair_shop, &[]).is_ok(), "not required there");
    }
}
