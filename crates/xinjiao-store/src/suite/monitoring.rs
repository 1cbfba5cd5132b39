//! The shared suite's tests of monitoring: warnings raised once per
//! occasion, acknowledged and answered by their department; the outbox.

use jiff::Timestamp;
use xinjiao_core::calendar::Calendar;
use xinjiao_core::evaluation::scheme::Scheme;
use xinjiao_core::monitoring::rules::WarningRules;
use xinjiao_core::monitoring::warnings::evaluate;

use crate::monitoring::gather_facts;
use crate::{
    Attempt, Channel, MonitoringDay, NewCreditEvent, NewMessage, Store, StoreError, WarningFilter, WarningState,
    WriteContext,
};

use super::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Evaluates the shipped rules on `day` and stores what they raise.
fn raise(store: &dyn Store, day: &str) -> u64 {
    let rules = WarningRules::embedded();
    let day: Date = day.parse().unwrap();
    let facts = gather_facts(store, &rules, &Scheme::embedded(), day).unwrap();
    let raised = evaluate(&rules, &facts, day, &Calendar::embedded());
    let ctx = WriteContext::new("system", at("2026-09-30T22:00:00Z"), "每日预警");
    store.save_warnings(&ctx, day, &raised).unwrap()
}

pub fn warnings_are_raised_once_and_answered_by_their_department(store: &dyn Store) {
    let (_, wzcl, dy) = small_organisation(store);
    let clerk = WriteContext::new("wz1", at("2026-03-06T02:00:00Z"), "上传").in_department(Some(wzcl));
    let dy_clerk = WriteContext::new("dy1", at("2026-03-06T02:00:00Z"), "上传").in_department(Some(dy));
    let coord = WriteContext::new("chen", at("2026-09-30T02:00:00Z"), "评价").overseeing(true);
    // Three penalties of subject 7 in March; a licence of subject 8 that
    // ends on 2026-10-20 and one of subject 9 that ends in 2099.
    let penalties: Vec<_> =
        (1..=3).map(|i| penalty("某货运公司", &uscc_for(7), &format!("罚{i}"), &format!("2026-03-0{i}"))).collect();
    store.write_records(&clerk, &penalties).unwrap();
    store
        .write_records(
            &dy_clerk,
            &[
                license_until("某客运公司", &uscc_for(8), "许8", "2026-03-01", "2026-10-20"),
                license("某客运公司", &uscc_for(9), "许9", "2026-03-01"),
            ],
        )
        .unwrap();
    // Two final runs of road transport: subject 1 drops from AA to B.
    let event = |i: u32, item: &str, date: &str| NewCreditEvent {
        subject: super::evaluation::organisation("某运输公司", &uscc_for(i)),
        scheme: "road-transport".into(),
        item: item.into(),
        points: None,
        date: date.parse().unwrap(),
        basis: format!("{item}-{i}-{date}"),
    };
    store.write_credit_events(&clerk, &[event(1, "RT-03", "2026-02-01"), event(2, "RT-03", "2026-02-01")]).unwrap();
    let schemes = Scheme::embedded();
    let road = schemes.iter().find(|s| s.code == "road-transport").unwrap();
    let calendar = Calendar::embedded();
    let run = |as_of: &str| {
        crate::evaluation::run_evaluation(
            store,
            &coord,
            &schemes,
            road,
            2026,
            as_of.parse().unwrap(),
            &calendar,
            &mut |_, _| Ok(()),
        )
        .unwrap()
    };
    run("2026-06-01");
    store.write_credit_events(&clerk, &[event(1, "RT-02", "2026-07-01")]).unwrap();
    let second = run("2026-09-01");

    assert_eq!(raise(store, "2026-09-30"), 3, "penalties, licence, grade drop");
    assert_eq!(raise(store, "2026-09-30"), 0, "the same day again raises nothing");
    assert_eq!(raise(store, "2026-10-01"), 0, "the same occasions on the next day raise nothing");
    let all = store.warnings(&WarningFilter::default(), 100).unwrap();
    let by_rule = |rule: &str| all.iter().find(|w| w.rule == rule).unwrap_or_else(|| panic!("{rule}: {all:?}"));
    let p = by_rule("penalties");
    assert_eq!((p.subject_key.as_str(), p.department_id), (uscc_for(7).as_str(), Some(wzcl)));
    assert!(p.detail.contains("3 次"), "{}", p.detail);
    let l = by_rule("licence_expiring");
    assert_eq!((l.subject_key.as_str(), l.department_id), (uscc_for(8).as_str(), Some(dy)));
    assert!(l.occasion.starts_with("record:") && l.occasion.ends_with(":2026-10-20"), "{}", l.occasion);
    let g = by_rule("grade_drop");
    assert_eq!(g.subject_key, uscc_for(1));
    assert_eq!(g.occasion, format!("run:{}", second.id));
    assert!(g.detail.contains("AA") && g.detail.contains(" B"), "{}", g.detail);
    assert_eq!(g.department_id, None, "no record of the subject: the coordinators' warning");
    assert_eq!(p.raised_on, "2026-09-30".parse().unwrap());

    // The lookup by department, rule, subject and state.
    let f = |f: WarningFilter| {
        let n = store.warnings(&f, 100).unwrap().len();
        assert_eq!(store.count_warnings(&f).unwrap(), n as u64, "{f:?}");
        n
    };
    assert_eq!(f(WarningFilter { department_id: Some(dy), ..Default::default() }), 1);
    assert_eq!(f(WarningFilter { rule: Some("penalties".into()), ..Default::default() }), 1);
    assert_eq!(f(WarningFilter { subject_id: Some(p.subject_id), ..Default::default() }), 1);
    assert_eq!(f(WarningFilter { state: Some(WarningState::Open), ..Default::default() }), 3);
    assert_eq!(f(WarningFilter { no_department: true, ..Default::default() }), 1);

    // Acknowledged before it is answered, each once (who may: the console, `http.rs`).
    let wz_ctx = WriteContext::new("wz1", at("2026-10-01T02:00:00Z"), "签收").in_department(Some(wzcl));
    assert!(
        matches!(store.answer_warning(&wz_ctx, p.id, "已约谈"), Err(StoreError::Conflict(m)) if m.contains("签收"))
    );
    store.acknowledge_warning(&wz_ctx, p.id).unwrap();
    assert!(matches!(store.acknowledge_warning(&wz_ctx, p.id), Err(StoreError::Conflict(_))));
    assert_eq!(store.warning(p.id).unwrap().state(), WarningState::Acknowledged);
    store.answer_warning(&wz_ctx, p.id, "已约谈企业负责人，列入重点检查").unwrap();
    assert!(matches!(store.answer_warning(&wz_ctx, p.id, "again"), Err(StoreError::Conflict(_))));
    let w = store.warning(p.id).unwrap();
    assert_eq!(w.state(), WarningState::Answered);
    assert_eq!(
        w.feedback.as_ref().map(|f| (f.0.as_str(), f.2.as_str())),
        Some(("已约谈企业负责人，列入重点检查", "wz1"))
    );
    assert_eq!(w.acknowledged.as_ref().map(|a| a.1.as_str()), Some("wz1"));
    assert!(matches!(store.warning(999_999), Err(StoreError::NotFound)));
    let events = store.events(1000).unwrap();
    for action in ["warning.raised", "warning.acknowledged", "warning.answered"] {
        assert!(events.iter().any(|e| e.action == action && e.subject_id == Some(p.subject_id)), "{action}");
    }

    // A day is recorded once.
    let day = |d: &str, raised| MonitoringDay {
        day: d.parse().unwrap(),
        evaluated_at: at("2026-09-30T22:00:00Z"),
        raised,
        rules_version: 1,
    };
    store.finish_monitoring_day(&coord, day("2026-09-30", 3)).unwrap();
    store.finish_monitoring_day(&coord, day("2026-09-30", 0)).unwrap();
    store.finish_monitoring_day(&coord, day("2026-10-01", 0)).unwrap();
    let days = store.monitoring_days(10).unwrap();
    assert_eq!(
        days.iter().map(|d| (d.day.to_string(), d.raised)).collect::<Vec<_>>(),
        [("2026-10-01".to_string(), 0), ("2026-09-30".to_string(), 3)]
    );
}

pub fn the_outbox_sends_each_message_once(store: &dyn Store) {
    let (_, wzcl, dy) = small_organisation(store);
    let admin = WriteContext::new("admin", at("2026-10-01T00:00:00Z"), "设置").overseeing(true);
    store.set_channels(&admin, wzcl, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "").unwrap();
    store.set_channels(&admin, dy, "", "a@example.cn").unwrap();
    store.set_channels(&admin, dy, "", "a@example.cn,b@example.cn").unwrap();
    let ch = store.channels().unwrap();
    assert_eq!(ch.len(), 2);
    assert_eq!(ch.iter().find(|c| c.department_id == dy).unwrap().email_to, "a@example.cn,b@example.cn");

    let now = admin.at.as_second();
    let msg = |key: &str, channel, department_id| NewMessage {
        dedupe_key: key.into(),
        channel,
        department_id: Some(department_id),
        title: "每日提醒".into(),
        body: format!("**{key}**"),
    };
    let queued = [msg("digest:1", Channel::WeCom, wzcl), msg("digest:2", Channel::Email, dy)];
    assert_eq!(store.enqueue(&admin, &queued).unwrap(), 2);
    assert_eq!(store.enqueue(&admin, &queued).unwrap(), 0, "a key is queued once");

    let claimed = store.claim_due(now, 10).unwrap();
    assert_eq!(claimed.iter().map(|m| m.dedupe_key.as_str()).collect::<Vec<_>>(), ["digest:1", "digest:2"]);
    assert!(claimed.iter().all(|m| m.state == "sending" && m.attempts == 0));
    assert!(store.claim_due(now, 10).unwrap().is_empty(), "claimed messages are not claimed again");

    let (a, b) = (claimed[0].id, claimed[1].id);
    store.finish_attempt(a, admin.at, &Attempt::Retry { error: "HTTP 502".into(), at: now + 30 }).unwrap();
    store.finish_attempt(b, admin.at, &Attempt::GaveUp { error: "550".into() }).unwrap();
    assert!(matches!(store.finish_attempt(b, admin.at, &Attempt::Sent), Err(StoreError::Conflict(_))));
    assert!(store.claim_due(now + 29, 10).unwrap().is_empty(), "not before its retry");
    let again = store.claim_due(now + 30, 10).unwrap();
    assert_eq!((again.len(), again[0].attempts, again[0].last_error.as_deref()), (1, 1, Some("HTTP 502")));
    store.finish_attempt(a, admin.at, &Attempt::Sent).unwrap();
    assert!(store.claim_due(now + 10_000, 10).unwrap().is_empty());

    // A failed message goes back by hand; one left sending by a stopped
    // server becomes uncertain and is not claimed again by itself.
    assert!(matches!(store.requeue(&admin, a, now), Err(StoreError::Conflict(_))), "a sent message stays sent");
    store.requeue(&admin, b, now + 40).unwrap();
    assert_eq!(store.claim_due(now + 40, 10).unwrap().len(), 1);
    assert_eq!(store.release_unfinished().unwrap(), 1);
    assert!(store.claim_due(now + 10_000, 10).unwrap().is_empty());
    let listed = store.messages(10).unwrap();
    let state = |id| listed.iter().find(|m| m.id == id).unwrap().state.clone();
    assert_eq!((state(a), state(b)), ("sent".to_string(), "uncertain".to_string()));
    assert_eq!(listed.iter().find(|m| m.id == a).unwrap().attempts, 2);
    assert!(listed.iter().find(|m| m.id == a).unwrap().sent_at.is_some());
}
