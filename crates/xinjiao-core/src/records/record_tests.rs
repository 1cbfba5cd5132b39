//! One test per validation rule, each starting from a valid row and breaking one thing.

use super::*;
use crate::records::diag::CODES;

fn ctx() -> ParseContext {
    ParseContext { today: Date::new(2026, 11, 27).unwrap() }
}

pub(crate) fn valid_penalty() -> FieldValues {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("CF_XDR_MC", "河源市顺达运输有限公司"),
        ("CF_XDR_LB", "法人及非法人组织"),
        ("CF_XDR_SHXYM", "91350100M000100Y43"),
        ("CF_FRDB", "张三"),
        ("CF_WSH", "河交罚〔2024〕12号"),
        ("CF_WFXW", "超限运输"),
        ("CF_SY", "车辆超限运输，超限率25%"),
        ("CF_YJ", "《公路安全保护条例》第六十四条"),
        ("CF_CFLB", "罚款"),
        ("CF_NR", "罚款2000元"),
        ("CF_NR_FK", "0.2"),
        ("CF_JDRQ", "2024-05-28"),
        ("CF_YXQ", "2024-06-04"),
        ("CF_CFJG", "河源市交通运输局"),
        ("CF_CFJGDM", "11230500001755309F"),
        ("CF_SJLY", "河源市交通运输局"),
        ("CF_SJLYDM", "11230500001755309F"),
    ] {
        m.insert(k, v.to_string());
    }
    m
}

fn valid_license() -> FieldValues {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("XK_XDR_MC", "河源市顺达运输有限公司"),
        ("XK_XDR_LB", "法人及非法人组织"),
        ("XK_XDR_SHXYM", "91350100M000100Y43"),
        ("XK_XKWS", "道路运输经营许可决定书"),
        ("XK_WSH", "河交运许〔2024〕8号"),
        ("XK_XKLB", "普通"),
        ("XK_XKZS", "道路运输经营许可证"),
        ("XK_XKBH", "粤交运管许可河字441600000123号"),
        ("XK_NR", "道路普通货物运输"),
        ("XK_JDRQ", "2024/5/28"),
        ("XK_YXQZ", "2024年5月28日"),
        ("XK_YXQZI", "2028.05.27"),
        ("XK_XKJG", "河源市交通运输局"),
        ("XK_XKJGDM", "11230500001755309F"),
        ("XK_ZT", "1"),
        ("XK_LYDW", "河源市交通运输局"),
        ("XK_LYDWDM", "11230500001755309F"),
    ] {
        m.insert(k, v.to_string());
    }
    m
}

/// Parses `row` and returns the (field, code) pairs of its diagnostics.
fn check(kind: RecordKind, row: &FieldValues) -> Vec<(&'static str, &'static str)> {
    match parse_record(kind, row, &ctx()) {
        Ok(_) => vec![],
        Err(diags) => {
            for d in &diags {
                assert!(CODES.iter().any(|(c, _)| *c == d.code), "undocumented code {}", d.code);
                assert!(!d.message.is_empty());
                assert!(d.field.is_empty() || kind.field(d.field).is_some(), "unknown field {}", d.field);
            }
            diags.iter().map(|d| (d.field, d.code)).collect()
        }
    }
}

fn penalty_with(changes: &[(&'static str, &str)]) -> Vec<(&'static str, &'static str)> {
    let mut row = valid_penalty();
    for (k, v) in changes {
        row.insert(k, v.to_string());
    }
    check(RecordKind::Penalty, &row)
}

fn license_with(changes: &[(&'static str, &str)]) -> Vec<(&'static str, &'static str)> {
    let mut row = valid_license();
    for (k, v) in changes {
        row.insert(k, v.to_string());
    }
    check(RecordKind::License, &row)
}

#[test]
fn valid_rows_parse() {
    assert_eq!(penalty_with(&[]), vec![]);
    assert_eq!(license_with(&[]), vec![]);
}

#[test]
fn canonical_fields_round_trip() {
    for (kind, row) in [(RecordKind::Penalty, valid_penalty()), (RecordKind::License, valid_license())] {
        let rec = parse_record(kind, &row, &ctx()).unwrap();
        let fields = rec.to_fields();
        let again = parse_record(kind, &fields, &ctx()).unwrap();
        assert_eq!(rec, again);
        assert_eq!(fields, again.to_fields());
    }
}

#[test]
fn normalisation_before_parsing() {
    let rec = parse_record(
        RecordKind::Penalty,
        &{
            let mut r = valid_penalty();
            r.insert("CF_XDR_SHXYM", "９１３５０１００ｍ０００１００ｙ４３ ".into());
            r.insert("CF_WSH", " 河交罚（２０２４）12号".into());
            r.insert("CF_JDRQ", "2024年5月28日".into());
            r.insert("CF_YXQ", "45447".into());
            r
        },
        &ctx(),
    )
    .unwrap();
    assert_eq!(rec.subject().uscc.as_ref().unwrap().as_str(), "91350100M000100Y43");
    assert_eq!(rec.decision_no(), "河交罚(2024)12号");
    let Record::Penalty(p) = rec else { panic!() };
    assert_eq!(p.valid_until, Date::new(2024, 6, 4).unwrap());
    assert_eq!(p.fine, Some(Amount::from_fen(200_000)));
}

#[test]
fn required_fields() {
    assert_eq!(penalty_with(&[("CF_WSH", " ")]), vec![("CF_WSH", "field.required")]);
    assert_eq!(penalty_with(&[("CF_XDR_MC", "")]), vec![("CF_XDR_MC", "field.required")]);
    assert_eq!(license_with(&[("XK_NR", "")]), vec![("XK_NR", "field.required")]);
}

#[test]
fn too_long() {
    let long = "长".repeat(201);
    assert_eq!(penalty_with(&[("CF_XDR_MC", &long)]), vec![("CF_XDR_MC", "field.too_long")]);
}

#[test]
fn subject_kind_enum() {
    assert_eq!(penalty_with(&[("CF_XDR_LB", "企业")]), vec![("CF_XDR_LB", "enum.invalid")]);
}

#[test]
fn organisation_needs_uscc() {
    assert_eq!(penalty_with(&[("CF_XDR_SHXYM", "")]), vec![("CF_XDR_SHXYM", "field.required")]);
}

#[test]
fn uscc_rules() {
    assert_eq!(penalty_with(&[("CF_XDR_SHXYM", "91110000100000000X")]), vec![("CF_XDR_SHXYM", "uscc.check_digit")]);
    assert_eq!(penalty_with(&[("CF_XDR_SHXYM", "9111000010000000")]), vec![("CF_XDR_SHXYM", "uscc.format")]);
    assert_eq!(penalty_with(&[("CF_CFJGDM", "00000000000000000X")]), vec![("CF_CFJGDM", "uscc.check_digit")]);
    // Department 9 has no category 9.
    let body = "9935010000000000";
    let org8 = "00000000";
    let org9 = format!("{org8}{}", crate::records::ids::org_check_char(org8.as_bytes()).unwrap());
    let first17 = format!("{}{}", &body[..8], org9);
    let code = format!("{first17}{}", crate::records::ids::uscc_check_char(first17.as_bytes()).unwrap());
    assert_eq!(penalty_with(&[("CF_XDR_SHXYM", &code)]), vec![("CF_XDR_SHXYM", "uscc.category")]);
    // Embedded organisation code with a wrong check character.
    let first17 = "913501000000000Y1";
    let code = format!("{first17}{}", crate::records::ids::uscc_check_char(first17.as_bytes()).unwrap());
    assert_eq!(penalty_with(&[("CF_XDR_SHXYM", &code)]), vec![("CF_XDR_SHXYM", "uscc.org_code")]);
}

#[test]
fn individual_business_needs_92() {
    assert_eq!(penalty_with(&[("CF_XDR_LB", "个体工商户")]), vec![("CF_XDR_SHXYM", "uscc.kind_mismatch")]);
    let first17 = "92441602MA4W00000";
    let org8 = &first17[8..16];
    let first17 = format!("{}{}{}", &first17[..8], org8, crate::records::ids::org_check_char(org8.as_bytes()).unwrap());
    let code = format!("{first17}{}", crate::records::ids::uscc_check_char(first17.as_bytes()).unwrap());
    assert_eq!(penalty_with(&[("CF_XDR_LB", "个体工商户"), ("CF_XDR_SHXYM", &code)]), vec![]);
    assert_eq!(penalty_with(&[("CF_XDR_SHXYM", &code)]), vec![("CF_XDR_SHXYM", "uscc.kind_mismatch")]);
}

#[test]
fn org_code_rules() {
    assert_eq!(penalty_with(&[("CF_XDR_ZZJG", "M000100Y4")]), vec![]);
    assert_eq!(penalty_with(&[("CF_XDR_ZZJG", "M000100Y5")]), vec![("CF_XDR_ZZJG", "org_code.check_digit")]);
    assert_eq!(penalty_with(&[("CF_XDR_ZZJG", "M0001")]), vec![("CF_XDR_ZZJG", "org_code.format")]);
    assert_eq!(penalty_with(&[("CF_XDR_ZZJG", "001755309")]), vec![("CF_XDR_ZZJG", "org_code.mismatch")]);
}

fn natural_person(changes: &[(&'static str, &str)]) -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<(&'static str, &str)> = vec![
        ("CF_XDR_MC", "李四"),
        ("CF_XDR_LB", "自然人"),
        ("CF_XDR_SHXYM", ""),
        ("CF_FRDB", ""),
        ("CF_XDR_ZJLX", "身份证"),
        ("CF_XDR_ZJHM", "11010519491231002X"),
    ];
    all.extend_from_slice(changes);
    penalty_with(&all)
}

#[test]
fn natural_person_rules() {
    assert_eq!(natural_person(&[]), vec![]);
    assert_eq!(natural_person(&[("CF_XDR_ZJHM", "11010519491231002x")]), vec![]);
    assert_eq!(natural_person(&[("CF_XDR_SHXYM", "91350100M000100Y43")]), vec![("CF_XDR_SHXYM", "field.not_allowed")]);
    assert_eq!(natural_person(&[("CF_XDR_ZJHM", "")]), vec![("CF_XDR_ZJHM", "field.required")]);
    assert_eq!(natural_person(&[("CF_XDR_ZJLX", "")]), vec![("CF_XDR_ZJLX", "field.required")]);
    assert_eq!(natural_person(&[("CF_XDR_ZJLX", "驾驶证")]), vec![("CF_XDR_ZJLX", "enum.invalid")]);
    assert_eq!(natural_person(&[("CF_XDR_ZJLX", "其他-驾驶证"), ("CF_XDR_ZJHM", "A123")]), vec![]);
    assert_eq!(natural_person(&[("CF_XDR_ZJLX", "护照"), ("CF_XDR_ZJHM", "E12345678")]), vec![]);
    assert_eq!(natural_person(&[("CF_XDR_ZJHM", "110105194912310021")]), vec![("CF_XDR_ZJHM", "id_card.check_digit")]);
    assert_eq!(natural_person(&[("CF_XDR_ZJHM", "11010519491331002X")]), vec![("CF_XDR_ZJHM", "id_card.birth_date")]);
    assert_eq!(natural_person(&[("CF_XDR_ZJHM", "1101051949")]), vec![("CF_XDR_ZJHM", "id_card.format")]);
}

#[test]
fn legal_rep_id_checked_when_given() {
    assert_eq!(penalty_with(&[("CF_FR_ZJLX", "身份证"), ("CF_FR_ZJHM", "11010519491231002X")]), vec![]);
    assert_eq!(
        penalty_with(&[("CF_FR_ZJLX", "身份证"), ("CF_FR_ZJHM", "110105194912310021")]),
        vec![("CF_FR_ZJHM", "id_card.check_digit")]
    );
    assert_eq!(penalty_with(&[("CF_FR_ZJHM", "11010519491231002X")]), vec![("CF_FR_ZJLX", "field.required")]);
}

#[test]
fn fine_needs_positive_amount() {
    assert_eq!(penalty_with(&[("CF_NR_FK", "")]), vec![("CF_NR_FK", "amount.required")]);
    assert_eq!(penalty_with(&[("CF_NR_FK", "0")]), vec![("CF_NR_FK", "amount.required")]);
    assert_eq!(penalty_with(&[("CF_NR_FK", "0.0000001")]), vec![("CF_NR_FK", "amount.format")]);
    assert_eq!(penalty_with(&[("CF_NR_FK", "-1")]), vec![("CF_NR_FK", "amount.format")]);
    assert_eq!(penalty_with(&[("CF_NR_FK", "两千")]), vec![("CF_NR_FK", "amount.format")]);
    assert_eq!(penalty_with(&[("CF_NR_FK", "0.000001")]), vec![]);
    assert_eq!(penalty_with(&[("CF_CFLB", "警告"), ("CF_NR_FK", "")]), vec![]);
}

#[test]
fn several_penalty_classes() {
    assert_eq!(penalty_with(&[("CF_CFLB", "罚款、没收违法所得"), ("CF_NR_WFFF", "1.5")]), vec![]);
    assert_eq!(penalty_with(&[("CF_CFLB", "罚款、没收违法所得")]), vec![("CF_NR_WFFF", "amount.required")]);
    assert_eq!(penalty_with(&[("CF_CFLB", "警告;吊销许可证件")]), vec![("CF_NR_ZKDX", "penalty.license_ref_required")]);
    assert_eq!(penalty_with(&[("CF_CFLB", "罚款、打板子")]), vec![("CF_CFLB", "enum.invalid")]);
    let rec = parse_record(
        RecordKind::Penalty,
        &{
            let mut r = valid_penalty();
            r.insert("CF_CFLB", "罚款，警告、罚款".into());
            r
        },
        &ctx(),
    )
    .unwrap();
    let Record::Penalty(p) = rec else { panic!() };
    assert_eq!(p.classes, vec![PenaltyClass::Fine, PenaltyClass::Warning]);
}

#[test]
fn dates() {
    assert_eq!(penalty_with(&[("CF_JDRQ", "2024-13-01")]), vec![("CF_JDRQ", "date.format")]);
    assert_eq!(penalty_with(&[("CF_JDRQ", "2026-11-28"), ("CF_YXQ", "2026-12-28")]), vec![("CF_JDRQ", "date.future")]);
    assert_eq!(penalty_with(&[("CF_JDRQ", "2026-11-27"), ("CF_YXQ", "2026-12-28")]), vec![]);
    assert_eq!(penalty_with(&[("CF_YXQ", "2024-05-27")]), vec![("CF_YXQ", "date.order")]);
    assert_eq!(penalty_with(&[("CF_GSJZQ", "2023-05-27")]), vec![("CF_GSJZQ", "date.order")]);
    assert_eq!(license_with(&[("XK_YXQZI", "2024-05-27")]), vec![("XK_YXQZI", "date.order")]);
    assert_eq!(license_with(&[("XK_YXQZI", "长期")]), vec![]);
    assert_eq!(license_with(&[("XK_JDRQ", "2027-01-01")]), vec![("XK_JDRQ", "date.future")]);
}

#[test]
fn license_rules() {
    assert_eq!(license_with(&[("XK_XKLB", "特殊")]), vec![("XK_XKLB", "enum.invalid")]);
    assert_eq!(license_with(&[("XK_ZT", "3")]), vec![("XK_ZT", "enum.invalid")]);
    assert_eq!(license_with(&[("XK_WSH", "")]), vec![]);
    assert_eq!(license_with(&[("XK_WSH", ""), ("XK_XKBH", "")]), vec![("XK_WSH", "license.decision_no_required")]);
}

#[test]
fn every_diagnostic_message_is_chinese_and_names_the_field() {
    let diags = parse_record(
        RecordKind::Penalty,
        &{
            let mut r = valid_penalty();
            r.insert("CF_XDR_SHXYM", "91110000100000000X".into());
            r.insert("CF_JDRQ", "明天".into());
            r
        },
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(diags.len(), 2);
    assert!(
        diags[0].message.contains("统一社会信用代码") && diags[0].message.contains("应为 R"),
        "{}",
        diags[0].message
    );
    assert!(diags[1].message.contains("处罚决定日期"), "{}", diags[1].message);
}

#[test]
fn amounts() {
    assert_eq!(Amount::parse_wan("0.2").unwrap().to_yuan_string(), "2000.00");
    assert_eq!(Amount::parse_wan("1,234.5").unwrap().to_wan_string(), "1234.5");
    assert_eq!(Amount::parse_wan(".5").unwrap().fen(), 500_000);
    assert_eq!(Amount::parse_wan("0.000001").unwrap().to_yuan_string(), "0.01");
    assert!(Amount::parse_wan(".").is_none());
    assert!(Amount::parse_wan("1e3").is_none());
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn amount_text_round_trips(fen in 0i64..1_000_000_000_000) {
            let a = Amount::from_fen(fen);
            prop_assert_eq!(Amount::parse_wan(&a.to_wan_string()), Some(a));
        }

        #[test]
        fn parser_never_panics(vals in prop::collection::vec(".{0,24}", 30)) {
            for kind in RecordKind::ALL {
                let mut row = FieldValues::new();
                for (def, v) in kind.fields().iter().zip(&vals) {
                    row.insert(def.code, v.clone());
                }
                let _ = parse_record(kind, &row, &ctx());
            }
        }
    }
}

#[test]
fn evaluation_item_column_is_optional_and_names_a_fixed_points_item() {
    assert!(penalty_with(&[("CF_PJSX", "rt-05")]).is_empty(), "codes are upper-cased like every code");
    assert_eq!(penalty_with(&[("CF_PJSX", "RT-B01")]), [("CF_PJSX", "item.unknown")], "a range item needs points");
    assert_eq!(penalty_with(&[("CF_PJSX", "XX-1")]), [("CF_PJSX", "item.unknown")]);
    let mut row = valid_penalty();
    row.insert("CF_PJSX", "RT-05".into());
    let Ok(Record::Penalty(p)) = parse_record(RecordKind::Penalty, &row, &ctx()) else { panic!("valid") };
    assert_eq!(Record::Penalty(p).to_fields()["CF_PJSX"], "RT-05");
    let Ok(rec) = parse_record(RecordKind::Penalty, &valid_penalty(), &ctx()) else { panic!("valid") };
    assert!(!rec.to_fields().contains_key("CF_PJSX"), "absent stays absent: stored versions unchanged");
}

#[test]
fn severity_column_is_optional_and_checked() {
    use crate::lifecycle::disclosure::Severity;
    assert!(penalty_with(&[("CF_SXCD", "严重")]).is_empty());
    assert_eq!(penalty_with(&[("CF_SXCD", "很严重")]), [("CF_SXCD", "enum.invalid")]);
    let mut row = valid_penalty();
    row.insert("CF_SXCD", "一般".into());
    let Ok(Record::Penalty(p)) = parse_record(RecordKind::Penalty, &row, &ctx()) else { panic!("valid") };
    assert_eq!(p.severity, Some(Severity::General));
    assert_eq!(Record::Penalty(p).to_fields()["CF_SXCD"], "一般");
    let Ok(Record::Penalty(p)) = parse_record(RecordKind::Penalty, &valid_penalty(), &ctx()) else { panic!("valid") };
    assert_eq!(p.severity, None);
    assert!(!Record::Penalty(p).to_fields().contains_key("CF_SXCD"), "absent stays absent: stored versions unchanged");
}

#[test]
fn every_forbidden_character_starts_with_a_byte_the_fast_path_checks() {
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        if forbidden_char(c, false) {
            let mut buf = [0u8; 4];
            let first = c.encode_utf8(&mut buf).as_bytes()[0];
            assert!(first < 0x20 || first == 0x7F || first == 0xC2 || first == 0xE2, "U+{:04X}", c as u32);
        }
    }
}

#[test]
fn control_characters_are_refused_where_they_stand() {
    let mut values = FieldValues::new();
    values.insert("CF_SY", "超限\t运输\r\n第二行".to_string());
    values.insert("CF_WSH", "河交罚〔2024〕1号\u{202E}".to_string());
    values.insert("CF_XDR_MC", "甲\u{85}公司".to_string());
    let d = control_char_diagnostics(RecordKind::Penalty, &values);
    let fields: Vec<&str> = d.iter().map(|d| d.field).collect();
    assert_eq!(fields, ["CF_XDR_MC", "CF_WSH"], "{d:?}");
    assert!(d.iter().all(|d| d.code == "value.control_chars"));
    assert!(d[0].message.contains("U+0085") && d[0].message.contains("第2个字符"), "{}", d[0].message);
}

/// Every value a form offers for an enumerated field is accepted by the
/// field's validation (alone, and all together where several may be chosen), every
/// enumerated field offers its values, and the penalty classes offered are
/// the standard's, not `其他`.
#[test]
fn every_offered_choice_parses() {
    for (kind, valid) in [(RecordKind::Penalty, valid_penalty()), (RecordKind::License, valid_license())] {
        for def in kind.fields() {
            let Some(choices) = def.choices() else {
                assert!(def.kind != ValueKind::Enum, "{} is enumerated but offers no choices", def.code);
                continue;
            };
            let mut tries: Vec<String> = choices.values.iter().map(|v| v.to_string()).collect();
            if choices.multiple {
                tries.push(choices.values.join("；"));
            }
            for value in tries {
                let mut row = valid.clone();
                row.insert(def.code, value.clone());
                // A document type needs its number; a person's, a person.
                if let Some(stem) = def.code.strip_suffix("ZJLX") {
                    let number = kind.field(&format!("{stem}ZJHM")).expect("number field").code;
                    row.insert(number, "110101199003074477".into());
                }
                if def.code.ends_with("XDR_ZJLX") {
                    let p = if kind == RecordKind::Penalty { "CF" } else { "XK" };
                    let key = |c: &str| kind.field(&format!("{p}_{c}")).expect("field").code;
                    row.insert(key("XDR_LB"), "自然人".into());
                    row.remove(key("XDR_SHXYM"));
                    row.remove(key("FRDB"));
                    row.insert(key("XDR_ZJHM"), "110101199003074477".into());
                    row.insert(key("XDR_MC"), "张三".into());
                }
                if def.code.ends_with("XDR_LB") && value != "法人及非法人组织" {
                    continue; // other subject kinds need other fields, tested above
                }
                // The value itself is accepted (a class may require other
                // fields, such as an amount for 没收违法所得).
                let faults: Vec<_> = check(kind, &row).into_iter().filter(|(f, _)| *f == def.code).collect();
                assert!(faults.is_empty(), "{} = {value}: {faults:?}", def.code);
            }
        }
    }
    for name in PENALTY_CLASS_NAMES {
        assert!(!matches!(PenaltyClass::parse(name), Some(PenaltyClass::Other(_))), "{name}");
    }
}
