//! The transparency log end to end (issue 16): records published and
//! corrected by file import and withdrawn as the console does it; the server
//! signs checkpoints and serves tiles; the tree is rebuilt from the tiles
//! alone, every checkpoint's signature and every record's proof verified,
//! successive checkpoints checked consistent; a bundle checked offline by
//! `xinjiao verify bundle`; the log audited by `xinjiao log audit`, which
//! then finds a database row changed by SQL behind the platform's back.

use std::collections::BTreeSet;

use base64::Engine;
use xinjiao_core::signed_note::NoteVerifier;
use xinjiao_core::transparency::audit::audit;
use xinjiao_core::transparency::bundle::verify;
use xinjiao_core::transparency::checkpoint::Checkpoint;
use xinjiao_core::transparency::tree::{Tree, verify_consistency};
use xinjiao_import::proof::BundleFile;

use super::*;

pub(super) struct Server {
    child: std::process::Child,
    pub(super) base: String,
    http: xinjiao_notify::Fetcher,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(super) fn start(dir: &TempDir, today: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Server::start_on(dir, today, port)
    }

    /// On a given port (a restart keeps the installation's address).
    pub(super) fn start_on(dir: &TempDir, today: &str, port: u16) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_xinjiao"))
            .args(["serve", "--today", today, "--db", &dir.db(), "--addr", &format!("127.0.0.1:{port}")])
            .args(["--key-file", dir.path("keys/signing-key.pem").to_str().unwrap(), "--jobs-every", "3600"])
            .env("XINJIAO_TEST_CLOCK", "1")
            .env_remove("XINJIAO_DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let s = Server { child, base: format!("http://127.0.0.1:{port}"), http: Default::default() };
        (0..200)
            .find(|_| {
                std::thread::sleep(std::time::Duration::from_millis(100));
                s.http.get(&format!("{}/healthz", s.base), 100).is_ok()
            })
            .expect("the server answers");
        s
    }

    pub(super) fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.http.get(&format!("{}{path}", self.base), 8 << 20).unwrap()
    }

    pub(super) fn text(&self, path: &str) -> String {
        String::from_utf8(self.get(path).unwrap_or_else(|| panic!("{path}: 404"))).unwrap()
    }

    pub(super) fn json(&self, path: &str) -> Option<Value> {
        self.get(path).map(|b| serde_json::from_slice(&b).unwrap())
    }
}

pub fn the_log_is_served_verified_and_audited(dir: TempDir) {
    // Published and corrected by importing files.
    let csv = dir.path("penalties.csv");
    let made = xinjiao(&["demo", "--csv", csv.to_str().unwrap(), "--kind", "penalties", "--records", "40"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (code, report) = import(&dir, "penalties", &csv, &[]);
    assert!(code == 0 || code == 2, "{report}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let first_row = text.lines().nth(1).unwrap();
    let changed = text.replacen(first_row, &first_row.replacen("当事人", "该当事人", 1), 1);
    assert_ne!(changed, text);
    std::fs::write(&csv, changed).unwrap();
    let (code, report) = import(&dir, "penalties", &csv, &[]);
    assert!(code == 0 || code == 2, "{report}");
    let store = dir.store();
    let size = store.log_size().unwrap();
    let corrections: Vec<_> =
        store.log_leaves(0, size).unwrap().into_iter().filter(|l| l.event == "record.corrected").collect();
    assert_eq!(corrections.len(), 1, "one row changed, one correction");
    let corrected = corrections[0].record_id.unwrap();

    let server = Server::start(&dir, "2025-06-30");
    // The verifier key and a checkpoint in the C2SP formats.
    let vkey = server.text("/log/key").trim_end().to_string();
    let key = NoteVerifier::parse_vkey(&vkey).unwrap();
    let parts: Vec<&str> = vkey.splitn(3, '+').collect();
    assert_eq!(parts.len(), 3, "{vkey}");
    assert!(parts[0].starts_with("127.0.0.1:") && parts[1].len() == 8, "{vkey}");
    let raw = base64::engine::general_purpose::STANDARD.decode(parts[2]).unwrap();
    assert_eq!((raw.len(), raw[0]), (33, 1), "0x01 ‖ the Ed25519 key");
    let note1 = server.text("/log/checkpoint");
    let lines: Vec<&str> = note1.lines().collect();
    assert_eq!(lines[0], key.name);
    assert_eq!(lines[1], store.log_size().unwrap().to_string());
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(lines[2]).unwrap().len(), 32);
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with(&format!("— {} ", key.name)), "{note1}");
    let cp1 = Checkpoint::open(&key, note1.as_bytes()).unwrap();
    assert!(cp1.size >= 40, "{cp1:?}");

    // The tree rebuilt from the tiles alone has the checkpoint's root.
    let mut fetch = |path: &str| server.get(&format!("/log/{path}"));
    let seen = audit(&cp1, None, &mut fetch).unwrap();
    assert_eq!(server.get("/log/tile/0/999"), None);
    assert_eq!(server.get("/log/tile/entries/x001/000"), None);

    // Every record's proof verifies; content is given while the record is public.
    let leaves = store.log_leaves(0, cp1.size).unwrap();
    let ids: BTreeSet<i64> = leaves.iter().filter_map(|l| l.record_id).collect();
    let (mut with_content, mut without) = (0, 0);
    for id in &ids {
        let p = server.json(&format!("/api/v1/records/{id}/proof")).unwrap();
        let file: BundleFile = serde_json::from_value(p.clone()).unwrap();
        let v = verify(&file.bundle().unwrap(), std::slice::from_ref(&key)).unwrap();
        assert_eq!(v.entry.record().map(|r| r.0), Some(*id));
        let public = server.get(&format!("/api/v1/records/{id}")).is_some();
        assert_eq!(v.content_checked, public, "record {id}: content iff public");
        if public { with_content += 1 } else { without += 1 }
    }
    assert!(with_content > 0, "public records prove their content");
    let history = server.json(&format!("/api/v1/records/{corrected}/proof")).unwrap()["history"].clone();
    let events: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["record.published", "record.corrected"]);
    // The first version is proven without what it said.
    let first = history[0]["leaf_index"].as_u64().unwrap();
    let old = server.json(&format!("/api/v1/records/{corrected}/proof?leaf={first}")).unwrap();
    assert!(old["salt"].is_null() && old["content"].is_null(), "{old}");
    let b = serde_json::from_value::<BundleFile>(old).unwrap().bundle().unwrap();
    assert!(!verify(&b, std::slice::from_ref(&key)).unwrap().content_checked);
    let port: u16 = server.base.rsplit_once(':').unwrap().1.parse().unwrap();
    let missing = http_get(port, "/api/v1/records/999999/proof").unwrap();
    assert!(missing.starts_with("HTTP/1.0 404") && missing.contains("proof.not_logged"), "{missing}");
    eprintln!("{} records proven, {with_content} with content, {without} without", ids.len());

    // Withdrawn as the console does it: one more leaf, a consistent checkpoint.
    let public_id = *ids.iter().find(|id| server.get(&format!("/api/v1/records/{id}")).is_some()).unwrap();
    let at: jiff::Timestamp = "2025-06-30T02:00:00Z".parse().unwrap();
    let w = xinjiao_store::WriteContext::new("clerk", at, "决定已撤销").overseeing(true);
    store
        .withdraw_record(
            &w,
            public_id,
            "行政复议决定撤销原处罚决定，当事人身份证号 11010519491231002X",
            "2025-06-29".parse().unwrap(),
        )
        .unwrap();
    let cp2 = Checkpoint::open(&key, server.text("/log/checkpoint").as_bytes()).unwrap();
    assert_eq!(cp2.size, cp1.size + 1);
    let mut fetch = |path: &str| server.get(&format!("/log/{path}"));
    let grown = audit(&cp2, Some(&seen), &mut fetch).unwrap();
    let mut tree = Tree::new();
    for h in &grown.leaves {
        tree.push_leaf_hash(*h);
    }
    let proof = tree.consistency_proof(cp1.size, cp2.size).unwrap();
    assert!(verify_consistency(cp1.size, cp2.size, &proof, &cp1.root, &cp2.root));
    // The same proof as the API serves it, with both checkpoints.
    let c = server.json(&format!("/api/v1/log/consistency?from={}&to={}", cp1.size, cp2.size)).unwrap();
    let served: Vec<[u8; 32]> = c["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| base64::engine::general_purpose::STANDARD.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
        .collect();
    assert!(verify_consistency(cp1.size, cp2.size, &served, &cp1.root, &cp2.root), "{c}");
    assert_eq!(Checkpoint::open(&key, c["from_checkpoint"].as_str().unwrap().as_bytes()).unwrap(), cp1);
    assert_eq!(Checkpoint::open(&key, c["to_checkpoint"].as_str().unwrap().as_bytes()).unwrap(), cp2);
    let bad = http_get(port, &format!("/api/v1/log/consistency?from={}&to=1", cp2.size)).unwrap();
    assert!(bad.starts_with("HTTP/1.0 422") && bad.contains("log.bad_range"), "{bad}");
    // Every checkpoint the server signed verifies and is consistent with the newest.
    let checkpoints = store.checkpoints(100).unwrap();
    assert!(checkpoints.len() >= 2);
    for c in &checkpoints {
        let opened = Checkpoint::open(&key, c.note.as_bytes()).unwrap();
        assert_eq!((opened.size, opened.root), (c.size, c.root));
        let p = tree.consistency_proof(c.size, cp2.size).unwrap();
        assert!(verify_consistency(c.size, cp2.size, &p, &c.root, &cp2.root), "checkpoint of {}", c.size);
    }

    // The withdrawn record's bundle, downloaded from its page, verifies offline.
    let bundle_path = dir.path("withdrawn.proof.json");
    std::fs::write(&bundle_path, server.get(&format!("/records/{public_id}/proof.json")).unwrap()).unwrap();
    let key_arg = vkey.as_str();
    let out = xinjiao(&["verify", "bundle", bundle_path.to_str().unwrap(), "--key", key_arg]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("证明有效") && said.contains("记录撤销公示") && said.contains("内容与承诺值一致"), "{said}");
    assert!(said.contains("1101") && !said.contains("11010519491231002X"), "masked: {said}");
    let tampered = std::fs::read_to_string(&bundle_path).unwrap().replace("行政复议", "行政诉讼");
    std::fs::write(&bundle_path, tampered).unwrap();
    let out = xinjiao(&["verify", "bundle", bundle_path.to_str().unwrap(), "--key", key_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bundle.commitment"));
    let other = xinjiao_core::signed_note::NoteSigner::new(
        &key.name,
        xinjiao_core::signed_note::SigningKey::from_bytes(&[1; 32]),
    )
    .unwrap()
    .verifier()
    .to_vkey();
    std::fs::write(&bundle_path, server.get(&format!("/records/{public_id}/proof.json")).unwrap()).unwrap();
    let out = xinjiao(&["verify", "bundle", bundle_path.to_str().unwrap(), "--key", &other]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("bundle.unknown_key"));

    // `xinjiao log audit` passes, twice, then finds a row changed by SQL.
    let state = dir.path("audit.state");
    let audit_cli = || {
        let out = xinjiao(&["log", "audit", &server.base, "--key", key_arg, "--state", state.to_str().unwrap()]);
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, said) = audit_cli();
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains(&format!("共 {} 条", cp2.size)), "{said}");
    let (code, said) = audit_cli();
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("新增 0 条"), "{said}");
    let leaf = leaves.iter().find(|l| l.event == "record.published").unwrap().index;
    tamper(&dir, leaf);
    let (code, said) = audit_cli();
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("audit.rewritten_entry") && said.contains(&format!("第 {leaf} 号条目被改写")), "{said}");
}

/// Changes leaf `leaf`'s entry in the database, as someone with database
/// access could: the append-only trigger dropped first.
fn tamper(dir: &TempDir, leaf: u64) {
    let (from, to) = ("record.published", "record.corrected");
    match dir.backend {
        Backend::Sqlite => xinjiao_store_sqlite::testing::rewrite_log_entry(&dir.path("db.sqlite3"), leaf, from, to),
        Backend::Postgres => xinjiao_store_postgres::testing::rewrite_log_entry(&dir.db(), leaf, from, to),
    }
}

/// Key rotation: the old key and the new one sign the transition; the
/// server serves it at /log/keys and co-signs the checkpoint it had; what
/// the old key signed still verifies with it (offline and on /verify); an
/// auditor who trusts only the old key follows the transition; a rotation
/// cut short before its history was written is undone at the next start.
pub fn the_key_is_rotated_and_what_it_signed_still_verifies(dir: TempDir) {
    let csv = dir.path("penalties.csv");
    let made = xinjiao(&["demo", "--csv", csv.to_str().unwrap(), "--kind", "penalties", "--records", "12"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (code, report) = import(&dir, "penalties", &csv, &[]);
    assert!(code == 0 || code == 2, "{report}");
    let store = dir.store();
    let record = store.log_leaves(0, 1).unwrap()[0].record_id.unwrap();
    let key_file = dir.path("keys/signing-key.pem");

    let server = Server::start(&dir, "2025-06-30");
    let port: u16 = server.base.rsplit_once(':').unwrap().1.parse().unwrap();
    let old_vkey = server.text("/log/key").trim_end().to_string();
    let old = NoteVerifier::parse_vkey(&old_vkey).unwrap();
    assert_eq!(server.text("/log/keys"), "", "no rotation yet");
    let before = server.text("/log/checkpoint");
    let old_bundle = dir.path("old.proof.json");
    std::fs::write(&old_bundle, server.get(&format!("/records/{record}/proof.json")).unwrap()).unwrap();
    let state = dir.path("audit.state");
    let audit_cli = |key: &str| {
        let out = xinjiao(&["log", "audit", &server_url(port), "--key", key, "--state", state.to_str().unwrap()]);
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, said) = audit_cli(&old_vkey);
    assert_eq!(code, Some(0), "{said}");
    drop(server);

    // The rotation, while the server is stopped.
    let out =
        xinjiao(&["log", "rotate-key", "--key-file", key_file.to_str().unwrap(), "--public-url", &server_url(port)]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains(&old_vkey), "{said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let server = Server::start_on(&dir, "2025-06-30", port);
    let new_vkey = server.text("/log/key").trim_end().to_string();
    assert_ne!(new_vkey, old_vkey);
    assert!(said.contains(&new_vkey), "{said}");
    let new = NoteVerifier::parse_vkey(&new_vkey).unwrap();
    let history = xinjiao_core::transparency::keys::parse_history(&server.text("/log/keys")).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((&history[0].old, &history[0].new), (&old, &new));
    // The checkpoint signed before the rotation, now co-signed by the new key.
    let cosigned = server.text("/log/checkpoint");
    assert!(cosigned.starts_with(&before), "{cosigned}");
    let a = Checkpoint::open(&old, cosigned.as_bytes()).unwrap();
    let b = Checkpoint::open(&new, cosigned.as_bytes()).unwrap();
    assert_eq!((a.size, a.root), (b.size, b.root));
    let page = server.text("/log");
    assert!(page.contains("已停用的公钥") && page.contains(&old_vkey), "the retired key is listed");

    // The log grows: checkpoints are signed by the new key alone.
    let text = std::fs::read_to_string(&csv).unwrap();
    let row = text.lines().nth(1).unwrap();
    std::fs::write(&csv, text.replacen(row, &row.replacen("当事人", "该当事人", 1), 1)).unwrap();
    let (code, report) = import(&dir, "penalties", &csv, &[]);
    assert!(code == 0 || code == 2, "{report}");
    let after = server.text("/log/checkpoint");
    assert_eq!(Checkpoint::open(&new, after.as_bytes()).unwrap().size, a.size + 1);
    assert!(Checkpoint::open(&old, after.as_bytes()).is_err());

    // An auditor who knows only the old key follows the transition.
    let (code, said) = audit_cli(&old_vkey);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("密钥已轮换") && said.contains(&new_vkey) && said.contains("新增 1 条"), "{said}");

    // What the old key signed still verifies with it, offline and on /verify.
    let out = xinjiao(&["verify", "bundle", old_bundle.to_str().unwrap(), "--key", &old_vkey]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let page = super::report::upload_verify(&server, "old.proof.json", &std::fs::read(&old_bundle).unwrap());
    assert!(page.1.contains("data-verdict=\"genuine\""), "{}", page.1);
    let new_bundle = dir.path("new.proof.json");
    std::fs::write(&new_bundle, server.get(&format!("/records/{record}/proof.json")).unwrap()).unwrap();
    let out = xinjiao(&["verify", "bundle", new_bundle.to_str().unwrap(), "--key", &new_vkey]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = xinjiao(&["verify", "bundle", new_bundle.to_str().unwrap(), "--key", &old_vkey]);
    assert_eq!(out.status.code(), Some(1), "the old key does not sign what came after");
    drop(server);

    // A rotation cut short before its history was written did not happen.
    let name = xinjiao_web::kernel::signing::key_name(&server_url(port));
    let mut next = key_file.clone().into_os_string();
    next.push(".next");
    xinjiao_web::kernel::signing::load_or_create(std::path::Path::new(&next), &name).unwrap();
    let history = xinjiao_web::kernel::signing::load_history(&key_file, &name).unwrap();
    assert_eq!(history.len(), 1);
    assert!(!std::path::Path::new(&next).exists());
    let kept = xinjiao_web::kernel::signing::load_or_create(&key_file, &name).unwrap();
    assert_eq!(kept.verifier(), new, "the current key is kept");
}

fn server_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}
