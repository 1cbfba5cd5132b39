//! C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys: text ending
//! in a newline, a blank line, then signature lines `— <key name>
//! base64(key ID ‖ signature)`. The platform signs credit-check receipts
//! with them (issue 15) and, later, log checkpoints (issue 16). The verifier
//! key is written as `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`.
//!
//! Parsing is bounded: a note of more than [`MAX_NOTE_BYTES`] or with more
//! than [`MAX_SIGNATURES`] signature lines is refused before anything is
//! decoded.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use sha2::{Digest, Sha256};

/// The largest note parsed.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// The most signature lines a note may carry (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 32;

const ED25519: u8 = 0x01;
const DASH: &str = "— ";

/// Why a note or key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteError {
    TooLarge,
    NotUtf8,
    ControlCharacter,
    NoSignatures,
    BadSignatureLine(usize),
    TooManySignatures,
    BadKeyName,
    BadKey,
    /// No signature by the trusted key.
    UnknownKey,
    /// The trusted key's signature does not verify.
    BadSignature,
}

impl NoteError {
    /// In Chinese, for the command line and the pages.
    pub fn message(&self) -> String {
        match self {
            NoteError::TooLarge => format!("签名文本超过 {MAX_NOTE_BYTES} 字节"),
            NoteError::NotUtf8 => "签名文本不是有效的 UTF-8".into(),
            NoteError::ControlCharacter => "签名文本含有换行以外的控制字符".into(),
            NoteError::NoSignatures => "没有签名行（正文后应有一个空行和以“— ”开头的签名行）".into(),
            NoteError::BadSignatureLine(n) => format!("第 {n} 个签名行格式错误"),
            NoteError::TooManySignatures => format!("签名行多于 {MAX_SIGNATURES} 个"),
            NoteError::BadKeyName => "密钥名称为空或含有空格、加号".into(),
            NoteError::BadKey => "公钥格式错误（应为 名称+密钥ID+Base64 公钥）".into(),
            NoteError::UnknownKey => "没有平台公钥的签名".into(),
            NoteError::BadSignature => "签名验证失败：内容已被改动或签名不属于该公钥".into(),
        }
    }
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature: Vec<u8>,
}

/// A parsed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, with its final newline.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key ID of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4].
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(key.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A signer: a key name and an Ed25519 key.
pub struct NoteSigner {
    pub name: String,
    pub key: SigningKey,
}

impl NoteSigner {
    /// Refuses a name that is empty or holds spaces or `+`.
    pub fn new(name: &str, key: SigningKey) -> Result<NoteSigner, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadKeyName);
        }
        Ok(NoteSigner { name: name.to_string(), key })
    }

    /// From a PKCS#8 PEM private key (the key file's form).
    pub fn from_pem(name: &str, pem: &str) -> Result<NoteSigner, NoteError> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        NoteSigner::new(name, SigningKey::from_pkcs8_pem(pem).map_err(|_| NoteError::BadKey)?)
    }

    /// The private key as PKCS#8 PEM.
    pub fn to_pem(&self) -> String {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        self.key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .expect("PKCS#8 encoding")
            .to_string()
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key: self.key.verifying_key() }
    }

    /// `text` (which must end in a newline and hold no control character
    /// but newlines) signed: the note's full form.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        if !text.ends_with('\n') {
            return Err(NoteError::NoSignatures);
        }
        let sig: Signature = self.key.sign(text.as_bytes());
        let mut blob = key_id(&self.name, &self.key.verifying_key()).to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!("{text}\n{DASH}{} {}\n", self.name, STANDARD.encode(blob)))
    }
}

/// A trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    pub name: String,
    pub key: VerifyingKey,
}

impl NoteVerifier {
    pub fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, &self.key)
    }

    /// `<name>+<hex key ID>+<base64(0x01 ‖ key)>`.
    pub fn to_vkey(&self) -> String {
        let mut blob = vec![ED25519];
        blob.extend_from_slice(self.key.as_bytes());
        let id: String = self.key_id().iter().map(|b| format!("{b:02x}")).collect();
        format!("{}+{id}+{}", self.name, STANDARD.encode(blob))
    }

    /// Reads a verifier key, checking that its key ID matches its name and key.
    pub fn parse_vkey(s: &str) -> Result<NoteVerifier, NoteError> {
        let s = s.trim();
        if s.len() > 1024 {
            return Err(NoteError::BadKey);
        }
        // The name and the hex ID hold no '+'; the base64 key may.
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadKey);
        };
        if !valid_name(name) {
            return Err(NoteError::BadKeyName);
        }
        let blob = STANDARD.decode(key).map_err(|_| NoteError::BadKey)?;
        let (&[ED25519], raw) = blob.split_at_checked(1).ok_or(NoteError::BadKey)? else {
            return Err(NoteError::BadKey);
        };
        let raw: [u8; 32] = raw.try_into().map_err(|_| NoteError::BadKey)?;
        let key = VerifyingKey::from_bytes(&raw).map_err(|_| NoteError::BadKey)?;
        let v = NoteVerifier { name: name.to_string(), key };
        let expected: String = v.key_id().iter().map(|b| format!("{b:02x}")).collect();
        if id != expected {
            return Err(NoteError::BadKey);
        }
        Ok(v)
    }

    /// Parses `note` and verifies the signature of this key; returns the text.
    pub fn open(&self, note: &[u8]) -> Result<Note, NoteError> {
        let n = parse(note)?;
        let id = self.key_id();
        let mine: Vec<&NoteSignature> = n.signatures.iter().filter(|s| s.name == self.name && s.key_id == id).collect();
        if mine.is_empty() {
            return Err(NoteError::UnknownKey);
        }
        for s in mine {
            let sig = Signature::from_slice(&s.signature).map_err(|_| NoteError::BadSignature)?;
            self.key.verify_strict(n.text.as_bytes(), &sig).map_err(|_| NoteError::BadSignature)?;
        }
        Ok(n)
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::ControlCharacter);
    }
    Ok(())
}

/// Splits a note into its text and signature lines without verifying any.
pub fn parse(note: &[u8]) -> Result<Note, NoteError> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge);
    }
    let s = std::str::from_utf8(note).map_err(|_| NoteError::NotUtf8)?;
    check_text(s)?;
    if !s.ends_with('\n') {
        return Err(NoteError::NoSignatures);
    }
    let split = s.rfind("\n\n").ok_or(NoteError::NoSignatures)?;
    let text = &s[..=split];
    let sigs = &s[split + 2..];
    let mut signatures = Vec::new();
    for (i, line) in sigs.strip_suffix('\n').unwrap_or(sigs).split('\n').enumerate() {
        if signatures.len() == MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let rest = line.strip_prefix(DASH).ok_or(NoteError::BadSignatureLine(i + 1))?;
        let (name, b64) = rest.split_once(' ').ok_or(NoteError::BadSignatureLine(i + 1))?;
        if !valid_name(name) || b64.contains(' ') {
            return Err(NoteError::BadSignatureLine(i + 1));
        }
        let blob = STANDARD.decode(b64).map_err(|_| NoteError::BadSignatureLine(i + 1))?;
        if blob.len() < 5 {
            return Err(NoteError::BadSignatureLine(i + 1));
        }
        signatures.push(NoteSignature {
            name: name.to_string(),
            key_id: [blob[0], blob[1], blob[2], blob[3]],
            signature: blob[4..].to_vec(),
        });
    }
    if signatures.is_empty() {
        return Err(NoteError::NoSignatures);
    }
    Ok(Note { text: text.to_string(), signatures })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::new("xinyong.example.gov.cn/heyuan", SigningKey::from_bytes(&[7; 32])).unwrap()
    }

    #[test]
    fn a_signed_note_opens_and_a_changed_byte_does_not() {
        let s = signer();
        let note = s.sign("第一行\n\n第三行\n").unwrap();
        assert!(note.starts_with("第一行\n\n第三行\n\n— xinyong.example.gov.cn/heyuan "), "{note}");
        let v = NoteVerifier::parse_vkey(&s.verifier().to_vkey()).unwrap();
        assert_eq!(v.open(note.as_bytes()).unwrap().text, "第一行\n\n第三行\n", "the last blank line separates");
        for i in 0..note.len() {
            let mut b = note.clone().into_bytes();
            b[i] ^= 1;
            assert!(v.open(&b).is_err(), "byte {i} changed");
        }
        let other = NoteVerifier { name: v.name.clone(), key: SigningKey::from_bytes(&[8; 32]).verifying_key() };
        assert_eq!(other.open(note.as_bytes()), Err(NoteError::UnknownKey), "another key's ID differs");
    }

    #[test]
    fn every_key_round_trips_its_verifier_form() {
        // A base64 key may hold '+': the first two '+' separate the fields.
        let mut plus = 0;
        for seed in 0..64u8 {
            let v = NoteSigner::new("n.test", SigningKey::from_bytes(&[seed; 32])).unwrap().verifier();
            let vkey = v.to_vkey();
            plus += usize::from(vkey.matches('+').count() > 2);
            assert_eq!(NoteVerifier::parse_vkey(&vkey), Ok(v), "{vkey}");
        }
        assert!(plus > 0, "some of these keys have a '+' in base64");
    }

    #[test]
    fn the_key_survives_its_pem_form() {
        let s = signer();
        let pem = s.to_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = NoteSigner::from_pem(&s.name, &pem).unwrap();
        assert_eq!(back.verifier(), s.verifier());
        assert_eq!(NoteSigner::from_pem(&s.name, "not a key").err(), Some(NoteError::BadKey));
    }

    #[test]
    fn the_key_id_follows_the_specification() {
        let v = signer().verifier();
        let mut h = Sha256::new();
        h.update(b"xinyong.example.gov.cn/heyuan\n\x01");
        h.update(v.key.as_bytes());
        assert_eq!(v.key_id(), h.finalize()[..4]);
        let vkey = v.to_vkey();
        let parts: Vec<&str> = vkey.split('+').collect();
        assert!(parts.len() >= 3);
        assert_eq!(parts[1].len(), 8);
        let wrong_id = format!("{}+00000000+{}", parts[0], parts[2..].join("+"));
        assert_eq!(NoteVerifier::parse_vkey(&wrong_id), Err(NoteError::BadKey));
    }

    #[test]
    fn malformed_notes_are_refused() {
        let s = signer();
        let good = s.sign("正文\n").unwrap();
        let sig_line = good.lines().last().unwrap().to_string();
        let cases: Vec<(Vec<u8>, NoteError)> = vec![
            (b"no signatures\n".to_vec(), NoteError::NoSignatures),
            (b"text\n\n".to_vec(), NoteError::BadSignatureLine(1)),
            (format!("text\n\n{sig_line}").into_bytes(), NoteError::NoSignatures),
            (b"text\n\n- x AAAAAAA=\n".to_vec(), NoteError::BadSignatureLine(1)),
            ("text\n\n— x\n".as_bytes().to_vec(), NoteError::BadSignatureLine(1)),
            ("text\n\n— x AAAA\n".as_bytes().to_vec(), NoteError::BadSignatureLine(1)),
            ("text\n\n— x !!!!\n".as_bytes().to_vec(), NoteError::BadSignatureLine(1)),
            ("text\n\n— a+b AAAAAAA=\n".as_bytes().to_vec(), NoteError::BadSignatureLine(1)),
            (format!("te\txt\n\n{sig_line}\n").into_bytes(), NoteError::ControlCharacter),
            (vec![0xff, b'\n', b'\n'], NoteError::NotUtf8),
            (vec![b'a'; MAX_NOTE_BYTES + 1], NoteError::TooLarge),
            (
                format!("text\n\n{}", format!("{sig_line}\n").repeat(MAX_SIGNATURES + 1)).into_bytes(),
                NoteError::TooManySignatures,
            ),
        ];
        for (bytes, err) in cases {
            assert_eq!(parse(&bytes), Err(err.clone()), "{:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(80)]));
            assert!(!err.message().is_empty());
        }
        assert_eq!(
            parse(format!("text\n\n{}", format!("{sig_line}\n").repeat(16)).as_bytes()).unwrap().signatures.len(),
            16
        );
        assert!(s.sign("no newline").is_err());
        assert!(s.sign("a\u{1}\n").is_err());
        assert!(NoteSigner::new("has space", SigningKey::from_bytes(&[1; 32])).is_err());
    }
}
