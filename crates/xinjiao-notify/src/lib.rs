//! Sending reminders where staff work: a WeCom (企业微信, on which 粤政易
//! is built) group robot's webhook — an HTTPS POST of JSON
//! `{"msgtype": "markdown", "markdown": {"content": …}}`, answered with
//! `{"errcode": 0, …}` — and e-mail over SMTP. No vendor SDK: `ureq` (HTTP
//! with rustls) and `lettre` (SMTP). Every failure is an error text for the
//! outbox to keep and retry; nothing here queues or retries by itself.
//! [`Fetcher`] reads other installations' public log files the same way.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SmtpTransport, Transport};

/// WeCom's limit on a markdown message's content, in bytes.
pub const WECOM_MARKDOWN_MAX: usize = 4096;

/// Each attempt gives up after this long (connect, send and answer).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer read from a webhook.
const ANSWER_MAX: u64 = 64 * 1024;

/// Where e-mail leaves from.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// `smtp://host:port` (plain, for a relay on the local network),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465`.
    pub url: String,
    /// The sender, e.g. `河源市交通运输局信用平台 <xinyong@example.gov.cn>`.
    pub from: String,
}

/// Reads public documents from other installations (the transparency log's
/// checkpoints, keys and tiles, for auditing): plain GETs with a timeout and
/// a size limit checked while reading.
pub struct Fetcher {
    http: ureq::Agent,
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher {
            http: ureq::Agent::config_builder()
                .timeout_global(Some(TIMEOUT))
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }
}

impl Fetcher {
    /// The body at `url`, at most `limit` bytes; `None` for 404.
    pub fn get(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, String> {
        let mut resp = self.http.get(url).call().map_err(|e| format!("无法连接 {url}：{e}"))?;
        match resp.status().as_u16() {
            404 => Ok(None),
            200 => resp
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map(Some)
                .map_err(|e| format!("读取 {url} 失败（上限 {limit} 字节）：{e}")),
            s => Err(format!("{url} 返回 HTTP {s}")),
        }
    }
}

/// Sends messages; one per process.
pub struct Sender {
    http: ureq::Agent,
    smtp: Option<(SmtpTransport, Mailbox)>,
}

impl Sender {
    /// A sender; e-mail is refused (with a message saying so) without `smtp`.
    pub fn new(smtp: Option<&Smtp>) -> Result<Sender, String> {
        let http =
            ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().into();
        let smtp = match smtp {
            None => None,
            Some(s) => {
                let from: Mailbox = s.from.parse().map_err(|e| format!("发件人地址“{}”无效：{e}", s.from))?;
                let transport = SmtpTransport::from_url(&s.url)
                    .map_err(|e| format!("SMTP 地址无效：{e}"))?
                    .hello_name(ClientId::Domain("xinjiao".into()))
                    .timeout(Some(TIMEOUT))
                    .build();
                Some((transport, from))
            }
        };
        Ok(Sender { http, smtp })
    }

    /// Whether e-mail can be sent (an SMTP server is set).
    pub fn has_smtp(&self) -> bool {
        self.smtp.is_some()
    }

    /// Posts `markdown` to a group robot's webhook; `Ok` only when WeCom
    /// answers `errcode` 0.
    pub fn wecom(&self, webhook: &str, markdown: &str) -> Result<(), String> {
        let body = wecom_body(markdown);
        let mut resp = self
            .http
            .post(webhook)
            .header("Content-Type", "application/json; charset=utf-8")
            .send(body.as_bytes())
            .map_err(|e| format!("无法连接企业微信接口：{e}"))?;
        let status = resp.status().as_u16();
        let answer =
            resp.body_mut().with_config().limit(ANSWER_MAX).lossy_utf8(true).read_to_string().unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(format!("企业微信接口返回 HTTP {status}"));
        }
        let json: serde_json::Value = serde_json::from_str(&answer)
            .map_err(|_| format!("企业微信接口的应答不是 JSON：{}", clip(&answer, 200)))?;
        match json.get("errcode").and_then(serde_json::Value::as_i64) {
            Some(0) => Ok(()),
            code => Err(format!(
                "企业微信接口拒绝：errcode {} {}",
                code.map_or_else(|| "缺失".to_string(), |c| c.to_string()),
                json.get("errmsg").and_then(serde_json::Value::as_str).unwrap_or_default()
            )),
        }
    }

    /// Sends an e-mail to `to` (addresses separated by commas).
    pub fn email(&self, to: &str, subject: &str, text: &str) -> Result<(), String> {
        let Some((transport, from)) = &self.smtp else {
            return Err("未配置 SMTP 服务器（XINJIAO_SMTP_URL、XINJIAO_SMTP_FROM）".into());
        };
        let mut builder = Message::builder().from(from.clone()).subject(subject).header(ContentType::TEXT_PLAIN);
        let mut any = false;
        for addr in to.split([',', '，', ';']).map(str::trim).filter(|a| !a.is_empty()) {
            let mb: Mailbox = addr.parse().map_err(|e| format!("收件人地址“{addr}”无效：{e}"))?;
            builder = builder.to(mb);
            any = true;
        }
        if !any {
            return Err("没有收件人地址".into());
        }
        let message = builder.body(text.to_string()).map_err(|e| format!("邮件无法生成：{e}"))?;
        transport.send(&message).map(|_| ()).map_err(|e| format!("SMTP 发送失败：{e}"))
    }
}

/// The JSON a group robot takes: the markdown cut to WeCom's limit (at a
/// character boundary, with a note that the rest is on the platform).
pub fn wecom_body(markdown: &str) -> String {
    serde_json::json!({"msgtype": "markdown", "markdown": {"content": fit(markdown, WECOM_MARKDOWN_MAX)}}).to_string()
}

/// `text` within `max` bytes, cut at a line or character boundary with a note.
pub fn fit(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    const NOTE: &str = "\n……（内容过长，其余请登录平台查看）";
    let mut end = max.saturating_sub(NOTE.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text[..end].rfind('\n').filter(|&i| i > end / 2).unwrap_or(end);
    format!("{}{NOTE}", &text[..cut])
}

fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether `url` may be a group robot's webhook: `https://`, or `http://`
/// for a gateway on the local network (a Chinese message otherwise).
pub fn check_webhook(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.len() > 500 {
        return Err("Webhook 地址过长（至多 500 个字符）".into());
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !url.chars().any(char::is_whitespace) => Ok(()),
        _ => Err("Webhook 地址应以 https:// 开头（如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…）".into()),
    }
}

/// Whether `to` is a list of e-mail addresses (a Chinese message naming the first bad one).
pub fn check_addresses(to: &str) -> Result<(), String> {
    if to.len() > 1000 {
        return Err("收件人地址过长（至多 1000 个字符）".into());
    }
    for addr in to.split([',', '，', ';']).map(str::trim).filter(|a| !a.is_empty()) {
        addr.parse::<Mailbox>().map_err(|_| format!("收件人地址“{addr}”无效"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_markdown_is_cut_within_wecoms_limit() {
        let long: String = (0..400).map(|i| format!("- 第 {i} 条提醒\n")).collect();
        let body = wecom_body(&long);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let content = v["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= WECOM_MARKDOWN_MAX, "{}", content.len());
        assert!(content.ends_with("其余请登录平台查看）"));
        assert_eq!(v["msgtype"], "markdown");
        assert_eq!(fit("短", 10), "短");
    }

    #[test]
    fn addresses_and_webhooks_are_checked() {
        assert!(check_webhook("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc").is_ok());
        assert!(check_webhook("http://10.1.2.3:8080/hook").is_ok());
        assert!(check_webhook("ftp://x").is_err());
        assert!(check_webhook("https://").is_err());
        assert!(check_addresses("a@example.cn, b@example.cn").is_ok());
        assert!(check_addresses("a@example.cn，坏地址").unwrap_err().contains("坏地址"));
    }
}
