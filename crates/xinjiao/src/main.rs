//! The `xinjiao` binary: wires settings, the clock, the store and the server,
//! and offers the subcommands `serve`, `migrate`, `import`, `user` and `demo`.
//! The only place that reads the system clock.

mod demo;
mod inspection_cli;
mod lists_cli;
mod log_cli;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use xinjiao_core::RecordKind;
use xinjiao_import::{Encoding, ReadOptions};
use xinjiao_store::{Role, Store, WriteContext};
use xinjiao_store_postgres::PgStore;
use xinjiao_store_sqlite::SqliteStore;
use xinjiao_web::{AppState, china_date};

const DEFAULT_DB: &str = "sqlite://xinjiao-data/xinjiao.sqlite3";
/// Demo accounts' password, printed when the demo starts.
const DEMO_PASSWORD: &str = "xinjiao-demo";

#[derive(Parser)]
#[command(name = "xinjiao", version, about = "信交：交通运输信用信息平台")]
struct Cli {
    /// Database URL: sqlite://PATH (default from XINJIAO_DATABASE_URL, else ./xinjiao-data/xinjiao.sqlite3).
    #[arg(long, global = true, env = "XINJIAO_DATABASE_URL")]
    db: Option<String>,
    /// Create the SQLite database's directory if it does not exist (without
    /// it, a mistyped --db is an error rather than a new, empty database).
    #[arg(long, global = true)]
    create: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal, the API and the console.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Load demo data (and demo accounts) into an empty database first.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (when served behind HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// A reverse proxy (its address as the server sees it, e.g. 127.0.0.1)
        /// whose X-Forwarded-For names the client for the login throttle; repeatable.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Show the platform as of another day (YYYY-MM-DD); for tests and
        /// demos only, refused unless XINJIAO_TEST_CLOCK=1.
        #[arg(long)]
        today: Option<String>,
        /// The installation's public address, printed on notices (e.g.
        /// https://xinyong.example.gov.cn); default: the address served.
        #[arg(long, env = "XINJIAO_PUBLIC_URL")]
        public_url: Option<String>,
        /// The SMTP server for e-mail reminders: smtp://host:25 (a relay on
        /// the local network), smtp://user:password@host:587?tls=required
        /// (STARTTLS) or smtps://user:password@host:465.
        #[arg(long, env = "XINJIAO_SMTP_URL")]
        smtp_url: Option<String>,
        /// The sender of e-mail reminders, e.g. "信用平台 <xinyong@example.gov.cn>".
        #[arg(long, env = "XINJIAO_SMTP_FROM", default_value = "信交 <xinjiao@localhost>")]
        smtp_from: String,
        /// Seconds between two runs of the background jobs (the daily
        /// warnings when a day is due, and the reminders' outbox).
        #[arg(long, env = "XINJIAO_JOBS_EVERY", default_value_t = 60)]
        jobs_every: u64,
        /// The platform's Ed25519 signing key (PKCS#8 PEM), created with
        /// mode 0600 at first start; keep it outside the database and back it
        /// up. Default: signing-key.pem beside the SQLite database, or
        /// xinjiao-data/signing-key.pem with PostgreSQL.
        #[arg(long, env = "XINJIAO_KEY_FILE")]
        key_file: Option<PathBuf>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Import a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file.
    Import {
        kind: ImportKind,
        file: PathBuf,
        /// Write the JSON report here.
        #[arg(long)]
        report: Option<PathBuf>,
        /// auto, utf-8, gbk or gb18030.
        #[arg(long, default_value = "auto")]
        encoding: String,
        /// XLSX sheet name (default: the first sheet).
        #[arg(long)]
        sheet: Option<String>,
        /// Validate only; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who the events name as actor.
        #[arg(long, default_value = "cli")]
        actor: String,
        /// Attribute the new records to this department (its code, e.g. HY-WZCL).
        #[arg(long)]
        department: Option<String>,
    },
    /// The three reporting rates of every department for every month of a
    /// range, as tab-separated text (填报率、合格率、及时率 with their fractions).
    Rates {
        /// First month, e.g. 2026-01.
        #[arg(long)]
        from: String,
        /// Last month, e.g. 2026-12.
        #[arg(long)]
        to: String,
    },
    /// The organisation: divisions and departments.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Copy a whole installation (records with all versions, events, accounts,
    /// submissions) into a new, empty database, e.g. from SQLite to PostgreSQL.
    Copy {
        /// Source database URL.
        #[arg(long)]
        from: String,
        /// Target database URL (must be empty).
        #[arg(long)]
        to: String,
    },
    /// Working-day arithmetic on the official calendar (工作日).
    Workdays {
        #[command(subcommand)]
        command: WorkdaysCommand,
    },
    /// Grade every subject of a scheme's cycle (penalties mapped by the
    /// scheme, imported credit events, earlier results) and store the run as
    /// preliminary results.
    Evaluate {
        scheme: String,
        /// The cycle, by the year it starts in.
        #[arg(long)]
        cycle: i16,
        /// The day evaluated (default: the day after the cycle ends).
        #[arg(long)]
        as_of: Option<String>,
        /// Print one JSON object per subject.
        #[arg(long)]
        json: bool,
        /// Recompute the stored runs of the scheme's cycle and report every
        /// difference (stores nothing; exit status 1 if any).
        #[arg(long)]
        verify: bool,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Credit evaluation schemes (rules/evaluation/<code>.toml).
    Scheme {
        #[command(subcommand)]
        command: SchemeCommand,
    },
    /// Matters of the 随机抽查事项清单.
    Matter {
        #[command(subcommand)]
        command: inspection_cli::MatterCommand,
    },
    /// The inspector roster (执法检查人员名录库).
    Inspectors {
        #[command(subcommand)]
        command: inspection_cli::InspectorsCommand,
    },
    /// Partner systems allowed credit checks in some scenarios.
    Partner {
        #[command(subcommand)]
        command: lists_cli::PartnerCommand,
    },
    /// Verify, offline, what the platform signed.
    Verify {
        #[command(subcommand)]
        command: VerifyCommand,
    },
    /// A credit report as a PDF, issued and logged as the portal issues it:
    /// the public edition, or with --full the subject's own.
    Report {
        /// The subject: its USCC or its key on the portal.
        subject: String,
        /// Where to write the PDF.
        #[arg(long)]
        out: PathBuf,
        /// The day the report speaks of (YYYY-MM-DD); today if absent.
        #[arg(long)]
        as_of: Option<String>,
        /// The subject's full edition (for the subject itself): personal
        /// numbers unmasked, so --reason is required.
        #[arg(long)]
        full: bool,
        /// Why the report is issued (required with --full; in the audit event).
        #[arg(long)]
        reason: Option<String>,
        /// The signing key file (as `serve --key-file`).
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// The installation's public address (the QR code's verification page).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        public_url: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The transparency log: audit an installation's log.
    Log {
        #[command(subcommand)]
        command: log_cli::LogCommand,
    },
    /// Serious-dishonesty and red lists (rules/lists/*.toml).
    Lists {
        #[command(subcommand)]
        command: lists_cli::ListsCommand,
    },
    /// "双随机、一公开" draws anyone can re-run.
    Draw {
        #[command(subcommand)]
        command: inspection_cli::DrawCommand,
    },
    /// Working-day calendar files.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Load deterministic demo data.
    Demo {
        #[arg(long, default_value_t = 300)]
        subjects: usize,
        #[arg(long, default_value_t = 1500)]
        records: usize,
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Write the generated records of one kind to this CSV file instead of the database.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// With --csv: which kind of records to write.
        #[arg(long, default_value = "penalties")]
        kind: ImportKind,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportKind {
    Penalties,
    Licenses,
    /// Credit events for evaluation schemes (主体代码, 主体名称, 评价体系, 事项代码, 分值, 发生日期, 依据).
    CreditEvents,
    /// The vehicle register (车牌号码, 车辆类型, 轴数, 企业代码, 企业名称).
    Vehicles,
    /// Overload detections (检测日期, 车牌号码, 车辆类型, 轴数, 车货总质量 in kg,
    /// 驾驶员证件号码, 驾驶员姓名, 企业代码, 企业名称; optional 检测地点, 单胎轴数,
    /// 驱动轴数, 处罚决定书文号).
    Overloads,
}

#[derive(Subcommand)]
enum VerifyCommand {
    /// A credit-check receipt (the signed note, or the API's JSON answer)
    /// against the platform's verifier key (text or a file, from /log/key).
    Receipt {
        file: PathBuf,
        #[arg(long)]
        key: String,
    },
    /// A transparency log proof bundle (`/records/{id}/proof.json`) against
    /// the platform's verifier key(s) (text or a file of keys, from /log/key
    /// or /log/keys), with no network.
    Bundle {
        file: PathBuf,
        #[arg(long, required = true)]
        key: Vec<String>,
    },
}

#[derive(Subcommand)]
enum WorkdaysCommand {
    /// The N-th working day after DATE (DATE itself not counted).
    Add { date: String, n: u32 },
    /// The number of working days after A up to and including B.
    Between { a: String, b: String },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Validate a year's calendar file (rules/calendar/cn-YYYY.toml format).
    Check { file: PathBuf },
    /// Validate a year's calendar file and load it into the database; it then
    /// takes precedence over the embedded file for that year.
    Load {
        file: PathBuf,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// List the years the calendar knows, with their sources.
    List,
}

#[derive(Subcommand)]
enum SchemeCommand {
    /// List the evaluation schemes with the version in force today.
    List,
    /// Show the version of a scheme in force today (or on --on DATE).
    Show {
        scheme: String,
        #[arg(long)]
        on: Option<String>,
        /// Print JSON (code, version, base, floor, bonus_cap, bands, items).
        #[arg(long)]
        json: bool,
    },
    /// Check a scheme file as the platform would load it.
    Check { file: PathBuf },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Validate an organisation file (config/heyuan-organisation.toml format)
    /// and create or update its divisions and departments.
    Load { file: PathBuf },
    /// List departments with their codes and divisions.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from XINJIAO_PASSWORD or standard input.
    Add {
        username: String,
        /// Display name (e.g. 王报送).
        #[arg(long)]
        name: String,
        /// clerk, coordinator or admin.
        #[arg(long, default_value = "clerk")]
        role: String,
        /// The department the account belongs to (its code, e.g. HY-WZCL).
        #[arg(long)]
        department: Option<String>,
    },
    /// Create an API token for a machine client; prints it once.
    Token {
        username: String,
        /// What the token is for (e.g. 执法系统).
        #[arg(long)]
        name: String,
        /// Days until it expires (1 to 3650).
        #[arg(long, default_value_t = xinjiao_web::accounts::access::TOKEN_DAYS_DEFAULT)]
        days: i64,
    },
    /// List API tokens (of one account, or all): id, account, purpose, expiry, state.
    Tokens { username: Option<String> },
    /// Revoke an API token by the id `user tokens` shows.
    RevokeToken { id: String },
    /// Disable an account: it can no longer sign in, its sessions end, its tokens stop working.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
}

/// Computes the disclosure windows that are stale (the rules changed, or a
/// database from before windows were computed with every write): a record
/// without its window is not public.
fn refresh_windows(store: &dyn Store) -> anyhow::Result<u64> {
    Ok(xinjiao_store::refresh_windows(store)?)
}

/// Disables or enables a staff account from the command line.
fn set_disabled(store: &dyn Store, wctx: &WriteContext, username: &str, disable: bool) -> anyhow::Result<()> {
    match store.set_user_disabled(wctx, username, disable) {
        Err(xinjiao_store::StoreError::NotFound) => bail!("账号 {username} 不存在"),
        other => other?,
    }
    println!("账号 {username} 已{}", if disable { "停用" } else { "启用" });
    Ok(())
}

/// An opened store and the migrations applied to it.
/// The end of a file import of the command line: the JSON report written
/// (`--report`), the first 20 diagnostics and how many more there are on
/// stderr, the summary; exit status 2 when rows were refused, else 0.
pub(crate) fn finish_import(
    r: &xinjiao_import::ImportReport,
    report: Option<&Path>,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    if let Some(path) = report {
        std::fs::write(path, r.to_json()).with_context(|| format!("无法写入报告 {}", path.display()))?;
    }
    for d in r.diagnostics.iter().take(20) {
        eprintln!("第{}行 {}：{}（{}）", d.row, d.field, d.message, d.code);
    }
    let n_diags = r.diagnostics.len() as u64 + r.diagnostics_omitted;
    if n_diags > 20 {
        eprintln!("……另有 {} 处错误，见 --report 输出", n_diags - 20);
    }
    println!("{}{}", if dry_run { "（仅校验）" } else { "" }, r.summary());
    Ok(ExitCode::from(if r.rejected > 0 { 2 } else { 0 }))
}

/// The signing key's default place: beside the SQLite database file, or in
/// `xinjiao-data/` when the database is a PostgreSQL server.
/// The platform's state for commands that act as the portal would (credit
/// checks, reports) without serving: the stored calendar years, the key.
fn offline_state(
    store: Arc<dyn Store>,
    key_file: &Path,
    public_url: String,
    clock: xinjiao_web::Clock,
) -> anyhow::Result<AppState> {
    let name = xinjiao_web::kernel::signing::key_name(&public_url);
    let key_history = xinjiao_web::kernel::signing::load_history(key_file, &name).map_err(anyhow::Error::msg)?;
    let signer = xinjiao_web::kernel::signing::load_or_create(key_file, &name).map_err(anyhow::Error::msg)?;
    let mut rules = xinjiao_web::Rules::embedded();
    add_stored_years(&mut rules.calendar, &*store)?;
    let demo = store.meta("demo")?.as_deref() == Some("1");
    Ok(AppState {
        store,
        rules: rules.shared(),
        clock,
        demo,
        test_clock: false,
        secure_cookies: false,
        public_url,
        rates_cache: Default::default(),
        workplace: Default::default(),
        login_throttle: Default::default(),
        signer: Arc::new(signer),
        key_history: Arc::new(key_history),
    })
}

fn default_key_file(db_url: &str) -> PathBuf {
    match db_url.strip_prefix("sqlite://") {
        Some(path) => Path::new(path).parent().unwrap_or(Path::new(".")).join("signing-key.pem"),
        None => PathBuf::from("xinjiao-data/signing-key.pem"),
    }
}

fn open_store(url: &str, create: bool) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::open(url).with_context(|| "无法连接 PostgreSQL 数据库".to_string())?;
        return Ok(Arc::new(store));
    }
    let path = sqlite_path(url, create)?;
    Ok(Arc::new(SqliteStore::open(path).with_context(|| format!("无法打开数据库 {path}"))?))
}

/// The file of a SQLite URL. Its directory must exist unless `create` is
/// given (or it is the default `xinjiao-data/`): a mistyped `--db` must not
/// quietly start a new, empty database somewhere else.
fn sqlite_path(url: &str, create: bool) -> anyhow::Result<&str> {
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
        && !create
        && dir != std::path::Path::new("xinjiao-data")
    {
        bail!("数据库目录 {} 不存在；如确需在此新建数据库，请加 --create", dir.display());
    }
    Ok(path)
}

fn applied_migrations(url: &str, create: bool) -> anyhow::Result<Vec<i64>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(PgStore::open(url)?.applied_migrations()?);
    }
    Ok(SqliteStore::open(sqlite_path(url, create)?)?.applied_migrations()?)
}

/// The system clock, truncated to microseconds: the precision both backends
/// store, so that an installation copied between them compares equal.
fn system_clock() -> xinjiao_web::Clock {
    Arc::new(|| {
        let now = jiff::Timestamp::now();
        jiff::Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Tests and demos may run any command as of another day
    // (XINJIAO_TEST_TODAY=YYYY-MM-DD, only with XINJIAO_TEST_CLOCK=1).
    let clock = match std::env::var("XINJIAO_TEST_TODAY") {
        Ok(day) => shifted_clock(&day)?,
        Err(_) => system_clock(),
    };
    let ctx = |actor: &str, reason: &str| WriteContext::new(actor, clock(), reason);
    match cli.command {
        Command::Migrate => {
            println!(
                "数据库已是最新结构，已应用迁移：{:?}",
                applied_migrations(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?
            );
        }
        Command::Serve {
            addr,
            demo,
            secure_cookies,
            today,
            trusted_proxies,
            public_url,
            smtp_url,
            smtp_from,
            jobs_every,
            key_file,
        } => {
            let public_url = public_url.map(|u| checked_public_url(&u)).transpose()?;
            let (clock, test_clock) = match today {
                None => (clock.clone(), false),
                Some(day) => (shifted_clock(&day)?, true),
            };
            let default = if demo { "sqlite://xinjiao-data/demo.sqlite3" } else { DEFAULT_DB };
            let db_url = cli.db.as_deref().unwrap_or(default);
            let key_file = key_file.unwrap_or_else(|| default_key_file(db_url));
            let store = open_store(db_url, cli.create)?;
            if demo {
                load_demo(&*store, &ctx("system", "加载演示数据"), 2024, 300, 1500)?;
                println!(
                    "演示账号：admin（管理员）、coordinator（信用工作协调员，政策法规科）、clerk（报送员，违章处理科）、dongyuan（报送员，东源县交通运输局）、inspector（执法人员，科技信息科，录入抽查结果），密码均为 {DEMO_PASSWORD}"
                );
            }
            let is_demo = store.meta("demo")?.as_deref() == Some("1");
            let mut rules = xinjiao_web::Rules::embedded();
            add_stored_years(&mut rules.calendar, &*store)?;
            let n = xinjiao_store::refresh_windows(&*store)?;
            if n > 0 {
                println!("已按公示期规则计算 {n} 条记录的公示期");
            }
            let listener = std::net::TcpListener::bind(&addr).with_context(|| format!("无法监听 {addr}"))?;
            listener.set_nonblocking(true)?;
            let served = format!("http://{}", listener.local_addr()?);
            let public_url = public_url.unwrap_or_else(|| served.clone());
            let key_name = xinjiao_web::kernel::signing::key_name(&public_url);
            let key_history =
                xinjiao_web::kernel::signing::load_history(&key_file, &key_name).map_err(anyhow::Error::msg)?;
            let state = AppState {
                store,
                rules: rules.shared(),
                clock: clock.clone(),
                demo: is_demo,
                test_clock,
                secure_cookies,
                public_url,
                rates_cache: Default::default(),
                workplace: Default::default(),
                login_throttle: xinjiao_web::auth::LoginThrottle::trusting(trusted_proxies),
                signer: std::sync::Arc::new(
                    xinjiao_web::kernel::signing::load_or_create(&key_file, &key_name).map_err(anyhow::Error::msg)?,
                ),
                key_history: std::sync::Arc::new(key_history),
            };
            let smtp = smtp_url.filter(|u| !u.is_empty()).map(|url| xinjiao_notify::Smtp { url, from: smtp_from });
            let sender = xinjiao_notify::Sender::new(smtp.as_ref()).map_err(anyhow::Error::msg)?;
            let background = xinjiao_web::monitoring::jobs::Background {
                sender: std::sync::Arc::new(sender),
                every: std::time::Duration::from_secs(jobs_every.max(1)),
            };
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                println!("信交已启动：{served}/");
                xinjiao_web::serve(listener, state, background).await?;
                anyhow::Ok(())
            })?;
        }
        Command::Import { kind: ImportKind::CreditEvents, file, report, encoding, sheet, dry_run, actor, .. } => {
            let Some(encoding) = Encoding::parse(&encoding) else {
                bail!("不支持的编码 {encoding}，可用 auto、utf-8、gbk、gb18030")
            };
            let opts = ReadOptions {
                catalogue: xinjiao_core::evaluation::events::CATALOGUE,
                encoding,
                sheet,
                limits: xinjiao_import::Limits::DEFAULT,
            };
            let reader = match xinjiao_import::open_path(&file, &opts) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("文件未导入：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(1));
                }
            };
            let store =
                if dry_run { None } else { Some(open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?) };
            let wctx = ctx(&actor, &format!("导入信用事件文件 {}", file.display()));
            let schemes = xinjiao_core::evaluation::scheme::Scheme::embedded();
            use xinjiao_web::evaluation::import_job::{ImportError, run_credit_event_import};
            let r = match run_credit_event_import(store.as_deref(), reader, &schemes, &wctx, china_date(clock())) {
                Ok(r) => r,
                Err(ImportError::File(e)) => {
                    eprintln!("文件未导入：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(1));
                }
                Err(ImportError::Store(e)) => return Err(e.into()),
            };
            return finish_import(&r, report.as_deref(), dry_run);
        }
        Command::Import {
            kind: kind @ (ImportKind::Vehicles | ImportKind::Overloads),
            file,
            report,
            encoding,
            sheet,
            dry_run,
            actor,
            ..
        } => {
            let Some(encoding) = Encoding::parse(&encoding) else {
                bail!("不支持的编码 {encoding}，可用 auto、utf-8、gbk、gb18030")
            };
            let (kind, catalogue, what) = match kind {
                ImportKind::Vehicles => {
                    (lists_cli::FileKind::Vehicles, xinjiao_core::lists::overload::VEHICLE_CATALOGUE, "货运车辆档案")
                }
                _ => {
                    (lists_cli::FileKind::Overloads, xinjiao_core::lists::overload::DETECTION_CATALOGUE, "超限检测记录")
                }
            };
            let opts = ReadOptions { catalogue, encoding, sheet, limits: xinjiao_import::Limits::DEFAULT };
            let store =
                if dry_run { None } else { Some(open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?) };
            let wctx = ctx(&actor, &format!("导入{what} {}", file.display()));
            return lists_cli::import(
                store.as_deref(),
                kind,
                &file,
                opts,
                report.as_deref(),
                &wctx,
                china_date(clock()),
            );
        }
        Command::Verify { command: VerifyCommand::Receipt { file, key } } => {
            return lists_cli::verify_receipt(&file, &key);
        }
        Command::Verify { command: VerifyCommand::Bundle { file, key } } => {
            return log_cli::verify_bundle(&file, &key);
        }
        Command::Log { command } => return log_cli::run(command),
        Command::Report { subject, out, as_of, full, reason, key_file, public_url, actor } => {
            let db_url = cli.db.as_deref().unwrap_or(DEFAULT_DB);
            let key_file = key_file.unwrap_or_else(|| default_key_file(db_url));
            let public_url = checked_public_url(&public_url)?;
            let store = open_store(db_url, cli.create)?;
            let state = offline_state(store, &key_file, public_url, clock.clone())?;
            return log_cli::report(&state, &subject, &out, as_of.as_deref(), full, &actor, reason.as_deref());
        }
        Command::Partner { command } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            return lists_cli::partner(&*store, clock(), command);
        }
        Command::Lists {
            command: lists_cli::ListsCommand::Check { subject, scenario, purpose, key_file, public_url, actor },
        } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            let state = offline_state(store, &key_file, public_url, clock.clone())?;
            return lists_cli::check(&state, subject, scenario, purpose, &actor);
        }
        Command::Lists { command } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            return lists_cli::lists(&*store, clock(), china_date(clock()), command);
        }
        Command::Import { kind, file, report, encoding, sheet, dry_run, actor, department } => {
            let kind = match kind {
                ImportKind::Penalties => RecordKind::Penalty,
                ImportKind::Licenses => RecordKind::License,
                _ => unreachable!("handled above"),
            };
            let Some(encoding) = Encoding::parse(&encoding) else {
                bail!("不支持的编码 {encoding}，可用 auto、utf-8、gbk、gb18030")
            };
            let opts =
                ReadOptions { catalogue: kind.catalogue(), encoding, sheet, limits: xinjiao_import::Limits::DEFAULT };
            let reader = match xinjiao_import::open_path(&file, &opts) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("文件未导入：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(1));
                }
            };
            // A dry run needs the database only to check a department's codes.
            let store = if dry_run && department.is_none() {
                None
            } else {
                Some(open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?)
            };
            let department_id = match (&store, department) {
                (Some(store), Some(code)) => Some(department_id(&**store, &code)?),
                _ => None,
            };
            let wctx = ctx(&actor, &format!("导入文件 {}", file.display())).in_department(department_id);
            // With --department the file is that department's: its codes, its records.
            let owner = match &store {
                Some(store) => xinjiao_web::records::import_job::Ownership::of(&**store, &wctx)?,
                None => xinjiao_web::records::import_job::Ownership::unrestricted(),
            };
            let tty = std::io::stderr().is_terminal();
            let mut progress = |n: u64| {
                if tty {
                    eprint!("\r已处理 {n} 行");
                    let _ = std::io::stderr().flush();
                }
            };
            let result = match xinjiao_web::records::import_job::run_import(
                if dry_run { None } else { store.as_deref() },
                reader,
                kind,
                &wctx,
                &owner,
                china_date(clock()),
                &mut progress,
            ) {
                Ok(r) => r,
                Err(xinjiao_web::records::import_job::ImportError::File(e)) => {
                    if tty {
                        eprintln!();
                    }
                    eprintln!("文件未导入：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(1));
                }
                Err(xinjiao_web::records::import_job::ImportError::Store(e)) => return Err(e.into()),
            };
            if tty {
                eprintln!();
            }
            let r = &result.report;
            if let Some(path) = report {
                std::fs::write(&path, r.to_json()).with_context(|| format!("无法写入报告 {}", path.display()))?;
            }
            for d in r.diagnostics.iter().take(20) {
                eprintln!("第{}行 {}：{}（{}）", d.row, d.field, d.message, d.code);
            }
            let n_diags = r.diagnostics.len() as u64 + r.diagnostics_omitted;
            if n_diags > 20 {
                eprintln!("……另有 {} 处错误，见 --report 输出", n_diags - 20);
            }
            for d in r.warnings.iter().take(5) {
                eprintln!("提醒 第{}行 {}：{}（{}）", d.row, d.field, d.message, d.code);
            }
            println!("{}{}", if dry_run { "（仅校验）" } else { "" }, r.summary());
            return Ok(ExitCode::from(if r.rejected > 0 { 2 } else { 0 }));
        }
        Command::User { command } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            match command {
                UserCommand::Add { username, name, role, department } => {
                    let Some(role) = Role::parse(&role) else { bail!("角色应为 clerk、coordinator 或 admin") };
                    let department_id = department.map(|code| department_id(&*store, &code)).transpose()?;
                    let password = match std::env::var("XINJIAO_PASSWORD") {
                        Ok(p) => p,
                        Err(_) => {
                            let mut line = String::new();
                            std::io::stdin().read_line(&mut line)?;
                            line.trim_end_matches(['\r', '\n']).to_string()
                        }
                    };
                    if password.chars().count() < 8 {
                        bail!("密码至少 8 个字符");
                    }
                    let hash = xinjiao_web::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
                    store.create_user(&ctx("cli", "创建账号"), &username, &name, role, &hash, department_id)?;
                    println!("已创建账号 {username}（{name}）");
                }
                UserCommand::Token { username, name, days } => {
                    if !(1..=xinjiao_web::accounts::access::TOKEN_DAYS_MAX).contains(&days) {
                        bail!("有效期应为 1 到 {} 天", xinjiao_web::accounts::access::TOKEN_DAYS_MAX);
                    }
                    let user = store.user_by_name(&username)?.with_context(|| format!("账号 {username} 不存在"))?;
                    let wctx = ctx("cli", "创建 API 令牌");
                    let token = xinjiao_web::accounts::access::issue_api_token(&*store, &wctx, user.id, &name, days)?;
                    println!("{token}");
                }
                UserCommand::Tokens { username } => {
                    let uid = match username {
                        Some(n) => Some(store.user_by_name(&n)?.with_context(|| format!("账号 {n} 不存在"))?.id),
                        None => None,
                    };
                    let now = clock();
                    for t in store.api_tokens(uid)? {
                        let state = match (t.revoked_at, t.expires_at) {
                            (Some(_), _) => "已吊销",
                            (None, Some(e)) if e <= now => "已到期",
                            _ => "有效",
                        };
                        let expires = t.expires_at.map(|e| e.to_string()).unwrap_or_else(|| "长期".into());
                        println!("{}\t{}\t{}\t{expires}\t{state}", t.id, t.username, t.name);
                    }
                }
                UserCommand::RevokeToken { id } => {
                    match store.revoke_api_token(&ctx("cli", "吊销 API 令牌"), &id, None) {
                        Err(xinjiao_store::StoreError::NotFound) => bail!("没有编号为 {id} 的有效令牌"),
                        other => other?,
                    }
                    println!("令牌 {id} 已吊销");
                }
                UserCommand::Disable { username } => set_disabled(&*store, &ctx("cli", "停用账号"), &username, true)?,
                UserCommand::Enable { username } => set_disabled(&*store, &ctx("cli", "启用账号"), &username, false)?,
            }
        }
        Command::Demo { subjects, records, seed, csv: Some(path), kind } => {
            let kind = match kind {
                ImportKind::Penalties => RecordKind::Penalty,
                ImportKind::Licenses => RecordKind::License,
                _ => bail!("演示数据只生成行政处罚或行政许可文件"),
            };
            let file = std::io::BufWriter::new(
                std::fs::File::create(&path).with_context(|| format!("无法创建 {}", path.display()))?,
            );
            let n = xinjiao_import::write_csv(kind, demo::generate_iter(seed, subjects, records, Some(kind)), file)?;
            println!("已写出 {n} 行{}到 {}", kind.label(), path.display());
        }
        Command::Workdays { command } => {
            let cal = calendar(cli.db.as_deref())?;
            let date = |s: &str| {
                xinjiao_core::records::date::parse_date(s)
                    .with_context(|| format!("「{s}」不是有效日期（如 2024-09-27）"))
            };
            let provisional = match command {
                WorkdaysCommand::Add { date: d, n } => {
                    let a = cal.add_working_days(date(&d)?, n);
                    println!("{}", a.value);
                    a.provisional
                }
                WorkdaysCommand::Between { a, b } => {
                    let n = cal.working_days_between(date(&a)?, date(&b)?);
                    println!("{}", n.value);
                    n.provisional
                }
            };
            if provisional {
                eprintln!("注意：结果涉及尚无官方放假安排的年份，按周末计算，为暂定结果（provisional）");
            }
        }
        Command::Scheme { command } => return scheme_command(command, xinjiao_web::china_date(clock())),
        Command::Draw { command: inspection_cli::DrawCommand::Verify { draw } } => {
            let bytes = match draw.parse::<i64>() {
                Ok(id) => {
                    let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
                    inspection_cli::published(&*store, id)?.to_string().into_bytes()
                }
                Err(_) => {
                    // An untrusted file: its size is checked before it is read.
                    let len = std::fs::metadata(&draw).with_context(|| format!("无法读取 {draw}"))?.len();
                    if len > xinjiao_import::draws::MAX_DRAW_BYTES {
                        bail!(
                            "{draw} 超过 {} MB，不是本平台公布的抽查数据",
                            xinjiao_import::draws::MAX_DRAW_BYTES >> 20
                        );
                    }
                    std::fs::read(&draw).with_context(|| format!("无法读取 {draw}"))?
                }
            };
            return inspection_cli::verify_json(&bytes);
        }
        Command::Draw { command } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            return inspection_cli::draw(&*store, clock(), command);
        }
        Command::Matter { command } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            return inspection_cli::matter(&*store, clock(), command);
        }
        Command::Inspectors { command } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            return inspection_cli::inspectors(&*store, clock(), command);
        }
        Command::Evaluate { scheme, cycle, as_of, json, verify, actor } => {
            use xinjiao_core::evaluation::scheme::Scheme;
            let schemes = Scheme::embedded();
            let Some(s) = schemes.iter().find(|x| x.code == scheme) else {
                eprintln!("没有评价体系“{scheme}”");
                return Ok(ExitCode::from(2));
            };
            let Some(c) = s.cycle.cycle(cycle) else { bail!("周期 {cycle} 无效") };
            let as_of: xinjiao_core::Date = match as_of {
                Some(d) => d.parse().map_err(|_| anyhow::anyhow!("--as-of 应为 YYYY-MM-DD（收到 {d}）"))?,
                None => c.last.tomorrow()?,
            };
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            if verify {
                return verify_runs(&*store, &schemes, s, cycle);
            }
            let mut calendar = xinjiao_core::calendar::Calendar::embedded();
            add_stored_years(&mut calendar, &*store)?;
            let wctx = ctx(&actor, &format!("信用评价 {scheme} {cycle}"));
            // Each range's results are printed as they are graded, before
            // they are stored: on an error nothing is stored and the exit
            // status says so (the lines printed are then not a run).
            let final_from = xinjiao_store::evaluation::new_run(s, cycle, as_of, &calendar)?.final_from.to_string();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut print = |run: i64, results: &[xinjiao_store::StoredResult]| -> std::io::Result<()> {
                for r in results {
                    if json {
                        let x = xinjiao_store::evaluation::Explanation::parse(&r.explanation);
                        let items: Vec<_> = x
                            .items
                            .iter()
                            .map(|i| {
                                serde_json::json!({"item": i.item, "name": x.item_name(Some(s), &i.item),
                                    "points": i.points as f64 / 10.0, "demerits": i.demerits, "date": i.date,
                                    "source": i.source, "record_id": i.record_id})
                            })
                            .collect();
                        writeln!(
                            out,
                            "{}",
                            serde_json::json!({
                                "subject": r.subject_key, "scheme": scheme, "cycle": cycle, "as_of": as_of.to_string(),
                                "score": r.score as f64 / 10.0, "demerits": r.demerits, "grade": r.grade,
                                "items": items, "rules": x.rules, "bad_record": x.bad_record,
                                "status": "preliminary", "final_from": final_from, "run": run,
                            })
                        )?;
                    } else {
                        writeln!(
                            out,
                            "{}\t{}\t{}",
                            r.subject_key,
                            xinjiao_store::evaluation::score_text(r.score),
                            r.grade
                        )?;
                    }
                }
                Ok(())
            };
            let summary = match xinjiao_store::evaluation::run_evaluation(
                &*store,
                &wctx,
                &schemes,
                s,
                cycle,
                as_of,
                &calendar,
                &mut |run, results| {
                    print(run, results).map_err(|e| xinjiao_store::StoreError::Backend(format!("输出失败：{e}")))
                },
            ) {
                Ok(summary) => summary,
                Err(e) => {
                    drop(out);
                    eprintln!("评价未完成，未保存任何结果：{e}");
                    return Ok(ExitCode::from(1));
                }
            };
            out.flush()?;
            eprintln!(
                "已完成评价：{scheme} {cycle} 年度周期，评价基准日 {as_of}，{} 个主体（初评，{final_from} 起为正式结果）",
                summary.subjects
            );
        }
        Command::Calendar { command: CalendarCommand::Check { file } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            match xinjiao_core::calendar::YearCalendar::parse(&text) {
                Ok(y) => println!("{} 年日历有效：放假 {} 天，调休上班 {} 天", y.year, y.off.len(), y.work.len()),
                Err(e) => {
                    eprintln!("日历文件无效：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Calendar { command: CalendarCommand::Load { file, actor } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let year = match xinjiao_core::calendar::YearCalendar::parse(&text) {
                Ok(y) => y,
                Err(e) => {
                    eprintln!("日历文件无效，未载入：{}（{}）", e.message, e.code);
                    return Ok(ExitCode::from(2));
                }
            };
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            store.save_calendar_year(&ctx(&actor, &format!("载入日历文件 {}", file.display())), year.year, &text)?;
            println!("已载入 {} 年日历：放假 {} 天，调休上班 {} 天", year.year, year.off.len(), year.work.len());
        }
        Command::Calendar { command: CalendarCommand::List } => {
            for y in calendar(cli.db.as_deref())?.years() {
                println!("{}\t放假 {} 天\t调休上班 {} 天\t{}", y.year, y.off.len(), y.work.len(), y.source);
            }
        }
        Command::Rates { from, to } => {
            let month = |s: &str| {
                xinjiao_core::reporting::period::Month::parse(s)
                    .with_context(|| format!("「{s}」不是有效月份（如 2026-10）"))
            };
            let (from, to) = (month(&from)?, month(&to)?);
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            let mut cal = xinjiao_core::calendar::Calendar::embedded();
            add_stored_years(&mut cal, &*store)?;
            let rules = xinjiao_core::reporting::publication::PublicationRules::embedded();
            let started = std::time::Instant::now();
            let months = xinjiao_store::reporting::month_counts(&*store, &cal, &rules, from, to)?;
            let elapsed = started.elapsed();
            let names: std::collections::HashMap<i64, String> =
                store.departments()?.into_iter().map(|d| (d.id, d.name)).collect();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            writeln!(out, "部门\t月份\t填报率\t合格率\t及时率")?;
            for m in &months {
                let name = m.department_id.and_then(|d| names.get(&d)).map_or("未归属部门", String::as_str);
                let cell = |k| {
                    let r = m.counts.rate(k);
                    format!("{} ({}/{})", r.display(), r.numerator, r.denominator)
                };
                use xinjiao_core::reporting::rates::RateKind::*;
                writeln!(out, "{name}\t{}\t{}\t{}\t{}", m.month, cell(Fill), cell(Pass), cell(Timeliness))?;
            }
            out.flush()?;
            eprintln!("{} 个部门月份，计算用时 {} ms", months.len(), elapsed.as_millis());
        }
        Command::Org { command: OrgCommand::Load { file } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let org = match xinjiao_core::organisation::file::OrgFile::parse(&text) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("组织机构文件无效，未载入：{e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            let (divisions, departments) = xinjiao_store::from_file(&org);
            store.save_organisation(
                &ctx("cli", &format!("载入组织机构 {}", file.display())),
                &divisions,
                &departments,
            )?;
            println!("已载入 {} 个行政区划、{} 个部门", divisions.len(), departments.len());
        }
        Command::Org { command: OrgCommand::List } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            let divisions = store.divisions()?;
            for d in store.departments()? {
                let div = divisions.iter().find(|v| v.code == d.division_code).map_or("", |v| v.name.as_str());
                println!("{}\t{}\t{}\t{}", d.code, d.name, d.kind.label(), div);
            }
        }
        Command::Copy { from, to } => {
            let (source, target) = (open_store(&from, false)?, open_store(&to, cli.create)?);
            let n = xinjiao_store::copy_installation(&*source, &*target, 5000)?;
            // Windows are derived, not copied: without them no record is public.
            refresh_windows(&*target)?;
            let t = target.totals()?;
            println!(
                "已复制 {n} 行：{} 个主体，{} 条行政许可，{} 条行政处罚（含全部历史版本与事件）",
                t.n_subjects, t.n_licenses, t.n_penalties
            );
        }
        Command::Demo { subjects, records, seed, csv: None, .. } => {
            let store = open_store(cli.db.as_deref().unwrap_or(DEFAULT_DB), cli.create)?;
            load_demo(&*store, &ctx("system", "加载演示数据"), seed, subjects, records)?;
            refresh_windows(&*store)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The working-day calendar: the embedded years, overridden by the years
/// loaded into the database when one is named (`--db` or XINJIAO_DATABASE_URL).
fn calendar(db: Option<&str>) -> anyhow::Result<xinjiao_core::calendar::Calendar> {
    let mut cal = xinjiao_core::calendar::Calendar::embedded();
    if let Some(url) = db {
        add_stored_years(&mut cal, &*open_store(url, false)?)?;
    }
    Ok(cal)
}

/// Adds the calendar years loaded into `store` (they override embedded years).
fn add_stored_years(cal: &mut xinjiao_core::calendar::Calendar, store: &dyn Store) -> anyhow::Result<()> {
    for (year, text) in store.calendar_years()? {
        let parsed = xinjiao_core::calendar::YearCalendar::parse(&text)
            .map_err(|e| anyhow::anyhow!("数据库中 {year} 年的日历无效：{}", e.message))?;
        cal.insert(parsed);
    }
    Ok(())
}

/// A clock that runs from the current time of day on `day` (China time):
/// `serve --today`, refused unless XINJIAO_TEST_CLOCK=1.
/// `xinjiao evaluate --verify`: every stored run of the scheme's cycle
/// recomputed from the data as of its day; every difference printed.
fn verify_runs(
    store: &dyn Store,
    schemes: &[xinjiao_core::evaluation::scheme::Scheme],
    scheme: &xinjiao_core::evaluation::scheme::Scheme,
    cycle: i16,
) -> anyhow::Result<ExitCode> {
    let mut differences = 0;
    let runs: Vec<_> = store.evaluation_runs(&scheme.code)?.into_iter().filter(|r| r.cycle_year == cycle).collect();
    for run in &runs {
        // Recomputed and compared range by range of subject ids.
        let mut grading = xinjiao_store::evaluation::Grading::new(store, schemes, scheme, cycle, run.as_of)?;
        while let Some((range, now)) = grading.next_range()? {
            let stored = store.evaluation_results_in(run.id, range)?;
            let by_key =
                |rs: Vec<xinjiao_store::StoredResult>| -> std::collections::BTreeMap<String, xinjiao_store::StoredResult> {
                    rs.into_iter().map(|r| (r.subject_key.clone(), r)).collect()
                };
            let (stored, now) = (by_key(stored), by_key(now));
            let keys: std::collections::BTreeSet<&String> = stored.keys().chain(now.keys()).collect();
            for k in keys {
                let (a, b) = (stored.get(k), now.get(k));
                let text = |r: Option<&xinjiao_store::StoredResult>| {
                    r.map_or("（无）".to_string(), |r| {
                        format!("{} 分 {}", xinjiao_store::evaluation::score_text(r.score), r.grade)
                    })
                };
                if a.map(|r| (&r.grade, r.score, &r.fingerprint)) != b.map(|r| (&r.grade, r.score, &r.fingerprint)) {
                    differences += 1;
                    let why = if a.map(|r| (&r.grade, r.score)) == b.map(|r| (&r.grade, r.score)) {
                        "（输入已变：指纹不同）"
                    } else {
                        ""
                    };
                    println!("第 {} 批（{}）{k}：存储 {}，重算 {}{why}", run.id, run.as_of, text(a), text(b));
                }
            }
        }
    }
    println!("已核对 {} 批评价结果，差异 {differences} 处", runs.len());
    Ok(if differences == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `xinjiao scheme …`: the evaluation schemes.
fn scheme_command(command: SchemeCommand, today: xinjiao_core::Date) -> anyhow::Result<ExitCode> {
    use xinjiao_core::evaluation::scheme::Scheme;
    let schemes = Scheme::embedded();
    match command {
        SchemeCommand::List => {
            for s in &schemes {
                let v = s.version_on(today);
                println!(
                    "{}\t{}\t版本 {}（{} 起施行）\t{} 个等级，{} 个事项",
                    s.code,
                    s.name,
                    v.id,
                    v.effective_from,
                    v.bands.len(),
                    v.items.len()
                );
            }
        }
        SchemeCommand::Check { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            match Scheme::parse(&text) {
                Ok(s) => println!("评价体系 {}（{}）有效：{} 个版本", s.code, s.name, s.versions.len()),
                Err(e) => {
                    eprintln!("评价体系文件无效：{e}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        SchemeCommand::Show { scheme, on, json } => {
            let Some(s) = schemes.iter().find(|s| s.code == scheme) else {
                let codes: Vec<_> = schemes.iter().map(|s| s.code.as_str()).collect();
                eprintln!("没有评价体系“{scheme}”；可用：{}", codes.join("、"));
                return Ok(ExitCode::from(2));
            };
            let day = match on {
                Some(d) => d.parse().map_err(|_| anyhow::anyhow!("--on 应为 YYYY-MM-DD（收到 {d}）"))?,
                None => today,
            };
            let v = s.version_on(day);
            if json {
                println!("{}", serde_json::to_string_pretty(&scheme_json(s, v))?);
            } else {
                println!("{}（{}）版本 {}，{} 起施行", s.name, s.code, v.id, v.effective_from);
                println!("依据：{}", v.source);
                println!("基础分 {}，加分上限 {}，最低分 {}", v.base, v.bonus_cap, v.floor);
                for b in &v.bands {
                    println!("  {} {}", b.grade, b.label);
                }
                for i in &v.items {
                    let pts = match (i.points, i.range) {
                        (Some(p), _) => p.to_string(),
                        (None, Some((lo, hi))) => format!("{lo}～{hi}"),
                        _ => String::new(),
                    };
                    println!("  {}\t{}\t{pts}", i.code, i.name);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A scheme version as JSON (the contract of `scheme show --json`).
fn scheme_json(
    s: &xinjiao_core::evaluation::scheme::Scheme,
    v: &xinjiao_core::evaluation::scheme::SchemeVersion,
) -> serde_json::Value {
    use serde_json::json;
    let n = |p: xinjiao_core::evaluation::scheme::Points| json!(p.0 as f64 / 10.0);
    let bands: Vec<_> = v
        .bands
        .iter()
        .map(|b| {
            let when: Vec<_> = b
                .when
                .iter()
                .map(|c| {
                    json!({"score_min": c.score_min.map(n), "score_below": c.score_below.map(n),
                        "demerits_min": c.demerits_min, "demerits_below": c.demerits_below})
                })
                .collect();
            json!({"grade": b.grade, "label": b.label, "when": when})
        })
        .collect();
    let items: Vec<_> = v
        .items
        .iter()
        .map(|i| {
            let mut o =
                json!({"code": i.code, "name": i.name, "demerits": i.demerits, "serious": i.serious, "basis": i.basis});
            match (i.points, i.range) {
                (Some(p), _) => o["points"] = n(p),
                (None, Some((lo, hi))) => {
                    o["min"] = n(lo);
                    o["max"] = n(hi);
                }
                _ => {}
            }
            o
        })
        .collect();
    json!({
        "code": s.code, "name": s.name, "version": v.id, "effective_from": v.effective_from.to_string(),
        "source": v.source, "base": n(v.base), "floor": n(v.floor), "bonus_cap": n(v.bonus_cap),
        "valid_months": v.valid_months, "comment_days": v.comment_days, "max_steps_up": v.max_steps_up,
        "bands": bands, "items": items,
    })
}

/// The public address as given, checked: `http://` or `https://` and a
/// host, without a trailing slash.
fn checked_public_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains(['?', '#']) {
        bail!("--public-url 应为 http:// 或 https:// 开头的网址，如 https://xinyong.example.gov.cn（收到：{url}）");
    }
    Ok(url.to_string())
}

fn shifted_clock(day: &str) -> anyhow::Result<xinjiao_web::Clock> {
    if std::env::var("XINJIAO_TEST_CLOCK").as_deref() != Ok("1") {
        bail!("--today 只能用于测试和演示：须同时设置环境变量 XINJIAO_TEST_CLOCK=1");
    }
    let day = xinjiao_core::records::date::parse_date(day)
        .with_context(|| format!("「{day}」不是有效日期（如 2027-04-01）"))?;
    let real = system_clock();
    let now = real();
    let china = jiff::tz::Offset::constant(8);
    let same_time_that_day = china.to_timestamp(day.to_datetime(china.to_datetime(now).time()))?;
    let shift = jiff::SignedDuration::from_micros(same_time_that_day.as_microsecond() - now.as_microsecond());
    Ok(Arc::new(move || real().checked_add(shift).unwrap_or(now)))
}

/// The id of the department with `code`.
fn department_id(store: &dyn Store, code: &str) -> anyhow::Result<i64> {
    store.departments()?.into_iter().find(|d| d.code == code).map(|d| d.id).with_context(|| {
        format!("部门编码 {code} 不存在（先用 xinjiao org load 载入组织机构，xinjiao org list 可列出编码）")
    })
}

/// Loads demo data and demo accounts into `store` unless it already holds data.
fn load_demo(
    store: &dyn Store,
    ctx: &WriteContext,
    seed: u64,
    n_subjects: usize,
    n_records: usize,
) -> anyhow::Result<()> {
    if store.totals()?.n_subjects > 0 {
        if store.meta("demo")?.as_deref() != Some("1") {
            bail!("数据库中已有非演示数据，拒绝加载演示数据");
        }
        return Ok(());
    }
    demo::load_into(store, ctx.at, seed, n_subjects, n_records)?;
    store.set_meta("demo", "1")?;
    let hash = xinjiao_web::auth::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let department = |code: &str| department_id(store, code).ok();
    for (user, name, role, dept) in [
        ("admin", "李管理", Role::Admin, "HY-ZCFG"),
        ("coordinator", "陈协调", Role::Coordinator, "HY-ZCFG"),
        ("clerk", "王报送", Role::Clerk, "HY-WZCL"),
        ("dongyuan", "刘报送", Role::Clerk, "DY-JTJ"),
        ("inspector", "张执法", Role::Clerk, "HY-KJXX"),
    ] {
        if store.user_by_name(user)?.is_none() {
            store.create_user(ctx, user, name, role, &hash, department(dept))?;
        }
    }
    let t = store.totals()?;
    println!("已加载演示数据：{} 个主体，{} 条行政许可，{} 条行政处罚", t.n_subjects, t.n_licenses, t.n_penalties);
    Ok(())
}
