//! Key rotation: a key transition is a signed note, signed by both the
//! retiring key and its successor, that names both and the time of the
//! change:
//!
//! ```text
//! xinjiao-key-transition/1
//! old <verifier key>
//! new <verifier key>
//! at <RFC 3339 time, UTC>
//!
//! — <name> <base64 signature by the old key>
//! — <name> <base64 signature by the new key>
//! ```
//!
//! The history of an installation's keys is its transitions in order, each
//! note as it is (served at `/log/keys` after the current key). Whoever
//! trusts one key of the chain learns its successors by checking each
//! transition's two signatures ([`follow`]); checkpoints and proof bundles
//! signed by a retired key stay verifiable with it.

use crate::signed_note::{MAX_NOTE_BYTES, NoteError, NoteSigner, NoteVerifier};

/// The first line of a transition.
pub const HEADER: &str = "xinjiao-key-transition/1";

/// The most transitions a history may hold (one a month for a century).
pub const MAX_TRANSITIONS: usize = 1200;

/// One rotation, both signatures checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub old: NoteVerifier,
    pub new: NoteVerifier,
    /// When the new key took over (RFC 3339, UTC).
    pub at: String,
    /// The signed note as given.
    pub note: String,
}

/// Why a transition or a history is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    Note(NoteError),
    /// Not the transition format (which line).
    Format(usize),
    /// The old and new keys are the same, or of different names.
    SameKey,
    /// A key named does not sign the transition.
    Unsigned(&'static str),
    /// Transition `n` does not start from the key the one before it ended with.
    Broken(usize),
    TooMany,
    TooLarge,
}

impl KeyError {
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Note(_) => "keys.note",
            KeyError::Format(_) => "keys.format",
            KeyError::SameKey => "keys.same_key",
            KeyError::Unsigned(_) => "keys.unsigned",
            KeyError::Broken(_) => "keys.broken_chain",
            KeyError::TooMany => "keys.too_many",
            KeyError::TooLarge => "keys.too_large",
        }
    }

    /// In Chinese, for the command line and the pages.
    pub fn message(&self) -> String {
        match self {
            KeyError::Note(e) => format!("密钥交接声明不是有效的签名注记：{}", e.message()),
            KeyError::Format(line) => format!("密钥交接声明第 {line} 行格式错误"),
            KeyError::SameKey => "密钥交接声明的新旧公钥相同或名称不同".into(),
            KeyError::Unsigned(which) => format!("密钥交接声明缺少{which}公钥的有效签名"),
            KeyError::Broken(n) => format!("密钥历史第 {n} 次交接的旧公钥不是上一次交接的新公钥"),
            KeyError::TooMany => format!("密钥历史超过 {MAX_TRANSITIONS} 次交接"),
            KeyError::TooLarge => "密钥历史过大".into(),
        }
    }
}

fn text(old: &NoteVerifier, new: &NoteVerifier, at: &str) -> String {
    format!("{HEADER}\nold {}\nnew {}\nat {at}\n", old.to_vkey(), new.to_vkey())
}

/// The transition from `old` to `new` at `at`, signed by both.
pub fn sign_transition(old: &NoteSigner, new: &NoteSigner, at: &str) -> Result<String, KeyError> {
    if old.verifier() == new.verifier() || old.name != new.name {
        return Err(KeyError::SameKey);
    }
    let body = text(&old.verifier(), &new.verifier(), at);
    let a = old.sign(&body).map_err(KeyError::Note)?;
    let b = new.sign(&body).map_err(KeyError::Note)?;
    // Both signature lines under the one text.
    Ok(format!("{a}{}", &b[body.len() + 1..]))
}

/// Reads one transition and checks both of its signatures.
pub fn parse_transition(note: &[u8]) -> Result<Transition, KeyError> {
    let n = crate::signed_note::parse(note).map_err(KeyError::Note)?;
    let lines: Vec<&str> = n.text.strip_suffix('\n').unwrap_or(&n.text).split('\n').collect();
    if lines.len() != 4 || lines[0] != HEADER {
        return Err(KeyError::Format(1));
    }
    let key = |i: usize, label: &str| -> Result<NoteVerifier, KeyError> {
        let v = lines[i].strip_prefix(label).ok_or(KeyError::Format(i + 1))?;
        NoteVerifier::parse_vkey(v).map_err(|_| KeyError::Format(i + 1))
    };
    let old = key(1, "old ")?;
    let new = key(2, "new ")?;
    let at = lines[3].strip_prefix("at ").ok_or(KeyError::Format(4))?;
    if at.parse::<jiff::Timestamp>().is_err() {
        return Err(KeyError::Format(4));
    }
    if old == new || old.name != new.name {
        return Err(KeyError::SameKey);
    }
    if text(&old, &new, at) != n.text {
        return Err(KeyError::Format(1));
    }
    old.open(note).map_err(|_| KeyError::Unsigned("旧"))?;
    new.open(note).map_err(|_| KeyError::Unsigned("新"))?;
    let note = String::from_utf8(note.to_vec()).expect("parsed as UTF-8");
    Ok(Transition { old, new, at: at.to_string(), note })
}

/// Reads a history: transitions one after another, each a signed note
/// starting with [`HEADER`]; each must start from the key the one before
/// ended with.
pub fn parse_history(text: &str) -> Result<Vec<Transition>, KeyError> {
    if text.len() > MAX_NOTE_BYTES {
        return Err(KeyError::TooLarge);
    }
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches('\n') == HEADER {
            if starts.len() == MAX_TRANSITIONS {
                return Err(KeyError::TooMany);
            }
            starts.push(at);
        }
        at += line.len();
    }
    if text.trim().is_empty() {
        return Ok(vec![]);
    }
    if starts.first() != Some(&0) {
        return Err(KeyError::Format(1));
    }
    let mut out: Vec<Transition> = Vec::with_capacity(starts.len());
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let t = parse_transition(&text.as_bytes()[s..end])?;
        if out.last().is_some_and(|prev| prev.new != t.old) {
            return Err(KeyError::Broken(i + 1));
        }
        out.push(t);
    }
    Ok(out)
}

/// The keys that succeed `trusted` along `history` (oldest first), each
/// vouched for by its predecessor's signature on the transition.
pub fn follow(trusted: &NoteVerifier, history: &[Transition]) -> Vec<NoteVerifier> {
    let mut out = Vec::new();
    let mut current = trusted.clone();
    for t in history {
        if t.old == current {
            current = t.new.clone();
            out.push(current.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed_note::SigningKey;

    fn key(n: u8) -> NoteSigner {
        NoteSigner::new("xinyong.example.test", SigningKey::from_bytes(&[n; 32])).unwrap()
    }

    #[test]
    fn transitions_are_signed_by_both_keys_and_chain() {
        let (a, b, c) = (key(1), key(2), key(3));
        let ab = sign_transition(&a, &b, "2026-01-01T00:00:00Z").unwrap();
        let bc = sign_transition(&b, &c, "2027-01-01T00:00:00Z").unwrap();
        let t = parse_transition(ab.as_bytes()).unwrap();
        assert_eq!((t.old.clone(), t.new.clone()), (a.verifier(), b.verifier()));
        assert!(a.verifier().open(ab.as_bytes()).is_ok() && b.verifier().open(ab.as_bytes()).is_ok());
        let history = parse_history(&format!("{ab}{bc}")).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(follow(&a.verifier(), &history), [b.verifier(), c.verifier()]);
        assert_eq!(follow(&b.verifier(), &history), [c.verifier()]);
        assert_eq!(follow(&key(9).verifier(), &history), []);
        assert_eq!(parse_history("").unwrap(), []);
        // Out of order, the chain breaks.
        assert_eq!(parse_history(&format!("{bc}{ab}")), Err(KeyError::Broken(2)));
        assert_eq!(sign_transition(&a, &a, "2026-01-01T00:00:00Z"), Err(KeyError::SameKey));
    }

    #[test]
    fn a_transition_signed_by_one_key_only_is_refused() {
        let (a, b, m) = (key(1), key(2), key(7));
        let body = text(&a.verifier(), &b.verifier(), "2026-01-01T00:00:00Z");
        // Only the new key signs: anyone could claim a successor.
        assert_eq!(parse_transition(b.sign(&body).unwrap().as_bytes()), Err(KeyError::Unsigned("旧")));
        assert_eq!(parse_transition(a.sign(&body).unwrap().as_bytes()), Err(KeyError::Unsigned("新")));
        // A third key's signature in place of the new key's does not do.
        let forged = format!("{}{}", a.sign(&body).unwrap(), &m.sign(&body).unwrap()[body.len() + 1..]);
        assert_eq!(parse_transition(forged.as_bytes()), Err(KeyError::Unsigned("新")));
        // A text changed after signing.
        let good = sign_transition(&a, &b, "2026-01-01T00:00:00Z").unwrap();
        let changed = good.replace("2026-01-01", "2025-01-01");
        assert_eq!(parse_transition(changed.as_bytes()), Err(KeyError::Unsigned("旧")));
        for bad in ["", "x\n\n— a AAAA\n", "xinjiao-key-transition/1\nold x\nnew y\nat z\n\n— a AAAAAAAA\n"] {
            assert!(parse_transition(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(parse_history("garbage\n"), Err(KeyError::Format(1)));
    }
}
