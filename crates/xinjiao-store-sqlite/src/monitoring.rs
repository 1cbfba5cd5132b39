//! The SQLite backend of monitoring and reminders ([`xinjiao_store::MonitoringStore`]).

use xinjiao_core::monitoring::warnings::{LicenceFact, PenaltyFact, Raised, RectificationFact};
use xinjiao_store::monitoring::{
    Attempt, Channel, Channels, Message, MonitoringDay, NewMessage, Warning, WarningFilter,
};
use xinjiao_store::{MonitoringStore, WarningState};

use super::audit::insert_event;
use super::*;

const WARNING_COLUMNS: &str = "w.id, w.rule, w.subject_id, s.public_key, s.name, s.kind, w.occasion, w.department_id,
    w.detail, w.raised_on, w.raised_at, w.acknowledged_at, w.acknowledged_by, w.feedback, w.feedback_at, w.feedback_by";

fn warning_of(r: &Row) -> rusqlite::Result<Warning> {
    Ok(Warning {
        id: r.get(0)?,
        rule: r.get(1)?,
        subject_id: r.get(2)?,
        subject_key: r.get(3)?,
        subject_name: r.get(4)?,
        subject_kind: subject_kind(r.get(5)?)?,
        occasion: r.get(6)?,
        department_id: r.get(7)?,
        detail: r.get(8)?,
        raised_on: date(r.get(9)?)?,
        raised_at: ts(r.get(10)?)?,
        acknowledged: match (r.get::<_, Option<String>>(11)?, r.get::<_, Option<String>>(12)?) {
            (Some(at), Some(by)) => Some((ts(at)?, by)),
            _ => None,
        },
        feedback: match (
            r.get::<_, Option<String>>(13)?,
            r.get::<_, Option<String>>(14)?,
            r.get::<_, Option<String>>(15)?,
        ) {
            (Some(text), Some(at), Some(by)) => Some((text, ts(at)?, by)),
            _ => None,
        },
    })
}

const MESSAGE_COLUMNS: &str = "id, dedupe_key, channel, department_id, title, body, state, attempts, next_attempt_at,
    last_error, created_at, sent_at";

fn message_of(r: &Row) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(0)?,
        dedupe_key: r.get(1)?,
        channel: Channel::parse(&r.get::<_, String>(2)?).ok_or(rusqlite::Error::InvalidColumnType(
            2,
            "channel".into(),
            rusqlite::types::Type::Text,
        ))?,
        department_id: r.get(3)?,
        title: r.get(4)?,
        body: r.get(5)?,
        state: r.get(6)?,
        attempts: r.get(7)?,
        next_attempt_at: r.get(8)?,
        last_error: r.get(9)?,
        created_at: ts(r.get(10)?)?,
        sent_at: r.get::<_, Option<String>>(11)?.map(ts).transpose()?,
    })
}

fn day_of(r: &Row) -> rusqlite::Result<MonitoringDay> {
    Ok(MonitoringDay {
        day: date(r.get(0)?)?,
        evaluated_at: ts(r.get(1)?)?,
        raised: r.get::<_, i64>(2)? as u64,
        rules_version: r.get(3)?,
    })
}

/// The conditions of `f` on `warnings w`, with their values (`?1`, … in order).
fn warning_filter(f: &WarningFilter) -> (String, Vec<Value>) {
    let mut sql = String::from("1 = 1");
    let mut values: Vec<Value> = Vec::new();
    let mut push = |cond: &str, v: Value| {
        values.push(v);
        sql.push_str(&format!(" AND {cond} ?{}", values.len()));
    };
    if let Some(s) = f.subject_id {
        push("w.subject_id =", Value::Integer(s));
    }
    if let Some(r) = &f.rule {
        push("w.rule =", Value::Text(r.clone()));
    }
    if let Some(d) = f.department_id {
        push("w.department_id =", Value::Integer(d));
    }
    if let Some(d) = f.raised_on {
        push("w.raised_on =", Value::Text(d.to_string()));
    }
    if f.no_department {
        sql.push_str(" AND w.department_id IS NULL");
    }
    sql.push_str(match f.state {
        Some(WarningState::Open) => " AND w.acknowledged_at IS NULL AND w.feedback IS NULL",
        Some(WarningState::Acknowledged) => " AND w.acknowledged_at IS NOT NULL AND w.feedback IS NULL",
        Some(WarningState::Answered) => " AND w.feedback IS NOT NULL",
        None => "",
    });
    (sql, values)
}

impl MonitoringStore for SqliteStore {
    fn penalty_facts(&self, from: Date, to: Date) -> Result<Vec<PenaltyFact>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id, subject_id, department_id, decision_no, decision_date FROM records INDEXED BY records_kind_date
                 WHERE kind = 'penalty' AND decision_date >= ?1 AND decision_date <= ?2 AND withdrawn_on IS NULL
                 ORDER BY subject_id, decision_date, id",
            )?
            .query_map(params![from.to_string(), to.to_string()], |r| {
                Ok(PenaltyFact {
                    record_id: r.get(0)?,
                    subject_id: r.get(1)?,
                    department_id: r.get(2)?,
                    decision_no: r.get(3)?,
                    decision_date: date(r.get(4)?)?,
                })
            })?
            .collect()
        })
    }

    fn licence_facts(&self, from: Date, to: Date) -> Result<Vec<LicenceFact>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT r.id, r.subject_id, r.department_id, r.decision_no, json_extract(v.fields, '$.XK_YXQZI') AS valid_to
                 FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                 WHERE r.kind = 'license' AND r.withdrawn_on IS NULL AND valid_to >= ?1 AND valid_to <= ?2
                 ORDER BY r.subject_id, r.id",
            )?
            .query_map(params![from.to_string(), to.to_string()], |r| {
                Ok(LicenceFact {
                    record_id: r.get(0)?,
                    subject_id: r.get(1)?,
                    department_id: r.get(2)?,
                    decision_no: r.get(3)?,
                    valid_to: date(r.get(4)?)?,
                })
            })?
            .collect()
        })
    }

    fn rectification_facts(&self) -> Result<Vec<RectificationFact>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT i.draw_id, s.id, i.subject_code, m.department_id, m.name, i.inspected_on
                 FROM inspection_results i JOIN draws d ON d.id = i.draw_id
                 JOIN inspection_matters m ON m.id = d.matter_id JOIN subjects s ON s.public_key = i.subject_code
                 WHERE i.outcome = 'rectification' ORDER BY i.draw_id, i.subject_code",
            )?
            .query_map([], |r| {
                Ok(RectificationFact {
                    draw_id: r.get(0)?,
                    subject_id: r.get(1)?,
                    subject_code: r.get(2)?,
                    department_id: r.get(3)?,
                    matter_name: r.get(4)?,
                    inspected_on: date(r.get(5)?)?,
                })
            })?
            .collect()
        })
    }

    fn latest_departments(&self, subjects: &[i64]) -> Result<BTreeMap<i64, i64>> {
        self.read(|c| {
            let mut out = BTreeMap::new();
            let mut q = c.prepare_cached(
                "SELECT department_id FROM records INDEXED BY records_subject
                 WHERE subject_id = ?1 AND department_id IS NOT NULL ORDER BY decision_date DESC, id DESC LIMIT 1",
            )?;
            for s in subjects {
                if let Some(d) = q.query_row([s], |r| r.get::<_, i64>(0)).optional()? {
                    out.insert(*s, d);
                }
            }
            Ok(out)
        })
    }

    fn save_warnings(&self, ctx: &WriteContext, day: Date, raised: &[Raised]) -> Result<u64> {
        self.write(|tx| {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO warnings (rule, subject_id, occasion, department_id, detail, raised_on, raised_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (rule, subject_id, occasion) DO NOTHING",
                )
                .map_err(err)?;
            let mut n = 0;
            for w in raised {
                let new = insert
                    .execute(params![
                        w.rule,
                        w.subject_id,
                        w.occasion,
                        w.department_id,
                        w.detail,
                        day.to_string(),
                        ctx.at.to_string()
                    ])
                    .map_err(err)?;
                if new == 1 {
                    n += 1;
                    let detail = serde_json::json!({"warning": tx.last_insert_rowid(), "rule": w.rule,
                        "occasion": w.occasion, "day": day.to_string()})
                    .to_string();
                    insert_event(tx, ctx, "warning.raised", Some(w.subject_id), None, &detail).map_err(err)?;
                }
            }
            Ok(n)
        })
    }

    fn finish_monitoring_day(&self, ctx: &WriteContext, d: MonitoringDay) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO monitoring_days (day, evaluated_at, raised, rules_version) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (day) DO NOTHING",
                    params![d.day.to_string(), d.evaluated_at.to_string(), d.raised as i64, d.rules_version],
                )
                .map_err(err)?;
            if n == 1 {
                let detail = serde_json::json!({"day": d.day.to_string(), "raised": d.raised}).to_string();
                insert_event(tx, ctx, "monitoring.day_evaluated", None, None, &detail).map_err(err)?;
            }
            Ok(())
        })
    }

    fn monitoring_days(&self, limit: u32) -> Result<Vec<MonitoringDay>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT day, evaluated_at, raised, rules_version FROM monitoring_days ORDER BY day DESC LIMIT ?1",
            )?
            .query_map([limit], day_of)?
            .collect()
        })
    }

    fn warnings(&self, f: &WarningFilter, limit: u32) -> Result<Vec<Warning>> {
        let (cond, mut values) = warning_filter(f);
        values.push(Value::Integer(i64::from(limit)));
        let sql = format!(
            "SELECT {WARNING_COLUMNS} FROM warnings w JOIN subjects s ON s.id = w.subject_id WHERE {cond}
             ORDER BY w.id DESC LIMIT ?{}",
            values.len()
        );
        self.read(|c| c.prepare(&sql)?.query_map(params_from_iter(values), warning_of)?.collect())
    }

    fn count_warnings(&self, f: &WarningFilter) -> Result<u64> {
        let (cond, values) = warning_filter(f);
        let sql = format!("SELECT count(*) FROM warnings w WHERE {cond}");
        self.read(|c| c.query_row(&sql, params_from_iter(values), |r| r.get::<_, i64>(0)).map(|n| n as u64))
    }

    fn warning(&self, id: i64) -> Result<Warning> {
        self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {WARNING_COLUMNS} FROM warnings w JOIN subjects s ON s.id = w.subject_id WHERE w.id = ?1"
                ),
                [id],
                warning_of,
            )
            .optional()
        })?
        .ok_or(StoreError::NotFound)
    }

    fn acknowledge_warning(&self, ctx: &WriteContext, id: i64) -> Result<()> {
        self.write(|tx| {
            let subject: Option<i64> =
                tx.query_row("SELECT subject_id FROM warnings WHERE id = ?1", [id], |r| r.get(0)).optional().map_err(err)?;
            let Some(subject) = subject else { return Err(StoreError::NotFound) };
            let n = tx
                .execute(
                    "UPDATE warnings SET acknowledged_at = ?2, acknowledged_by = ?3 WHERE id = ?1 AND acknowledged_at IS NULL",
                    params![id, ctx.at.to_string(), ctx.actor],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict("该预警已签收".into()));
            }
            insert_event(tx, ctx, "warning.acknowledged", Some(subject), None, &format!("{{\"warning\":{id}}}"))
                .map_err(err)?;
            Ok(())
        })
    }

    fn answer_warning(&self, ctx: &WriteContext, id: i64, feedback: &str) -> Result<()> {
        self.write(|tx| {
            let row: Option<(i64, Option<String>, Option<String>)> = tx
                .query_row("SELECT subject_id, acknowledged_at, feedback FROM warnings WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(err)?;
            let Some((subject, acknowledged, answered)) = row else { return Err(StoreError::NotFound) };
            if acknowledged.is_none() {
                return Err(StoreError::Conflict("请先签收该预警".into()));
            }
            if answered.is_some() {
                return Err(StoreError::Conflict("该预警已反馈".into()));
            }
            tx.execute(
                "UPDATE warnings SET feedback = ?2, feedback_at = ?3, feedback_by = ?4 WHERE id = ?1",
                params![id, feedback, ctx.at.to_string(), ctx.actor],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "warning.answered", Some(subject), None, &format!("{{\"warning\":{id}}}"))
                .map_err(err)?;
            Ok(())
        })
    }

    fn channels(&self) -> Result<Vec<Channels>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT department_id, wecom_webhook, email_to, updated_at, updated_by FROM reminder_channels
                 ORDER BY department_id",
            )?
            .query_map([], |r| {
                Ok(Channels {
                    department_id: r.get(0)?,
                    wecom_webhook: r.get(1)?,
                    email_to: r.get(2)?,
                    updated_at: ts(r.get(3)?)?,
                    updated_by: r.get(4)?,
                })
            })?
            .collect()
        })
    }

    fn set_channels(&self, ctx: &WriteContext, department_id: i64, wecom_webhook: &str, email_to: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO reminder_channels (department_id, wecom_webhook, email_to, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (department_id) DO UPDATE SET wecom_webhook = excluded.wecom_webhook,
                   email_to = excluded.email_to, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                params![department_id, wecom_webhook, email_to, ctx.at.to_string(), ctx.actor],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"department": department_id, "wecom": !wecom_webhook.is_empty(),
                "email": !email_to.is_empty()})
            .to_string();
            insert_event(tx, ctx, "reminder_channels.saved", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn enqueue(&self, ctx: &WriteContext, messages: &[NewMessage]) -> Result<u64> {
        self.write(|tx| {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO outbox (dedupe_key, channel, department_id, title, body, state, attempts, next_attempt_at, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7) ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .map_err(err)?;
            let mut n = 0;
            for m in messages {
                n += insert
                    .execute(params![
                        m.dedupe_key,
                        m.channel.as_str(),
                        m.department_id,
                        m.title,
                        m.body,
                        ctx.at.as_second(),
                        ctx.at.to_string()
                    ])
                    .map_err(err)? as u64;
            }
            Ok(n)
        })
    }

    fn claim_due(&self, now: i64, limit: u32) -> Result<Vec<Message>> {
        self.write(|tx| {
            let due: Vec<Message> = tx
                .prepare_cached(&format!(
                    "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1
                     ORDER BY next_attempt_at, id LIMIT ?2"
                ))
                .map_err(err)?
                .query_map(params![now, limit], message_of)
                .map_err(err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(err)?;
            for m in &due {
                tx.execute("UPDATE outbox SET state = 'sending' WHERE id = ?1", [m.id]).map_err(err)?;
            }
            Ok(due.into_iter().map(|m| Message { state: "sending".into(), ..m }).collect())
        })
    }

    fn finish_attempt(&self, id: i64, at: Timestamp, attempt: &Attempt) -> Result<()> {
        self.write(|tx| {
            let n = match attempt {
                Attempt::Sent => tx.execute(
                    "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?2, last_error = NULL
                     WHERE id = ?1 AND state = 'sending'",
                    params![id, at.to_string()],
                ),
                Attempt::Retry { error, at: next } => tx.execute(
                    "UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
                     WHERE id = ?1 AND state = 'sending'",
                    params![id, next, error],
                ),
                Attempt::GaveUp { error } => tx.execute(
                    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2
                     WHERE id = ?1 AND state = 'sending'",
                    params![id, error],
                ),
            }
            .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("message {id} is not being sent")));
            }
            Ok(())
        })
    }

    fn release_unfinished(&self) -> Result<u64> {
        self.write(|tx| {
            Ok(tx
                .execute(
                    "UPDATE outbox SET state = 'uncertain', last_error = '发送过程中服务停止，未确认是否送达' WHERE state = 'sending'",
                    [],
                )
                .map_err(err)? as u64)
        })
    }

    fn requeue(&self, ctx: &WriteContext, id: i64, now: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2
                     WHERE id = ?1 AND state IN ('failed', 'uncertain')",
                    params![id, now],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict("只有发送失败或未确认送达的消息可以重新发送".into()));
            }
            insert_event(tx, ctx, "outbox.requeued", None, None, &format!("{{\"message\":{id}}}")).map_err(err)?;
            Ok(())
        })
    }

    fn messages(&self, limit: u32) -> Result<Vec<Message>> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {MESSAGE_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?1"))?
                .query_map([limit], message_of)?
                .collect()
        })
    }
}
