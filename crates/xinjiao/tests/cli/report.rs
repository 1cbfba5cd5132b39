//! Credit reports end to end (issue 16): a subject with public penalties, a
//! final grade and a list entry gets a report from `xinjiao report`; the PDF
//! is read back with the tools its readers have (`pdftotext` finds the
//! Chinese names and figures, `pdffonts` shows only embedded subsets,
//! `zbarimg` decodes the QR code to the verification page); `/verify`
//! accepts the PDF and refuses it with one byte changed; the API gives the
//! report's hash, subject, time and leaf with a proof that verifies; a
//! penalty published afterwards makes it "no longer the latest"; the portal
//! issues a new one, and the subject's full edition holds what the public
//! one leaves out.

use std::process::Command;

use sha2::{Digest, Sha256};
use xinjiao_core::RecordKind;
use xinjiao_core::lists::entries::EntryState;
use xinjiao_core::signed_note::NoteVerifier;
use xinjiao_core::transparency::bundle::verify;
use xinjiao_core::transparency::entry::hex;
use xinjiao_import::proof::BundleFile;
use xinjiao_store::{EntryFilter, PageRequest, RecordFilter};

use super::log::Server;
use super::*;

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (scripts/test installs it): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// `POST /verify` with `file` as multipart; the status and the page.
pub(super) fn upload_verify(server: &Server, name: &str, file: &[u8]) -> (u16, String) {
    let boundary = "xinjiao-test-boundary-7c1d";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut resp = agent()
        .post(&format!("{}/verify", server.base))
        .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
        .send(&body[..])
        .unwrap();
    (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap())
}

fn report_cli(dir: &TempDir, server: &Server, subject: &str, day: &str, out: &Path, full: bool) -> String {
    let db = dir.db();
    let mut args = vec!["report", subject, "--db", &db, "--as-of", day, "--public-url", &server.base];
    let key_file = dir.path("keys/signing-key.pem");
    let out_s = out.to_str().unwrap();
    args.extend(["--key-file", key_file.to_str().unwrap(), "--out", out_s]);
    if full {
        // Without a reason the full edition is refused.
        let mut without = args.clone();
        without.push("--full");
        let refused = xinjiao(&without);
        assert_eq!(refused.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("--reason"));
        args.extend(["--full", "--reason", "主体本人申请，窗口代为打印"]);
    }
    let made = xinjiao(&args);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let stdout = String::from_utf8(made.stdout).unwrap();
    let number = stdout.split_whitespace().find(|w| w.starts_with("XJ-")).unwrap();
    number.split('（').next().unwrap().to_string()
}

pub fn credit_reports_are_read_back_verified_and_outdated(dir: TempDir) {
    let made = xinjiao(&["demo", "--db", &dir.db(), "--subjects", "60", "--records", "300", "--seed", "11"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let day = xinjiao_web::china_date(jiff::Timestamp::now());
    let store = dir.store();

    // An enterprise on a list today, with a final grade and public penalties.
    let listed = store.entries(&EntryFilter { states: vec![EntryState::Listed], ..Default::default() }, 100).unwrap();
    let public = |id: i64| {
        let f = RecordFilter {
            kind: Some(RecordKind::Penalty),
            subject_id: Some(id),
            public_on: Some(day),
            ..Default::default()
        };
        store.list_records(&f, PageRequest::new(1, 100)).unwrap().items
    };
    let (subject_id, entry) = listed
        .iter()
        .filter_map(|e| Some((e.subject_id?, e)))
        .find(|(id, e)| {
            e.party.starts_with('9')
                && !public(*id).is_empty()
                && store.subject_evaluations(*id).unwrap().iter().any(|(run, _)| run.final_from <= day)
        })
        .expect("the demo has a listed enterprise with penalties and a grade");
    let subject = store.subject_by_key(entry.subject_key.as_deref().unwrap()).unwrap().unwrap();
    let penalties = public(subject_id);
    let (_, grade) =
        store.subject_evaluations(subject_id).unwrap().into_iter().find(|(run, _)| run.final_from <= day).unwrap();

    let server = Server::start(&dir, &day.to_string());
    let pdf_path = dir.path("report.pdf");
    let number = report_cli(&dir, &server, &subject.key, &day.to_string(), &pdf_path, false);
    assert!(number.starts_with(&format!("XJ-{}-", day.strftime("%Y%m%d"))), "{number}");
    let pdf = std::fs::read(&pdf_path).unwrap();

    // What the reader's tools find in it.
    let text = tool("pdftotext", &["-layout", pdf_path.to_str().unwrap(), "-"]);
    let flat: String = text.split_whitespace().collect();
    let uscc = subject.uscc.clone().unwrap();
    for needle in [subject.name.as_str(), &uscc, &number, "交通运输信用报告（公开版）", &grade.grade] {
        assert!(flat.contains(needle), "{needle} in:\n{text}");
    }
    for p in &penalties {
        assert!(flat.contains(&p.decision_no), "{} in:\n{text}", p.decision_no);
        assert!(flat.contains(&p.decision_date.to_string()), "{} in:\n{text}", p.decision_date);
    }
    assert!(flat.contains("严重违法失信") && flat.contains(&entry.listed_on.unwrap().to_string()), "{text}");
    let fonts = tool("pdffonts", &[pdf_path.to_str().unwrap()]);
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_lines.is_empty(), "{fonts}");
    for line in &font_lines {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(cols[n - 5..n - 3], ["yes", "yes"], "embedded and subset: {line}");
        assert!(cols[0].contains('+') && cols[0].contains("NotoSansCJK"), "a subset of Noto CJK: {line}");
    }
    let png = dir.path("page");
    tool(
        "pdftoppm",
        &["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", pdf_path.to_str().unwrap(), png.to_str().unwrap()],
    );
    let qr = tool("zbarimg", &["-q", "--raw", dir.path("page.png").to_str().unwrap()]);
    assert_eq!(qr.trim(), format!("{}/verify?number={number}", server.base));

    // Asked again with nothing changed: the same report, the same bytes.
    let again = report_cli(&dir, &server, &subject.key, &day.to_string(), &dir.path("again.pdf"), false);
    assert_eq!(again, number);
    assert_eq!(std::fs::read(dir.path("again.pdf")).unwrap(), pdf);

    // The API: hash, subject, time, leaf, and a proof of the leaf.
    let api = server.json(&format!("/api/v1/reports/{number}")).unwrap();
    assert_eq!(api["sha256"], hex(&Sha256::digest(&pdf)));
    assert_eq!(api["subject"], subject.key.as_str());
    assert_eq!(api["subject_name"], subject.name.as_str());
    assert!(api["issued_at"].as_str().unwrap().starts_with(&day.year().to_string()), "{api}");
    assert_eq!(api["latest"], true, "{api}");
    let leaf = api["leaf_index"].as_u64().unwrap();
    let bundle: BundleFile = serde_json::from_value(api["proof"].clone()).unwrap();
    assert_eq!(bundle.leaf_index, leaf);
    let key = NoteVerifier::parse_vkey(server.text("/log/key").trim()).unwrap();
    let v = verify(&bundle.bundle().unwrap(), &[key]).unwrap();
    assert!(v.content_checked && bundle.content.as_deref().unwrap().contains(&hex(&Sha256::digest(&pdf))));
    assert_eq!(server.json("/api/v1/reports/XJ-00000000-00000000"), None);
    // By the PDF's hash too.
    assert_eq!(
        server.json(&format!("/api/v1/reports/{}", hex(&Sha256::digest(&pdf)))).unwrap()["number"],
        number.as_str()
    );

    // /verify: by number, by the PDF, and not with one byte changed.
    let page = server.text(&format!("/verify?number={number}"));
    assert!(page.contains("data-verdict=\"genuine\"") && page.contains("data-latest=\"true\""), "{page}");
    let (status, page) = upload_verify(&server, "report.pdf", &pdf);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("data-verdict=\"genuine\"") && page.contains(&number), "{page}");
    let mut tampered = pdf.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    let (status, page) = upload_verify(&server, "report.pdf", &tampered);
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("data-verdict=\"invalid\"") && page.contains("不能证实"), "{page}");
    let (status, page) = upload_verify(&server, "x.json", b"{\"format\": \"nonsense\"}");
    assert_eq!(status, 422);
    assert!(page.contains("bundle."), "the bundle's error code: {page}");

    // A penalty published afterwards: the report is no longer the latest.
    let csv = dir.path("new.csv");
    let new_no = "河交罚〔2026〕9901号";
    let rows = [row(&subject.name, subject.uscc.as_ref().unwrap(), new_no, "0.2", &day.to_string())];
    std::fs::write(&csv, csv_text(&rows)).unwrap();
    let (code, out) = import(&dir, "penalties", &csv, &[]);
    assert_eq!(code, 0, "{out}");
    let api = server.json(&format!("/api/v1/reports/{number}")).unwrap();
    assert_eq!(api["latest"], false, "{api}");
    let changed = api["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{api}");
    assert_eq!(changed[0]["section"], "四、行政处罚");
    assert_eq!(changed[0]["rows_now"].as_u64().unwrap(), changed[0]["rows_then"].as_u64().unwrap() + 1);
    let page = server.text(&format!("/verify?number={number}"));
    assert!(
        page.contains("data-latest=\"false\"") && page.contains("不是最新的") && page.contains("四、行政处罚"),
        "{page}"
    );

    // The portal's button issues a new report that has the new penalty.
    let mut resp = agent()
        .post(&format!("{}/subjects/{}/report", server.base, subject.key))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("as_of={day}").as_bytes())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers().get("content-type").unwrap(), "application/pdf");
    let newer = resp.headers().get("x-xinjiao-report-number").unwrap().to_str().unwrap().to_string();
    let newer_pdf = resp.body_mut().with_config().limit(8 << 20).read_to_vec().unwrap();
    assert_ne!(newer, number);
    let (status, page) = upload_verify(&server, "newer.pdf", &newer_pdf);
    assert!(status == 200 && page.contains("data-latest=\"true\""), "{page}");
    std::fs::write(dir.path("newer.pdf"), &newer_pdf).unwrap();
    let text = tool("pdftotext", &[dir.path("newer.pdf").to_str().unwrap(), "-"]);
    assert!(text.split_whitespace().collect::<String>().contains(new_no), "{text}");
    // A future day and an unknown subject are refused.
    let resp = agent()
        .post(&format!("{}/subjects/{}/report", server.base, subject.key))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("as_of=2999-01-01".as_bytes())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let mut resp =
        agent().post(&format!("{}/api/v1/subjects/91000000000000000X/reports", server.base)).send_empty().unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(resp.body_mut().read_to_string().unwrap().contains("report.subject_not_found"));

    // The subject's full edition: what the public one leaves out.
    let full = report_cli(&dir, &server, &subject.key, &day.to_string(), &dir.path("full.pdf"), true);
    assert_ne!(full, newer);
    let text = tool("pdftotext", &[dir.path("full.pdf").to_str().unwrap(), "-"]);
    assert!(text.contains("完整版") && text.contains("六、已不再公示的记录"), "{text}");
    assert_eq!(server.json(&format!("/api/v1/reports/{full}")).unwrap()["edition"], "full");
    let audited =
        store.events(100).unwrap().into_iter().find(|e| e.action == "report.issued" && e.detail.contains(&full));
    let audited = audited.expect("the full report's issue is audited");
    assert!(audited.reason.contains("窗口代为打印") && audited.actor == "cli", "{audited:?}");

    // Every report is a leaf of the log.
    let reports = store.subject_reports(&subject.key, 10).unwrap();
    assert_eq!(reports.len(), 3, "the repeated request issued nothing");
    for r in &reports {
        let leaf = store.object_leaf(&format!("report/{}", r.number)).unwrap().unwrap();
        assert_eq!((leaf.index, leaf.event.as_str()), (r.leaf_index, "report.issued"));
    }
}
