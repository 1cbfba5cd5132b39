//! The field catalogue of the national dual-disclosure (双公示) data standard:
//! field codes, standard Chinese names, header variants seen in clerks' files,
//! whether a field is required, and the lengths seen in implementations
//! (`../shared/domain/rules-reference.md` §1; the lengths are generous defaults,
//! not official numbers).

/// Which of the two record kinds of dual disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// 行政许可
    License,
    /// 行政处罚
    Penalty,
}

impl RecordKind {
    pub const ALL: [RecordKind; 2] = [RecordKind::License, RecordKind::Penalty];

    /// Stable machine name used in URLs, the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::License => "license",
            RecordKind::Penalty => "penalty",
        }
    }
    pub fn parse(s: &str) -> Option<RecordKind> {
        match s {
            "license" | "licenses" => Some(RecordKind::License),
            "penalty" | "penalties" => Some(RecordKind::Penalty),
            _ => None,
        }
    }
    /// Chinese name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::License => "行政许可",
            RecordKind::Penalty => "行政处罚",
        }
    }
    /// The catalogue of fields, in the standard's order.
    pub fn fields(self) -> &'static [FieldDef] {
        match self {
            RecordKind::License => LICENSE_FIELDS,
            RecordKind::Penalty => PENALTY_FIELDS,
        }
    }
    pub fn field(self, code: &str) -> Option<&'static FieldDef> {
        self.fields().iter().find(|f| f.code == code)
    }
    /// The catalogue files of this kind are read with.
    pub fn catalogue(self) -> Catalogue {
        Catalogue { label: self.label(), fields: self.fields() }
    }
}

/// The columns a kind of file may have: the dual-disclosure standard's
/// catalogues, or another (credit events).
#[derive(Debug, Clone, Copy)]
pub struct Catalogue {
    /// What the file holds, in Chinese (行政处罚, 信用事件).
    pub label: &'static str,
    pub fields: &'static [FieldDef],
}

/// Whether a field must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Required,
    /// Required depending on other fields (subject kind, penalty classes).
    Conditional,
    Optional,
}

/// How a cell is normalised before parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Free text: trimmed only.
    Text,
    /// Codes and numbers: half-width, no spaces, upper case.
    Code,
    Date,
    Amount,
    /// A value from an enumeration (or a list of them).
    Enum,
}

/// The values of an enumerated field ([`FieldDef::choices`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choices {
    pub values: &'static [&'static str],
    /// Several may be given (处罚类别), joined with `；`.
    pub multiple: bool,
    /// Other values are accepted as `其他-名称`.
    pub open: bool,
}

/// One field of the standard.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    pub code: &'static str,
    pub name: &'static str,
    /// Other headers clerks use for this column.
    pub aliases: &'static [&'static str],
    pub requirement: Requirement,
    pub max_len: usize,
    pub kind: ValueKind,
}

impl FieldDef {
    /// The name people read: the standard's numbered code columns
    /// ("行政相对人代码_1（统一社会信用代码）") by what they hold
    /// ("统一社会信用代码"); every other name as the standard gives it.
    pub fn plain_name(&self) -> &'static str {
        let name = self.name;
        match (name.contains("代码_"), name.find('（'), name.strip_suffix('）')) {
            (true, Some(open), Some(inner)) => &inner[open + '（'.len_utf8()..],
            _ => name,
        }
    }

    /// The values an enumerated field takes, for a form's choices: the
    /// standard's code lists as the parsers accept them (the parsers also
    /// accept synonyms, and `其他-…` where `open`).
    pub fn choices(&self) -> Option<Choices> {
        let code = self.code;
        let (values, multiple, open): (&'static [&'static str], bool, bool) = if code.ends_with("_XDR_LB") {
            (&["法人及非法人组织", "自然人", "个体工商户"], false, false)
        } else if code.ends_with("_ZJLX") {
            (
                &["身份证", "护照号", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "外国人永久居留身份证"],
                false,
                true,
            )
        } else if code == "CF_CFLB" {
            (crate::records::record::PENALTY_CLASS_NAMES, true, true)
        } else if code == "XK_XKLB" {
            (&["普通", "特许", "认可", "核准", "登记"], false, true)
        } else if code == "XK_ZT" {
            (&["有效", "无效"], false, false)
        } else if code == "CF_SXCD" {
            (&["轻微", "一般", "严重"], false, false)
        } else {
            return None;
        };
        Some(Choices { values, multiple, open })
    }

    /// Personal data that public pages mask whole (ID numbers of natural
    /// persons and legal representatives): `rules/personal-data.toml`.
    pub fn is_personal(&self) -> bool {
        crate::records::personal::PersonalDataRules::embedded().is_personal(self.code)
    }
}

/// A field definition (for the catalogues here and in other modules).
pub(crate) const fn f(
    code: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
    requirement: Requirement,
    max_len: usize,
    kind: ValueKind,
) -> FieldDef {
    FieldDef { code, name, aliases, requirement, max_len, kind }
}

use Requirement::{Conditional as C, Optional as O, Required as R};
use ValueKind::{Amount, Code, Date, Enum, Text};

/// 行政处罚 fields (`CF_`).
pub static PENALTY_FIELDS: &[FieldDef] = &[
    f("CF_XDR_MC", "行政相对人名称", &["相对人名称", "当事人名称", "被处罚人名称"], R, 200, Text),
    f("CF_XDR_LB", "行政相对人类别", &["相对人类别", "主体类别"], R, 100, Enum),
    f("CF_XDR_SHXYM", "行政相对人代码_1（统一社会信用代码）", &["统一社会信用代码", "代码_1"], C, 18, Code),
    f("CF_XDR_GSZC", "行政相对人代码_2（工商注册号）", &["工商注册号", "代码_2"], O, 50, Code),
    f("CF_XDR_ZZJG", "行政相对人代码_3（组织机构代码）", &["组织机构代码", "代码_3"], O, 10, Code),
    f("CF_XDR_SWDJ", "行政相对人代码_4（税务登记号）", &["税务登记号", "代码_4"], O, 15, Code),
    f("CF_XDR_SYDW", "行政相对人代码_5（事业单位证书号）", &["事业单位证书号", "代码_5"], O, 12, Code),
    f("CF_XDR_SHZZ", "行政相对人代码_6（社会组织登记证号）", &["社会组织登记证号", "代码_6"], O, 50, Code),
    f("CF_FRDB", "法定代表人", &["法定代表人姓名", "法定代表人（负责人）"], C, 50, Text),
    f("CF_FR_ZJLX", "法定代表人证件类型", &[], O, 64, Enum),
    f("CF_FR_ZJHM", "法定代表人证件号码", &[], O, 64, Code),
    f("CF_XDR_ZJLX", "证件类型", &["行政相对人证件类型"], C, 64, Enum),
    f("CF_XDR_ZJHM", "证件号码", &["行政相对人证件号码", "身份证号码"], C, 64, Code),
    f("CF_WSH", "行政处罚决定书文号", &["处罚决定书文号", "决定书文号", "文书号"], R, 128, Text),
    f("CF_WFXW", "违法行为类型", &[], R, 2000, Text),
    f("CF_SY", "违法事实", &["主要违法事实"], R, 2000, Text),
    f("CF_YJ", "处罚依据", &[], R, 2048, Text),
    f("CF_CFLB", "处罚类别", &[], R, 255, Enum),
    f("CF_NR", "处罚内容", &[], R, 4000, Text),
    f("CF_NR_FK", "罚款金额（万元）", &["罚款金额"], C, 32, Amount),
    f(
        "CF_NR_WFFF",
        "没收违法所得、没收非法财物的金额（万元）",
        &["没收违法所得、没收非法财物的金额", "没收金额"],
        C,
        32,
        Amount,
    ),
    f("CF_NR_ZKDX", "暂扣或吊销证照名称及编号", &[], C, 200, Text),
    f("CF_JDRQ", "处罚决定日期", &["决定日期", "作出处罚决定日期"], R, 32, Date),
    f("CF_YXQ", "处罚有效期", &[], R, 32, Date),
    f("CF_GSJZQ", "公示截止期", &[], O, 32, Date),
    f("CF_CFJG", "处罚机关", &[], R, 200, Text),
    f("CF_CFJGDM", "处罚机关统一社会信用代码", &["处罚机关代码"], R, 18, Code),
    f("CF_SJLY", "数据来源单位", &["数据来源"], R, 200, Text),
    f("CF_SJLYDM", "数据来源单位统一社会信用代码", &["数据来源单位代码"], R, 18, Code),
    // Not in the national standard: the authority's class of the dishonesty
    // (轻微 / 一般 / 严重), which fixes the disclosure window (rules/disclosure.toml).
    f("CF_SXCD", "失信程度", &["失信严重程度", "失信行为严重程度"], O, 8, Enum),
    // Not in the national standard either: the credit-evaluation item a
    // penalty counts as, when the department names it (rules/evaluation/);
    // otherwise each scheme maps the penalty by its own rules.
    f("CF_PJSX", "评价事项代码", &["评价事项"], O, 32, Code),
    f("BZ", "备注", &[], O, 512, Text),
];

/// 行政许可 fields (`XK_`).
pub static LICENSE_FIELDS: &[FieldDef] = &[
    f("XK_XDR_MC", "行政相对人名称", &["相对人名称", "被许可人名称"], R, 200, Text),
    f("XK_XDR_LB", "行政相对人类别", &["相对人类别", "主体类别"], R, 100, Enum),
    f("XK_XDR_SHXYM", "行政相对人代码_1（统一社会信用代码）", &["统一社会信用代码", "代码_1"], C, 18, Code),
    f("XK_XDR_GSZC", "行政相对人代码_2（工商注册号）", &["工商注册号", "代码_2"], O, 50, Code),
    f("XK_XDR_ZZJG", "行政相对人代码_3（组织机构代码）", &["组织机构代码", "代码_3"], O, 10, Code),
    f("XK_XDR_SWDJ", "行政相对人代码_4（税务登记号）", &["税务登记号", "代码_4"], O, 15, Code),
    f("XK_XDR_SYDW", "行政相对人代码_5（事业单位证书号）", &["事业单位证书号", "代码_5"], O, 12, Code),
    f("XK_XDR_SHZZ", "行政相对人代码_6（社会组织登记证号）", &["社会组织登记证号", "代码_6"], O, 50, Code),
    f("XK_FRDB", "法定代表人", &["法定代表人姓名", "法定代表人（负责人）"], C, 50, Text),
    f("XK_FR_ZJLX", "法定代表人证件类型", &[], O, 64, Enum),
    f("XK_FR_ZJHM", "法定代表人证件号码", &[], O, 64, Code),
    f("XK_XDR_ZJLX", "证件类型", &["行政相对人证件类型"], C, 64, Enum),
    f("XK_XDR_ZJHM", "证件号码", &["行政相对人证件号码", "身份证号码"], C, 64, Code),
    f("XK_XKWS", "行政许可决定文书名称", &["许可决定文书名称"], R, 256, Text),
    f("XK_WSH", "行政许可决定文书号", &["许可决定文书号", "文书号"], C, 128, Text),
    f("XK_XKLB", "许可类别", &[], R, 64, Enum),
    f("XK_XKZS", "许可证书名称", &[], O, 128, Text),
    f("XK_XKBH", "许可编号", &["许可证编号", "证书编号"], O, 128, Text),
    f("XK_NR", "许可内容", &[], R, 4000, Text),
    f("XK_JDRQ", "许可决定日期", &["决定日期"], R, 32, Date),
    f("XK_YXQZ", "有效期自", &[], R, 32, Date),
    f("XK_YXQZI", "有效期至", &[], R, 32, Date),
    f("XK_XKJG", "许可机关", &[], R, 200, Text),
    f("XK_XKJGDM", "许可机关统一社会信用代码", &["许可机关代码"], R, 18, Code),
    f("XK_ZT", "当前状态", &["状态"], R, 16, Enum),
    f("XK_LYDW", "数据来源单位", &["数据来源"], R, 200, Text),
    f("XK_LYDWDM", "数据来源单位统一社会信用代码", &["数据来源单位代码"], R, 18, Code),
    f("BZ", "备注", &[], O, 512, Text),
];

/// Finds the field a spreadsheet header names: by field code, by the standard's
/// Chinese name or an alias, with or without the `代码_N` prefix or the unit in
/// brackets, full- or half-width.
pub fn match_header(kind: RecordKind, header: &str) -> Option<&'static FieldDef> {
    match_header_in(kind.fields(), header)
}

/// [`match_header`] in any catalogue.
pub fn match_header_in(fields: &'static [FieldDef], header: &str) -> Option<&'static FieldDef> {
    let wanted = header_variants(header);
    // A code match wins outright.
    let h = crate::records::text::normalize_header(header);
    if let Some(def) = fields.iter().find(|d| d.code == h) {
        return Some(def);
    }
    let mut found: Option<&'static FieldDef> = None;
    for def in fields {
        let keys = std::iter::once(def.name).chain(def.aliases.iter().copied());
        let hit = keys.flat_map(header_variants).any(|k| wanted.contains(&k));
        if hit {
            if found.is_some() {
                return None; // ambiguous
            }
            found = Some(def);
        }
    }
    found
}

/// The forms a header may take: as written, without a bracketed part, the
/// bracketed part alone, and without the `行政相对人` prefix.
fn header_variants(raw: &str) -> Vec<String> {
    let h = crate::records::text::normalize_header(raw);
    let mut out = vec![h.clone()];
    if let (Some(open), true) = (h.find('('), h.ends_with(')')) {
        let outer = h[..open].to_string();
        let inner = h[open + 1..h.len() - 1].to_string();
        if !inner.is_empty() && inner != "万元" && inner != "元" && inner != "负责人" {
            out.push(inner);
        }
        out.push(outer);
    }
    for v in out.clone() {
        if let Some(rest) = v.strip_prefix("行政相对人")
            && !rest.is_empty()
        {
            out.push(rest.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_per_kind() {
        for kind in RecordKind::ALL {
            let mut codes: Vec<_> = kind.fields().iter().map(|f| f.code).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), kind.fields().len());
        }
        assert_eq!(PENALTY_FIELDS.len(), 32, "the standard's 30, 失信程度 and 评价事项代码");
        assert_eq!(LICENSE_FIELDS.len(), 28);
    }

    #[test]
    fn every_field_matches_its_own_code_and_name() {
        for kind in RecordKind::ALL {
            for def in kind.fields() {
                assert_eq!(match_header(kind, def.code).map(|d| d.code), Some(def.code));
                assert_eq!(match_header(kind, def.name).map(|d| d.code), Some(def.code), "{}", def.name);
                for alias in def.aliases {
                    assert_eq!(match_header(kind, alias).map(|d| d.code), Some(def.code), "{alias}");
                }
            }
        }
    }

    #[test]
    fn header_variants_match() {
        let p = RecordKind::Penalty;
        let code = |h: &str| match_header(p, h).map(|d| d.code);
        assert_eq!(code("cf_xdr_mc"), Some("CF_XDR_MC"));
        assert_eq!(code("罚款金额(万元)"), Some("CF_NR_FK"));
        assert_eq!(code("罚款金额（万元）"), Some("CF_NR_FK"));
        assert_eq!(code("罚款金额"), Some("CF_NR_FK"));
        assert_eq!(code("统一社会信用代码"), Some("CF_XDR_SHXYM"));
        assert_eq!(code("代码_1(统一社会信用代码)"), Some("CF_XDR_SHXYM"));
        assert_eq!(code("行政相对人代码_1"), Some("CF_XDR_SHXYM"));
        assert_eq!(code(" 处罚决定日期 "), Some("CF_JDRQ"));
        assert_eq!(code("法定代表人证件号码"), Some("CF_FR_ZJHM"));
        assert_eq!(code("证件号码"), Some("CF_XDR_ZJHM"));
        assert_eq!(code("行政相对人证件号码"), Some("CF_XDR_ZJHM"));
        assert_eq!(code("不存在的列"), None);
        assert_eq!(match_header(RecordKind::License, "有效期至").map(|d| d.code), Some("XK_YXQZI"));
        assert_eq!(match_header(RecordKind::License, "有效期自").map(|d| d.code), Some("XK_YXQZ"));
    }

    #[test]
    fn numbered_code_columns_read_by_what_they_hold() {
        let name = |code: &str| RecordKind::Penalty.fields().iter().find(|d| d.code == code).unwrap().plain_name();
        assert_eq!(name("CF_XDR_SHXYM"), "统一社会信用代码");
        assert_eq!(name("CF_WSH"), "行政处罚决定书文号");
        for kind in [RecordKind::Penalty, RecordKind::License] {
            for d in kind.fields() {
                assert!(!d.plain_name().is_empty() && !d.plain_name().contains("代码_"), "{}", d.code);
            }
        }
    }
}
