//! Inspector roster files (执法检查人员名录库): one row per inspector, read
//! like the record files (CSV in UTF-8 or GBK, XLSX; the Chinese names below
//! or the field codes as headers) and checked row by row.

use crate::Diagnostic;
use crate::records::fields::{Catalogue, FieldDef, Requirement, ValueKind, f};
use crate::records::record::FieldValues;

/// The columns of a roster file. The field codes (`ZF_…`) are this
/// platform's own: no national standard names them.
pub static ROSTER_FIELDS: &[FieldDef] = &[
    f("ZF_ZH", "执法证号", &["执法证件号", "证件号"], R, 32, ValueKind::Code),
    f("ZF_XM", "姓名", &["执法人员姓名"], R, 50, ValueKind::Text),
    f("ZF_BMDM", "部门编码", &["部门代码", "所属部门编码"], R, 32, ValueKind::Code),
    f("ZF_ZT", "状态", &["在岗状态"], R, 8, ValueKind::Text),
    f("BZ", "备注", &[], O, 512, ValueKind::Text),
];

use Requirement::{Optional as O, Required as R};

/// The catalogue roster files are read with.
pub const CATALOGUE: Catalogue = Catalogue { label: "执法检查人员名录", fields: ROSTER_FIELDS };

/// The texts a 状态 cell may hold, and whether each means active.
pub const STATUSES: [(&str, bool); 6] =
    [("在岗", true), ("有效", true), ("active", true), ("离岗", false), ("停用", false), ("inactive", false)];

/// A valid row of a roster file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub certificate: String,
    pub name: String,
    pub department: String,
    pub active: bool,
}

/// Checks a row: every required field there, within its length; a
/// certificate number of letters, digits and hyphens; a department among
/// `departments` (their codes); a status of [`STATUSES`].
pub fn parse_roster_row(values: &FieldValues, departments: &[String]) -> Result<RosterRow, Vec<Diagnostic>> {
    let get = |k: &str| values.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut diags = Vec::new();
    for def in ROSTER_FIELDS {
        let v = get(def.code);
        if v.is_empty() && def.requirement == R {
            diags.push(Diagnostic::new(def.code, "field.required", format!("「{}」不能为空", def.name)));
        } else if v.chars().count() > def.max_len {
            diags.push(Diagnostic::new(
                def.code,
                "field.too_long",
                format!("「{}」超过 {} 个字符", def.name, def.max_len),
            ));
        }
    }
    let certificate = get("ZF_ZH");
    if !certificate.is_empty() && !certificate.chars().all(|c| c.is_alphanumeric() || c == '-') {
        diags.push(Diagnostic::new(
            "ZF_ZH",
            "certificate.format",
            format!("「执法证号」{certificate} 只能由文字、字母、数字和连字符组成"),
        ));
    }
    let department = get("ZF_BMDM");
    if !department.is_empty() && !departments.contains(&department) {
        diags.push(Diagnostic::new(
            "ZF_BMDM",
            "department.unknown",
            format!("「部门编码」{department} 不是本平台的部门（可用：{}）", departments.join("、")),
        ));
    }
    let status = get("ZF_ZT");
    let active = STATUSES.iter().find(|(s, _)| *s == status).map(|(_, a)| *a);
    if !status.is_empty() && active.is_none() {
        let allowed: Vec<&str> = STATUSES.iter().map(|(s, _)| *s).collect();
        diags.push(Diagnostic::new(
            "ZF_ZT",
            "status.unknown",
            format!("「状态」应为 {} 之一（收到 {status}）", allowed.join("、")),
        ));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(RosterRow { certificate, name: get("ZF_XM"), department, active: active.unwrap_or(false) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[(&'static str, &str)]) -> FieldValues {
        cells.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn rows_and_their_problems() {
        let depts = vec!["HY-WZCL".to_string()];
        let ok = parse_roster_row(
            &row(&[("ZF_ZH", "粤交执-0001"), ("ZF_XM", "李执法"), ("ZF_BMDM", "HY-WZCL"), ("ZF_ZT", "在岗")]),
            &depts,
        );
        assert_eq!(
            ok.unwrap(),
            RosterRow {
                certificate: "粤交执-0001".into(),
                name: "李执法".into(),
                department: "HY-WZCL".into(),
                active: true
            }
        );
        let off = parse_roster_row(
            &row(&[("ZF_ZH", "A1"), ("ZF_XM", "王"), ("ZF_BMDM", "HY-WZCL"), ("ZF_ZT", "离岗")]),
            &depts,
        );
        assert!(!off.unwrap().active);
        let bad = parse_roster_row(&row(&[("ZF_ZH", "A 1"), ("ZF_BMDM", "X"), ("ZF_ZT", "休假")]), &depts).unwrap_err();
        let codes: Vec<&str> = bad.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["field.required", "certificate.format", "department.unknown", "status.unknown"]);
        assert!(bad[2].message.contains("HY-WZCL"), "names the departments there are");
        let long = "长".repeat(51);
        let too_long = parse_roster_row(
            &row(&[("ZF_ZH", "A1"), ("ZF_XM", &long), ("ZF_BMDM", "HY-WZCL"), ("ZF_ZT", "在岗")]),
            &depts,
        );
        assert_eq!(too_long.unwrap_err()[0].code, "field.too_long");
    }
}
