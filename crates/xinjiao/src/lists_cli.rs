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
    if let Some(path) = report_to {
        std::fs::write(path, r.to_json()).with_context(|| format!("无法写入报告 {}", path.display()))?;
    }
    for d in r.diagnostics.iter().take(20) {
        eprintln!("第{}行 {}：{}（{}）", d.row, d.field, d.message, d.code);
    }
    let n_diags = r.diagnostics.len() as u64 + r.diagnostics_omitted;
    if n_diags > 20 {
        eprintln!("……另有 {} 处错误，见 --report 输出", n_diags - 20);
    }
    println!("{}{}", if store.is_none() { "（仅校验）" } else { "" }, r.summary());
    Ok(ExitCode::from(if r.rejected > 0 { 2 } else { 0 }))
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
    }
    Ok(ExitCode::SUCCESS)
}
