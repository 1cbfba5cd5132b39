//! Auditing another installation's log over HTTP (`xinjiao log audit`):
//! fetch its key (unless trusted one is given), its checkpoint and its tiles,
//! and run the core's audit against what was seen before.

use std::cell::RefCell;

use xinjiao_core::signed_note::{MAX_NOTE_BYTES, NoteVerifier};
use xinjiao_core::transparency::audit::{AuditState, audit};
use xinjiao_core::transparency::checkpoint::Checkpoint;
use xinjiao_core::transparency::entry::MAX_ENTRY_BYTES;
use xinjiao_core::transparency::keys::{follow, parse_history};
use xinjiao_core::transparency::tiles::TILE_WIDTH;
use xinjiao_notify::Fetcher;

/// What an audit established.
#[derive(Debug, Clone)]
pub struct AuditRun {
    pub checkpoint: Checkpoint,
    pub key: NoteVerifier,
    pub state: AuditState,
    /// Leaves added since the prior state.
    pub grown: u64,
    /// The trusted key's successors learned from `/log/keys` (each vouched
    /// for by its predecessor), when the checkpoint is signed by a newer key.
    pub rotated: Vec<NoteVerifier>,
}

/// Why an audit failed: a stable code and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFailure {
    pub code: &'static str,
    pub message: String,
}

fn fail(code: &'static str, message: impl Into<String>) -> AuditFailure {
    AuditFailure { code, message: message.into() }
}

/// `https://host/path` → `https://host/path/log/`.
fn log_base(url: &str) -> String {
    format!("{}/log/", url.trim_end_matches('/'))
}

/// Audits the log at `url` (the installation's address). Without `key`,
/// trusts the key the installation serves (and says so in `key`).
pub fn run_audit(
    fetcher: &Fetcher,
    url: &str,
    key: Option<&NoteVerifier>,
    prior: Option<&AuditState>,
) -> Result<AuditRun, AuditFailure> {
    let base = log_base(url);
    let get = |path: &str, limit: u64| -> Result<Vec<u8>, AuditFailure> {
        fetcher
            .get(&format!("{base}{path}"), limit)
            .map_err(|e| fail("audit.fetch", e))?
            .ok_or_else(|| fail("audit.fetch", format!("{base}{path} 不存在（HTTP 404）")))
    };
    let mut key = match key {
        Some(k) => k.clone(),
        None => {
            let text = String::from_utf8(get("key", 1024)?).map_err(|_| fail("audit.key", "公钥不是 UTF-8 文本"))?;
            NoteVerifier::parse_vkey(text.trim_end())
                .map_err(|e| fail("audit.key", format!("公钥无效：{}", e.message())))?
        }
    };
    let note = get("checkpoint", MAX_NOTE_BYTES as u64)?;
    let mut rotated = Vec::new();
    let checkpoint = match Checkpoint::open(&key, &note) {
        Ok(c) => c,
        Err(e) => {
            // Signed by a successor? The key history says, if the trusted key vouches for it.
            let history = match get("keys", MAX_NOTE_BYTES as u64) {
                Ok(bytes) => {
                    let text = String::from_utf8(bytes).map_err(|_| fail("audit.keys", "密钥历史不是 UTF-8 文本"))?;
                    parse_history(&text).map_err(|e| fail("audit.keys", e.message()))?
                }
                Err(_) => vec![],
            };
            let successors = follow(&key, &history);
            let opened = successors.iter().rev().find_map(|k| Checkpoint::open(k, &note).ok().map(|c| (k, c)));
            match opened {
                Some((k, c)) => {
                    let newest = k.clone();
                    rotated = successors;
                    key = newest;
                    c
                }
                None => {
                    return Err(fail("audit.checkpoint", format!("检查点未通过公钥 {} 的验证：{e:?}", key.name)));
                }
            }
        }
    };
    let network: RefCell<Option<String>> = RefCell::new(None);
    let mut fetch = |path: &str| -> Option<Vec<u8>> {
        let limit =
            if path.starts_with("tile/entries/") { TILE_WIDTH * (2 + MAX_ENTRY_BYTES as u64) } else { TILE_WIDTH * 32 };
        match fetcher.get(&format!("{base}{path}"), limit) {
            Ok(b) => b,
            Err(e) => {
                network.borrow_mut().get_or_insert(e);
                None
            }
        }
    };
    let state = audit(&checkpoint, prior, &mut fetch);
    if let Some(e) = network.into_inner() {
        return Err(fail("audit.fetch", e));
    }
    let state = state.map_err(|f| fail(f.code(), f.message()))?;
    let grown = state.size - prior.map_or(0, |p| p.size);
    Ok(AuditRun { checkpoint, key, state, grown, rotated })
}
