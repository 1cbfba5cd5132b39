//! The one test suite every backend must pass. A backend's tests call
//! [`store_tests!`](crate::store_tests) with an expression that makes a fresh,
//! empty store; the macro stamps out one `#[test]` per function here.

use crate::{DepartmentKind, Division, NewDepartment};
use crate::{Store, WriteContext};
use jiff::Timestamp;
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::records::record::{FieldValues, ParseContext, parse_record};
use xinjiao_core::{Date, Record};

mod accounts;
mod audit;
mod calendar;
mod commitments;
mod evaluation;
mod inspection;
mod installation;
mod lifecycle;
mod lists;
mod monitoring;
mod organisation;
mod records;
mod reporting;
mod transparency;
pub use transparency::sample_report;

pub use accounts::*;
pub use audit::*;
pub use calendar::*;
pub use commitments::*;
pub use evaluation::*;
pub use inspection::*;
pub use installation::*;
pub use lifecycle::*;
pub use lists::*;
pub use monitoring::*;
pub use organisation::*;
pub use records::*;
pub use reporting::*;
pub use transparency::*;

/// Stamps out the suite for one backend. `$make` must evaluate to a value that
/// derefs to a fresh `dyn Store` (e.g. a `Box<dyn Store>` or a guard type).
#[macro_export]
macro_rules! store_tests {
    ($make:expr) => {
        $crate::store_tests!(@each $make;
            write_creates_subject_and_record,
            identical_rewrite_changes_nothing,
            changed_row_makes_new_version,
            same_decision_twice_in_one_batch,
            subject_names_follow_the_latest_decision,
            search_finds_substrings_and_codes,
            search_ranks_exact_then_prefix_then_shorter,
            natural_persons_get_opaque_keys,
            record_lists_filter_and_page,
            failed_stream_stores_nothing,
            users_sessions_and_tokens,
            submissions_round_trip,
            meta_values,
            calendar_years_replace_and_list,
            authorities_and_totals,
            organisation_declarations_and_responsibilities,
            rate_rows_follow_deadlines_and_departments,
            documents_draft_publish_and_list,
            windows_are_refreshed_and_bound_public_lists,
            withdrawn_records_leave_the_public_lists,
            subjects_claim_accounts_with_one_time_codes,
            objections_follow_their_states,
            repairs_end_and_restore_publication,
            reviewed_departments_publish_on_approval,
            only_the_owner_changes_a_record,
            reviewed_changes_keep_the_approved_version_public,
            records_created_together_share_one_event,
            events_are_appended_and_raise_the_data_version,
            authority_counts_follow_the_filter,
            credit_events_and_evaluation_runs,
            draws_are_planned_once_and_run_once,
            warnings_are_raised_once_and_answered_by_their_department,
            the_outbox_sends_each_message_once,
            overload_data_is_stored_once_and_makes_the_candidates,
            list_entries_go_from_proposal_through_notice_to_expiry,
            every_publication_is_logged_and_provable,
            reports_are_issued_with_their_leaf,
            peers_keep_their_last_clean_audit,
            commitments_are_signed_kept_and_broken,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let store = $make;
                $crate::suite::$name(&*store);
            }
        )*
    };
}

fn ctx(actor: &str) -> WriteContext {
    WriteContext::new(actor, Timestamp::from_second(1_780_000_000).unwrap(), "测试")
}

fn today() -> Date {
    Date::new(2026, 11, 27).unwrap()
}

/// A valid penalty for the subject with `name` and `uscc`, decided on `date`.
pub fn penalty(name: &str, uscc: &str, decision_no: &str, date: &str) -> Record {
    penalty_with(name, uscc, decision_no, date, &[])
}

/// [`penalty`] with some fields changed (`CF_CFLB`, `CF_WFXW`, `CF_NR_FK`, …).
pub fn penalty_with(name: &str, uscc: &str, decision_no: &str, date: &str, changes: &[(&'static str, &str)]) -> Record {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("CF_XDR_MC", name),
        ("CF_XDR_LB", if uscc.starts_with("92") { "个体工商户" } else { "法人及非法人组织" }),
        ("CF_XDR_SHXYM", uscc),
        ("CF_WSH", decision_no),
        ("CF_WFXW", "超限运输"),
        ("CF_SY", "车辆超限运输"),
        ("CF_YJ", "《公路安全保护条例》第六十四条"),
        ("CF_CFLB", "罚款"),
        ("CF_NR", "罚款2000元"),
        ("CF_NR_FK", "0.2"),
        ("CF_JDRQ", date),
        ("CF_YXQ", date),
        ("CF_CFJG", "河源市交通运输局"),
        ("CF_CFJGDM", "11230500001755309F"),
        ("CF_SJLY", "河源市交通运输局"),
        ("CF_SJLYDM", "11230500001755309F"),
    ] {
        m.insert(k, v.to_string());
    }
    for (k, v) in changes {
        m.insert(k, v.to_string());
    }
    parse_record(RecordKind::Penalty, &m, &ParseContext { today: today() }).expect("valid fixture")
}

/// A valid licence.
pub fn license(name: &str, uscc: &str, decision_no: &str, date: &str) -> Record {
    license_until(name, uscc, decision_no, date, "2099-12-31")
}

/// A valid licence valid until `valid_to`.
pub fn license_until(name: &str, uscc: &str, decision_no: &str, date: &str, valid_to: &str) -> Record {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("XK_XDR_MC", name),
        ("XK_XDR_LB", "法人及非法人组织"),
        ("XK_XDR_SHXYM", uscc),
        ("XK_XKWS", "道路运输经营许可决定书"),
        ("XK_WSH", decision_no),
        ("XK_XKLB", "普通"),
        ("XK_NR", "道路普通货物运输"),
        ("XK_JDRQ", date),
        ("XK_YXQZ", date),
        ("XK_YXQZI", valid_to),
        ("XK_XKJG", "龙川县交通运输局"),
        ("XK_XKJGDM", "91350100M000100Y43"),
        ("XK_ZT", "有效"),
        ("XK_LYDW", "龙川县交通运输局"),
        ("XK_LYDWDM", "91350100M000100Y43"),
    ] {
        m.insert(k, v.to_string());
    }
    parse_record(RecordKind::License, &m, &ParseContext { today: today() }).expect("valid fixture")
}

/// A valid warning to a natural person with a 身份证 number.
pub fn person_penalty(name: &str, id_no: &str, decision_no: &str) -> Record {
    let mut m = FieldValues::new();
    for (k, v) in [
        ("CF_XDR_MC", name),
        ("CF_XDR_LB", "自然人"),
        ("CF_XDR_ZJLX", "身份证"),
        ("CF_XDR_ZJHM", id_no),
        ("CF_WSH", decision_no),
        ("CF_WFXW", "未按规定携带道路运输证"),
        ("CF_SY", "驾驶营运车辆未携带道路运输证"),
        ("CF_YJ", "《道路运输条例》"),
        ("CF_CFLB", "罚款"),
        ("CF_NR", "罚款200元"),
        ("CF_NR_FK", "0.02"),
        ("CF_JDRQ", "2026-03-03"),
        ("CF_YXQ", "2026-03-03"),
        ("CF_CFJG", "河源市交通运输局"),
        ("CF_CFJGDM", "11230500001755309F"),
        ("CF_SJLY", "河源市交通运输局"),
        ("CF_SJLYDM", "11230500001755309F"),
    ] {
        m.insert(k, v.to_string());
    }
    parse_record(RecordKind::Penalty, &m, &ParseContext { today: today() }).expect("valid fixture")
}

/// Valid USCCs built from a number, for fixtures that need many subjects.
pub fn uscc_for(n: u32) -> String {
    use xinjiao_core::records::ids::{org_check_char, uscc_check_char};
    let org8 = format!("MA{n:06}");
    let org9 = format!("{org8}{}", org_check_char(org8.as_bytes()).unwrap());
    let first17 = format!("91441600{org9}");
    format!("{first17}{}", uscc_check_char(first17.as_bytes()).unwrap())
}

const SHUNDA: &str = "91350100M000100Y43";

/// The decision-authority code of the fixtures' city bureau (河源市交通运输局),
/// registered for the city division by [`small_organisation`].
pub const CITY_AUTHORITY: &str = "11230500001755309F";

/// Two divisions and three departments; returns the departments' ids. The
/// city's departments may submit under [`CITY_AUTHORITY`], the county's under
/// `uscc_for(900)`.
pub fn small_organisation(store: &dyn Store) -> (i64, i64, i64) {
    let div = |code: &str, name: &str, parent: Option<&str>, sort| Division {
        code: code.into(),
        name: name.into(),
        parent_code: parent.map(String::from),
        sort,
        authority_codes: vec![if code == "441600" { CITY_AUTHORITY.to_string() } else { uscc_for(900) }],
    };
    let dept = |code: &str, division: &str, name: &str, kind, sort| NewDepartment {
        code: code.into(),
        division_code: division.into(),
        name: name.into(),
        kind,
        sort,
        authority_codes: vec![],
    };
    store
        .save_organisation(
            &ctx("system"),
            &[div("441600", "河源市", None, 0), div("441625", "东源县", Some("441600"), 1)],
            &[
                dept("HY-WZCL", "441600", "违章处理科", DepartmentKind::Section, 2),
                dept("HY-ZCFG", "441600", "政策法规科", DepartmentKind::Section, 1),
                dept("DY-JTJ", "441625", "东源县交通运输局", DepartmentKind::Bureau, 0),
            ],
        )
        .unwrap();
    let ds = store.departments().unwrap();
    let id = |code: &str| ds.iter().find(|d| d.code == code).unwrap().id;
    (id("HY-ZCFG"), id("HY-WZCL"), id("DY-JTJ"))
}

/// A penalty like [`penalty`] with another fine (元) and content.
fn fined(name: &str, uscc: &str, decision_no: &str, date: &str, yuan: &str) -> Record {
    let mut p = penalty(name, uscc, decision_no, date);
    if let Record::Penalty(x) = &mut p {
        x.content = format!("罚款{yuan}元");
    }
    p
}
