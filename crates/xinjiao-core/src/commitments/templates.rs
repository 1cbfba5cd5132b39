//! Commitment templates (`rules/commitment-templates.toml`): one text per
//! commitment type and version, with placeholders in braces. Rendering
//! fills every placeholder or fails; a template naming a placeholder not in
//! [`PLACEHOLDERS`] is refused when the file is read, not when a subject
//! signs.

use std::collections::BTreeMap;

use super::CommitmentRules;

/// The embedded default template file.
pub const EMBEDDED: &str = include_str!("../../../../rules/commitment-templates.toml");

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 8] =
    ["subject_name", "subject_code", "matter", "replaces", "obligation", "due", "consequences", "date"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The commitment type's code.
    pub kind: String,
    pub version: u32,
    pub title: String,
    pub text: String,
}

/// The placeholders named in `text`, in order, or the first malformed one.
fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("有未闭合的 {")?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!("未知的占位符 {{{name}}}"));
        }
        out.push(name);
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err("有多余的 }".into());
    }
    Ok(out)
}

impl Template {
    /// The text with every placeholder filled from `values`; the error
    /// names a placeholder without a value.
    pub fn render(&self, values: &BTreeMap<&str, String>) -> Result<String, String> {
        let mut out = String::with_capacity(self.text.len() + 256);
        let mut rest = self.text.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').expect("checked when read");
            let name = &after[..close];
            out.push_str(values.get(name).ok_or_else(|| format!("承诺书缺少 {name} 的值"))?);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(out.trim().to_string())
    }
}

/// Every template, checked against the commitment types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub version: i64,
    pub templates: Vec<Template>,
}

impl Templates {
    pub fn embedded() -> Templates {
        Templates::shipped().clone()
    }

    /// The embedded templates, parsed once.
    pub fn shipped() -> &'static Templates {
        static SHIPPED: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(|| {
            Templates::parse(EMBEDDED, CommitmentRules::shipped()).expect("embedded templates are valid")
        })
    }

    /// Reads the file; every type of `rules` must have a template, every
    /// (type, version) at most one; the error names the first problem.
    pub fn parse(src: &str, rules: &CommitmentRules) -> Result<Templates, String> {
        let t: toml::Table = src.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
        let version = t.get("version").and_then(toml::Value::as_integer).ok_or("缺少 version")?;
        let mut templates: Vec<Template> = Vec::new();
        for (i, v) in t.get("template").and_then(toml::Value::as_array).ok_or("缺少 [[template]]")?.iter().enumerate()
        {
            let at = format!("第 {} 个 [[template]] ", i + 1);
            let x = v.as_table().ok_or(format!("{at}不是表"))?;
            let get =
                |k: &str| x.get(k).and_then(toml::Value::as_str).map(str::to_string).ok_or(format!("{at}缺少 {k}"));
            let kind = get("type")?;
            if rules.type_of(&kind).is_none() {
                return Err(format!("{at}的 type {kind} 不是承诺类型"));
            }
            let version = super::version(x, &at)?;
            if templates.iter().any(|t| t.kind == kind && t.version == version) {
                return Err(format!("{at}：{kind} 第 {version} 版重复"));
            }
            let text = super::text(x, "text", &at)?;
            placeholders(&text).map_err(|e| format!("{at}：{e}"))?;
            templates.push(Template { kind, version, title: super::text(x, "title", &at)?, text });
        }
        if let Some(missing) = rules.types.iter().find(|ty| !templates.iter().any(|t| t.kind == ty.code)) {
            return Err(format!("承诺类型 {} 没有承诺书模板", missing.code));
        }
        Ok(Templates { version, templates })
    }

    /// The newest version for a type.
    pub fn current(&self, kind: &str) -> Option<&Template> {
        self.templates.iter().filter(|t| t.kind == kind).max_by_key(|t| t.version)
    }

    /// The current template of `ty` rendered for a signer (its name and
    /// code) and, for approval-stage types, the matter, dated `day`: the
    /// template, and the text or the placeholder problem.
    pub fn render_for(
        &self,
        ty: &super::CommitmentType,
        matter: Option<&super::matters::Matter>,
        signer: (&str, &str),
        day: jiff::civil::Date,
    ) -> Result<(&Template, String), String> {
        let tpl = self.current(&ty.code).ok_or_else(|| format!("承诺类型 {} 没有承诺书模板", ty.code))?;
        let days = matter.and_then(|m| m.working_days).or(ty.working_days);
        let values: BTreeMap<&str, String> = [
            ("subject_name", signer.0.to_string()),
            ("subject_code", signer.1.to_string()),
            ("matter", matter.map(|m| m.name.clone()).unwrap_or_default()),
            ("replaces", matter.map(|m| m.replaces.clone()).unwrap_or_default()),
            ("obligation", ty.obligation.clone().unwrap_or_default()),
            ("due", days.map(|d| format!("事项办结后第 {d} 个工作日")).unwrap_or_default()),
            (
                "consequences",
                matter
                    .map(|m| m.consequences.clone())
                    .or_else(|| ty.consequences.clone())
                    .unwrap_or_else(|| "违背承诺的，记入信用记录。".into()),
            ),
            ("date", day.to_string()),
        ]
        .into_iter()
        .collect();
        Ok((tpl, tpl.render(&values)?))
    }

    /// A given version (what a signed commitment was signed on).
    pub fn version_of(&self, kind: &str, version: u32) -> Option<&Template> {
        self.templates.iter().find(|t| t.kind == kind && t.version == version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_template_that_renders() {
        let t = Templates::embedded();
        let rules = CommitmentRules::embedded();
        let values: BTreeMap<&str, String> = PLACEHOLDERS.iter().map(|p| (*p, format!("<{p}>"))).collect();
        for ty in &rules.types {
            let tpl = t.current(&ty.code).unwrap();
            let text = tpl.render(&values).unwrap();
            assert!(!text.contains('{') && text.contains("<subject_name>"), "{}", ty.code);
        }
        let deferred = t.version_of("deferred-materials", 1).unwrap();
        let text = deferred.render(&values).unwrap();
        assert!(text.contains("<due> 前补齐") && text.contains("<consequences>"), "{text}");
        let mut short = values.clone();
        short.remove("due");
        assert!(deferred.render(&short).unwrap_err().contains("due"));
    }

    #[test]
    fn bad_templates_are_refused_when_read() {
        let rules = CommitmentRules::embedded();
        for (from, to, says) in [
            // (The file's header names the placeholders too: aim at a template's text.)
            ("“{matter}”", "“{mater}”", "未知的占位符 {mater}"),
            ("“{matter}”", "“{matter”", "未知的占位符"),
            ("type = \"public\"", "type = \"publik\"", "不是承诺类型"),
            ("type = \"repair\"", "type = \"public\"", "重复"),
        ] {
            let bad = EMBEDDED.replacen(from, to, 1);
            assert_ne!(bad, EMBEDDED, "{from}");
            let e = Templates::parse(&bad, &rules).unwrap_err();
            assert!(e.contains(says), "{from}: {e}");
        }
        let without_repair = EMBEDDED.split("[[template]]\ntype = \"repair\"").next().unwrap();
        assert!(Templates::parse(without_repair, &rules).unwrap_err().contains("repair 没有承诺书模板"));
        assert_eq!(placeholders("a {due} b {date}"), Ok(vec!["due", "date"]));
        assert!(placeholders("a } b").is_err());
    }
}
