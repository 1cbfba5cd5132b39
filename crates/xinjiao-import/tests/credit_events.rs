//! Credit-event files read with the same reader as record files: Chinese
//! names or field codes as headers, CSV or XLSX, every row checked against
//! the schemes.

use xinjiao_core::evaluation::events::{CATALOGUE, parse_event_row};
use xinjiao_core::evaluation::scheme::{Points, Scheme};
use xinjiao_import::{ReadOptions, crafted, open_bytes};

fn rows(name: &str, bytes: Vec<u8>) -> Vec<Result<xinjiao_core::evaluation::events::EventRow, Vec<&'static str>>> {
    let schemes = Scheme::embedded();
    let today = xinjiao_core::Date::constant(2026, 12, 1);
    open_bytes(name, bytes, &ReadOptions::of(CATALOGUE))
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            parse_event_row(&r.values, &schemes, today).map_err(|d| d.iter().map(|x| x.code).collect())
        })
        .collect()
}

#[test]
fn the_corpus_seeds_read_as_expected() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/credit_events/");
    let ok = rows("ok.csv", std::fs::read(format!("{dir}ok.csv")).unwrap());
    assert_eq!(ok.len(), 3);
    let ok: Vec<_> = ok.into_iter().map(Result::unwrap).collect();
    assert_eq!(ok[1].points, Some(Points(-75)));
    assert!(ok[2].person && ok[2].scheme == "taxi-driver");
    let bad = rows("bad.csv", std::fs::read(format!("{dir}bad.csv")).unwrap());
    let first = bad[0].as_ref().unwrap_err();
    for code in ["field.required", "uscc.check_digit", "scheme.unknown", "date.future"] {
        assert!(first.contains(&code), "{code} in {first:?}");
    }
    let second = bad[1].as_ref().unwrap_err();
    assert!(second.contains(&"date.format"), "{second:?}");
}

#[test]
fn xlsx_and_unknown_columns() {
    let header = ["主体代码", "主体名称", "评价体系", "事项代码", "分值", "发生日期", "依据"];
    let row = [
        "91350100M000100Y43",
        "河源市顺达路桥工程有限公司",
        "highway-construction",
        "HC-01",
        "",
        "2025-05-06",
        "河交罚〔2025〕5号",
    ];
    let xlsx = crafted::xlsx_of_rows(&[header.map(String::from).to_vec(), row.map(String::from).to_vec()]);
    let got = rows("events.xlsx", xlsx);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].as_ref().unwrap().item, "HC-01");
    let err =
        open_bytes("e.csv", "主体代码,金额\n1,2\n".as_bytes().to_vec(), &ReadOptions::of(CATALOGUE)).err().unwrap();
    assert_eq!(err.code, "file.unknown_columns");
    assert!(err.message.contains("「金额」") && err.message.contains("信用事件"), "{}", err.message);
}
