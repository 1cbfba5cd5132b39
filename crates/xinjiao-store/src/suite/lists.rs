//! The shared suite's tests of lists: the vehicle register and overload
//! detections stored once, and the candidates computed from them with the
//! enterprises' penalties.

use jiff::Timestamp;
use xinjiao_core::lists::definition::ListDefinition;
use xinjiao_core::lists::limits::{Axles, VehicleLimits, VehicleType};
use xinjiao_core::lists::overload::{Detection, VehicleRow, candidates};

use crate::lists::overload_facts;
use crate::{Store, WriteContext};

use super::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A valid ID card number of driver `n`.
pub fn driver_id(n: u32) -> String {
    let first17 = format!("44160219800101{:03}", n % 1000);
    format!("{first17}{}", xinjiao_core::records::ids::id_card_check_char(first17.as_bytes()).unwrap())
}

fn detection(day: &str, plate: &str, driver: u32, enterprise: &str, gross_kg: u32) -> Detection {
    Detection {
        id: 0,
        date: day.parse().unwrap(),
        place: "源城超限检测站".into(),
        plate: plate.into(),
        vehicle: VehicleType::Combination,
        axles: Axles { total: 6, single_tyre: 0, drive: None },
        gross_kg,
        driver_id: driver_id(driver),
        driver_name: format!("司机{driver}"),
        enterprise_code: enterprise.into(),
        enterprise_name: "某货运公司".into(),
        penalty_no: None,
    }
}

pub fn overload_data_is_stored_once_and_makes_the_candidates(store: &dyn Store) {
    let ctx = WriteContext::new("clerk", at("2026-11-01T02:00:00Z"), "导入");
    let firm = uscc_for(50);
    let other = uscc_for(51);
    // A fleet of 20 combinations; another enterprise's truck.
    let mut fleet: Vec<VehicleRow> = (0..20)
        .map(|i| VehicleRow {
            plate: format!("粤P{:05}", i),
            vehicle: VehicleType::Combination,
            axles: 6,
            enterprise_code: firm.clone(),
            enterprise_name: "某货运公司".into(),
        })
        .collect();
    fleet.push(VehicleRow {
        plate: "粤Q00001".into(),
        vehicle: VehicleType::Truck,
        axles: 2,
        enterprise_code: other.clone(),
        enterprise_name: "另一公司".into(),
    });
    assert_eq!(store.save_vehicles(&ctx, &fleet).unwrap(), (21, 0));
    assert_eq!(store.save_vehicles(&ctx, &fleet).unwrap(), (0, 0), "identical: nothing");
    fleet[20].axles = 3;
    assert_eq!(store.save_vehicles(&ctx, &fleet[20..]).unwrap(), (0, 1));
    assert_eq!(store.vehicles().unwrap().len(), 21);
    assert_eq!(store.vehicles().unwrap()[20].axles, 3);

    // Vehicle 00000 over the limit on 4 days (and twice on one), driven by
    // driver 1; vehicles 00001 and 00002 once each; one detection under.
    let mut ds = vec![
        detection("2026-02-01", "粤P00000", 1, &firm, 55_000),
        detection("2026-04-01", "粤P00000", 1, &firm, 52_000),
        detection("2026-06-01", "粤P00000", 1, &firm, 50_000),
        detection("2026-08-01", "粤P00000", 1, &firm, 60_000),
        detection("2026-09-01", "粤P00001", 2, &firm, 50_000),
        detection("2026-09-02", "粤P00002", 3, &firm, 50_000),
        detection("2026-09-03", "粤P00003", 4, &firm, 49_000),
    ];
    let mut second_station = detection("2026-08-01", "粤P00000", 1, &firm, 59_980);
    second_station.place = "东源治超站".into();
    ds.push(second_station);
    assert_eq!(store.save_detections(&ctx, &ds).unwrap(), (8, 0));
    assert_eq!(store.save_detections(&ctx, &ds).unwrap(), (0, 0), "re-importing changes nothing");
    ds[0].penalty_no = Some("河交罚〔2026〕9号".into());
    assert_eq!(store.save_detections(&ctx, &ds[..1]).unwrap(), (0, 1), "a penalty number added later");
    let stored = store.detections_between("2026-01-01".parse().unwrap(), "2026-12-31".parse().unwrap()).unwrap();
    assert_eq!(stored.len(), 8);
    assert_eq!(stored[0].penalty_no.as_deref(), Some("河交罚〔2026〕9号"));
    assert!(stored.iter().all(|d| d.id > 0));
    assert_eq!(
        store.detections_between("2026-08-01".parse().unwrap(), "2026-08-01".parse().unwrap()).unwrap().len(),
        2
    );

    // The enterprise was ordered to suspend business, and fined 25,000 yuan
    // for directing drivers to overload; another subject's penalty is not read.
    store
        .write_records(
            &ctx,
            &[
                penalty_with(
                    "某货运公司",
                    &firm,
                    "河交罚〔2026〕20号",
                    "2026-10-01",
                    &[("CF_CFLB", "罚款；责令停产停业")],
                ),
                penalty_with(
                    "某货运公司",
                    &firm,
                    "河交罚〔2026〕21号",
                    "2026-10-02",
                    &[("CF_WFXW", "指使驾驶人超限运输"), ("CF_NR", "罚款25000元"), ("CF_NR_FK", "2.5")],
                ),
                penalty("无关公司", &uscc_for(52), "河交罚〔2026〕22号", "2026-10-03"),
            ],
        )
        .unwrap();
    let list = ListDefinition::find("overload").unwrap();
    let as_of = "2026-11-01".parse().unwrap();
    let facts = overload_facts(store, list, as_of).unwrap();
    assert_eq!(facts.penalties.len(), 2);
    assert_eq!(facts.penalties[1].fine.map(|f| f.to_yuan_string()), Some("25000.00".into()));
    let found: Vec<(u32, String)> = candidates(list, &facts, VehicleLimits::embedded(), as_of)
        .into_iter()
        .map(|c| (c.criterion, c.party))
        .collect();
    assert_eq!(
        found,
        [(1, "粤P00000".to_string()), (2, driver_id(1)), (3, firm.clone()), (5, firm.clone())],
        "4 trips; 3 of 20 vehicles (15 %) with a suspension; a fine of 25,000 yuan"
    );
    // A year later the detections have left the window.
    let later = "2027-10-03".parse().unwrap();
    let facts = overload_facts(store, list, later).unwrap();
    assert_eq!(candidates(list, &facts, VehicleLimits::embedded(), later).len(), 0);
    let events = store.events(100).unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "vehicle.saved").count(), 22);
    assert_eq!(events.iter().filter(|e| e.action == "overloads.imported").count(), 2);
}

fn new_entry(party: &str, subject: Option<xinjiao_core::records::record::SubjectInfo>) -> crate::NewEntry {
    crate::NewEntry {
        list_code: "overload".into(),
        criterion: 1,
        origin: "computed".into(),
        party_type: xinjiao_core::lists::definition::PartyType::Vehicle,
        party: party.into(),
        party_name: "某货运公司".into(),
        subject,
        reason: "12 个月内超限运输 4 次".into(),
        evidence: "[]".into(),
        department_id: None,
    }
}

pub fn list_entries_go_from_proposal_through_notice_to_expiry(store: &dyn Store) {
    use xinjiao_core::calendar::Calendar;
    use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
    use xinjiao_core::lists::entries::{EndKind, EntryAction, EntryState, notice_last_day};

    use crate::{EntryFilter, NewListObjection, StoreError};
    let cal = Calendar::embedded();
    let d = |s: &str| -> Date { s.parse().unwrap() };
    let clerk = WriteContext::new("clerk", at("2026-09-24T02:00:00Z"), "提出");
    let coord = WriteContext::new("chen", at("2026-09-25T02:00:00Z"), "审核");
    let firm = xinjiao_core::records::record::SubjectInfo::organisation(
        xinjiao_core::records::ids::Uscc::parse(&uscc_for(60)).unwrap(),
        "某货运公司",
    );
    let a = store.propose_entry(&clerk, &new_entry("粤P00000", Some(firm.clone())), d("2026-09-24")).unwrap();
    let b = store.propose_entry(&clerk, &new_entry("粤P00001", Some(firm)), d("2026-09-24")).unwrap();
    assert!(matches!(
        store.propose_entry(&clerk, &new_entry("粤P00000", None), d("2026-09-24")),
        Err(StoreError::Conflict(m)) if m.contains(&format!("第 {a} 号"))
    ));
    let e = store.entry(a).unwrap().unwrap();
    assert_eq!((e.state, e.subject_key.is_some()), (EntryState::Proposed, true), "the owner's subject is linked");
    // Four eyes: the proposer does not review.
    let own = store.act_on_entry(&clerk, a, &EntryAction::Approve, d("2026-09-25"), &cal);
    assert!(matches!(own, Err(StoreError::Conflict(m)) if m.contains("两人")));
    for id in [a, b] {
        let e = store.act_on_entry(&coord, id, &EntryAction::Approve, d("2026-09-25"), &cal).unwrap();
        assert_eq!((e.state, e.notice_from), (EntryState::Notice, Some(d("2026-09-25"))));
    }
    let last = notice_last_day(
        xinjiao_core::lists::definition::ListDefinition::find("overload").unwrap(),
        d("2026-09-25"),
        &cal,
    );
    // An objection to each during the notice; none after it.
    let object = |entry_id, on: Date| {
        store.file_list_objection(
            &WriteContext::new("某货运公司", at("2026-09-28T02:00:00Z"), "异议"),
            &NewListObjection {
                entry_id,
                objector: "某货运公司".into(),
                filed_via: "account".into(),
                reasons: "车辆当日持有超限运输许可".into(),
            },
            on,
            &cal,
        )
    };
    let oa = object(a, d("2026-09-28")).unwrap();
    let ob = object(b, last).unwrap();
    assert!(matches!(object(a, last.tomorrow().unwrap()), Err(StoreError::Conflict(m)) if m.contains("届满")));
    // Not before the notice ends, not with an objection open.
    let early = store.act_on_entry(&coord, a, &EntryAction::Confirm, last, &cal);
    assert!(matches!(early, Err(StoreError::Conflict(m)) if m.contains("届满后")));
    let after = last.tomorrow().unwrap();
    let open = store.act_on_entry(&coord, a, &EntryAction::Confirm, after, &cal);
    assert!(matches!(open, Err(StoreError::Conflict(m)) if m.contains("1 件异议")));
    // The objection to A fails; the one to B succeeds and withdraws B.
    let reject = ObjectionAction::Reject("许可已过期".into());
    assert!(store.act_on_list_objection(&coord, oa, &reject).is_err(), "acknowledge first");
    store.act_on_list_objection(&coord, oa, &ObjectionAction::Acknowledge).unwrap();
    assert_eq!(store.act_on_list_objection(&coord, oa, &reject).unwrap().status, ObjectionStatus::Rejected);
    store.act_on_list_objection(&coord, ob, &ObjectionAction::Acknowledge).unwrap();
    let upheld = store.act_on_list_objection(&coord, ob, &ObjectionAction::Uphold("许可有效".into())).unwrap();
    assert_eq!(upheld.status, ObjectionStatus::Upheld);
    let eb = store.entry(b).unwrap().unwrap();
    assert_eq!(eb.state, EntryState::Withdrawn);
    assert!(eb.end_note.unwrap().contains("许可有效"));
    assert_eq!(store.list_objections(Some(a)).unwrap().len(), 1);
    assert!(store.list_objections(None).unwrap().is_empty(), "none open");
    let ea = store.act_on_entry(&coord, a, &EntryAction::Confirm, after, &cal).unwrap();
    assert_eq!((ea.state, ea.listed_on), (EntryState::Listed, Some(after)));
    let until = ea.shown_until.unwrap();
    assert_eq!(until, after.checked_add(jiff::Span::new().months(24)).unwrap().yesterday().unwrap());
    // B may be proposed again (its entry was withdrawn); A not while shown.
    assert!(store.propose_entry(&clerk, &new_entry("粤P00001", None), after).is_ok());
    assert!(store.propose_entry(&clerk, &new_entry("粤P00000", None), until).is_err());
    let next = store.propose_entry(&clerk, &new_entry("粤P00000", None), until.tomorrow().unwrap()).unwrap();
    assert!(
        store
            .act_on_entry(
                &coord,
                a,
                &EntryAction::End(EndKind::Repair, "已修复".into()),
                until.tomorrow().unwrap(),
                &cal
            )
            .is_err(),
        "expired already"
    );
    // Filters.
    let listed = store.entries(&EntryFilter { states: vec![EntryState::Listed], ..Default::default() }, 10).unwrap();
    assert_eq!(listed.iter().map(|e| e.id).collect::<Vec<_>>(), [a]);
    let of_firm = store.entries(&EntryFilter { subject_id: ea.subject_id, ..Default::default() }, 10).unwrap();
    assert_eq!(of_firm.len(), 2, "A and B name the firm");
    assert_eq!(
        store.entries(&EntryFilter { party: Some("粤P00000".into()), ..Default::default() }, 10).unwrap().len(),
        2
    );
    assert_eq!(
        store.entries(&EntryFilter { list_code: Some("red".into()), ..Default::default() }, 10).unwrap().len(),
        0
    );
    // An entry ended early by repair.
    let coord2 = WriteContext::new("chen", at("2026-11-02T02:00:00Z"), "审核");
    store.act_on_entry(&coord2, next, &EntryAction::Approve, d("2026-11-02"), &cal).unwrap();
    let gone = store.act_on_entry(&coord2, next, &EntryAction::End(EndKind::Repair, "x".into()), d("2026-11-02"), &cal);
    assert!(gone.is_err(), "only a listed entry ends early");
    // The transparency log: A's listing and its early end, nothing for the
    // entries never listed.
    let early_end = at("2026-11-03T02:00:00Z");
    let ended = store
        .act_on_entry(
            &WriteContext::new("chen", early_end, "提前移出"),
            a,
            &EntryAction::End(EndKind::Repair, "已修复，身份证号 11010519491231002X".into()),
            d("2026-11-03"),
            &cal,
        )
        .unwrap();
    assert_eq!(ended.state, EntryState::Ended);
    let size = store.log_size().unwrap();
    let leaves: Vec<_> =
        store.log_leaves(0, size).unwrap().into_iter().filter(|l| l.object.starts_with("list-entry/")).collect();
    let seen: Vec<(&str, &str)> = leaves.iter().map(|l| (l.event.as_str(), l.object.as_str())).collect();
    let obj = format!("list-entry/{a}");
    assert_eq!(seen, [("list.entered", obj.as_str()), ("list.exited", obj.as_str())]);
    assert!(leaves[0].content.contains(&format!("\"listed_on\":\"{after}\"")), "{}", leaves[0].content);
    assert!(leaves[0].content.contains(&format!("\"shown_until\":\"{until}\"")), "{}", leaves[0].content);
    assert!(leaves[1].content.contains("\"how\":\"repair\"") && leaves[1].content.contains("\"on\":\"2026-11-03\""));
    assert!(!leaves[1].content.contains("11010519491231002X"), "masked: {}", leaves[1].content);
    for l in &leaves {
        let entry = xinjiao_core::transparency::entry::LogEntry::parse(&l.entry).unwrap();
        assert_eq!(entry.commitment, xinjiao_core::transparency::entry::commitment(&l.salt, l.content.as_bytes()));
    }
    let ev = store.events(200).unwrap();
    for (action, n) in [
        ("list_entry.proposed", 4),
        ("list_entry.approved", 3),
        ("list_entry.confirmed", 1),
        ("list_entry.withdrawn", 1),
        ("list_objection.filed", 2),
        ("list_objection.upheld", 1),
        ("list_objection.rejected", 1),
    ] {
        assert_eq!(ev.iter().filter(|e| e.action == action).count(), n, "{action}");
    }
}
