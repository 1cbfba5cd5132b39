//! C2SP tlog-checkpoint: the note text a log signs — its origin line, the
//! tree size in decimal, the root hash in base64, then optional extension
//! lines — and its signed form through [`crate::signed_note`]. This log's
//! policy: the signing key's name is the origin.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::tree::Hash;
use crate::signed_note::{NoteError, NoteSigner, NoteVerifier};

/// A checkpoint's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub extensions: Vec<String>,
}

/// Why a checkpoint text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    Note(NoteError),
    Origin,
    Size,
    Root,
    Extension,
    /// The note is signed, but for another origin than the key's name.
    WrongOrigin,
}

impl Checkpoint {
    /// The note text (ends in a newline).
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Reads a checkpoint's text: an origin, a decimal size without leading
    /// zeros, a base64 SHA-256, extension lines that are not empty.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Extension)?;
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty() && !o.starts_with(' ')).ok_or(CheckpointError::Origin)?;
        let size_text = lines.next().ok_or(CheckpointError::Size)?;
        let canonical = !size_text.is_empty()
            && size_text.bytes().all(|b| b.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        let size: u64 = size_text.parse().ok().filter(|_| canonical).ok_or(CheckpointError::Size)?;
        let root_text = lines.next().ok_or(CheckpointError::Root)?;
        let root: Hash = STANDARD
            .decode(root_text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .filter(|_| STANDARD.encode(STANDARD.decode(root_text).unwrap_or_default()) == root_text)
            .ok_or(CheckpointError::Root)?;
        let mut extensions = Vec::new();
        for l in lines {
            if l.is_empty() {
                return Err(CheckpointError::Extension);
            }
            extensions.push(l.to_string());
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root, extensions })
    }

    /// The signed note of this checkpoint.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        if signer.name != self.origin {
            return Err(CheckpointError::WrongOrigin);
        }
        signer.sign(&self.to_text()).map_err(CheckpointError::Note)
    }

    /// Verifies a signed checkpoint with the log's key and reads it.
    pub fn open(verifier: &NoteVerifier, note: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let n = verifier.open(note).map_err(CheckpointError::Note)?;
        let c = Checkpoint::parse(&n.text)?;
        if c.origin != verifier.name {
            return Err(CheckpointError::WrongOrigin);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed_note::SigningKey;
    use crate::transparency::tree::{Tree, empty_root};

    #[test]
    fn a_checkpoint_round_trips_and_malformed_ones_are_refused() {
        let mut t = Tree::new();
        for i in 0..45u32 {
            t.push(&i.to_be_bytes());
        }
        let c = Checkpoint {
            origin: "xinyong.example.gov.cn/log".into(),
            size: 45,
            root: t.root(45).unwrap(),
            extensions: vec![],
        };
        let text = c.to_text();
        assert_eq!(text.lines().nth(1), Some("45"));
        assert_eq!(Checkpoint::parse(&text), Ok(c.clone()));
        let signer = NoteSigner::new("xinyong.example.gov.cn/log", SigningKey::from_bytes(&[5; 32])).unwrap();
        let note = c.sign(&signer).unwrap();
        assert_eq!(Checkpoint::open(&signer.verifier(), note.as_bytes()), Ok(c.clone()));
        let other = NoteSigner::new("other.example/log", SigningKey::from_bytes(&[5; 32])).unwrap();
        assert_eq!(c.sign(&other), Err(CheckpointError::WrongOrigin));
        let root = STANDARD.encode(empty_root());
        for (bad, err) in [
            (format!("\n0\n{root}\n"), CheckpointError::Origin),
            (format!("o\n01\n{root}\n"), CheckpointError::Size),
            (format!("o\n-1\n{root}\n"), CheckpointError::Size),
            (format!("o\n18446744073709551616\n{root}\n"), CheckpointError::Size),
            ("o\n1\nAAAA\n".to_string(), CheckpointError::Root),
            (format!("o\n1\n{root}"), CheckpointError::Extension),
            (format!("o\n1\n{root}\n\n"), CheckpointError::Extension),
            ("o\n1\n".to_string(), CheckpointError::Root),
        ] {
            assert_eq!(Checkpoint::parse(&bad), Err(err), "{bad:?}");
        }
        let ext = format!("o\n0\n{root}\next one\n");
        assert_eq!(Checkpoint::parse(&ext).unwrap().extensions, ["ext one"]);
    }
}
