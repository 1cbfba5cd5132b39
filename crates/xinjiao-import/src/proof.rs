//! Proof bundles as files (`xinjiao-proof-bundle/1`, JSON; the format is in
//! `docs/transparency.md`): what the portal hands out for a record and what
//! `xinjiao verify bundle` and `/verify` read. Reading is bounded: the size is
//! checked before anything is parsed, every part has its own limit, and
//! anything malformed is refused with a stable code and a Chinese message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use xinjiao_core::transparency::bundle::{Bundle, MAX_PROOF_HASHES};
use xinjiao_core::transparency::tree::Hash;

/// The `format` of a bundle file.
pub const BUNDLE_FORMAT: &str = "xinjiao-proof-bundle/1";
/// The largest bundle file read.
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024;
/// The largest committed content a bundle carries.
pub const MAX_CONTENT_BYTES: usize = 32 * 1024;
/// The largest signed checkpoint a bundle carries.
pub const MAX_CHECKPOINT_BYTES: usize = 4 * 1024;
/// The largest salt (ours are 32 bytes).
pub const MAX_SALT_BYTES: usize = 64;

/// The file form of a bundle. `event`, `object`, `time` and `record_id` repeat
/// what the entry says, for people reading the file; verifiers use `entry`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BundleFile {
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<i64>,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub time: String,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Base64 of the leaf's entry bytes.
    pub entry: String,
    /// Base64 of the salt, or null where the content is withheld.
    pub salt: Option<String>,
    /// The committed content (canonical JSON text), or null where withheld.
    pub content: Option<String>,
    /// Base64 hashes, leaf to root.
    pub inclusion: Vec<String>,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// The log's verifier key (C2SP note verifier key), for reference only:
    /// a verifier trusts the key it got from the installation, not this one.
    #[serde(default)]
    pub verifier_key: String,
}

/// Why a bundle file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFileError {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> BundleFileError {
    BundleFileError { code, message: message.into() }
}

impl BundleFile {
    /// The file form of `b` with the informational fields.
    pub fn new(b: &Bundle, record_id: Option<i64>, verifier_key: &str) -> BundleFile {
        let entry = xinjiao_core::transparency::entry::LogEntry::parse(&b.entry).ok();
        let with_content = b.content.is_some();
        BundleFile {
            format: BUNDLE_FORMAT.into(),
            record_id,
            event: entry.as_ref().map(|e| e.event.as_str().to_string()).unwrap_or_default(),
            object: entry.as_ref().map(|e| e.object.clone()).unwrap_or_default(),
            time: entry.as_ref().map(|e| e.time.clone()).unwrap_or_default(),
            leaf_index: b.leaf_index,
            tree_size: b.tree_size,
            entry: STANDARD.encode(&b.entry),
            salt: with_content.then(|| STANDARD.encode(&b.salt)),
            content: b.content.clone(),
            inclusion: b.inclusion.iter().map(|h| STANDARD.encode(h)).collect(),
            checkpoint: b.checkpoint.clone(),
            verifier_key: verifier_key.into(),
        }
    }

    /// Pretty JSON, newline-terminated.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a bundle serialises");
        s.push('\n');
        s
    }

    /// The bundle to verify.
    pub fn bundle(&self) -> Result<Bundle, BundleFileError> {
        let decode = |field: &str, s: &str, max: usize| -> Result<Vec<u8>, BundleFileError> {
            if s.len() > max.div_ceil(3) * 4 {
                return Err(refuse("bundle.field_too_large", format!("字段 {field} 超过 {max} 字节")));
            }
            STANDARD.decode(s).map_err(|_| refuse("bundle.base64", format!("字段 {field} 不是有效的 Base64")))
        };
        if self.format != BUNDLE_FORMAT {
            return Err(refuse("bundle.format", format!("不是证明包（format 应为 {BUNDLE_FORMAT}）")));
        }
        if self.inclusion.len() > MAX_PROOF_HASHES {
            return Err(refuse("bundle.too_large", format!("包含证明超过 {MAX_PROOF_HASHES} 个哈希")));
        }
        let entry = decode("entry", &self.entry, xinjiao_core::transparency::entry::MAX_ENTRY_BYTES)?;
        let (salt, content) = match (&self.salt, &self.content) {
            (Some(s), Some(c)) => {
                if c.len() > MAX_CONTENT_BYTES {
                    return Err(refuse(
                        "bundle.field_too_large",
                        format!("字段 content 超过 {MAX_CONTENT_BYTES} 字节"),
                    ));
                }
                (decode("salt", s, MAX_SALT_BYTES)?, Some(c.clone()))
            }
            (None, None) => (Vec::new(), None),
            _ => return Err(refuse("bundle.salt_content", "salt 与 content 须同时给出或同时为 null")),
        };
        let mut inclusion = Vec::with_capacity(self.inclusion.len());
        for (i, h) in self.inclusion.iter().enumerate() {
            let bytes = decode("inclusion", h, 32)?;
            let hash: Hash = bytes
                .try_into()
                .map_err(|_| refuse("bundle.hash", format!("inclusion 第 {} 项不是 32 字节的哈希", i + 1)))?;
            inclusion.push(hash);
        }
        if self.checkpoint.len() > MAX_CHECKPOINT_BYTES {
            return Err(refuse("bundle.field_too_large", format!("字段 checkpoint 超过 {MAX_CHECKPOINT_BYTES} 字节")));
        }
        Ok(Bundle {
            leaf_index: self.leaf_index,
            tree_size: self.tree_size,
            entry,
            salt,
            content,
            inclusion,
            checkpoint: self.checkpoint.clone(),
        })
    }
}

/// Reads a bundle file: at most [`MAX_BUNDLE_BYTES`], JSON of the
/// [`BundleFile`] shape, every part within its limit.
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle, BundleFileError> {
    read_bundle_file(bytes)?.bundle()
}

/// Reads a bundle file without converting it (see [`read_bundle`]).
pub fn read_bundle_file(bytes: &[u8]) -> Result<BundleFile, BundleFileError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(refuse("bundle.file_too_large", format!("证明包超过 {} KB", MAX_BUNDLE_BYTES / 1024)));
    }
    serde_json::from_slice(bytes).map_err(|e| refuse("bundle.json", format!("证明包不是有效的 JSON：{e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_file_round_trips_and_bad_ones_are_named() {
        let b = Bundle {
            leaf_index: 3,
            tree_size: 9,
            entry: b"xinjiao-log-entry/1\nevent record.published\n".to_vec(),
            salt: vec![7; 32],
            content: Some("{}".into()),
            inclusion: vec![[1; 32], [2; 32]],
            checkpoint: "o\n9\nroot\n\n— o sig\n".into(),
        };
        let file = BundleFile::new(&b, Some(4), "o+01020304+AQ");
        let json = file.to_json();
        assert_eq!(read_bundle(json.as_bytes()), Ok(b.clone()));
        let withheld = BundleFile::new(&Bundle { content: None, ..b.clone() }, None, "");
        assert_eq!(withheld.salt, None);
        assert_eq!(read_bundle(withheld.to_json().as_bytes()).unwrap().content, None);
        let code = |f: BundleFile| f.bundle().unwrap_err().code;
        assert_eq!(code(BundleFile { format: "x".into(), ..file.clone() }), "bundle.format");
        assert_eq!(code(BundleFile { salt: None, ..file.clone() }), "bundle.salt_content");
        assert_eq!(code(BundleFile { entry: "!!".into(), ..file.clone() }), "bundle.base64");
        assert_eq!(code(BundleFile { inclusion: vec!["AAAA".into()], ..file.clone() }), "bundle.hash");
        assert_eq!(code(BundleFile { inclusion: vec!["AAAA".into(); 65], ..file.clone() }), "bundle.too_large");
        assert_eq!(code(BundleFile { salt: Some("A".repeat(200)), ..file.clone() }), "bundle.field_too_large");
        assert_eq!(read_bundle(&vec![b' '; MAX_BUNDLE_BYTES + 1]).unwrap_err().code, "bundle.file_too_large");
        assert_eq!(read_bundle(b"{\"format\":1}").unwrap_err().code, "bundle.json");
    }
}
