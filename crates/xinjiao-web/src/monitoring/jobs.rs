//! The server's two background jobs. The daily monitoring run evaluates
//! `rules/warnings.toml` for every day not yet evaluated (catching up after
//! a restart), stores the warnings (unique by occasion), queues one digest
//! per department and channel for the latest day (what the start page
//! reminds the department of: deadlines due within the rules' working days
//! or past them, draws to run, warnings to acknowledge), and only then
//! records the day — every step can be repeated, so a restart at any point
//! neither loses nor repeats anything. The deliverer sends what the outbox
//! holds, with retries and back-off.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_core::monitoring::warnings::{days_due, evaluate};
use xinjiao_notify::Sender;
use xinjiao_store::{Attempt, Channel, MonitoringDay, NewMessage, Role, Store, StoreError, User, WriteContext};

use crate::kernel::state::AppState;

/// What the background jobs need besides the state.
pub struct Background {
    pub sender: Arc<Sender>,
    /// Seconds between two looks at the calendar and the outbox.
    pub every: Duration,
}

/// Whether the running jobs' sender has an SMTP server (the reminders page says so).
static SMTP_CONFIGURED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether e-mail reminders can leave this process.
pub fn smtp_configured() -> bool {
    SMTP_CONFIGURED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs the jobs until the process ends: first marks messages a stopped
/// server left half-sent as uncertain, then every `every` evaluates the due
/// days and delivers due messages. Errors are printed and retried next time.
pub async fn run(st: AppState, bg: Background) {
    SMTP_CONFIGURED.store(bg.sender.has_smtp(), std::sync::atomic::Ordering::Relaxed);
    match st.db(|s| s.release_unfinished()).await {
        Ok(n) if n > 0 => eprintln!("提醒发件箱：{n} 条消息在上次停止时正在发送，已标为“未确认送达”"),
        Ok(_) => {}
        Err(e) => eprintln!("提醒发件箱：{e:?}"),
    }
    let mut tick = tokio::time::interval(bg.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Evaluation runs whose final grades are known to be in the log.
    let logged_runs = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    loop {
        tick.tick().await;
        let (s, sender, logged_runs) = (st.clone(), bg.sender.clone(), logged_runs.clone());
        let done = tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            let store = s.store.clone();
            run_due_days(&s, &*store, s.today())?;
            deliver_due(&s, &*store, &sender, s.now())?;
            // Grades made final since the last run enter the transparency log.
            let schemes: Vec<String> = s.rules.read().expect("rules").schemes.iter().map(|x| x.code.clone()).collect();
            let schemes: Vec<&str> = schemes.iter().map(String::as_str).collect();
            let ctx = xinjiao_store::WriteContext::new("system", s.now(), "评价结果生效，记入透明日志");
            let mut logged = logged_runs.lock().expect("logged runs");
            xinjiao_store::transparency::log_final_grades(&*store, &ctx, &schemes, s.today(), &mut logged)?;
            drop(logged);
            crate::kernel::signing::issue_checkpoint(&s, &*store)?;
            for job in &s.workplace.jobs {
                job(&s, &*store)?;
            }
            Ok(())
        })
        .await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("每日预警与提醒：{e}"),
            Err(e) => eprintln!("每日预警与提醒：{e}"),
        }
    }
}

/// Evaluates every day due on `today` (see [`days_due`]); returns the days evaluated.
pub fn run_due_days(st: &AppState, store: &dyn Store, today: Date) -> Result<Vec<Date>, StoreError> {
    let (rules, schemes, calendar) = {
        let r = st.rules.read().expect("rules");
        (r.warnings.clone(), r.schemes.clone(), r.calendar.clone())
    };
    let last = store.monitoring_days(1)?.first().map(|d| d.day);
    let days = days_due(last, today, rules.catch_up_days);
    for &day in &days {
        let ctx = WriteContext::new("system", st.now(), format!("每日信用风险预警 {day}"));
        let facts = xinjiao_store::monitoring::gather_facts(store, &rules, &schemes, day)?;
        let raised = evaluate(&rules, &facts, day, &calendar);
        let new = store.save_warnings(&ctx, day, &raised)?;
        if day == today {
            let messages = digests(st, store, day)?;
            store.enqueue(&ctx, &messages)?;
        }
        store.finish_monitoring_day(
            &ctx,
            MonitoringDay { day, evaluated_at: ctx.at, raised: new, rules_version: rules.version },
        )?;
    }
    Ok(days)
}

/// One digest per department and configured channel for `day`: what the
/// department's start page reminds it of that is due soon or overdue.
pub fn digests(st: &AppState, store: &dyn Store, day: Date) -> Result<Vec<NewMessage>, StoreError> {
    let channels = store.channels()?;
    if channels.is_empty() {
        return Ok(vec![]);
    }
    let departments = store.departments()?;
    let soon = st.rules.read().expect("rules").soon(day);
    let mut out = Vec::new();
    for ch in channels {
        let Some(dept) = departments.iter().find(|d| d.id == ch.department_id) else { continue };
        let clerk = User {
            id: 0,
            username: "system".into(),
            display_name: dept.name.clone(),
            role: Role::Clerk,
            password_hash: String::new(),
            department_id: Some(dept.id),
            disabled: false,
        };
        let mut lines = Vec::new();
        for r in st.workplace.reminders(st, store, &clerk)? {
            let tag = match r.level {
                "overdue" => "已超期",
                "soon" => "即将到期",
                "warning" => "预警",
                "task" => "待办",
                _ => continue,
            };
            lines.push(format!("- 【{tag}】{} [查看]({}{})", r.text, st.public_url, r.href));
        }
        for c in st.workplace.cases(st, store, &clerk)? {
            let due = c.deadline.parse::<Date>().ok();
            if c.overdue || due.is_some_and(|d| d <= soon) {
                let tag = if c.overdue { "已超期" } else { "即将到期" };
                lines.push(format!(
                    "- 【{tag}】{} {}：{}，期限 {} [查看]({}{})",
                    c.what, c.decision_no, c.status, c.deadline, st.public_url, c.href
                ));
            }
        }
        if lines.is_empty() {
            continue;
        }
        let title = format!("信交每日提醒：{} {day}", dept.name);
        let body = format!(
            "**{title}**\n共 {} 项需要处理：\n{}\n\n[登录信用平台处理]({}/console)",
            lines.len(),
            lines.join("\n"),
            st.public_url
        );
        for (channel, set) in
            [(Channel::WeCom, !ch.wecom_webhook.is_empty()), (Channel::Email, !ch.email_to.is_empty())]
        {
            if set {
                out.push(NewMessage {
                    dedupe_key: format!("digest:{day}:{}:{}", dept.id, channel.as_str()),
                    channel,
                    department_id: Some(dept.id),
                    title: title.clone(),
                    body: body.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Sends the messages due at `now` through each department's channel as set
/// now; a failure is retried after the rules' back-off, until no attempt is
/// left. Returns how many were sent.
pub fn deliver_due(st: &AppState, store: &dyn Store, sender: &Sender, now: Timestamp) -> Result<usize, StoreError> {
    let outbox = st.rules.read().expect("rules").warnings.outbox;
    let due = store.claim_due(now.as_second(), 20)?;
    if due.is_empty() {
        return Ok(0);
    }
    let channels = store.channels()?;
    let mut sent = 0;
    for m in due {
        let ch = channels.iter().find(|c| Some(c.department_id) == m.department_id);
        let result = match (m.channel, ch) {
            (Channel::WeCom, Some(c)) if !c.wecom_webhook.is_empty() => sender.wecom(&c.wecom_webhook, &m.body),
            (Channel::Email, Some(c)) if !c.email_to.is_empty() => sender.email(&c.email_to, &m.title, &m.body),
            _ => Err(format!("该部门未设置{}", m.channel.label())),
        };
        let attempt = match result {
            Ok(()) => {
                sent += 1;
                Attempt::Sent
            }
            Err(error) => match outbox.retry_after(m.attempts + 1) {
                Some(wait) => Attempt::Retry { error, at: now.as_second() + i64::from(wait) },
                None => Attempt::GaveUp { error },
            },
        };
        store.finish_attempt(m.id, now, &attempt)?;
    }
    Ok(sent)
}
