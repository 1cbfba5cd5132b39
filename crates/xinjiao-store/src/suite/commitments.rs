//! Commitments (issue 17): signed once and never changed, each step decided
//! by the core, the deadline from the matter's working days, breaches
//! concluded with who and when; public ones listed on their own;
//! education acknowledged once per material version.

use jiff::Timestamp;
use xinjiao_core::calendar::Calendar;
use xinjiao_core::commitments::{Action, CommitmentRules, Finding, State};

use super::{penalty, uscc_for};
use crate::{CommitmentFilter, NewCommitment, Store, StoreError, WriteContext};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn commitments_are_signed_kept_and_broken(store: &dyn Store) {
    let rules = CommitmentRules::embedded();
    let cal = Calendar::embedded();
    let uscc = uscc_for(31);
    let seed = WriteContext::new("seed", at("2026-02-01T02:00:00Z"), "测试");
    store
        .write_records(&seed, &[penalty("河源市承诺运输有限公司", &uscc, "河交罚〔2026〕31号", "2026-01-20")])
        .unwrap();
    let subject = store.subject_by_key(&uscc).unwrap().unwrap();
    let new = |kind: &str, public: bool| NewCommitment {
        subject_id: subject.id,
        kind: kind.into(),
        matter: (!public).then(|| "YS-HY-01".to_string()),
        template_version: 1,
        text: format!("{}承诺书全文", kind),
        signed_via: "account".into(),
        association: None,
        public,
        department_id: None,
        scan: None,
    };
    let by_subject = WriteContext::new(format!("subject:{uscc}"), at("2026-03-01T02:00:00Z"), "签署信用承诺");
    let clerk = |day: &str| WriteContext::new("clerk", at(&format!("{day}T03:00:00Z")), "核查承诺履行");

    // Signed, then withdrawn before the decision; nothing more after that.
    let a = store.sign_commitment(&by_subject, &new("deferred-materials", false), State::Signed).unwrap();
    let c = store.commitment(a).unwrap().unwrap();
    assert_eq!(
        (c.state, c.subject_key.as_str(), c.signed_by.as_str()),
        (State::Signed, uscc.as_str(), by_subject.actor.as_str())
    );
    assert_eq!((c.signed_at, c.template_version, c.text.as_str()), (by_subject.at, 1, "deferred-materials承诺书全文"));
    let w = store
        .act_on_commitment(&by_subject, a, Action::Withdraw, "2026-03-01".parse().unwrap(), None, &rules, &cal)
        .unwrap();
    assert_eq!(w.state, State::Withdrawn);
    let again =
        store.act_on_commitment(&by_subject, a, Action::Withdraw, "2026-03-01".parse().unwrap(), None, &rules, &cal);
    assert!(matches!(again, Err(StoreError::Conflict(m)) if m.contains("已有结论")));

    // Granted on 2026-03-02 with the matter's 20 working days: due 2026-03-30;
    // not kept only after that, concluded by the clerk.
    let b = store.sign_commitment(&by_subject, &new("deferred-materials", false), State::Signed).unwrap();
    let granted = store
        .act_on_commitment(
            &clerk("2026-03-02"),
            b,
            Action::Decide { granted: true },
            "2026-03-02".parse().unwrap(),
            Some(20),
            &rules,
            &cal,
        )
        .unwrap();
    assert_eq!(
        (granted.state, granted.due, granted.decided_on),
        (State::InForce, Some("2026-03-30".parse().unwrap()), Some("2026-03-02".parse().unwrap()))
    );
    let early = store.act_on_commitment(
        &clerk("2026-03-30"),
        b,
        Action::Verify(Finding::NotKept),
        "2026-03-30".parse().unwrap(),
        None,
        &rules,
        &cal,
    );
    assert!(matches!(early, Err(StoreError::Conflict(m)) if m.contains("期限未到")));
    let broken = store
        .act_on_commitment(
            &clerk("2026-03-31"),
            b,
            Action::Verify(Finding::NotKept),
            "2026-03-31".parse().unwrap(),
            None,
            &rules,
            &cal,
        )
        .unwrap();
    assert_eq!(
        (broken.state, broken.concluded_on, broken.concluded_by.as_deref()),
        (State::NotKept, Some("2026-03-31".parse().unwrap()), Some("clerk"))
    );
    assert_eq!(broken.note.as_deref(), Some("核查承诺履行"));
    assert_eq!(broken.due, granted.due, "the deadline stays");

    // A public commitment is in force at once and listed publicly.
    let p = store.sign_commitment(&by_subject, &new("public", true), State::InForce).unwrap();
    let public = store.commitments(&CommitmentFilter { public_only: true, ..Default::default() }, 10).unwrap();
    assert_eq!(public.iter().map(|c| c.id).collect::<Vec<_>>(), [p]);
    let mine = store.commitments(&CommitmentFilter { subject_id: Some(subject.id), ..Default::default() }, 10).unwrap();
    assert_eq!(mine.iter().map(|c| c.id).collect::<Vec<_>>(), [p, b, a], "newest first");
    let broken_only = CommitmentFilter { states: vec![State::NotKept, State::False], ..Default::default() };
    assert_eq!(store.commitments(&broken_only, 10).unwrap().len(), 1);
    assert_eq!(store.count_commitments(&broken_only).unwrap(), 1);
    assert_eq!(store.count_commitments(&CommitmentFilter::default()).unwrap(), 3);
    let of_matter = CommitmentFilter { matter: Some("YS-HY-01".into()), ..Default::default() };
    assert_eq!(store.commitments(&of_matter, 10).unwrap().len(), 2);
    // Overdue on a day: in force with its deadline before it.
    let c = store.sign_commitment(&by_subject, &new("deferred-materials", false), State::Signed).unwrap();
    store
        .act_on_commitment(
            &clerk("2026-04-01"),
            c,
            Action::Decide { granted: true },
            "2026-04-01".parse().unwrap(),
            Some(5),
            &rules,
            &cal,
        )
        .unwrap();
    let overdue_on = |d: &str| CommitmentFilter { due_before: Some(d.parse().unwrap()), ..Default::default() };
    let due = store.commitment(c).unwrap().unwrap().due.unwrap();
    assert!(store.commitments(&overdue_on(&due.to_string()), 10).unwrap().is_empty());
    let next = due.tomorrow().unwrap().to_string();
    assert_eq!(store.commitments(&overdue_on(&next), 10).unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), [c]);
    assert_eq!(store.count_commitments(&overdue_on(&next)).unwrap(), 1);
    let since = |d: &str| CommitmentFilter { concluded_from: Some(d.parse().unwrap()), ..Default::default() };
    assert_eq!(store.commitments(&since("2026-03-31"), 10).unwrap().len(), 1);
    assert!(store.commitments(&since("2026-04-01"), 10).unwrap().is_empty());
    // The outcomes the evaluation reads: the broken one only (withdrawn,
    // in force and public ones have none).
    let outcomes = store.concluded_commitments_in(subject.id..subject.id + 1).unwrap();
    assert_eq!(outcomes.iter().map(|c| (c.id, c.state)).collect::<Vec<_>>(), [(b, State::NotKept)]);
    assert!(store.concluded_commitments_in(subject.id + 1..i64::MAX).unwrap().is_empty());

    // A paper commitment recorded at the window keeps its scan and digest.
    let clerk_window = WriteContext::new("clerk", at("2026-04-02T03:00:00Z"), "窗口录入纸质承诺书");
    let paper = NewCommitment {
        signed_via: "window".into(),
        scan: Some(("承诺书.pdf".into(), b"%PDF-1.4 scan".to_vec())),
        ..new("certificate", false)
    };
    let w = store.sign_commitment(&clerk_window, &paper, State::Signed).unwrap();
    let (name, bytes, digest) = store.commitment_scan(w).unwrap().unwrap();
    assert_eq!((name.as_str(), bytes.as_slice()), ("承诺书.pdf", &b"%PDF-1.4 scan"[..]));
    assert_eq!(digest, xinjiao_core::commitments::scan_digest(b"%PDF-1.4 scan"));
    assert_eq!(store.commitment(w).unwrap().unwrap().signed_by, "clerk");
    assert!(store.commitment_scan(c).unwrap().is_none());
    assert!(store.commitment(999_999).unwrap().is_none());
    assert!(matches!(
        store.act_on_commitment(
            &by_subject,
            999_999,
            Action::Withdraw,
            "2026-03-01".parse().unwrap(),
            None,
            &rules,
            &cal
        ),
        Err(StoreError::NotFound)
    ));

    // Education: once per material version.
    assert!(store.acknowledge_education(&by_subject, subject.id, "EDU-FREIGHT", 1).unwrap());
    assert!(!store.acknowledge_education(&by_subject, subject.id, "EDU-FREIGHT", 1).unwrap());
    assert!(store.acknowledge_education(&by_subject, subject.id, "EDU-FREIGHT", 2).unwrap());
    let acks = store.acknowledgements(subject.id).unwrap();
    assert_eq!(
        acks.iter().map(|(m, v, _)| (m.as_str(), *v)).collect::<Vec<_>>(),
        [("EDU-FREIGHT", 1), ("EDU-FREIGHT", 2)]
    );
    assert_eq!(acks[0].2, by_subject.at);
    assert_eq!(
        store.education_counts().unwrap(),
        [("EDU-FREIGHT".to_string(), 1, 1), ("EDU-FREIGHT".to_string(), 2, 1)]
    );

    // An association's members: kept once while in force, in one transaction.
    let member = |subject_id: i64| NewCommitment {
        subject_id,
        signed_via: "association".into(),
        association: Some("河源市道路运输协会".into()),
        ..new("self-regulation", true)
    };
    let upload = WriteContext::new("coord", at("2026-04-03T03:00:00Z"), "上传行业协会会员信用承诺");
    assert_eq!(store.sign_member_commitments(&upload, &[member(subject.id)]).unwrap(), (1, 0));
    assert_eq!(store.sign_member_commitments(&upload, &[member(subject.id)]).unwrap(), (0, 1));
    let other = NewCommitment { association: Some("河源市出租汽车协会".into()), ..member(subject.id) };
    assert_eq!(store.sign_member_commitments(&upload, &[other]).unwrap(), (1, 0), "another association's is another");
    let held = CommitmentFilter { subject_id: Some(subject.id), states: vec![State::InForce], ..Default::default() };
    let mine = store.commitments(&held, 10).unwrap();
    assert_eq!(mine.iter().filter(|c| c.signed_via == "association").count(), 2);

    // The licence a commitment obtained is named once.
    let licence_id = store
        .list_records(
            &crate::RecordFilter { subject_id: Some(subject.id), ..Default::default() },
            crate::PageRequest::new(1, 10),
        )
        .unwrap()
        .items[0]
        .id;
    store.link_commitment_licence(&clerk("2026-04-02"), b, licence_id).unwrap();
    assert_eq!(store.commitment(b).unwrap().unwrap().licence_record_id, Some(licence_id));
    assert!(matches!(store.link_commitment_licence(&clerk("2026-04-02"), b, licence_id), Err(StoreError::Conflict(_))));
    assert_eq!(store.commitment(c).unwrap().unwrap().licence_record_id, None);

    // The lists read breaches: the transport list's criterion counts them,
    // and the red list's streak is barred by one as by a penalty. A firm
    // with a licence only is not barred until its public commitment is
    // found broken.
    let licensed = uscc_for(32);
    store
        .write_records(
            &seed,
            &[super::license("河源市守信运输有限公司", &licensed, "河交许〔2026〕32号", "2026-01-20")],
        )
        .unwrap();
    let firm = store.subject_by_key(&licensed).unwrap().unwrap();
    let day: jiff::civil::Date = "2026-06-01".parse().unwrap();
    let red = xinjiao_core::lists::definition::ListDefinition::find("red").unwrap();
    let transport = xinjiao_core::lists::definition::ListDefinition::find("transport").unwrap();
    assert!(!crate::lists::streak_facts(store, red, day).unwrap().penalised.contains(&licensed));
    let promise = store
        .sign_commitment(&by_subject, &NewCommitment { subject_id: firm.id, ..new("public", true) }, State::InForce)
        .unwrap();
    store
        .act_on_commitment(
            &clerk("2026-05-01"),
            promise,
            Action::Verify(Finding::NotKept),
            "2026-05-01".parse().unwrap(),
            None,
            &rules,
            &cal,
        )
        .unwrap();
    assert!(crate::lists::streak_facts(store, red, day).unwrap().penalised.contains(&licensed));
    let facts = crate::lists::breach_facts(store, transport, day).unwrap();
    let mine: Vec<_> = facts.iter().filter(|f| f.party == licensed).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].commitment_id, mine[0].state, mine[0].person), (promise, State::NotKept, false));
    assert_eq!(mine[0].party_name, "河源市守信运输有限公司");
    assert!(
        crate::lists::breach_facts(store, transport, "2026-04-30".parse().unwrap())
            .unwrap()
            .iter()
            .all(|f| f.party != licensed),
        "not before it was found"
    );

    let events = store.events(100).unwrap();
    for (action, n) in [
        ("commitment.signed", 8),
        ("commitment.withdrawn", 1),
        ("commitment.in_force", 2),
        ("commitment.not_kept", 2),
        ("education.acknowledged", 2),
        ("commitment.licence_linked", 1),
    ] {
        assert_eq!(events.iter().filter(|e| e.action == action).count(), n, "{action}");
    }
}

/// A public commitment of `subject_id` to sign in tests.
pub fn sample_commitment(subject_id: i64) -> NewCommitment {
    NewCommitment {
        subject_id,
        kind: "public".into(),
        matter: None,
        template_version: 1,
        text: "承诺书".into(),
        signed_via: "account".into(),
        association: None,
        public: true,
        department_id: None,
        scan: None,
    }
}
