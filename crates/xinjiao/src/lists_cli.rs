//! `xinjiao import vehicles|overloads` (through [`import`]) and `xinjiao
//! lists …`: the serious-dishonesty and red lists from the command line
//! (issue 15).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use jiff::Timestamp;
use serde_json::json;
use xinjiao_core::Date;
use xinjiao_core::lists::definition::ListDefinition;
use xinjiao_core::lists::limits::VehicleLimits;

use xinjiao_store::{Store, WriteContext};

#[derive(Subcommand)]
pub enum PartnerCommand {
    /// Register a partner system (bank, tendering platform, agency) and print
    /// its API token once; the token may ask only the scenarios given.
    Add {
        #[arg(long)]
        name: String,
        /// Scenario codes, comma-separated (rules/scenarios.toml), e.g. xinyidai.
        #[arg(long)]
        scenarios: String,
        /// Days the token is valid.
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The partners, tab-separated (id, name, scenarios, expires, revoked).
    List,
    /// Revoke a partner's token.
    Revoke {
        id: i64,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

#[derive(Subcommand)]
pub enum ListsCommand {
    /// The lists (rules/lists/*.toml): code, kind, name, notice and period.
    Show,
    /// The parties the platform's data puts forward for a list as of a day,
    /// by the criteria it computes; one line each (or one JSON object per
    /// line). Drivers' ID numbers are printed in full: the read is audited
    /// with --purpose.
    Candidates {
        list: String,
        /// The day computed (default: today).
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
        /// Why the ID numbers are read (kept in the audit log).
        #[arg(long, default_value = "核查严重失信名单候选")]
        purpose: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Propose the candidates of a list as of today (all, or one criterion
    /// and party) as entries awaiting review.
    Propose {
        list: String,
        #[arg(long)]
        criterion: Option<u32>,
        #[arg(long)]
        party: Option<String>,
        /// The proposing department (its code, e.g. HY-WZCL).
        #[arg(long)]
        department: Option<String>,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The entries of a list: one line each, or one JSON object per line.
    Entries {
        list: String,
        #[arg(long)]
        json: bool,
    },
    /// Review (approve, reject), confirm after the notice, or end an entry
    /// early (repair, decision); as of today.
    Act {
        id: i64,
        /// approve, reject, confirm, end-repair or end-decision.
        action: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Record an objection to an entry in notice (received at a window).
    Object {
        id: i64,
        #[arg(long)]
        objector: String,
        #[arg(long)]
        reasons: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Handle an objection: acknowledge, extend, uphold or reject.
    Objection {
        id: i64,
        action: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// A credit check as the API answers it (JSON with its signed receipt),
    /// signed with the key file; audited.
    Check {
        subject: String,
        #[arg(long)]
        scenario: String,
        #[arg(long)]
        purpose: Option<String>,
        /// The signing key file (as `serve --key-file`).
        #[arg(long)]
        key_file: std::path::PathBuf,
        /// The installation's public address (names the key).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        public_url: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

/// Which file an import reads.
#[derive(Clone, Copy)]
pub enum FileKind {
    Vehicles,
    Overloads,
}

/// `xinjiao import vehicles|overloads FILE`: exit status 1 when the file
/// cannot be read (nothing stored), 2 when rows were refused, else 0.
pub fn import(
    store: Option<&dyn Store>,
    kind: FileKind,
    file: &Path,
    opts: xinjiao_import::ReadOptions,
    report_to: Option<&Path>,
    wctx: &WriteContext,
    today: Date,
) -> anyhow::Result<ExitCode> {
    let reader = match xinjiao_import::open_path(file, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("文件未导入：{}（{}）", e.message, e.code);
            return Ok(ExitCode::from(1));
        }
    };
    use xinjiao_web::lists::import_job::{ImportError, run_overload_import, run_vehicle_import};
    let result = match kind {
        FileKind::Vehicles => run_vehicle_import(store, reader, wctx),
        FileKind::Overloads => run_overload_import(store, reader, VehicleLimits::embedded(), wctx, today),
    };
    let r = match result {
        Ok(r) => r,
        Err(ImportError::File(e)) => {
            eprintln!("文件未导入：{}（{}）", e.message, e.code);
            return Ok(ExitCode::from(1));
        }
        Err(ImportError::Store(e)) => return Err(e.into()),
    };
    crate::finish_import(&r, report_to, store.is_none())
}

pub fn lists(store: &dyn Store, now: Timestamp, today: Date, command: ListsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ListsCommand::Show => {
            for l in ListDefinition::embedded() {
                println!(
                    "{}\t{}\t{}\t公示 {} 个工作日\t展示 {} 个月{}",
                    l.code,
                    l.kind.label(),
                    l.name,
                    l.notice_working_days,
                    l.shown_months,
                    if l.bureau_choice { "\t（本局自定标准）" } else { "" }
                );
            }
        }
        ListsCommand::Candidates { list, as_of, json, purpose, actor } => {
            let Some(def) = ListDefinition::find(&list) else {
                let known: Vec<&str> = ListDefinition::embedded().iter().map(|l| l.code.as_str()).collect();
                bail!("没有名单“{list}”（可用：{}）", known.join("、"))
            };
            let as_of = match as_of {
                None => today,
                Some(s) => s.parse().map_err(|_| anyhow::anyhow!("--as-of 应为 YYYY-MM-DD（收到 {s}）"))?,
            };
            if purpose.trim().is_empty() {
                bail!("请用 --purpose 写明查阅目的")
            }
            let found = xinjiao_store::lists::candidates(store, def, VehicleLimits::embedded(), as_of)?;
            let drivers = found.iter().filter(|c| c.party_type.is_person()).count();
            if drivers > 0 {
                let detail = json!({"purpose": purpose.trim(), "what": format!("{list} 名单候选中 {drivers} 名驾驶人的身份证号码"), "as_of": as_of.to_string()}).to_string();
                store.append_event(
                    &WriteContext::new(&actor, now, purpose.trim()),
                    "personal_data.read",
                    None,
                    None,
                    &detail,
                )?;
            }
            for c in &found {
                if json {
                    println!("{}", xinjiao_web::lists::views::candidate_json(def, c));
                } else {
                    println!("{}\t{}\t{}\t{}\t{}", c.criterion, c.party_type.label(), c.party, c.party_name, c.reason);
                }
            }
            if !json {
                eprintln!("{} 截至 {as_of}：候选 {} 个", def.name, found.len());
            }
        }
        ListsCommand::Propose { list, criterion, party, department, actor } => {
            let Some(def) = ListDefinition::find(&list) else { bail!("没有名单“{list}”") };
            let department_id = match department {
                Some(code) => Some(
                    store
                        .departments()?
                        .into_iter()
                        .find(|d| d.code == code)
                        .map(|d| d.id)
                        .ok_or_else(|| anyhow::anyhow!("没有部门“{code}”"))?,
                ),
                None => None,
            };
            let found = xinjiao_store::lists::candidates(store, def, VehicleLimits::embedded(), today)?;
            let chosen: Vec<_> = found
                .into_iter()
                .filter(|c| criterion.is_none_or(|n| n == c.criterion) && party.as_ref().is_none_or(|p| *p == c.party))
                .collect();
            if chosen.is_empty() {
                eprintln!("没有符合条件的候选");
                return Ok(ExitCode::from(2));
            }
            let wctx = WriteContext::new(&actor, now, format!("提出列入{}", def.name)).in_department(department_id);
            let mut refused = 0;
            for c in chosen {
                let evidence = serde_json::to_string(&xinjiao_web::lists::views::candidate_json(def, &c)["evidence"])?;
                let entry = xinjiao_store::NewEntry {
                    list_code: def.code.clone(),
                    criterion: c.criterion,
                    origin: "computed".into(),
                    party_type: c.party_type,
                    subject: xinjiao_web::lists::console::subject_of(store, c.party_type, &c.party, &c.party_name)?,
                    party: c.party,
                    party_name: c.party_name,
                    reason: c.reason,
                    evidence,
                    department_id,
                };
                match store.propose_entry(&wctx, &entry, today) {
                    Ok(id) => println!("{id}\t{}\t{}\t第{}项", entry.party_type.as_str(), entry.party, entry.criterion),
                    Err(xinjiao_store::StoreError::Conflict(m)) => {
                        eprintln!("{m}");
                        refused += 1;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            return Ok(ExitCode::from(if refused > 0 { 2 } else { 0 }));
        }
        ListsCommand::Entries { list, json } => {
            let filter = xinjiao_store::EntryFilter { list_code: Some(list), ..Default::default() };
            let mut entries = store.entries(&filter, u32::MAX)?;
            entries.reverse();
            for e in entries {
                let standing = match xinjiao_web::lists::views::standing_of(&e, today) {
                    xinjiao_core::lists::entries::PublicStanding::Notice => "notice".to_string(),
                    xinjiao_core::lists::entries::PublicStanding::Listed => "listed".to_string(),
                    xinjiao_core::lists::entries::PublicStanding::Exited(d) => format!("exited {d}"),
                    xinjiao_core::lists::entries::PublicStanding::Hidden => "hidden".to_string(),
                };
                if json {
                    println!(
                        "{}",
                        json!({"id": e.id, "list": e.list_code, "criterion": e.criterion, "party": e.party,
                            "party_type": e.party_type.as_str(), "party_name": e.party_name, "state": e.state.as_str(),
                            "standing": standing, "notice_from": e.notice_from.map(|d| d.to_string()),
                            "listed_on": e.listed_on.map(|d| d.to_string()), "shown_until": e.shown_until.map(|d| d.to_string()),
                            "subject": e.subject_key})
                    );
                } else {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{standing}",
                        e.id,
                        e.party_type.label(),
                        e.party,
                        e.party_name,
                        e.state.label()
                    );
                }
            }
        }
        ListsCommand::Act { id, action, note, actor } => {
            use xinjiao_core::lists::entries::{EndKind, EntryAction};
            let action = match action.as_str() {
                "approve" => EntryAction::Approve,
                "reject" => EntryAction::Reject(note),
                "confirm" => EntryAction::Confirm,
                "end-repair" => EntryAction::End(EndKind::Repair, note),
                "end-decision" => EntryAction::End(EndKind::Decision, note),
                other => bail!("操作应为 approve、reject、confirm、end-repair 或 end-decision（收到 {other}）"),
            };
            let mut cal = xinjiao_core::calendar::Calendar::embedded();
            crate::add_stored_years(&mut cal, store)?;
            let wctx = WriteContext::new(&actor, now, format!("名单条目 #{id}")).overseeing(true);
            match store.act_on_entry(&wctx, id, &action, today, &cal) {
                Ok(e) => println!("#{id} {}", e.state.label()),
                Err(xinjiao_store::StoreError::Conflict(m)) => {
                    eprintln!("{m}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            }
        }
        ListsCommand::Object { id, objector, reasons, actor } => {
            let mut cal = xinjiao_core::calendar::Calendar::embedded();
            crate::add_stored_years(&mut cal, store)?;
            let wctx = WriteContext::new(&actor, now, format!("代录名单条目 #{id} 的异议"));
            let o = xinjiao_store::NewListObjection { entry_id: id, objector, filed_via: "staff".into(), reasons };
            match store.file_list_objection(&wctx, &o, today, &cal) {
                Ok(oid) => println!("{oid}"),
                Err(xinjiao_store::StoreError::Conflict(m)) => {
                    eprintln!("{m}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            }
        }
        ListsCommand::Objection { id, action, reason, actor } => {
            use xinjiao_core::lifecycle::objections::ObjectionAction;
            let action = match action.as_str() {
                "acknowledge" => ObjectionAction::Acknowledge,
                "extend" => ObjectionAction::Extend(reason),
                "uphold" => ObjectionAction::Uphold(reason),
                "reject" => ObjectionAction::Reject(reason),
                other => bail!("操作应为 acknowledge、extend、uphold 或 reject（收到 {other}）"),
            };
            let wctx = WriteContext::new(&actor, now, format!("办理名单异议 #{id}")).overseeing(true);
            match store.act_on_list_objection(&wctx, id, &action) {
                Ok(o) => println!("#{id} {}", o.status.label()),
                Err(xinjiao_store::StoreError::Conflict(m)) => {
                    eprintln!("{m}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            }
        }
        ListsCommand::Check { .. } => unreachable!("run by check()"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `xinjiao partner …`.
pub fn partner(store: &dyn Store, now: Timestamp, command: PartnerCommand) -> anyhow::Result<ExitCode> {
    match command {
        PartnerCommand::Add { name, scenarios, days, actor } => {
            let cat = xinjiao_core::lists::measures::Catalogue::embedded();
            let scenarios: Vec<String> =
                scenarios.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            if let Some(bad) = scenarios.iter().find(|s| cat.scenario(s).is_none()) {
                let known: Vec<&str> = cat.scenarios.iter().map(|s| s.code.as_str()).collect();
                bail!("没有场景“{bad}”（可用：{}）", known.join("、"))
            }
            if scenarios.is_empty()
                || name.trim().is_empty()
                || name.chars().count() > 100
                || !(1..=3650).contains(&days)
            {
                bail!("请给出合作方名称（至多 100 字）、至少一个场景，有效天数 1 到 3650")
            }
            let token = xinjiao_web::auth::new_token();
            let p = xinjiao_store::NewPartner {
                name: name.trim().into(),
                scenarios,
                token_hash: xinjiao_web::auth::token_hash(&token),
                expires_at: now.checked_add(jiff::SignedDuration::from_hours(24 * i64::from(days)))?,
            };
            let id = store.create_partner(&WriteContext::new(&actor, now, "登记信用核查合作方"), &p)?;
            eprintln!("已登记合作方 #{id}；令牌只显示这一次，请交给合作方妥善保存：");
            println!("{token}");
        }
        PartnerCommand::List => {
            for p in store.partners()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    p.id,
                    p.name,
                    p.scenarios.join(","),
                    p.expires_at,
                    p.revoked_at.map(|t| t.to_string()).unwrap_or_default()
                );
            }
        }
        PartnerCommand::Revoke { id, actor } => {
            store.revoke_partner(&WriteContext::new(&actor, now, "停用合作方令牌"), id)?;
            println!("已停用合作方 #{id} 的令牌");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `xinjiao lists check`: a credit check from the command line.
pub fn check(
    state: &xinjiao_web::AppState,
    subject: String,
    scenario: String,
    purpose: Option<String>,
    actor: &str,
) -> anyhow::Result<ExitCode> {
    use xinjiao_web::lists::checks::{Caller, CheckRequest, check};
    match check(state, &*state.store, &Caller::System(actor.to_string()), &CheckRequest { subject, scenario, purpose })
    {
        Ok(a) => {
            println!("{a}");
            Ok(ExitCode::SUCCESS)
        }
        Err(r) => {
            eprintln!("{}（{}）", r.message, r.code);
            Ok(ExitCode::from(2))
        }
    }
}

/// `xinjiao verify receipt FILE --key KEY`: checks a receipt (the note, or
/// the whole JSON answer holding it) against the platform's verifier key.
pub fn verify_receipt(file: &Path, key: &str) -> anyhow::Result<ExitCode> {
    use xinjiao_core::signed_note::{MAX_NOTE_BYTES, NoteVerifier};
    let len = std::fs::metadata(file).with_context(|| format!("无法读取 {}", file.display()))?.len();
    if len > (MAX_NOTE_BYTES as u64) * 2 {
        bail!("文件超过 {} 字节，不是回执", MAX_NOTE_BYTES * 2)
    }
    let bytes = std::fs::read(file)?;
    let key_text = if Path::new(key).is_file() { std::fs::read_to_string(key)? } else { key.to_string() };
    let verifier = NoteVerifier::parse_vkey(&key_text).map_err(|e| anyhow::anyhow!("公钥：{}", e.message()))?;
    let note: Vec<u8> = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) if v["receipt"].is_string() => v["receipt"].as_str().unwrap_or_default().as_bytes().to_vec(),
        _ => bytes,
    };
    match verifier.open(&note) {
        Ok(n) => {
            let mut lines = n.text.lines();
            if lines.next() != Some(xinjiao_web::lists::checks::RECEIPT_FORMAT) {
                println!("签名有效，但不是信用核查回执");
                return Ok(ExitCode::from(1));
            }
            let a: serde_json::Value = serde_json::from_str(lines.next().unwrap_or("{}"))?;
            println!(
                "回执有效：由 {} 签名；{} 核查 {}（{}），场景 {}，数据版本 {}",
                verifier.name,
                a["checked_at"].as_str().unwrap_or(""),
                a["subject_name"].as_str().unwrap_or(""),
                a["subject"].as_str().unwrap_or(""),
                a["scenario_name"].as_str().unwrap_or(""),
                a["data_version"]
            );
            for m in a["measures"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}",
                    m["code"].as_str().unwrap_or(""),
                    m["kind"].as_str().unwrap_or(""),
                    m["reason"].as_str().unwrap_or("")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("回执无效：{}", e.message());
            Ok(ExitCode::from(1))
        }
    }
}
