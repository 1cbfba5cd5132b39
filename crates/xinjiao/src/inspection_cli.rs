//! `xinjiao matter …`, `xinjiao inspectors …` and `xinjiao draw …`: graded
//! supervision from the command line (issue 14).

use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;
use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_store::{Store, WriteContext};

#[derive(Subcommand)]
pub enum MatterCommand {
    /// Add or change (by code) a matter of the 随机抽查事项清单.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// The department's code (e.g. HY-WZCL).
        #[arg(long)]
        department: String,
        /// 法律依据.
        #[arg(long)]
        basis: String,
        /// The evaluation scheme whose grades stratify its draws.
        #[arg(long)]
        scheme: String,
        /// key (重点检查事项) or general (一般检查事项).
        #[arg(long, default_value = "general")]
        priority: String,
        #[arg(long, default_value_t = 1)]
        times_a_year: u32,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The matters, tab-separated.
    List,
}

#[derive(Subcommand)]
pub enum InspectorsCommand {
    /// Load a roster file (CSV UTF-8/GBK or XLSX; columns 执法证号, 姓名, 部门编码, 状态).
    Import {
        file: std::path::PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The roster, tab-separated (certificate, name, department, active).
    List,
    /// Declare an inspector's relation to a subject (回避).
    Conflict {
        #[arg(long)]
        certificate: String,
        /// The subject's public code.
        #[arg(long)]
        subject: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

#[derive(Subcommand)]
pub enum DrawCommand {
    /// Freeze a plan: population with grades, shares, eligible inspectors,
    /// the commitment to a new secret, and the public value to be mixed in.
    Create {
        #[arg(long)]
        matter: String,
        /// The day the population and grades are taken.
        #[arg(long)]
        as_of: String,
        /// Shares that differ from rules/inspection.toml, e.g. AA=3,A=5,none=2.5.
        #[arg(long)]
        shares: Option<String>,
        /// Inspectors per drawn subject (default: the rules' minimum).
        #[arg(long)]
        inspectors: Option<u32>,
        /// The public value that will be mixed in, named in advance.
        #[arg(long, default_value = "开奖日公布的中国福利彩票双色球开奖号码（按公布顺序，以空格分隔）")]
        public_value_source: String,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Run a planned draw once with the public value.
    Run {
        id: i64,
        #[arg(long)]
        public_value: String,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Print a draw as published (JSON).
    Show { id: i64 },
    /// Recompute a published draw (its id in this database, or a JSON file
    /// as `GET /api/v1/draws/{id}` gives it) and report every difference.
    Verify { draw: String },
}

fn conflict(e: xinjiao_store::StoreError) -> anyhow::Result<ExitCode> {
    match e {
        xinjiao_store::StoreError::Conflict(m) => {
            eprintln!("{m}");
            Ok(ExitCode::from(2))
        }
        e => Err(e.into()),
    }
}

pub fn matter(store: &dyn Store, now: Timestamp, command: MatterCommand) -> anyhow::Result<ExitCode> {
    match command {
        MatterCommand::Add { code, name, department, basis, scheme, priority, times_a_year, actor } => {
            let Some(dept) = store.departments()?.into_iter().find(|d| d.code == department) else {
                bail!("没有部门“{department}”")
            };
            if !xinjiao_core::evaluation::scheme::Scheme::embedded().iter().any(|s| s.code == scheme) {
                bail!("没有评价体系“{scheme}”")
            }
            if !xinjiao_store::inspection::PRIORITIES.iter().any(|(p, _)| *p == priority) {
                bail!("--priority 应为 key（重点）或 general（一般）")
            }
            let len = |s: &str, max: usize| !s.trim().is_empty() && s.chars().count() <= max;
            if !len(&code, 32) || !len(&name, 200) || !len(&basis, 500) || !(1..=12).contains(&times_a_year) {
                bail!(
                    "事项编码（至多 32 字）、名称（至多 200 字）、法律依据（至多 500 字）不能为空，每年次数应为 1 到 12"
                )
            }
            let m = xinjiao_store::NewMatter {
                code: code.trim().into(),
                name: name.trim().into(),
                department_id: dept.id,
                legal_basis: basis.trim().into(),
                scheme,
                priority,
                times_a_year,
            };
            store.save_matter(&WriteContext::new(&actor, now, "保存抽查事项").overseeing(true), &m)?;
            println!("已保存抽查事项 {}", m.code);
        }
        MatterCommand::List => {
            for m in store.matters()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    m.code, m.name, m.department_name, m.scheme, m.priority, m.legal_basis
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn inspectors(store: &dyn Store, now: Timestamp, command: InspectorsCommand) -> anyhow::Result<ExitCode> {
    match command {
        InspectorsCommand::Import { file, dry_run, actor } => {
            let opts = xinjiao_import::ReadOptions::of(xinjiao_core::inspection::roster::CATALOGUE);
            let reader = match xinjiao_import::open_path(&file, &opts) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("文件未导入：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(1));
                }
            };
            let wctx = WriteContext::new(&actor, now, format!("导入执法检查人员名录 {}", file.display()));
            use xinjiao_web::inspection::import_job::{ImportError, run_roster_import};
            let r = match run_roster_import(store, reader, &wctx, dry_run) {
                Ok(r) => r,
                Err(ImportError::File(e)) => {
                    eprintln!("文件未导入：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(1));
                }
                Err(ImportError::Store(e)) => return Err(e.into()),
            };
            return crate::finish_import(&r, None, dry_run);
        }
        InspectorsCommand::List => {
            let depts = store.departments()?;
            for i in store.inspectors()? {
                let d = depts.iter().find(|d| d.id == i.department_id).map_or("", |d| d.code.as_str());
                println!("{}\t{}\t{d}\t{}", i.certificate, i.name, if i.active { "在岗" } else { "离岗" });
            }
        }
        InspectorsCommand::Conflict { certificate, subject, reason, actor } => {
            let Some(s) = store.subject_by_key(&subject)? else { bail!("没有主体“{subject}”") };
            if !store.inspectors()?.iter().any(|i| i.certificate == certificate) {
                bail!("名录中没有执法证号“{certificate}”")
            }
            if reason.trim().is_empty() {
                bail!("请写明回避理由")
            }
            store.declare_conflict(&WriteContext::new(&actor, now, "申报回避"), &certificate, s.id, reason.trim())?;
            println!("已记录：{certificate} 回避 {subject}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn draw(store: &dyn Store, now: Timestamp, command: DrawCommand) -> anyhow::Result<ExitCode> {
    match command {
        DrawCommand::Create { matter, as_of, shares, inspectors, public_value_source, json, actor } => {
            let as_of: Date = as_of.parse().map_err(|_| anyhow::anyhow!("--as-of 应为 YYYY-MM-DD（收到 {as_of}）"))?;
            let overrides = match shares.as_deref().map(xinjiao_core::inspection::rules::parse_overrides).transpose() {
                Ok(o) => o.unwrap_or_default(),
                Err(m) => {
                    eprintln!("--shares：{m}");
                    return Ok(ExitCode::from(2));
                }
            };
            let req = xinjiao_store::inspection::PlanRequest {
                matter_code: matter,
                as_of,
                overrides,
                inspectors,
                public_value_source,
                secret: xinjiao_web::inspection::new_secret(),
            };
            let rules = xinjiao_core::inspection::rules::InspectionRules::embedded();
            let schemes = xinjiao_core::evaluation::scheme::Scheme::embedded();
            let wctx = WriteContext::new(&actor, now, "制定抽查计划").overseeing(true);
            let id = match xinjiao_store::inspection::plan_draw(store, &wctx, &rules, &schemes, &req) {
                Ok(id) => id,
                Err(e) => return conflict(e),
            };
            let d = store.draw(id)?;
            if json {
                println!("{}", published(store, id)?);
            } else {
                println!(
                    "已制定第 {id} 号抽查计划：名录 {} 个主体，名录哈希 {}，承诺值 {}；公开值：{}",
                    d.population.len(),
                    d.population_hash,
                    d.commitment,
                    d.public_value_source
                );
            }
        }
        DrawCommand::Run { id, public_value, json, actor } => {
            let wctx = WriteContext::new(&actor, now, "抽取").overseeing(true);
            let d = match xinjiao_store::inspection::run_draw(store, &wctx, id, &public_value) {
                Ok(d) => d,
                Err(e) => return conflict(e),
            };
            if json {
                println!("{}", published(store, id)?);
            } else {
                for a in &d.drawn {
                    println!(
                        "{}\t{}\t{}{}",
                        a.member.code,
                        a.member.stratum(),
                        a.inspectors.join("、"),
                        if a.short { "\t（检查人员不足）" } else { "" }
                    );
                }
                eprintln!("第 {id} 号抽查已完成：抽中 {} 个主体；种子 {}", d.drawn.len(), d.seed.unwrap_or_default());
            }
        }
        DrawCommand::Show { id } => println!("{}", published(store, id)?),
        DrawCommand::Verify { .. } => unreachable!("verified without a database"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Draw `id` as `GET /api/v1/draws/{id}` publishes it.
pub fn published(store: &dyn Store, id: i64) -> anyhow::Result<serde_json::Value> {
    let mut calendar = xinjiao_core::calendar::Calendar::embedded();
    crate::add_stored_years(&mut calendar, store)?;
    let rules = xinjiao_core::inspection::rules::InspectionRules::embedded();
    Ok(xinjiao_web::inspection::published::published(store, &rules, &calendar, id)?)
}

/// `xinjiao draw verify`: recomputes a published draw from its JSON.
pub fn verify_json(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    match xinjiao_import::draws::verify_draw(bytes) {
        Ok(n) if xinjiao_import::draws::is_run(bytes) => {
            println!("核验通过：名录哈希、承诺值、种子和抽中的 {n} 个主体及其检查人员均与公布的一致");
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => {
            println!("名录哈希一致；尚未抽取（秘密值未揭示），抽取后可完整核验");
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            for p in &problems {
                println!("不一致：{p}");
            }
            Ok(ExitCode::from(1))
        }
    }
}
