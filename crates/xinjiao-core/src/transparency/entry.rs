//! What one leaf of the log says, and the content it commits to.
//!
//! A leaf's entry is a short UTF-8 text (`docs/transparency.md` is its
//! specification, for independent verifiers):
//!
//! ```text
//! xinjiao-log-entry/1
//! event record.published
//! object record/123/2
//! time 2026-12-03T02:15:00Z
//! commitment 5e8f…(64 lowercase hex digits)
//! ```
//!
//! The commitment is `SHA-256(salt ‖ content)` with a random 32-byte salt kept
//! by the installation. The content is canonical JSON (RFC 8785 for the
//! subset used here: objects with keys sorted, strings and integers, no
//! whitespace) of what the public was shown: a record version's fields with
//! personal data masked as on the portal. Whoever may see the content is
//! given the salt and can check it against the leaf; the leaf alone reveals
//! nothing of what a withdrawn or expired record said.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::tree::Hash;
use crate::records::fields::RecordKind;
use crate::records::personal::PersonalDataRules;

/// The first line of every entry.
pub const ENTRY_VERSION: &str = "xinjiao-log-entry/1";
/// The largest entry accepted when read back (entries are short; tiles carry
/// them behind a 16-bit length).
pub const MAX_ENTRY_BYTES: usize = 1024;
/// The salt's length in bytes.
pub const SALT_BYTES: usize = 32;

/// What happened, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogEvent {
    /// A record became public (directly, or when its review approved it).
    RecordPublished,
    /// A new version of a public record replaced the one in force.
    RecordCorrected,
    /// A record was withdrawn from publication.
    RecordWithdrawn,
    /// A credit repair ended a record's publication early.
    RecordRepaired,
    /// A credit report was issued.
    ReportIssued,
    /// A list entry was confirmed after its notice: the party is listed.
    ListEntered,
    /// A listed party left the list before its period ended (repair, a
    /// court or higher authority, withdrawal).
    ListExited,
    /// A subject's credit grade in an evaluation run became final (its
    /// comment period over).
    GradeFinal,
}

impl LogEvent {
    pub const ALL: [LogEvent; 8] = [
        LogEvent::RecordPublished,
        LogEvent::RecordCorrected,
        LogEvent::RecordWithdrawn,
        LogEvent::RecordRepaired,
        LogEvent::ReportIssued,
        LogEvent::ListEntered,
        LogEvent::ListExited,
        LogEvent::GradeFinal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogEvent::RecordPublished => "record.published",
            LogEvent::RecordCorrected => "record.corrected",
            LogEvent::RecordWithdrawn => "record.withdrawn",
            LogEvent::RecordRepaired => "record.repaired",
            LogEvent::ReportIssued => "report.issued",
            LogEvent::ListEntered => "list.entered",
            LogEvent::ListExited => "list.exited",
            LogEvent::GradeFinal => "grade.final",
        }
    }

    pub fn parse(s: &str) -> Option<LogEvent> {
        LogEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// In Chinese, for the pages.
    pub fn label(self) -> &'static str {
        match self {
            LogEvent::RecordPublished => "记录公示",
            LogEvent::RecordCorrected => "记录更正",
            LogEvent::RecordWithdrawn => "记录撤销公示",
            LogEvent::RecordRepaired => "信用修复，提前停止公示",
            LogEvent::ReportIssued => "出具信用报告",
            LogEvent::ListEntered => "列入信用名单",
            LogEvent::ListExited => "提前移出信用名单",
            LogEvent::GradeFinal => "信用评价结果生效",
        }
    }
}

/// One leaf's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub event: LogEvent,
    /// What it is about: `record/<id>/<version>`, `list-entry/<id>`,
    /// `grade/<run>/<subject id>` or `report/<number>`.
    pub object: String,
    /// RFC 3339 UTC time with seconds (`2026-12-03T02:15:00Z`).
    pub time: String,
    pub commitment: Hash,
}

/// Why an entry's text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    TooLarge,
    Malformed,
}

fn valid_object(o: &str) -> bool {
    let mut parts = o.split('/');
    let (Some(kind), rest) = (parts.next(), parts.collect::<Vec<_>>()) else { return false };
    let number =
        |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
    match kind {
        "record" => rest.len() == 2 && rest.iter().all(|s| number(s)),
        "list-entry" => rest.len() == 1 && number(rest[0]),
        "grade" => rest.len() == 2 && rest.iter().all(|s| number(s)),
        "report" => {
            rest.len() == 1
                && !rest[0].is_empty()
                && rest[0].len() <= 64
                && rest[0].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }
        _ => false,
    }
}

fn valid_time(t: &str) -> bool {
    // YYYY-MM-DDTHH:MM:SSZ, checked by jiff for a real instant.
    t.len() == 20 && t.ends_with('Z') && t.parse::<jiff::Timestamp>().is_ok_and(|ts| format_time(ts) == t)
}

/// An instant as the entries write it: UTC, whole seconds.
pub fn format_time(t: jiff::Timestamp) -> String {
    let secs = t.as_second();
    jiff::Timestamp::from_second(secs).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

impl LogEntry {
    /// The entry's bytes, as hashed into the leaf.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            "{ENTRY_VERSION}\nevent {}\nobject {}\ntime {}\ncommitment {}\n",
            self.event.as_str(),
            self.object,
            self.time,
            hex(&self.commitment)
        )
        .into_bytes()
    }

    /// Reads an entry back; refuses anything [`LogEntry::to_bytes`] would not write.
    pub fn parse(bytes: &[u8]) -> Result<LogEntry, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| EntryError::Malformed)?;
        let body = text.strip_suffix('\n').ok_or(EntryError::Malformed)?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [version, event, object, time, commitment] = lines[..] else { return Err(EntryError::Malformed) };
        let field =
            |line: &'_ str, name: &str| line.strip_prefix(name).and_then(|r| r.strip_prefix(' ')).map(str::to_string);
        if version != ENTRY_VERSION {
            return Err(EntryError::Malformed);
        }
        let event = field(event, "event").and_then(|e| LogEvent::parse(&e)).ok_or(EntryError::Malformed)?;
        let object = field(object, "object").filter(|o| valid_object(o)).ok_or(EntryError::Malformed)?;
        let time = field(time, "time").filter(|t| valid_time(t)).ok_or(EntryError::Malformed)?;
        let commitment = field(commitment, "commitment").and_then(|c| unhex(&c)).ok_or(EntryError::Malformed)?;
        let entry = LogEntry { event, object, time, commitment };
        if entry.to_bytes() != bytes {
            return Err(EntryError::Malformed);
        }
        Ok(entry)
    }

    /// The record id and version an entry about a record names.
    pub fn record(&self) -> Option<(i64, i64)> {
        let rest = self.object.strip_prefix("record/")?;
        let (id, version) = rest.split_once('/')?;
        Some((id.parse().ok()?, version.parse().ok()?))
    }
}

/// `SHA-256(salt ‖ content)`.
pub fn commitment(salt: &[u8], content: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(content);
    h.finalize().into()
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash from 64 lowercase hexadecimal digits.
pub fn unhex(s: &str) -> Option<Hash> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A value of canonical JSON: what the contents are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Canon {
    Int(i64),
    Str(String),
    Obj(BTreeMap<String, Canon>),
}

impl Canon {
    /// RFC 8785 serialisation for this subset: keys sorted (all keys here are
    /// ASCII, so byte order is UTF-16 order), strings with only `"`, `\`
    /// and control characters escaped (`\b \t \n \f \r`, others `\u00xx`).
    pub fn write(&self, out: &mut String) {
        match self {
            Canon::Int(n) => out.push_str(&n.to_string()),
            Canon::Str(s) => write_str(s, out),
            Canon::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn obj<const N: usize>(pairs: [(&str, Canon); N]) -> Canon {
    Canon::Obj(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A record version's public fields: every field of the standard the record
/// has, masked as the portal shows it.
pub fn public_fields<K: std::borrow::Borrow<str> + Ord>(
    kind: RecordKind,
    fields: &BTreeMap<K, String>,
) -> BTreeMap<String, String> {
    let rules = PersonalDataRules::embedded();
    kind.fields()
        .iter()
        .filter_map(|def| fields.get(def.code).map(|v| (def.code.to_string(), rules.mask_field(def, v).into_owned())))
        .collect()
}

/// The content committed when a record version is published or corrected:
/// `{"fields":{…masked…},"kind":"penalty","record":123,"version":2}`.
pub fn record_content<K: std::borrow::Borrow<str> + Ord>(
    kind: RecordKind,
    id: i64,
    version: i64,
    fields: &BTreeMap<K, String>,
) -> String {
    let f = public_fields(kind, fields).into_iter().map(|(k, v)| (k, Canon::Str(v))).collect();
    obj([
        ("fields", Canon::Obj(f)),
        ("kind", Canon::Str(kind.as_str().into())),
        ("record", Canon::Int(id)),
        ("version", Canon::Int(version)),
    ])
    .to_text()
}

/// The content committed when a record leaves publication early (withdrawn
/// or repaired): the record, the version in force, the day and the stated
/// reason, with personal numbers masked.
pub fn ending_content(id: i64, version: i64, on: jiff::civil::Date, reason: &str) -> String {
    let reason = PersonalDataRules::embedded().mask_text(reason).into_owned();
    obj([
        ("on", Canon::Str(on.to_string())),
        ("reason", Canon::Str(reason)),
        ("record", Canon::Int(id)),
        ("version", Canon::Int(version)),
    ])
    .to_text()
}

/// The content committed when a party is listed: the entry, its list and
/// criterion, the subject's key (empty if the party is not a subject of the
/// platform; vehicles and drivers are named by nothing personal here), and
/// the period it is shown.
pub fn listed_content(
    entry: i64,
    list: &str,
    criterion: u32,
    subject: Option<&str>,
    listed_on: jiff::civil::Date,
    shown_until: jiff::civil::Date,
) -> String {
    obj([
        ("criterion", Canon::Int(i64::from(criterion))),
        ("entry", Canon::Int(entry)),
        ("list", Canon::Str(list.into())),
        ("listed_on", Canon::Str(listed_on.to_string())),
        ("shown_until", Canon::Str(shown_until.to_string())),
        ("subject", Canon::Str(subject.unwrap_or("").into())),
    ])
    .to_text()
}

/// The content committed when a listed party leaves early: the entry, its
/// list, the day, how (`repair`, `court`, `withdrawn`…) and the stated
/// reason with personal numbers masked.
pub fn exit_content(entry: i64, list: &str, on: jiff::civil::Date, how: &str, reason: &str) -> String {
    let reason = PersonalDataRules::embedded().mask_text(reason).into_owned();
    obj([
        ("entry", Canon::Int(entry)),
        ("how", Canon::Str(how.into())),
        ("list", Canon::Str(list.into())),
        ("on", Canon::Str(on.to_string())),
        ("reason", Canon::Str(reason)),
    ])
    .to_text()
}

/// The content committed when a subject's grade in a run becomes final:
/// the run, its scheme and cycle, the subject's key, the grade and the
/// score in tenths of a point, and the day it became final.
pub fn grade_content(
    run: i64,
    scheme: &str,
    cycle: i16,
    subject: &str,
    grade: &str,
    score: i64,
    final_from: jiff::civil::Date,
) -> String {
    obj([
        ("cycle", Canon::Int(i64::from(cycle))),
        ("final_from", Canon::Str(final_from.to_string())),
        ("grade", Canon::Str(grade.into())),
        ("run", Canon::Int(run)),
        ("scheme", Canon::Str(scheme.into())),
        ("score", Canon::Int(score)),
        ("subject", Canon::Str(subject.into())),
    ])
    .to_text()
}

/// The content committed when a report is issued: its number, subject key,
/// the day it speaks of and the PDF's SHA-256.
pub fn report_content(number: &str, subject: &str, as_of: jiff::civil::Date, sha256: &Hash) -> String {
    obj([
        ("as_of", Canon::Str(as_of.to_string())),
        ("number", Canon::Str(number.into())),
        ("sha256", Canon::Str(hex(sha256))),
        ("subject", Canon::Str(subject.into())),
    ])
    .to_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LogEntry {
        LogEntry {
            event: LogEvent::RecordPublished,
            object: "record/123/2".into(),
            time: "2026-12-03T02:15:00Z".into(),
            commitment: commitment(b"salt", b"content"),
        }
    }

    #[test]
    fn entries_round_trip_and_nothing_else_is_read() {
        let e = sample();
        let bytes = e.to_bytes();
        assert_eq!(LogEntry::parse(&bytes), Ok(e.clone()));
        assert_eq!(e.record(), Some((123, 2)));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("xinjiao-log-entry/1\nevent record.published\nobject record/123/2\n"));
        for bad in [
            text.replace("entry/1", "entry/2"),
            text.replace("record.published", "record.deleted"),
            text.replace("record/123/2", "record/0123/2"),
            text.replace("record/123/2", "record/123"),
            text.replace("record/123/2", "subject/1"),
            text.replace("02:15:00Z", "02:15:00.5Z"),
            text.replace("2026-12-03T", "2026-13-03T"),
            text.replace("event ", "event  "),
            text.trim_end().to_string(),
            format!("{text}\n"),
            text.replace("commitment ", "commitment A"),
            text.replace('\n', "\r\n"),
            "x".repeat(MAX_ENTRY_BYTES + 1),
        ] {
            assert!(LogEntry::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let listed = LogEntry { event: LogEvent::ListEntered, object: "list-entry/42".into(), ..sample() };
        assert_eq!(LogEntry::parse(&listed.to_bytes()), Ok(listed.clone()));
        for bad in ["list-entry/", "list-entry/042", "list-entry/4/2", "list-entry/x"] {
            let e = LogEntry { object: bad.into(), ..listed.clone() };
            assert_eq!(LogEntry::parse(&e.to_bytes()), Err(EntryError::Malformed), "{bad}");
        }
        let report = LogEntry { event: LogEvent::ReportIssued, object: "report/XJ-2026-000001".into(), ..sample() };
        assert_eq!(LogEntry::parse(&report.to_bytes()), Ok(report));
    }

    #[test]
    fn canonical_json_as_rfc_8785_writes_it() {
        let c = obj([
            ("b", Canon::Str("引号\"、反斜杠\\、换行\n、\u{1}".into())),
            ("a", Canon::Int(-7)),
            ("c", obj([("y", Canon::Int(1)), ("x", Canon::Str(String::new()))])),
        ]);
        assert_eq!(c.to_text(), r#"{"a":-7,"b":"引号\"、反斜杠\\、换行\n、\u0001","c":{"x":"","y":1}}"#);
    }

    #[test]
    fn record_content_masks_personal_data() {
        let mut f = BTreeMap::new();
        f.insert("CF_WSH".to_string(), "河交罚〔2026〕1号".to_string());
        f.insert("CF_XDR_ZJHM".to_string(), "441602199001011238".to_string());
        f.insert("CF_SY".to_string(), "驾驶员 441602199001011238 超限运输".to_string());
        let c = record_content(RecordKind::Penalty, 5, 1, &f);
        assert!(!c.contains("441602199001011238"), "{c}");
        assert!(c.starts_with(r#"{"fields":{"#) && c.ends_with(r#""kind":"penalty","record":5,"version":1}"#), "{c}");
        let on = jiff::civil::date(2026, 12, 3);
        let w = ending_content(5, 1, on, "当事人 441602199001011238 申请");
        assert_eq!(w, r#"{"on":"2026-12-03","reason":"当事人 4416**********1238 申请","record":5,"version":1}"#);
    }
}
