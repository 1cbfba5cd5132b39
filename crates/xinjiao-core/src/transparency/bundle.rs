//! A proof bundle: everything needed to check offline that a content was
//! logged — the leaf's entry, the salt and content it commits to, the
//! inclusion proof and the signed checkpoint it leads to. Its JSON form is
//! in `docs/transparency.md`; this is the check itself.

use super::checkpoint::{Checkpoint, CheckpointError};
use super::entry::{EntryError, LogEntry, commitment};
use super::tree::{Hash, leaf_hash, verify_inclusion};
use crate::signed_note::{NoteError, NoteVerifier};

/// The most hashes an inclusion proof of a 64-bit tree can have.
pub const MAX_PROOF_HASHES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub leaf_index: u64,
    pub tree_size: u64,
    pub entry: Vec<u8>,
    pub salt: Vec<u8>,
    /// The committed content, when the holder may see it.
    pub content: Option<String>,
    pub inclusion: Vec<Hash>,
    pub checkpoint: String,
}

/// What a bundle proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entry: LogEntry,
    pub checkpoint: Checkpoint,
    /// The key (of those trusted) that signed the checkpoint.
    pub key_name: String,
    pub key_id: [u8; 4],
    /// Whether the content was given and matches the commitment.
    pub content_checked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    Checkpoint(CheckpointError),
    /// The checkpoint's size is not the bundle's.
    SizeMismatch,
    Entry(EntryError),
    /// Salt and content do not give the entry's commitment.
    Commitment,
    /// The proof does not lead from the leaf to the checkpoint's root.
    Inclusion,
    TooLarge,
}

impl BundleError {
    /// In Chinese, for the command line and the pages.
    pub fn message(&self) -> String {
        match self {
            BundleError::Checkpoint(CheckpointError::Note(NoteError::UnknownKey)) => {
                "检查点不是由所信任的平台公钥签名的".into()
            }
            BundleError::Checkpoint(CheckpointError::Note(e)) => format!("检查点签名无效：{}", e.message()),
            BundleError::Checkpoint(_) => "检查点格式错误".into(),
            BundleError::SizeMismatch => "证明包的树大小与检查点不一致".into(),
            BundleError::Entry(_) => "日志条目格式错误".into(),
            BundleError::Commitment => "内容与日志条目中的承诺值不符：内容或盐值被改动".into(),
            BundleError::Inclusion => "包含证明无效：该条目不在检查点所示的日志中".into(),
            BundleError::TooLarge => format!("包含证明超过 {MAX_PROOF_HASHES} 个哈希"),
        }
    }

    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Checkpoint(CheckpointError::Note(NoteError::UnknownKey)) => "bundle.unknown_key",
            BundleError::Checkpoint(CheckpointError::Note(_)) => "bundle.bad_signature",
            BundleError::Checkpoint(_) => "bundle.checkpoint",
            BundleError::SizeMismatch => "bundle.size_mismatch",
            BundleError::Entry(_) => "bundle.entry",
            BundleError::Commitment => "bundle.commitment",
            BundleError::Inclusion => "bundle.inclusion",
            BundleError::TooLarge => "bundle.too_large",
        }
    }
}

/// Opens `note` with the first of `keys` that signed it.
pub fn open_checkpoint<'k>(
    note: &[u8],
    keys: &'k [NoteVerifier],
) -> Result<(Checkpoint, &'k NoteVerifier), CheckpointError> {
    let mut last = CheckpointError::Note(NoteError::UnknownKey);
    for k in keys {
        match Checkpoint::open(k, note) {
            Ok(c) => return Ok((c, k)),
            Err(CheckpointError::Note(NoteError::UnknownKey)) => {}
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Checks a bundle against the trusted keys (the current key and any
/// retired ones the installation publishes).
pub fn verify(b: &Bundle, keys: &[NoteVerifier]) -> Result<Verified, BundleError> {
    if b.inclusion.len() > MAX_PROOF_HASHES {
        return Err(BundleError::TooLarge);
    }
    let (checkpoint, key) = open_checkpoint(b.checkpoint.as_bytes(), keys).map_err(BundleError::Checkpoint)?;
    if checkpoint.size != b.tree_size {
        return Err(BundleError::SizeMismatch);
    }
    let entry = LogEntry::parse(&b.entry).map_err(BundleError::Entry)?;
    let content_checked = match &b.content {
        Some(c) if commitment(&b.salt, c.as_bytes()) != entry.commitment => return Err(BundleError::Commitment),
        Some(_) => true,
        None => false,
    };
    if !verify_inclusion(&leaf_hash(&b.entry), b.leaf_index, b.tree_size, &b.inclusion, &checkpoint.root) {
        return Err(BundleError::Inclusion);
    }
    Ok(Verified { entry, checkpoint, key_name: key.name.clone(), key_id: key.key_id(), content_checked })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed_note::{NoteSigner, SigningKey};
    use crate::transparency::entry::{LogEvent, record_content};
    use crate::transparency::tree::Tree;

    #[test]
    fn a_bundle_verifies_and_every_changed_part_fails() {
        let signer = NoteSigner::new("log.example/heyuan", SigningKey::from_bytes(&[3; 32])).unwrap();
        let other = NoteSigner::new("log.example/heyuan", SigningKey::from_bytes(&[4; 32])).unwrap();
        let mut tree = Tree::new();
        let mut entries = Vec::new();
        for i in 1..=13i64 {
            let content = record_content(
                crate::records::fields::RecordKind::Penalty,
                i,
                1,
                &std::collections::BTreeMap::<String, String>::new(),
            );
            let salt = vec![i as u8; 32];
            let e = LogEntry {
                event: LogEvent::RecordPublished,
                object: format!("record/{i}/1"),
                time: "2026-12-03T02:15:00Z".into(),
                commitment: commitment(&salt, content.as_bytes()),
            };
            tree.push(&e.to_bytes());
            entries.push((e.to_bytes(), salt, content));
        }
        let cp = Checkpoint { origin: signer.name.clone(), size: 13, root: tree.root(13).unwrap(), extensions: vec![] };
        let note = cp.sign(&signer).unwrap();
        let bundle = |i: usize| Bundle {
            leaf_index: i as u64,
            tree_size: 13,
            entry: entries[i].0.clone(),
            salt: entries[i].1.clone(),
            content: Some(entries[i].2.clone()),
            inclusion: tree.inclusion_proof(i as u64, 13).unwrap(),
            checkpoint: note.clone(),
        };
        let keys = [other.verifier(), signer.verifier()];
        for i in 0..13 {
            let v = verify(&bundle(i), &keys).unwrap();
            assert!(v.content_checked);
            assert_eq!(v.key_id, signer.verifier().key_id());
        }
        let ok = bundle(5);
        let fails = |b: Bundle| verify(&b, &keys).unwrap_err().code();
        assert_eq!(
            fails(Bundle { content: Some(ok.content.clone().unwrap().replace("penalty", "license")), ..ok.clone() }),
            "bundle.commitment"
        );
        assert_eq!(fails(Bundle { salt: vec![0; 32], ..ok.clone() }), "bundle.commitment");
        assert_eq!(fails(Bundle { leaf_index: 6, ..ok.clone() }), "bundle.inclusion");
        assert_eq!(
            fails(Bundle {
                entry: entries[6].0.clone(),
                salt: entries[6].1.clone(),
                content: Some(entries[6].2.clone()),
                ..ok.clone()
            }),
            "bundle.inclusion"
        );
        let mut proof = ok.inclusion.clone();
        proof[0][0] ^= 1;
        assert_eq!(fails(Bundle { inclusion: proof, ..ok.clone() }), "bundle.inclusion");
        assert_eq!(fails(Bundle { tree_size: 12, ..ok.clone() }), "bundle.size_mismatch");
        assert_eq!(
            fails(Bundle { checkpoint: ok.checkpoint.replace("\n13\n", "\n14\n"), ..ok.clone() }),
            "bundle.bad_signature"
        );
        assert_eq!(verify(&ok, &[other.verifier()]).unwrap_err().code(), "bundle.unknown_key");
        // Without the content, the leaf is still proven; the content is not.
        assert!(!verify(&Bundle { content: None, ..ok }, &keys).unwrap().content_checked);
    }
}
