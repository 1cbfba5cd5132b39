//! The platform's signing key (Ed25519): what signs credit-check receipts
//! and the transparency log's checkpoints ([`issue_checkpoint`]). It lives in a file outside
//! the database, readable by its owner only, created at first start.

use std::io::Write;
use std::path::Path;

use xinjiao_core::signed_note::{NoteSigner, SigningKey};

/// The key's name in signed notes: the installation's public address
/// without its scheme (`xinyong.example.gov.cn/heyuan`), as C2SP recommends.
pub fn key_name(public_url: &str) -> String {
    let s = public_url.split_once("://").map_or(public_url, |(_, rest)| rest).trim_end_matches('/');
    let name: String = s.chars().filter(|c| !c.is_whitespace() && *c != '+').collect();
    if name.is_empty() { "xinjiao.localhost".into() } else { name }
}

/// Reads the key file at `path`, or creates it with a new random key (mode
/// 0600). Refuses a key file others may read.
pub fn load_or_create(path: &Path, name: &str) -> Result<NoteSigner, String> {
    if path.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(|e| e.to_string())?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "签名密钥文件 {} 的权限过宽（{:o}），请执行 chmod 600 {}",
                    path.display(),
                    mode & 0o777,
                    path.display()
                ));
            }
        }
        let pem = std::fs::read_to_string(path).map_err(|e| format!("无法读取签名密钥 {}：{e}", path.display()))?;
        return NoteSigner::from_pem(name, &pem)
            .map_err(|e| format!("签名密钥 {} 无效：{}", path.display(), e.message()));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed)).map_err(|e| e.message())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("无法创建目录 {}：{e}", dir.display()))?;
    }
    write_private(path, &signer)?;
    Ok(signer)
}

/// The file of the key's history: the key file's name with `.history`.
pub fn history_path(key_file: &Path) -> std::path::PathBuf {
    let mut s = key_file.as_os_str().to_owned();
    s.push(".history");
    s.into()
}

/// The successor written by a rotation before it takes over.
fn next_path(key_file: &Path) -> std::path::PathBuf {
    let mut s = key_file.as_os_str().to_owned();
    s.push(".next");
    s.into()
}

fn write_private(path: &Path, signer: &NoteSigner) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| format!("无法创建签名密钥 {}：{e}", path.display()))?;
    f.write_all(signer.to_pem().as_bytes()).and_then(|_| f.sync_all()).map_err(|e| e.to_string())
}

/// Reads the key's history (empty if there is none), finishing a rotation
/// that stopped between writing its history and putting the new key in
/// place, and refusing a history that does not end with the current key.
pub fn load_history(key_file: &Path, name: &str) -> Result<Vec<xinjiao_core::transparency::keys::Transition>, String> {
    let path = history_path(key_file);
    let history = if path.exists() {
        let len = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
        if len > xinjiao_core::signed_note::MAX_NOTE_BYTES as u64 {
            return Err(format!("密钥历史 {} 过大", path.display()));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("无法读取密钥历史 {}：{e}", path.display()))?;
        xinjiao_core::transparency::keys::parse_history(&text)
            .map_err(|e| format!("密钥历史 {} 无效：{}（{}）", path.display(), e.message(), e.code()))?
    } else {
        vec![]
    };
    let next = next_path(key_file);
    if next.exists() {
        let pending = load_or_create(&next, name)?;
        if history.last().is_some_and(|t| t.new == pending.verifier()) {
            // The history names it: the rotation finishes now.
            std::fs::rename(&next, key_file).map_err(|e| format!("无法启用新密钥：{e}"))?;
        } else {
            // The rotation stopped before its history was written: it did not happen.
            std::fs::remove_file(&next).map_err(|e| e.to_string())?;
        }
    }
    if let Some(last) = history.last() {
        let current = load_or_create(key_file, name)?;
        if last.new != current.verifier() {
            return Err(format!(
                "密钥历史 {} 的最后一把公钥不是当前签名密钥 {}，请核对两者是否同属本平台",
                path.display(),
                key_file.display()
            ));
        }
    }
    Ok(history)
}

/// Rotates the key: a new key, the transition signed by both keys appended
/// to the history, then the new key in place of the old (whose private
/// half is removed). Each step is durable before the next; a rotation cut
/// short is finished or undone by [`load_history`]. Returns the transition.
pub fn rotate(
    key_file: &Path,
    name: &str,
    at: jiff::Timestamp,
) -> Result<xinjiao_core::transparency::keys::Transition, String> {
    load_history(key_file, name)?;
    if !key_file.exists() {
        return Err(format!("签名密钥 {} 不存在：平台首次启动时创建，无需轮换", key_file.display()));
    }
    let old = load_or_create(key_file, name)?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    let new = NoteSigner::new(name, SigningKey::from_bytes(&seed)).map_err(|e| e.message())?;
    let next = next_path(key_file);
    write_private(&next, &new)?;
    let at = at.round(jiff::Unit::Second).map_err(|e| e.to_string())?.to_string();
    let note = xinjiao_core::transparency::keys::sign_transition(&old, &new, &at).map_err(|e| e.message())?;
    let path = history_path(key_file);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|e| format!("无法写入密钥历史 {}：{e}", path.display()))?;
    f.write_all(note.as_bytes()).and_then(|_| f.sync_all()).map_err(|e| e.to_string())?;
    std::fs::rename(&next, key_file).map_err(|e| format!("无法启用新密钥：{e}"))?;
    xinjiao_core::transparency::keys::parse_transition(note.as_bytes()).map_err(|e| e.message())
}

/// `note` with the current key's signature added if it lacks one: a
/// checkpoint signed before a rotation, served after it (signatures are
/// deterministic, so the note is the same every time).
pub fn cosigned(note: &str, signer: &NoteSigner) -> String {
    if signer.verifier().open(note.as_bytes()).is_ok() {
        return note.to_string();
    }
    let Ok(parsed) = xinjiao_core::signed_note::parse(note.as_bytes()) else { return note.to_string() };
    match signer.sign(&parsed.text) {
        Ok(own) => format!("{note}{}", &own[parsed.text.len() + 1..]),
        Err(_) => note.to_string(),
    }
}

/// Signs and stores a checkpoint of the whole log unless the newest stored
/// one already covers it; returns the checkpoint of the log's size. Called
/// by the scheduler every run, after imports, and whenever a proof or the
/// checkpoint is asked for.
pub fn issue_checkpoint(
    st: &crate::kernel::state::AppState,
    store: &dyn xinjiao_store::Store,
) -> Result<xinjiao_store::transparency::StoredCheckpoint, xinjiao_store::StoreError> {
    let size = store.log_size()?;
    if let Some(mut c) = store.latest_checkpoint()?.filter(|c| c.size >= size) {
        c.note = cosigned(&c.note, &st.signer);
        return Ok(c);
    }
    let root = xinjiao_store::transparency::log_root(store, size)?;
    let note = xinjiao_core::transparency::checkpoint::Checkpoint {
        origin: st.signer.name.clone(),
        size,
        root,
        extensions: vec![],
    }
    .sign(&st.signer)
    .map_err(|e| xinjiao_store::StoreError::Conflict(format!("checkpoint not signed: {e:?}")))?;
    store.add_checkpoint(size, &root, &note, st.now())?;
    store.checkpoint_of_size(size)?.ok_or(xinjiao_store::StoreError::NotFound)
}

/// The key's fingerprint shown on the portal: the SHA-256 of the verifier
/// key text, in groups of four hex digits.
pub fn fingerprint(vkey: &str) -> String {
    use sha2::Digest;
    let hex = xinjiao_core::transparency::entry::hex(&sha2::Sha256::digest(vkey.as_bytes()));
    hex.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("hex")).collect::<Vec<_>>().join(" ")
}

/// A fixed key for tests.
pub fn test_signer(public_url: &str) -> std::sync::Arc<NoteSigner> {
    std::sync::Arc::new(NoteSigner::new(&key_name(public_url), SigningKey::from_bytes(&[9; 32])).expect("test key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_group_the_hash() {
        let f = fingerprint("a+01020304+AQ");
        assert_eq!(f.split(' ').count(), 16);
        assert!(f.split(' ').all(|g| g.len() == 4));
    }

    #[test]
    fn names_and_files() {
        assert_eq!(key_name("https://xinyong.example.gov.cn/heyuan/"), "xinyong.example.gov.cn/heyuan");
        assert_eq!(key_name("http://127.0.0.1:8080"), "127.0.0.1:8080");
        let dir = std::env::temp_dir().join(format!("xinjiao-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys/signing-key.pem");
        let a = load_or_create(&path, "x.test").unwrap();
        let b = load_or_create(&path, "x.test").unwrap();
        assert_eq!(a.verifier(), b.verifier(), "the same key after a restart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(load_or_create(&path, "x.test").err().unwrap().contains("chmod 600"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
