//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`): one function per
//! parser of untrusted input. They run the parser on arbitrary bytes with
//! small limits and check what must hold whatever the input: no panic, rows
//! in order and within the limits, every error a documented code. The tests
//! replay the committed corpus (`fuzz/corpus/<target>/`) through the same
//! functions, so a crash the fuzzer found stays fixed.

use xinjiao_core::RecordKind;
use xinjiao_core::records::record::ParseContext;

use crate::{Encoding, Limits, ReadOptions};

/// Small limits: the fuzzer reaches every bound quickly.
pub const FUZZ_LIMITS: Limits = Limits {
    max_file_bytes: 1 << 20,
    max_rows: 200,
    max_columns: 64,
    max_cells: 5_000,
    max_row_bytes: 16 * 1024,
    max_zip_entries: 64,
    max_directory_bytes: 64 * 1024,
    max_uncompressed_bytes: 4 << 20,
    max_small_part_bytes: 256 * 1024,
    max_shared_strings: 10_000,
    max_shared_string_bytes: 256 * 1024,
    max_styles: 1_000,
};

fn known_code(code: &str) -> bool {
    crate::CODES.iter().chain(xinjiao_core::records::diag::CODES).any(|(c, _)| *c == code)
}

fn read_file(name: &str, data: &[u8], encoding: Encoding) {
    for kind in [RecordKind::Penalty, RecordKind::License] {
        let opts = ReadOptions { catalogue: kind.catalogue(), encoding, sheet: None, limits: FUZZ_LIMITS };
        let reader = match crate::open_bytes(name, data.to_vec(), &opts) {
            Ok(r) => r,
            Err(e) => {
                assert!(known_code(e.code), "undocumented file code {}", e.code);
                continue;
            }
        };
        let ctx = ParseContext { today: xinjiao_core::Date::constant(2026, 12, 1) };
        let (mut last, mut n) = (1u64, 0u64);
        for row in reader {
            match row {
                Ok(row) => {
                    assert!(row.number > last, "row numbers increase: {} after {last}", row.number);
                    last = row.number;
                    n += 1;
                    assert!(n <= FUZZ_LIMITS.max_rows, "more rows than the limit");
                    assert!(row.cells.len() <= FUZZ_LIMITS.max_columns.max(64), "row wider than the limit");
                    let parsed = crate::parse_row(kind, row, &ctx);
                    for d in parsed.result.err().into_iter().flatten().chain(parsed.warnings) {
                        assert!(known_code(d.code), "undocumented code {}", d.code);
                    }
                }
                Err(e) => {
                    assert!(known_code(e.code), "undocumented file code {}", e.code);
                    break;
                }
            }
        }
    }
}

/// CSV rows: detection, decoding, row budget, record rules.
pub fn csv_rows(data: &[u8]) {
    for encoding in [Encoding::Auto, Encoding::Gb18030] {
        read_file("fuzz.csv", data, encoding);
    }
}

/// XLSX files: zip directory, parts, shared strings, styles, sheet rows.
pub fn xlsx(data: &[u8]) {
    read_file("fuzz.xlsx", data, Encoding::Auto);
}

/// XLSX sheet XML inside a well-formed archive, so that the fuzzer works on
/// the XML rather than on the zip container.
pub fn xlsx_sheet(data: &[u8]) {
    let header = "<?xml version=\"1.0\"?><worksheet><sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>行政相对人名称</t></is></c></row>";
    let mut sheet = header.as_bytes().to_vec();
    sheet.extend_from_slice(data);
    let shared = data.split(|b| *b == 0).nth(1).unwrap_or(b"");
    xlsx(&crate::crafted::xlsx_with_sheet(&sheet, Some(shared)));
}

/// Dates in every form clerks write them.
pub fn dates(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Some(d) = xinjiao_core::records::date::parse_date(s) {
        assert!(
            (xinjiao_core::records::date::MIN_DATE..=xinjiao_core::records::date::MAX_DATE).contains(&d),
            "{d} out of range"
        );
    }
}

/// Identifiers with check digits, and the search for personal numbers in text.
pub fn codes(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let today = xinjiao_core::Date::constant(2026, 12, 1);
    if let Ok(u) = xinjiao_core::records::ids::Uscc::parse(s) {
        assert_eq!(u.as_str().len(), 18);
    }
    let _ = xinjiao_core::records::ids::OrgCode::parse(s);
    if let Ok(id) = xinjiao_core::records::ids::IdCardNo::parse(s, today) {
        assert!(!id.masked().contains(&id.expose()[4..14]));
    }
    let rules = xinjiao_core::records::personal::PersonalDataRules::embedded();
    let masked = rules.mask_text(s);
    assert_eq!(masked.chars().count(), s.chars().count(), "masking keeps the length");
    for f in rules.find(s) {
        let (at, len) = (s[..f.start].chars().count(), s[f.start..f.end].chars().count());
        assert!(masked.chars().skip(at).take(len).any(|c| c == '*'), "a number found is masked in place");
    }
}

/// Count files (monthly declarations).
pub fn count_file(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    match xinjiao_core::organisation::counts::parse_count_file(s, |code| code.starts_with("HY-")) {
        Ok(lines) => assert!(lines.iter().all(|l| l.due >= 0 && l.department_code.starts_with("HY-"))),
        Err(errors) => {
            assert!(!errors.is_empty() && errors.len() <= xinjiao_core::organisation::counts::MAX_ERRORS + 1)
        }
    }
}

/// `data` opened as a CSV or an XLSX file (by its first bytes) with
/// `catalogue`; `None` after a file error, which must be a documented code.
fn open_fuzzed(
    stem: &str,
    data: &[u8],
    catalogue: xinjiao_core::records::fields::Catalogue,
) -> Option<crate::RowReader> {
    let name = if data.starts_with(b"PK") { format!("{stem}.xlsx") } else { format!("{stem}.csv") };
    let opts = ReadOptions { catalogue, encoding: Encoding::Auto, sheet: None, limits: FUZZ_LIMITS };
    match crate::open_bytes(&name, data.to_vec(), &opts) {
        Ok(r) => Some(r),
        Err(e) => {
            assert!(known_code(e.code), "undocumented file code {}", e.code);
            None
        }
    }
}

/// Credit-event files (CSV or XLSX): read with the credit-event catalogue,
/// every row checked against the embedded schemes; an accepted row has
/// its fields and points inside its item's range.
pub fn credit_events(data: &[u8]) {
    use xinjiao_core::evaluation::{events, scheme::Scheme};
    static SCHEMES: std::sync::OnceLock<Vec<Scheme>> = std::sync::OnceLock::new();
    let schemes = SCHEMES.get_or_init(Scheme::embedded);
    let today = xinjiao_core::Date::constant(2026, 12, 1);
    let Some(reader) = open_fuzzed("events", data, events::CATALOGUE) else { return };
    for row in reader.take(FUZZ_LIMITS.max_rows as usize + 1) {
        let Ok(row) = row else { break };
        match events::parse_event_row(&row.values, schemes, today) {
            Ok(ev) => {
                assert!(!ev.subject_code.is_empty() && !ev.basis.is_empty() && ev.date <= today);
                let s = schemes.iter().find(|s| s.code == ev.scheme).expect("a known scheme");
                let item = s.version_on(ev.date).item(&ev.item).expect("a known item");
                match (item.range, ev.points) {
                    (Some((lo, hi)), Some(p)) => assert!(p >= lo && p <= hi),
                    (None, None) => {}
                    other => panic!("points and item disagree: {other:?}"),
                }
            }
            Err(diags) => assert!(diags.iter().all(|d| known_code(d.code)), "undocumented code in {diags:?}"),
        }
    }
}

/// Inspector roster files (CSV or XLSX): read with the roster catalogue,
/// every row checked; an accepted row has its fields within their lengths.
pub fn roster(data: &[u8]) {
    use xinjiao_core::inspection::roster;
    let departments = vec!["HY-WZCL".to_string(), "DY-JTJ".to_string()];
    let Some(reader) = open_fuzzed("roster", data, roster::CATALOGUE) else { return };
    for row in reader.take(FUZZ_LIMITS.max_rows as usize + 1) {
        let Ok(row) = row else { break };
        match roster::parse_roster_row(&row.values, &departments) {
            Ok(r) => {
                assert!(!r.certificate.is_empty() && r.certificate.chars().count() <= 32);
                assert!(departments.contains(&r.department));
            }
            Err(diags) => assert!(diags.iter().all(|d| known_code(d.code)), "undocumented code in {diags:?}"),
        }
    }
}

/// Published draws (JSON, `xinjiao draw verify FILE`): any bytes are
/// checked without a panic; a draw that verifies draws no more subjects
/// than its population holds.
pub fn draw_json(data: &[u8]) {
    if let Ok(n) = crate::draws::verify_draw(data) {
        let v: serde_json::Value = serde_json::from_slice(data).expect("verified JSON parses");
        assert!(n <= v["population"].as_array().map_or(0, Vec::len));
    }
}

/// Vehicle registers and overload detection files (CSV or XLSX): read with
/// both catalogues, every row checked against the vehicle limits; an
/// accepted detection has a limit and a mass within bounds.
pub fn overload_rows(data: &[u8]) {
    use xinjiao_core::lists::limits::VehicleLimits;
    use xinjiao_core::lists::overload;
    let today = xinjiao_core::Date::constant(2026, 12, 1);
    let limits = VehicleLimits::embedded();
    if let Some(reader) = open_fuzzed("vehicles", data, overload::VEHICLE_CATALOGUE) {
        for row in reader.take(FUZZ_LIMITS.max_rows as usize + 1) {
            let Ok(row) = row else { break };
            match overload::parse_vehicle_row(&row.values) {
                Ok(v) => assert!(
                    overload::normalize_plate(&v.plate).as_deref() == Some(v.plate.as_str())
                        && (2..=12).contains(&v.axles)
                ),
                Err(diags) => assert!(diags.iter().all(|d| known_code(d.code)), "undocumented code in {diags:?}"),
            }
        }
    }
    if let Some(reader) = open_fuzzed("overloads", data, overload::DETECTION_CATALOGUE) {
        for row in reader.take(FUZZ_LIMITS.max_rows as usize + 1) {
            let Ok(row) = row else { break };
            match overload::parse_detection_row(&row.values, limits, today) {
                Ok(d) => {
                    assert!(d.date <= today && (1000..=200_000).contains(&d.gross_kg));
                    assert!(d.assess(limits).is_ok(), "an accepted detection has a limit");
                }
                Err(diags) => assert!(diags.iter().all(|d| known_code(d.code)), "undocumented code in {diags:?}"),
            }
        }
    }
}

/// Associations' member files (CSV or XLSX, issue 17): every row checked;
/// an accepted row has a USCC that parses and a day not after today; every
/// refusal carries a documented code.
pub fn member_rows(data: &[u8]) {
    use xinjiao_core::commitments::members::{MEMBER_CATALOGUE, parse_member_row};
    let today = xinjiao_core::Date::constant(2026, 12, 1);
    if let Some(reader) = open_fuzzed("members", data, MEMBER_CATALOGUE) {
        for row in reader.take(FUZZ_LIMITS.max_rows as usize + 1) {
            let Ok(row) = row else { break };
            match parse_member_row(&row.values, today) {
                Ok(m) => {
                    assert!(m.signed_on <= today);
                    assert!(xinjiao_core::records::ids::Uscc::parse(&m.code).is_ok(), "{}", m.code);
                }
                Err(diags) => assert!(diags.iter().all(|d| known_code(d.code)), "undocumented code in {diags:?}"),
            }
        }
    }
}

/// Signed notes and verifier keys (`xinjiao verify receipt`): any bytes are
/// parsed within the size bound without a panic; a parsed note's text is
/// its start; what opens under a key is what parses; a verifier key, a
/// checkpoint's text and a tile path read back to themselves; a key history
/// (`/log/keys`, read by `xinjiao log audit`) that parses is a chain whose
/// notes are the history's text.
pub fn signed_note(data: &[u8]) {
    use xinjiao_core::signed_note::{MAX_SIGNATURES, NoteSigner, NoteVerifier, SigningKey, parse};
    if let Ok(n) = parse(data) {
        assert!(n.text.ends_with('\n') && !n.signatures.is_empty() && n.signatures.len() <= MAX_SIGNATURES);
        assert!(data.starts_with(n.text.as_bytes()));
    }
    // A tile path (what a request names after `tile/`) reads back to itself.
    if let Ok(text) = std::str::from_utf8(data)
        && let Some((id, entries)) = xinjiao_core::transparency::tiles::TileId::parse(text)
    {
        let path = if entries { id.entries_path() } else { id.path() };
        assert_eq!(path.strip_prefix("tile/"), Some(text));
    }
    // A checkpoint's text reads back to itself (canonical size and root).
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(c) = xinjiao_core::transparency::checkpoint::Checkpoint::parse(text)
    {
        assert_eq!(c.to_text(), text);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(history) = xinjiao_core::transparency::keys::parse_history(text)
    {
        assert!(history.windows(2).all(|w| w[0].new == w[1].old), "a chain");
        assert!(history.is_empty() || history.iter().map(|t| t.note.as_str()).collect::<String>().len() == text.len());
    }
    let verifier = NoteSigner::new("fuzz.test", SigningKey::from_bytes(&[3; 32])).expect("name").verifier();
    if let Ok(opened) = verifier.open(data) {
        assert_eq!(parse(data).map(|n| n.text), Ok(opened.text), "what opens is what parses");
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(v) = NoteVerifier::parse_vkey(text)
    {
        assert_eq!(NoteVerifier::parse_vkey(&v.to_vkey()), Ok(v));
    }
}

/// Proof bundles (`xinjiao verify bundle`, `/verify`): any bytes are read
/// within the bounds without a panic; a bundle read writes back to the same
/// bundle; entries parse to themselves; verifying against a key never
/// panics, and what verifies has an entry within the checkpoint's tree.
pub fn proof_bundle(data: &[u8]) {
    use xinjiao_core::signed_note::{NoteSigner, SigningKey};
    use xinjiao_core::transparency::{bundle, entry::LogEntry};
    if let Ok(e) = LogEntry::parse(data) {
        assert_eq!(e.to_bytes(), data, "an entry reads back to itself");
    }
    let Ok(b) = crate::proof::read_bundle(data) else { return };
    let again = crate::proof::BundleFile::new(&b, None, "").bundle();
    assert_eq!(again.as_ref(), Ok(&b), "a bundle writes back to itself");
    let key = NoteSigner::new("fuzz.test", SigningKey::from_bytes(&[3; 32])).expect("name").verifier();
    if let Ok(v) = bundle::verify(&b, &[key]) {
        assert!(b.leaf_index < v.checkpoint.size);
    }
}

/// The body of a fuzz target.
pub type Target = fn(&[u8]);

/// The functions by target name (for the corpus replay).
pub const TARGETS: &[(&str, Target)] = &[
    ("csv_rows", csv_rows),
    ("xlsx", xlsx),
    ("xlsx_sheet", xlsx_sheet),
    ("dates", dates),
    ("codes", codes),
    ("credit_events", credit_events),
    ("roster", roster),
    ("draw_json", draw_json),
    ("count_file", count_file),
    ("overload_rows", overload_rows),
    ("member_rows", member_rows),
    ("signed_note", signed_note),
    ("proof_bundle", proof_bundle),
];
