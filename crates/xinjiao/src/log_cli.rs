//! `xinjiao verify bundle` and `xinjiao log …`: the transparency log from
//! the command line (issue 16) — a record's proof bundle checked offline,
//! another installation's log audited over HTTP.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use xinjiao_core::signed_note::NoteVerifier;
use xinjiao_core::transparency::audit::AuditState;
use xinjiao_core::transparency::bundle::verify;
use xinjiao_core::transparency::entry::hex;
use xinjiao_import::proof::{MAX_BUNDLE_BYTES, read_bundle};

#[derive(Subcommand)]
pub enum LogCommand {
    /// Audit an installation's transparency log: fetch its checkpoint and
    /// tiles, rebuild the tree from the entries, check every tile and the
    /// signature, and compare with what was seen before (--state). Exit
    /// status 1 on a fork, a rewritten entry or any other finding.
    Audit {
        /// The installation's address, e.g. https://xinyong.example.gov.cn/heyuan
        url: String,
        /// The trusted verifier key (text or a file). Without it, the key the
        /// installation serves is trusted as it is (say so in your records).
        #[arg(long)]
        key: Option<String>,
        /// What was seen last time; created or advanced after a clean audit.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Rotate the platform's signing key: a new key, a transition signed by
    /// the old key and the new one appended to KEY_FILE.history (served at
    /// /log/keys), the old private key removed. Restart the server after.
    RotateKey {
        /// The signing key file (as `serve --key-file`).
        #[arg(long)]
        key_file: PathBuf,
        /// The installation's public address (names the key, as `serve --public-url`).
        #[arg(long)]
        public_url: String,
    },
}

/// Verifier keys from `--key` values: each the key's text or a file holding
/// one key per line (the current key and retired ones).
pub fn read_keys(values: &[String]) -> anyhow::Result<Vec<NoteVerifier>> {
    let mut keys = Vec::new();
    for v in values {
        let text = if Path::new(v).is_file() {
            let len = std::fs::metadata(v)?.len();
            if len > 64 * 1024 {
                bail!("公钥文件 {v} 超过 64 KB")
            }
            std::fs::read_to_string(v).with_context(|| format!("无法读取公钥文件 {v}"))?
        } else {
            v.clone()
        };
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            keys.push(NoteVerifier::parse_vkey(line).map_err(|e| anyhow::anyhow!("公钥 {line}：{}", e.message()))?);
        }
    }
    if keys.is_empty() {
        bail!("至少需要一个公钥（--key，见平台的 /log/key）")
    }
    Ok(keys)
}

/// `xinjiao verify bundle FILE --key VKEY…`: no network.
pub fn verify_bundle(file: &Path, keys: &[String]) -> anyhow::Result<ExitCode> {
    let len = std::fs::metadata(file).with_context(|| format!("无法读取 {}", file.display()))?.len();
    if len > MAX_BUNDLE_BYTES as u64 {
        println!("证明无效：文件超过 {} KB，不是证明包（bundle.file_too_large）", MAX_BUNDLE_BYTES / 1024);
        return Ok(ExitCode::from(1));
    }
    let keys = read_keys(keys)?;
    let bytes = std::fs::read(file)?;
    let bundle = match read_bundle(&bytes) {
        Ok(b) => b,
        Err(e) => {
            println!("证明无效：{}（{}）", e.message, e.code);
            return Ok(ExitCode::from(1));
        }
    };
    match verify(&bundle, &keys) {
        Ok(v) => {
            println!(
                "证明有效：第 {} 号条目（{}，{}，{}）在 {} 的日志中（检查点共 {} 条），检查点由密钥 {}+{} 签名",
                bundle.leaf_index,
                v.entry.event.label(),
                v.entry.object,
                v.entry.time,
                v.checkpoint.origin,
                v.checkpoint.size,
                v.key_name,
                hex(&v.key_id)
            );
            match &bundle.content {
                Some(c) if v.content_checked => println!("内容与承诺值一致：{c}"),
                _ => println!("证明包未附内容：只证明该条目存在，不证明其内容"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("证明无效：{}（{}）", e.message(), e.code());
            Ok(ExitCode::from(1))
        }
    }
}

/// The largest state file read (a leaf hash is 65 bytes of text).
const MAX_STATE_BYTES: u64 = 80 * xinjiao_core::transparency::audit::MAX_AUDIT_LEAVES;

pub fn run(command: LogCommand) -> anyhow::Result<ExitCode> {
    match command {
        LogCommand::RotateKey { key_file, public_url } => {
            let name = xinjiao_web::kernel::signing::key_name(&public_url);
            let t = xinjiao_web::kernel::signing::rotate(&key_file, &name, jiff::Timestamp::now())
                .map_err(anyhow::Error::msg)?;
            println!("已轮换签名密钥（{}）：", t.at);
            println!("  旧公钥（已停用，其私钥已删除）：{}", t.old.to_vkey());
            println!("  新公钥：{}", t.new.to_vkey());
            println!("  新公钥指纹：{}", xinjiao_web::kernel::signing::fingerprint(&t.new.to_vkey()));
            println!(
                "交接声明已追加到 {}；请重启平台，并通过其他渠道公布新公钥指纹。",
                xinjiao_web::kernel::signing::history_path(&key_file).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Audit { url, key, state } => {
            let key = key.map(|k| read_keys(&[k])).transpose()?.map(|mut k| k.remove(0));
            let prior = match &state {
                Some(path) if path.exists() => {
                    if std::fs::metadata(path)?.len() > MAX_STATE_BYTES {
                        bail!("审计状态文件 {} 过大", path.display())
                    }
                    let text = std::fs::read_to_string(path)?;
                    Some(
                        AuditState::parse(&text)
                            .ok_or_else(|| anyhow::anyhow!("审计状态文件 {} 格式错误或已损坏", path.display()))?,
                    )
                }
                _ => None,
            };
            let fetcher = xinjiao_notify::Fetcher::default();
            match xinjiao_web::transparency::audit::run_audit(&fetcher, &url, key.as_ref(), prior.as_ref()) {
                Ok(run) => {
                    for k in &run.rotated {
                        println!(
                            "密钥已轮换：经上一把公钥签署的交接声明（/log/keys）确认了新公钥 {}；以后请用 --key 指定它",
                            k.to_vkey()
                        );
                    }
                    if key.is_none() {
                        println!("注意：未给出 --key，信任了平台自己提供的公钥 {}", run.key.to_vkey());
                    }
                    println!(
                        "审计通过：{} 的日志共 {} 条，根哈希 {}；全部条目、瓦片与签名检查点一致{}",
                        run.checkpoint.origin,
                        run.state.size,
                        hex(&run.state.root),
                        match &prior {
                            Some(p) => format!("；与上次（{} 条）一致，新增 {} 条", p.size, run.grown),
                            None => String::new(),
                        }
                    );
                    if let Some(path) = state {
                        let tmp = path.with_extension("tmp");
                        std::fs::write(&tmp, run.state.to_text())?;
                        std::fs::rename(&tmp, &path)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(f) => {
                    println!("审计发现问题：{}（{}）", f.message, f.code);
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

/// `xinjiao report SUBJECT --out FILE.pdf [--as-of DAY] [--full]`: a
/// credit report issued and logged as the portal issues it; the PDF is
/// written whole or not at all.
pub fn report(
    state: &xinjiao_web::AppState,
    subject: &str,
    out: &Path,
    as_of: Option<&str>,
    full: bool,
    actor: &str,
    reason: Option<&str>,
) -> anyhow::Result<ExitCode> {
    use xinjiao_web::transparency::reports::{Edition, issue};
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if full && reason.is_none() {
        bail!("完整版含未遮蔽的个人信息，须以 --reason 说明为何出具（记入审计日志）")
    }
    let as_of = match as_of {
        None => None,
        Some(d) => Some(d.parse().map_err(|_| anyhow::anyhow!("--as-of “{d}” 应为 YYYY-MM-DD 格式的日期"))?),
    };
    let edition = if full { Edition::Full } else { Edition::Public };
    let issued = match issue(state, &*state.store, subject.trim(), as_of, edition, actor, reason) {
        Ok(i) => i,
        Err(e) => {
            let (code, message) = e.parts();
            eprintln!("报告未出具：{message}（{code}）");
            return Ok(ExitCode::from(1));
        }
    };
    let tmp = out.with_extension("pdf.partial");
    std::fs::write(&tmp, &issued.pdf).with_context(|| format!("无法写入 {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("无法写入 {}", out.display()))?;
    let r = &issued.report;
    println!(
        "已出具信用报告 {}（{}，信息截至 {}，{} 页，{} 字节），SHA-256 {}，透明日志第 {} 号条目：{}",
        r.number,
        edition.label(),
        r.as_of,
        r.pages,
        r.bytes,
        hex(&r.sha256),
        r.leaf_index,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
