//! An industry association's file of its members' self-regulation
//! commitments (行业自律型, issue 17): one row per member that signed the
//! association's commitment, read like the platform's other files and
//! checked row by row.

use jiff::civil::Date;

use crate::Diagnostic;
use crate::lists::overload::Row;
use crate::records::fields::{Catalogue, FieldDef, Requirement, ValueKind, f};
use crate::records::record::FieldValues;

/// The columns of a member file (`HY_…`, this platform's own codes).
pub static MEMBER_FIELDS: &[FieldDef] = &[
    f(
        "HY_QYDM",
        "会员统一社会信用代码",
        &["统一社会信用代码", "企业代码", "会员代码"],
        Requirement::Required,
        18,
        ValueKind::Code,
    ),
    f("HY_QYMC", "会员名称", &["企业名称", "名称", "会员单位"], Requirement::Required, 200, ValueKind::Text),
    f("HY_QSRQ", "签署日期", &["承诺日期", "日期"], Requirement::Required, 32, ValueKind::Date),
];

/// The catalogue member files are read with.
pub const MEMBER_CATALOGUE: Catalogue = Catalogue { label: "行业协会会员信用承诺", fields: MEMBER_FIELDS };

/// A member that signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Its USCC (check digit verified).
    pub code: String,
    pub name: String,
    pub signed_on: Date,
}

/// Checks a member row as of `today`: the USCC with its check digit, a
/// name, the day signed not after today.
pub fn parse_member_row(values: &FieldValues, today: Date) -> Result<MemberRow, Vec<Diagnostic>> {
    let mut row = Row { values, fields: MEMBER_FIELDS, diags: Vec::new() };
    row.lengths();
    let code = row.enterprise("HY_QYDM");
    let signed_on = row.date_not_after("HY_QSRQ", today);
    let name = row.get("HY_QYMC");
    match (code, signed_on) {
        (Some(code), Some(signed_on)) if row.diags.is_empty() => Ok(MemberRow { code, name, signed_on }),
        _ => Err(row.diags),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(code: &str, name: &str, day: &str) -> FieldValues {
        [("HY_QYDM", code.to_string()), ("HY_QYMC", name.to_string()), ("HY_QSRQ", day.to_string())]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    #[test]
    fn member_rows_name_their_problems() {
        let today: Date = "2026-12-01".parse().unwrap();
        let ok =
            parse_member_row(&values("91350100M000100Y43", "河源市顺达运输有限公司", "2026-11-30"), today).unwrap();
        assert_eq!((ok.code.as_str(), ok.signed_on.to_string().as_str()), ("91350100M000100Y43", "2026-11-30"));
        for (v, field, code, says) in [
            (
                values("91350100M000100Y44", "甲", "2026-11-30"),
                "HY_QYDM",
                "uscc.check_digit",
                "「会员统一社会信用代码」",
            ),
            (values("123", "甲", "2026-11-30"), "HY_QYDM", "uscc.format", "不是有效的统一社会信用代码"),
            (
                values("91350100M000100Y43", "甲", "2026-12-02"),
                "HY_QSRQ",
                "date.future",
                "「签署日期」2026-12-02 晚于今天",
            ),
            (values("91350100M000100Y43", "甲", "上周"), "HY_QSRQ", "date.format", "无法识别"),
            (values("91350100M000100Y43", "", "2026-11-30"), "HY_QYMC", "field.required", "「会员名称」不能为空"),
            (values("", "甲", "2026-11-30"), "HY_QYDM", "field.required", "不能为空"),
        ] {
            let e = parse_member_row(&v, today).unwrap_err();
            assert!(e.iter().any(|d| d.field == field && d.code == code && d.message.contains(says)), "{e:?}");
        }
    }
}
