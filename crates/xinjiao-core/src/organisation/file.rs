//! The organisation file (`config/heyuan-organisation.toml` format): divisions
//! and departments, validated before anything is stored.

/// A division of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDivision {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    /// Decision-authority codes (USCCs) every department of the division may
    /// submit records under.
    pub authority_codes: Vec<String>,
}

/// A department of the file; `kind` is `section`, `unit` or `bureau`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDepartment {
    pub code: String,
    pub division: String,
    pub name: String,
    pub kind: String,
    /// Decision-authority codes (USCCs) this department may submit records
    /// under, besides its division's.
    pub authority_codes: Vec<String>,
}

/// A parsed, validated organisation file (entries in file order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFile {
    pub divisions: Vec<OrgDivision>,
    pub departments: Vec<OrgDepartment>,
}

pub const DEPARTMENT_KINDS: [&str; 3] = ["section", "unit", "bureau"];

impl OrgFile {
    /// Parses and validates: codes unique, every department in a listed
    /// division, every parent listed, kinds known, names present.
    pub fn parse(text: &str) -> Result<OrgFile, String> {
        let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let list = |key: &str| -> Vec<toml::Table> {
            t.get(key)
                .and_then(toml::Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_table().cloned()).collect())
                .unwrap_or_default()
        };
        let field = |tab: &toml::Table, what: &str, i: usize, k: &str| -> Result<String, String> {
            tab.get(k)
                .and_then(toml::Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .ok_or_else(|| format!("第 {} 个 [[{what}]] 缺少 {k}", i + 1))
        };
        // `authority_codes = ["…", …]`: valid USCCs, each listed once in the file.
        let mut all_codes = std::collections::HashSet::new();
        let mut codes = |tab: &toml::Table, what: &str, i: usize| -> Result<Vec<String>, String> {
            let Some(v) = tab.get("authority_codes") else { return Ok(vec![]) };
            let list =
                v.as_array().ok_or_else(|| format!("第 {} 个 [[{what}]] 的 authority_codes 应为代码列表", i + 1))?;
            let mut out = Vec::new();
            for c in list {
                let text = c.as_str().unwrap_or("");
                let code = crate::records::ids::Uscc::parse(text)
                    .map_err(|e| format!("第 {} 个 [[{what}]] 的决定机关代码「{text}」无效（{e:?}）", i + 1))?;
                if !all_codes.insert(code.as_str().to_string()) {
                    return Err(format!("决定机关代码 {} 在文件中重复登记", code.as_str()));
                }
                out.push(code.as_str().to_string());
            }
            Ok(out)
        };
        let mut divisions = Vec::new();
        for (i, d) in list("division").iter().enumerate() {
            divisions.push(OrgDivision {
                code: field(d, "division", i, "code")?,
                name: field(d, "division", i, "name")?,
                parent: d.get("parent").and_then(toml::Value::as_str).map(String::from),
                authority_codes: codes(d, "division", i)?,
            });
        }
        let mut departments = Vec::new();
        for (i, d) in list("department").iter().enumerate() {
            departments.push(OrgDepartment {
                code: field(d, "department", i, "code")?,
                division: field(d, "department", i, "division")?,
                name: field(d, "department", i, "name")?,
                kind: field(d, "department", i, "kind")?,
                authority_codes: codes(d, "department", i)?,
            });
        }
        if divisions.is_empty() {
            return Err("文件中没有 [[division]]".into());
        }
        let mut seen = std::collections::HashSet::new();
        for d in &divisions {
            if !seen.insert(d.code.as_str()) {
                return Err(format!("行政区划代码 {} 重复", d.code));
            }
        }
        for d in &divisions {
            if let Some(p) = &d.parent
                && !seen.contains(p.as_str())
            {
                return Err(format!("{}（{}）的上级区划 {p} 未列出", d.name, d.code));
            }
        }
        let mut dept_codes = std::collections::HashSet::new();
        for d in &departments {
            if !dept_codes.insert(d.code.as_str()) {
                return Err(format!("部门编码 {} 重复", d.code));
            }
            if !seen.contains(d.division.as_str()) {
                return Err(format!("部门 {}（{}）所属区划 {} 未列出", d.name, d.code, d.division));
            }
            if !DEPARTMENT_KINDS.contains(&d.kind.as_str()) {
                return Err(format!(
                    "部门 {}（{}）的 kind 应为 section、unit 或 bureau，而不是 {}",
                    d.name, d.code, d.kind
                ));
            }
        }
        Ok(OrgFile { divisions, departments })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heyuan_file_is_valid() {
        let f = OrgFile::parse(include_str!("../../../../config/heyuan-organisation.toml")).unwrap();
        assert_eq!(f.divisions.len(), 7);
        let names: Vec<&str> = f.departments.iter().map(|d| d.name.as_str()).collect();
        for n in ["政策法规科", "科技信息（行政审批）科", "违章处理科", "市交通运输综合事务中心", "龙川县交通运输局"]
        {
            assert!(names.contains(&n), "{n}");
        }
    }

    #[test]
    fn broken_files_say_what_is_wrong() {
        let div = "[[division]]\ncode = \"441600\"\nname = \"河源市\"\n";
        let dept = |division: &str, kind: &str| {
            format!("[[department]]\ncode = \"A\"\ndivision = \"{division}\"\nname = \"甲科\"\nkind = \"{kind}\"\n")
        };
        assert!(OrgFile::parse(&format!("{div}{}", dept("441600", "section"))).is_ok());
        assert!(OrgFile::parse(&format!("{div}{}", dept("441699", "section"))).unwrap_err().contains("441699"));
        assert!(OrgFile::parse(&format!("{div}{}", dept("441600", "office"))).unwrap_err().contains("office"));
        assert!(OrgFile::parse(&format!("{div}{div}")).unwrap_err().contains("重复"));
        assert!(OrgFile::parse("[[division]]\ncode = \"1\"\n").unwrap_err().contains("name"));
        assert!(OrgFile::parse("").is_err());
        let with_codes =
            |c: &str| format!("[[division]]\ncode = \"441600\"\nname = \"河源市\"\nauthority_codes = [{c}]\n");
        let f = OrgFile::parse(&with_codes("\"91350100M000100Y43\"")).unwrap();
        assert_eq!(f.divisions[0].authority_codes, ["91350100M000100Y43"]);
        assert!(OrgFile::parse(&with_codes("\"91350100M000100Y44\"")).unwrap_err().contains("无效"));
        let twice = with_codes("\"91350100M000100Y43\", \"91350100M000100Y43\"");
        assert!(OrgFile::parse(&twice).unwrap_err().contains("重复"));
    }
}
