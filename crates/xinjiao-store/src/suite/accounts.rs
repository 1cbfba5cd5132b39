//! The shared suite's tests of the accounts capability.

use crate::{PageRequest, Role, Store, StoreError};
use jiff::Timestamp;

use super::*;

pub fn users_sessions_and_tokens(store: &dyn Store) {
    let id = store.create_user(&ctx("system"), "clerk1", "王报送", Role::Clerk, "$argon2id$fake", None).unwrap();
    assert!(matches!(
        store.create_user(&ctx("system"), "clerk1", "重复", Role::Clerk, "x", None),
        Err(StoreError::Conflict(_))
    ));
    let u = store.user_by_name("clerk1").unwrap().unwrap();
    assert_eq!((u.id, u.display_name.as_str(), u.role), (id, "王报送", Role::Clerk));
    assert_eq!(store.user(id).unwrap().unwrap().username, "clerk1");
    assert!(store.user_by_name("nobody").unwrap().is_none());
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let later = Timestamp::from_second(1_780_003_600).unwrap();
    store.create_session("h1", id, later).unwrap();
    assert_eq!(store.session_user("h1", now).unwrap().unwrap().id, id);
    assert!(store.session_user("h1", later).unwrap().is_none(), "expired at expires_at");
    assert!(store.session_user("h2", now).unwrap().is_none());
    store.delete_session("h1").unwrap();
    assert!(store.session_user("h1", now).unwrap().is_none());
    store.create_api_token(&ctx("clerk1"), "t1aaaaaaaaaaaaaa", id, "执法系统", None).unwrap();
    assert_eq!(store.api_token_user("t1aaaaaaaaaaaaaa", now).unwrap().unwrap().username, "clerk1");
    assert!(store.api_token_user("t2", now).unwrap().is_none());
    let actions: Vec<String> = store.events(10).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["api_token.created", "user.created"]);
    // Tokens expire, are listed without their secret, and can be revoked.
    store.create_api_token(&ctx("clerk1"), "t3bbbbbbbbbbbbbb", id, "月报", Some(later)).unwrap();
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", now).unwrap().is_some());
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", later).unwrap().is_none(), "expired at expires_at");
    let other = store.create_user(&ctx("system"), "clerk9", "赵报送", Role::Clerk, "x", None).unwrap();
    store.create_api_token(&ctx("clerk9"), "t4cccccccccccccc", other, "别人的", None).unwrap();
    let mine = store.api_tokens(Some(id)).unwrap();
    let names: Vec<(&str, &str, Option<Timestamp>)> =
        mine.iter().map(|t| (t.id.as_str(), t.name.as_str(), t.expires_at)).collect();
    // Newest first; created at the same moment, by id.
    assert_eq!(names, [("t1aaaaaaaaaa", "执法系统", None), ("t3bbbbbbbbbb", "月报", Some(later))]);
    assert_eq!(store.api_tokens(None).unwrap().len(), 3);
    assert!(matches!(store.revoke_api_token(&ctx("clerk1"), "t4cccccccccc", Some(id)), Err(StoreError::NotFound)));
    assert!(matches!(store.revoke_api_token(&ctx("clerk1"), "t1aaa", Some(id)), Err(StoreError::NotFound)));
    store.revoke_api_token(&ctx("clerk1"), "t1aaaaaaaaaa", Some(id)).unwrap();
    assert!(store.api_token_user("t1aaaaaaaaaaaaaa", now).unwrap().is_none(), "revoked");
    assert!(store.api_tokens(Some(id)).unwrap()[0].revoked_at.is_some());
    assert!(matches!(store.revoke_api_token(&ctx("clerk1"), "t1aaaaaaaaaa", None), Err(StoreError::NotFound)));
    // A disabled account signs in by no means; enabling it again restores tokens.
    store.create_session("h3", id, later).unwrap();
    store.set_user_disabled(&ctx("admin"), "clerk1", true).unwrap();
    assert!(store.user_by_name("clerk1").unwrap().unwrap().disabled);
    assert!(store.session_user("h3", now).unwrap().is_none());
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", now).unwrap().is_none());
    store.create_session("h4", id, later).unwrap();
    assert!(store.session_user("h4", now).unwrap().is_none(), "no session of a disabled account works");
    store.set_user_disabled(&ctx("admin"), "clerk1", false).unwrap();
    assert!(!store.user(id).unwrap().unwrap().disabled);
    assert!(store.session_user("h3", now).unwrap().is_none(), "disabling ended the sessions");
    assert!(store.api_token_user("t3bbbbbbbbbbbbbb", now).unwrap().is_some());
    assert!(matches!(store.set_user_disabled(&ctx("admin"), "nobody", true), Err(StoreError::NotFound)));
    let names: Vec<String> = store.users().unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["clerk1", "clerk9"]);
    let actions: Vec<String> = store.events(3).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["user.enabled", "user.disabled", "api_token.revoked"]);
}

pub fn subjects_claim_accounts_with_one_time_codes(store: &dyn Store) {
    let out = store
        .write_records(
            &ctx("clerk"),
            &[
                penalty("甲公司", &uscc_for(1), "罚1", "2026-05-10"),
                person_penalty("李四", "11010519491231002X", "罚2"),
            ],
        )
        .unwrap();
    let company = store.subject_by_key(&uscc_for(1)).unwrap().unwrap();
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let long_ago = Timestamp::from_second(1_700_000_000).unwrap();
    store.create_claim_code(&ctx("clerk"), company.id, Some(out[0].record_id()), "h1").unwrap();
    store.create_claim_code(&ctx("clerk"), company.id, Some(out[0].record_id()), "h2").unwrap();
    let claim = |identity: &str, code: &str, after: Timestamp| {
        store.claim_subject_account(&ctx("subject"), identity, code, after, "$argon2id$x")
    };
    assert!(matches!(claim(&uscc_for(1), "h1", long_ago), Err(StoreError::NotFound)), "an earlier code stops working");
    assert!(matches!(claim(&uscc_for(2), "h2", long_ago), Err(StoreError::NotFound)), "the code is the subject's own");
    assert!(matches!(claim(&uscc_for(1), "h2", now), Err(StoreError::NotFound)), "issued before the cut-off: expired");
    assert_eq!(claim(&uscc_for(1), "h2", long_ago).unwrap().id, company.id);
    assert!(matches!(claim(&uscc_for(1), "h2", long_ago), Err(StoreError::NotFound)), "one use only");
    store.create_claim_code(&ctx("clerk"), company.id, None, "h3").unwrap();
    assert!(matches!(claim(&uscc_for(1), "h3", long_ago), Err(StoreError::Conflict(_))), "already active");
    let (s, hash) = store.subject_account(&uscc_for(1)).unwrap().unwrap();
    assert_eq!((s.id, hash.as_str()), (company.id, "$argon2id$x"));
    // A natural person is identified by the document number.
    let person = store.search_subjects("李四", PageRequest::new(1, 1)).unwrap().items.remove(0);
    assert!(store.subject_account("11010519491231002X").unwrap().is_none(), "not yet claimed");
    assert_eq!(store.subject_by_identity("11010519491231002X").unwrap().map(|s| s.id), Some(person.id));
    assert!(store.subject_by_identity("nobody").unwrap().is_none());
    store.create_claim_code(&ctx("clerk"), person.id, Some(out[1].record_id()), "p1").unwrap();
    assert_eq!(claim("11010519491231002X", "p1", long_ago).unwrap().id, person.id);
    // Sessions.
    let later = Timestamp::from_second(1_780_003_600).unwrap();
    store.create_subject_session("t1", company.id, later).unwrap();
    assert_eq!(store.subject_session("t1", now).unwrap().map(|s| s.id), Some(company.id));
    assert!(store.subject_session("t1", later).unwrap().is_none(), "expired");
    assert!(store.subject_session("nope", now).unwrap().is_none());
    store.create_subject_session("t2", company.id, later).unwrap();
    store.delete_subject_session("t2").unwrap();
    assert!(store.subject_session("t2", now).unwrap().is_none(), "logged out");
    let actions: Vec<String> = store.events(100).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "subject_account.activated").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "claim_code.created").count(), 4);
}
