//! Credit reports (信用报告, issue 16): what a report says of a subject as
//! of a day, issued as a PDF and logged by its SHA-256 (a `report.issued`
//! leaf). Two editions: the public one anyone may ask for (bidding, hiring,
//! loans), with what the portal shows as of the day and personal numbers
//! masked; and the subject's full one from its account, which adds its
//! preliminary grades, its persons' grades, every list entry it ever had
//! and its records no longer public.
//!
//! Each section's rows are digested (SHA-256 of their text); the digests
//! are stored with the report so that `/verify` tells whether the report is
//! still the latest (the same sections made today give the same digests)
//! and which sections changed since. Asking again for a report whose
//! sections have not changed gives back the report already issued (the
//! same number, the same bytes), so that repeated downloads do not grow the
//! log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xinjiao_core::Date;
use xinjiao_core::RecordKind;
use xinjiao_core::evaluation::scheme::{Evaluates, Points};
use xinjiao_core::lists::definition::ListDefinition;
use xinjiao_core::lists::entries::PublicStanding;
use xinjiao_core::lists::measures::{Catalogue, applicable};
use xinjiao_core::records::record::SubjectKind;
use xinjiao_core::transparency::entry::hex;
use xinjiao_report::{Report, Section, Table};
use xinjiao_store::transparency::{NewReport, StoredReport};
use xinjiao_store::{PageRequest, RecordFilter, RecordRow, Store, StoreError, Subject, WriteContext};

use crate::kernel::facts::{party_facts, standing_of};
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;
use crate::kernel::views::{is_public_on, mask_id, mask_text};

/// Records of one kind a report lists at most (newest first); more are
/// counted in a note.
pub const MAX_ROWS: u32 = 500;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// Anyone's: what the portal shows, personal numbers masked.
    Public,
    /// The subject's own, from its account.
    Full,
}

impl Edition {
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Public => "public",
            Edition::Full => "full",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Edition::Public => "公开版",
            Edition::Full => "完整版（主体本人）",
        }
    }
    pub fn parse(s: &str) -> Option<Edition> {
        [Edition::Public, Edition::Full].into_iter().find(|e| e.as_str() == s)
    }
}

/// A section's digest as stored with the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDigest {
    pub heading: String,
    /// Hex SHA-256 of the section's paragraphs and rows.
    pub sha256: String,
    /// Its rows (records, entries, grades…).
    pub rows: usize,
}

/// The sections of a report, by code, in the report's order.
#[derive(Clone)]
pub struct Sections {
    pub list: Vec<(&'static str, Section)>,
}

impl Sections {
    /// Each section's digest (code → digest).
    pub fn digests(&self) -> BTreeMap<String, SectionDigest> {
        self.list
            .iter()
            .map(|(code, s)| {
                let mut h = Sha256::new();
                for p in &s.paragraphs {
                    h.update(p.as_bytes());
                    h.update([0x1e]);
                }
                let rows = s.table.as_ref().map_or(0, |t| t.rows.len());
                for row in s.table.iter().flat_map(|t| &t.rows) {
                    for cell in row {
                        h.update(cell.as_bytes());
                        h.update([0x1f]);
                    }
                    h.update([0x1e]);
                }
                let d = SectionDigest { heading: s.heading.clone(), sha256: hex(&h.finalize()), rows };
                (code.to_string(), d)
            })
            .collect()
    }
}

fn table(columns: &[(&str, f32)], rows: Vec<Vec<String>>, empty: &str) -> Option<Table> {
    Some(Table { columns: columns.iter().map(|(c, w)| (c.to_string(), *w)).collect(), rows, empty: empty.into() })
}

/// What the report says of `subject` as of `as_of`.
pub fn sections(
    st: &AppState,
    store: &dyn Store,
    subject: &Subject,
    as_of: Date,
    edition: Edition,
) -> Result<Sections, StoreError> {
    let public = edition == Edition::Public;
    let person = subject.kind == SubjectKind::NaturalPerson;
    let shown = |s: &str| if public { mask_text(s) } else { s.to_string() };
    let mut list = Vec::new();

    // Credit grades: the latest of each scheme made final by the day (the
    // full edition adds results still in their preliminary notice).
    let schemes = st.rules.read().expect("rules").schemes.clone();
    let mut latest: BTreeMap<String, (xinjiao_store::evaluation::Run, xinjiao_store::evaluation::StoredResult)> =
        BTreeMap::new();
    for (run, result) in store.subject_evaluations(subject.id)? {
        let Some(scheme) = schemes.iter().find(|s| s.code == run.scheme) else { continue };
        if run.as_of > as_of || (public && run.final_from > as_of) {
            continue;
        }
        if public && person && !(scheme.evaluates == Evaluates::Persons && scheme.persons_public) {
            continue;
        }
        match latest.get(&run.scheme) {
            Some((r, _)) if (r.cycle_year, r.id) >= (run.cycle_year, run.id) => {}
            _ => {
                latest.insert(run.scheme.clone(), (run, result));
            }
        }
    }
    let grades = latest
        .values()
        .map(|(run, r)| {
            let scheme = schemes.iter().find(|s| s.code == run.scheme).expect("found above");
            let label = scheme.version_on(run.as_of).bands.iter().find(|b| b.grade == r.grade).map(|b| b.label.clone());
            vec![
                scheme.name.clone(),
                format!("{} 年度", run.cycle_year),
                match label {
                    Some(l) if !l.is_empty() => format!("{}（{l}）", r.grade),
                    _ => r.grade.clone(),
                },
                Points(r.score).to_string(),
                if run.final_from <= as_of {
                    format!("正式结果（{} 起）", run.final_from)
                } else {
                    format!("初评公示中，{} 起为正式结果", run.final_from)
                },
            ]
        })
        .collect();
    list.push((
        "grades",
        Section {
            heading: "一、信用评价".into(),
            paragraphs: vec![],
            table: table(
                &[("评价体系", 3.0), ("周期", 1.2), ("等级", 1.6), ("得分", 1.0), ("状态", 2.6)],
                grades,
                "截至该日没有正式的信用评价结果。",
            ),
        },
    ));

    // List entries: those the public sees on the day (the full edition: all
    // the subject ever had, with how they ended).
    let (facts_today, entries) = party_facts(store, subject, as_of)?;
    let lists = ListDefinition::embedded();
    let list_name = |code: &str| lists.iter().find(|l| l.code == code).map_or(code.to_string(), |l| l.name.clone());
    let entry_rows = entries
        .iter()
        .filter(|e| !public || standing_of(e, as_of) == PublicStanding::Listed)
        .filter(|e| crate::kernel::time::china_date(e.proposed_at) <= as_of)
        .map(|e| {
            let standing = standing_of(e, as_of);
            vec![
                list_name(&e.list_code),
                format!("第 {} 项认定标准：{}", e.criterion, shown(&e.reason)),
                e.listed_on.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                e.shown_until.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                match (standing, e.ended_on) {
                    (PublicStanding::Listed, _) => "在列".to_string(),
                    (_, Some(d)) if d <= as_of => format!("{d} 移出"),
                    _ => e.state.label().to_string(),
                },
            ]
        })
        .collect();
    list.push((
        "lists",
        Section {
            heading: "二、信用名单".into(),
            paragraphs: vec![],
            table: table(
                &[("名单", 2.2), ("认定依据", 4.2), ("列入日期", 1.5), ("展示至", 1.5), ("状态", 1.4)],
                entry_rows,
                "截至该日未列入任何信用名单。",
            ),
        },
    ));

    // Measures (rewards and punishments) that the entries and grades bring.
    let measures = applicable(Catalogue::embedded(), None, &facts_today)
        .into_iter()
        .map(|a| {
            vec![
                a.measure.name.clone(),
                a.measure.kind.label().to_string(),
                a.measure.applied_by.clone(),
                a.reasons.join("；"),
            ]
        })
        .collect();
    list.push((
        "measures",
        Section {
            heading: "三、适用的联合奖惩措施".into(),
            paragraphs: vec![],
            table: table(
                &[("措施", 3.0), ("类别", 1.0), ("实施单位", 2.0), ("因为", 4.0)],
                measures,
                "截至该日不适用任何联合奖惩措施。",
            ),
        },
    ));

    // Penalties and licences public on the day; the full edition adds those
    // no longer public.
    let mut ended: Vec<Vec<String>> = Vec::new();
    for (code, heading, kind) in
        [("penalties", "四、行政处罚", RecordKind::Penalty), ("licenses", "五、行政许可", RecordKind::License)]
    {
        let (rows, total) = subject_records(store, subject, kind, public.then_some(as_of))?;
        let mut shown_rows = Vec::new();
        for r in rows.iter().filter(|r| r.decision_date <= as_of) {
            if is_public_on(r, as_of) {
                shown_rows.push(vec![
                    shown(&r.decision_no),
                    r.decision_date.to_string(),
                    shown(&r.authority_name),
                    shown(&r.summary),
                ]);
            } else if r.published_on.is_some() {
                ended.push(vec![
                    kind.label().to_string(),
                    r.decision_no.clone(),
                    r.decision_date.to_string(),
                    r.public_until.map_or_else(|| "已撤下或修复".to_string(), |d| format!("{d} 起不再公示")),
                ]);
            }
        }
        let paragraphs = if total > u64::from(MAX_ROWS) {
            vec![format!("共 {total} 条，本报告列出最新的 {MAX_ROWS} 条；其余见平台公示页面。")]
        } else {
            vec![]
        };
        list.push((
            code,
            Section {
                heading: heading.into(),
                paragraphs,
                table: table(
                    &[("决定文书号", 2.6), ("决定日期", 1.5), ("决定机关", 2.4), ("内容摘要", 4.0)],
                    shown_rows,
                    &format!("截至该日没有公示中的{}。", kind.label()),
                ),
            },
        ));
    }
    if edition == Edition::Full {
        list.push((
            "ended",
            Section {
                heading: "六、已不再公示的记录（仅主体本人可见）".into(),
                paragraphs: vec!["公示期满、信用修复或撤下后不再公示的记录，供主体核对；公开版报告不含此部分。".into()],
                table: table(
                    &[("类别", 1.2), ("决定文书号", 3.0), ("决定日期", 1.5), ("状态", 2.5)],
                    ended,
                    "没有已不再公示的记录。",
                ),
            },
        ));
    }
    Ok(Sections { list })
}

/// A subject's records of `kind` (public on `public_on`, or all), newest
/// first, at most [`MAX_ROWS`], and how many there are.
fn subject_records(
    store: &dyn Store,
    subject: &Subject,
    kind: RecordKind,
    public_on: Option<Date>,
) -> Result<(Vec<RecordRow>, u64), StoreError> {
    let filter = RecordFilter { kind: Some(kind), subject_id: Some(subject.id), public_on, ..Default::default() };
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let p = store.list_records(&filter, PageRequest::new(page, PageRequest::MAX_PER_PAGE))?;
        let n = p.items.len();
        rows.extend(p.items);
        if n < PageRequest::MAX_PER_PAGE as usize || rows.len() >= MAX_ROWS as usize {
            rows.truncate(MAX_ROWS as usize);
            return Ok((rows, p.total));
        }
        page += 1;
    }
}

/// Why a report could not be issued.
#[derive(Debug)]
pub enum IssueError {
    Store(StoreError),
    /// The as-of day is after today.
    FutureDay,
    /// The fonts are missing or the PDF could not be written.
    Render(String),
}

impl From<StoreError> for IssueError {
    fn from(e: StoreError) -> Self {
        IssueError::Store(e)
    }
}

impl IssueError {
    /// A stable machine code (API) and the Chinese message (pages).
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            IssueError::Store(StoreError::NotFound) => ("report.subject_not_found", "没有该主体".into()),
            IssueError::Store(e) => ("report.store", format!("数据库错误：{e}")),
            IssueError::FutureDay => ("report.future_day", "报告的信息截至日期不能晚于今天".into()),
            IssueError::Render(e) => ("report.render", format!("报告无法生成：{e}")),
        }
    }
}

/// An issued report and its PDF.
pub struct Issued {
    pub report: StoredReport,
    pub pdf: Vec<u8>,
}

fn number_for(subject_key: &str, edition: Edition, as_of: Date, at: jiff::Timestamp, data_version: u64) -> String {
    let mut h = Sha256::new();
    h.update(format!("{subject_key}\n{}\n{as_of}\n{}\n{data_version}", edition.as_str(), at.as_nanosecond()));
    let d = h.finalize();
    let day = crate::kernel::time::china_date(at).strftime("%Y%m%d").to_string();
    format!("XJ-{day}-{}", hex(&d[..4]).to_uppercase())
}

/// What identifies one issued report on its pages.
struct Stamp<'a> {
    number: &'a str,
    issued_at: jiff::Timestamp,
    data_version: i64,
}

/// The report document of `sections`.
fn document(
    st: &AppState,
    subject: &Subject,
    edition: Edition,
    as_of: Date,
    stamp: Stamp<'_>,
    sections: Sections,
) -> Report {
    let Stamp { number, issued_at, data_version } = stamp;
    let public = edition == Edition::Public;
    let code = match (&subject.uscc, &subject.id_doc_no) {
        (Some(u), _) => ("统一社会信用代码", u.clone()),
        (None, Some(d)) => ("证件号码", if public { mask_id(d) } else { d.clone() }),
        (None, None) => ("主体编号", subject.key.clone()),
    };
    let mut facts = vec![
        ("主体名称".to_string(), if public { mask_text(&subject.name) } else { subject.name.clone() }),
        (code.0.to_string(), code.1),
        ("主体类型".to_string(), subject.kind.label().to_string()),
        ("信息截至".to_string(), format!("{as_of}（北京时间当日）")),
        ("出具时间".to_string(), format!("{}（北京时间）", local_time(issued_at))),
        ("数据版本".to_string(), format!("透明日志第 {data_version} 条之后的数据")),
    ];
    if st.demo {
        facts.push(("注意".to_string(), "本报告依据演示数据生成，不具任何效力".to_string()));
    }
    let verify_url = format!("{}/verify?number={number}", st.public_url.trim_end_matches('/'));
    Report {
        title: format!("交通运输信用报告（{}）", edition.label()),
        number: number.to_string(),
        facts,
        qr_url: verify_url.clone(),
        sections: sections.list.into_iter().map(|(_, s)| s).collect(),
        notes: vec![
            "本报告依据本平台截至上述日期公示的信息生成；个人身份证件号码、手机号码等已按规定遮蔽。".into(),
            format!(
                "真伪与是否最新：扫描二维码或访问 {verify_url}，或在 {}/verify 上传本 PDF 文件核验。本报告的 SHA-256 已在出具时记入平台透明日志，任何改动（哪怕一个字节）都无法通过核验。",
                st.public_url.trim_end_matches('/')
            ),
            "本报告反映出具时的信息；此后新增、更正、撤下或修复的信息，以核验页面所示为准。".into(),
        ],
        issuer: format!("出具：信交交通运输信用平台（{}）", st.signer.name),
    }
}

/// Issues a report of `subject_key` as of `as_of` (today if `None`), or
/// gives back the one already issued if nothing it says has changed.
/// `purpose` (why it is asked for) goes into the audit event with `actor`.
pub fn issue(
    st: &AppState,
    store: &dyn Store,
    subject_key: &str,
    as_of: Option<Date>,
    edition: Edition,
    actor: &str,
    purpose: Option<&str>,
) -> Result<Issued, IssueError> {
    let today = st.today();
    let as_of = as_of.unwrap_or(today);
    if as_of > today {
        return Err(IssueError::FutureDay);
    }
    let subject = store.subject_by_key_on(subject_key, Some(today))?.ok_or(StoreError::NotFound)?;
    let secs = sections(st, store, &subject, as_of, edition)?;
    let digests = serde_json::to_string(&secs.digests()).expect("digests serialise");
    let fonts = xinjiao_report::Fonts::shared().map_err(IssueError::Render)?;

    // The same report again: re-made with its number and time, it must give
    // the bytes it was logged with.
    let prior = store.subject_reports(&subject.key, 20)?;
    if let Some(p) = prior.iter().find(|p| p.edition == edition.as_str() && p.as_of == as_of && p.digests == digests) {
        let stamp = Stamp { number: &p.number, issued_at: p.issued_at, data_version: p.data_version };
        let doc = document(st, &subject, edition, as_of, stamp, secs.clone());
        let pdf = xinjiao_report::render(&doc, fonts).map_err(IssueError::Render)?;
        if <[u8; 32]>::from(Sha256::digest(&pdf.bytes)) == p.sha256 {
            return Ok(Issued { report: p.clone(), pdf: pdf.bytes });
        }
        // Otherwise the fonts or the layout changed since: a new report.
    }
    let now = st.now();
    let data_version = store.log_size()?;
    let number = number_for(&subject.key, edition, as_of, now, data_version);
    let stamp = Stamp { number: &number, issued_at: now, data_version: data_version as i64 };
    let doc = document(st, &subject, edition, as_of, stamp, secs);
    let pdf = xinjiao_report::render(&doc, fonts).map_err(IssueError::Render)?;
    let new = NewReport {
        number,
        subject_key: subject.key.clone(),
        subject_name: subject.name.clone(),
        edition: edition.as_str().into(),
        as_of,
        sha256: Sha256::digest(&pdf.bytes).into(),
        data_version: data_version as i64,
        pages: pdf.pages,
        bytes: pdf.bytes.len() as u64,
        digests,
    };
    let reason = match purpose {
        Some(p) => format!("出具信用报告（{}）：{p}", edition.label()),
        None => format!("出具信用报告（{}）", edition.label()),
    };
    let ctx = WriteContext::new(actor, now, reason);
    let report = store.issue_report(&ctx, &new)?;
    Ok(Issued { report, pdf: pdf.bytes })
}

/// What `/verify` says of an issued report.
pub struct Standing {
    pub report: StoredReport,
    /// Every section still gives the digest it had.
    pub latest: bool,
    /// Sections whose content changed: heading, rows then, rows now.
    pub changed: Vec<(String, usize, usize)>,
}

/// Compares an issued report with what the same report would say today.
pub fn standing(st: &AppState, store: &dyn Store, report: StoredReport) -> Result<Standing, StoreError> {
    let then: BTreeMap<String, SectionDigest> = serde_json::from_str(&report.digests).unwrap_or_default();
    let edition = Edition::parse(&report.edition).unwrap_or(Edition::Public);
    let now = match store.subject_by_key_on(&report.subject_key, Some(st.today()))? {
        Some(subject) => sections(st, store, &subject, st.today(), edition)?.digests(),
        None => BTreeMap::new(),
    };
    let mut changed = Vec::new();
    for (code, d) in &then {
        match now.get(code) {
            Some(n) if n.sha256 == d.sha256 => {}
            Some(n) => changed.push((d.heading.clone(), d.rows, n.rows)),
            None => changed.push((d.heading.clone(), d.rows, 0)),
        }
    }
    for (code, n) in &now {
        if !then.contains_key(code) {
            changed.push((n.heading.clone(), 0, n.rows));
        }
    }
    Ok(Standing { latest: changed.is_empty(), changed, report })
}
