//! The PostgreSQL backend of monitoring and reminders ([`xinjiao_store::MonitoringStore`]).

use xinjiao_core::monitoring::warnings::{LicenceFact, PenaltyFact, Raised, RectificationFact};
use xinjiao_store::monitoring::{
    Attempt, Channel, Channels, Message, MonitoringDay, NewMessage, Warning, WarningFilter,
};
use xinjiao_store::{MonitoringStore, WarningState};

use super::audit::insert_event;
use super::*;

const US: &str = "* 1000000)::bigint";

fn warning_columns() -> String {
    format!(
        "w.id, w.rule, w.subject_id, s.public_key, s.name, s.kind, w.occasion, w.department_id, w.detail,
         w.raised_on::text, (extract(epoch from w.raised_at) {US}, (extract(epoch from w.acknowledged_at) {US},
         w.acknowledged_by, w.feedback, (extract(epoch from w.feedback_at) {US}, w.feedback_by"
    )
}

fn warning_of(r: &Row) -> Result<Warning> {
    let kind: &str = r.get(5);
    Ok(Warning {
        id: r.get(0),
        rule: r.get(1),
        subject_id: r.get(2),
        subject_key: r.get(3),
        subject_name: r.get(4),
        subject_kind: SubjectKind::parse(kind).ok_or_else(|| bad(format!("subject kind {kind}")))?,
        occasion: r.get(6),
        department_id: r.get(7),
        detail: r.get(8),
        raised_on: parse_date(r.get(9))?,
        raised_at: ts_micros(r.get(10))?,
        acknowledged: match (r.get::<_, Option<i64>>(11), r.get::<_, Option<String>>(12)) {
            (Some(at), Some(by)) => Some((ts_micros(at)?, by)),
            _ => None,
        },
        feedback: match (r.get::<_, Option<String>>(13), r.get::<_, Option<i64>>(14), r.get::<_, Option<String>>(15)) {
            (Some(text), Some(at), Some(by)) => Some((text, ts_micros(at)?, by)),
            _ => None,
        },
    })
}

fn message_columns() -> String {
    format!(
        "id, dedupe_key, channel, department_id, title, body, state, attempts, next_attempt_at, last_error,
         (extract(epoch from created_at) {US}, (extract(epoch from sent_at) {US}"
    )
}

fn message_of(r: &Row) -> Result<Message> {
    let channel: &str = r.get(2);
    Ok(Message {
        id: r.get(0),
        dedupe_key: r.get(1),
        channel: Channel::parse(channel).ok_or_else(|| bad(format!("channel {channel}")))?,
        department_id: r.get(3),
        title: r.get(4),
        body: r.get(5),
        state: r.get(6),
        attempts: r.get::<_, i64>(7) as u32,
        next_attempt_at: r.get(8),
        last_error: r.get(9),
        created_at: ts_micros(r.get(10))?,
        sent_at: r.get::<_, Option<i64>>(11).map(ts_micros).transpose()?,
    })
}

/// The conditions of `f` on `warnings w`, with their values (`$1`, … in order).
fn warning_filter(f: &WarningFilter) -> (String, Vec<Box<dyn ToSql + Sync>>) {
    let mut sql = String::from("true");
    let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    let mut push = |cond: &str, v: Box<dyn ToSql + Sync>| {
        args.push(v);
        sql.push_str(&format!(" AND {cond} ${}", args.len()));
    };
    if let Some(s) = f.subject_id {
        push("w.subject_id =", Box::new(s));
    }
    if let Some(r) = &f.rule {
        push("w.rule =", Box::new(r.clone()));
    }
    if let Some(d) = f.department_id {
        push("w.department_id =", Box::new(d));
    }
    if let Some(d) = f.raised_on {
        push("w.raised_on::text =", Box::new(d.to_string()));
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
    (sql, args)
}

impl MonitoringStore for PgStore {
    fn penalty_facts(&self, from: Date, to: Date) -> Result<Vec<PenaltyFact>> {
        self.rows(
            "SELECT id, subject_id, department_id, decision_no, decision_date::text FROM records
             WHERE kind = 'penalty' AND decision_date >= $1::text::date AND decision_date <= $2::text::date
               AND withdrawn_on IS NULL
             ORDER BY subject_id, decision_date, id",
            &[&from.to_string(), &to.to_string()],
            |r| {
                Ok(PenaltyFact {
                    record_id: r.get(0),
                    subject_id: r.get(1),
                    department_id: r.get(2),
                    decision_no: r.get(3),
                    decision_date: parse_date(r.get(4))?,
                })
            },
        )
    }

    fn licence_facts(&self, from: Date, to: Date) -> Result<Vec<LicenceFact>> {
        self.rows(
            "SELECT id, subject_id, department_id, decision_no, valid_to FROM (
                SELECT r.id, r.subject_id, r.department_id, r.decision_no, v.fields::jsonb ->> 'XK_YXQZI' AS valid_to
                FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
                WHERE r.kind = 'license' AND r.withdrawn_on IS NULL) l
             WHERE valid_to >= $1 AND valid_to <= $2 ORDER BY subject_id, id",
            &[&from.to_string(), &to.to_string()],
            |r| {
                Ok(LicenceFact {
                    record_id: r.get(0),
                    subject_id: r.get(1),
                    department_id: r.get(2),
                    decision_no: r.get(3),
                    valid_to: parse_date(r.get(4))?,
                })
            },
        )
    }

    fn rectification_facts(&self) -> Result<Vec<RectificationFact>> {
        self.rows(
            "SELECT i.draw_id, s.id, i.subject_code, m.department_id, m.name, i.inspected_on::text
             FROM inspection_results i JOIN draws d ON d.id = i.draw_id
             JOIN inspection_matters m ON m.id = d.matter_id JOIN subjects s ON s.public_key = i.subject_code
             WHERE i.outcome = 'rectification' ORDER BY i.draw_id, i.subject_code",
            &[],
            |r| {
                Ok(RectificationFact {
                    draw_id: r.get(0),
                    subject_id: r.get(1),
                    subject_code: r.get(2),
                    department_id: r.get(3),
                    matter_name: r.get(4),
                    inspected_on: parse_date(r.get(5))?,
                })
            },
        )
    }

    fn latest_departments(&self, subjects: &[i64]) -> Result<BTreeMap<i64, i64>> {
        let rows = self.rows(
            "SELECT DISTINCT ON (subject_id) subject_id, department_id FROM records
             WHERE subject_id = ANY($1) AND department_id IS NOT NULL
             ORDER BY subject_id, decision_date DESC, id DESC",
            &[&subjects],
            |r| Ok((r.get::<_, i64>(0), r.get::<_, i64>(1))),
        )?;
        Ok(rows.into_iter().collect())
    }

    fn save_warnings(&self, ctx: &WriteContext, day: Date, raised: &[Raised]) -> Result<u64> {
        self.write(|tx| {
            let insert = tx
                .prepare(
                    "INSERT INTO warnings (rule, subject_id, occasion, department_id, detail, raised_on, raised_at)
                     VALUES ($1, $2, $3, $4, $5, $6::text::date, $7::text::timestamptz)
                     ON CONFLICT (rule, subject_id, occasion) DO NOTHING RETURNING id",
                )
                .map_err(err)?;
            let (day_text, at) = (day.to_string(), ctx.at.to_string());
            let mut n = 0;
            for w in raised {
                let row = tx
                    .query_opt(
                        &insert,
                        &[&w.rule, &w.subject_id, &w.occasion, &w.department_id, &w.detail, &day_text, &at],
                    )
                    .map_err(err)?;
                if let Some(row) = row {
                    n += 1;
                    let id: i64 = row.get(0);
                    let detail = serde_json::json!({"warning": id, "rule": w.rule, "occasion": w.occasion,
                        "day": day_text})
                    .to_string();
                    insert_event(tx, ctx, "warning.raised", Some(w.subject_id), None, &detail)?;
                }
            }
            Ok(n)
        })
    }

    fn finish_monitoring_day(&self, ctx: &WriteContext, d: MonitoringDay) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO monitoring_days (day, evaluated_at, raised, rules_version)
                     VALUES ($1::text::date, $2::text::timestamptz, $3, $4) ON CONFLICT (day) DO NOTHING",
                    &[&d.day.to_string(), &d.evaluated_at.to_string(), &(d.raised as i64), &d.rules_version],
                )
                .map_err(err)?;
            if n == 1 {
                let detail = serde_json::json!({"day": d.day.to_string(), "raised": d.raised}).to_string();
                insert_event(tx, ctx, "monitoring.day_evaluated", None, None, &detail)?;
            }
            Ok(())
        })
    }

    fn monitoring_days(&self, limit: u32) -> Result<Vec<MonitoringDay>> {
        self.rows(
            "SELECT day::text, (extract(epoch from evaluated_at) * 1000000)::bigint, raised, rules_version
             FROM monitoring_days ORDER BY day DESC LIMIT $1",
            &[&i64::from(limit)],
            |r| {
                Ok(MonitoringDay {
                    day: parse_date(r.get(0))?,
                    evaluated_at: ts_micros(r.get(1))?,
                    raised: r.get::<_, i64>(2) as u64,
                    rules_version: r.get(3),
                })
            },
        )
    }

    fn warnings(&self, f: &WarningFilter, limit: u32) -> Result<Vec<Warning>> {
        let (cond, mut args) = warning_filter(f);
        args.push(Box::new(i64::from(limit)));
        let sql = format!(
            "SELECT {} FROM warnings w JOIN subjects s ON s.id = w.subject_id WHERE {cond} ORDER BY w.id DESC LIMIT ${}",
            warning_columns(),
            args.len()
        );
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
        self.with(|c| c.client.query(&sql, &refs).map_err(err)?.iter().map(warning_of).collect())
    }

    fn count_warnings(&self, f: &WarningFilter) -> Result<u64> {
        let (cond, args) = warning_filter(f);
        let sql = format!("SELECT count(*) FROM warnings w WHERE {cond}");
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
        self.with(|c| Ok(c.client.query_one(&sql, &refs).map_err(err)?.get::<_, i64>(0) as u64))
    }

    fn warning(&self, id: i64) -> Result<Warning> {
        self.with(|c| {
            c.client
                .query_opt(
                    &format!(
                        "SELECT {} FROM warnings w JOIN subjects s ON s.id = w.subject_id WHERE w.id = $1",
                        warning_columns()
                    ),
                    &[&id],
                )
                .map_err(err)?
                .as_ref()
                .map(warning_of)
                .transpose()
        })?
        .ok_or(StoreError::NotFound)
    }

    fn acknowledge_warning(&self, ctx: &WriteContext, id: i64) -> Result<()> {
        self.write(|tx| {
            let Some(row) =
                tx.query_opt("SELECT subject_id FROM warnings WHERE id = $1 FOR UPDATE", &[&id]).map_err(err)?
            else {
                return Err(StoreError::NotFound);
            };
            let subject: i64 = row.get(0);
            let n = tx
                .execute(
                    "UPDATE warnings SET acknowledged_at = $2::text::timestamptz, acknowledged_by = $3
                     WHERE id = $1 AND acknowledged_at IS NULL",
                    &[&id, &ctx.at.to_string(), &ctx.actor],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict("该预警已签收".into()));
            }
            insert_event(tx, ctx, "warning.acknowledged", Some(subject), None, &format!("{{\"warning\":{id}}}"))?;
            Ok(())
        })
    }

    fn answer_warning(&self, ctx: &WriteContext, id: i64, feedback: &str) -> Result<()> {
        self.write(|tx| {
            let Some(row) = tx
                .query_opt(
                    "SELECT subject_id, acknowledged_at IS NOT NULL, feedback IS NOT NULL FROM warnings WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .map_err(err)?
            else {
                return Err(StoreError::NotFound);
            };
            let (subject, acknowledged, answered): (i64, bool, bool) = (row.get(0), row.get(1), row.get(2));
            if !acknowledged {
                return Err(StoreError::Conflict("请先签收该预警".into()));
            }
            if answered {
                return Err(StoreError::Conflict("该预警已反馈".into()));
            }
            tx.execute(
                "UPDATE warnings SET feedback = $2, feedback_at = $3::text::timestamptz, feedback_by = $4 WHERE id = $1",
                &[&id, &feedback, &ctx.at.to_string(), &ctx.actor],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "warning.answered", Some(subject), None, &format!("{{\"warning\":{id}}}"))?;
            Ok(())
        })
    }

    fn channels(&self) -> Result<Vec<Channels>> {
        self.rows(
            "SELECT department_id, wecom_webhook, email_to, (extract(epoch from updated_at) * 1000000)::bigint, updated_by
             FROM reminder_channels ORDER BY department_id",
            &[],
            |r| {
                Ok(Channels {
                    department_id: r.get(0),
                    wecom_webhook: r.get(1),
                    email_to: r.get(2),
                    updated_at: ts_micros(r.get(3))?,
                    updated_by: r.get(4),
                })
            },
        )
    }

    fn set_channels(&self, ctx: &WriteContext, department_id: i64, wecom_webhook: &str, email_to: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO reminder_channels (department_id, wecom_webhook, email_to, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4::text::timestamptz, $5)
                 ON CONFLICT (department_id) DO UPDATE SET wecom_webhook = excluded.wecom_webhook,
                   email_to = excluded.email_to, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                &[&department_id, &wecom_webhook, &email_to, &ctx.at.to_string(), &ctx.actor],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"department": department_id, "wecom": !wecom_webhook.is_empty(),
                "email": !email_to.is_empty()})
            .to_string();
            insert_event(tx, ctx, "reminder_channels.saved", None, None, &detail)?;
            Ok(())
        })
    }

    fn enqueue(&self, ctx: &WriteContext, messages: &[NewMessage]) -> Result<u64> {
        self.write(|tx| {
            let insert = tx
                .prepare(
                    "INSERT INTO outbox (dedupe_key, channel, department_id, title, body, state, attempts, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7::text::timestamptz) ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .map_err(err)?;
            let (now, at) = (ctx.at.as_second(), ctx.at.to_string());
            let mut n = 0;
            for m in messages {
                n += tx
                    .execute(&insert, &[&m.dedupe_key, &m.channel.as_str(), &m.department_id, &m.title, &m.body, &now, &at])
                    .map_err(err)?;
            }
            Ok(n)
        })
    }

    fn claim_due(&self, now: i64, limit: u32) -> Result<Vec<Message>> {
        self.write(|tx| {
            let rows = tx
                .query(
                    &format!(
                        "UPDATE outbox SET state = 'sending' WHERE id IN (
                           SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1
                           ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
                         RETURNING {}",
                        message_columns()
                    ),
                    &[&now, &i64::from(limit)],
                )
                .map_err(err)?;
            let mut out: Vec<Message> = rows.iter().map(message_of).collect::<Result<_>>()?;
            out.sort_by_key(|m| (m.next_attempt_at, m.id));
            Ok(out)
        })
    }

    fn finish_attempt(&self, id: i64, at: Timestamp, attempt: &Attempt) -> Result<()> {
        self.write(|tx| {
            let n = match attempt {
                Attempt::Sent => tx.execute(
                    "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = $2::text::timestamptz, last_error = NULL
                     WHERE id = $1 AND state = 'sending'",
                    &[&id, &at.to_string()],
                ),
                Attempt::Retry { error, at: next } => tx.execute(
                    "UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_attempt_at = $2, last_error = $3
                     WHERE id = $1 AND state = 'sending'",
                    &[&id, next, error],
                ),
                Attempt::GaveUp { error } => tx.execute(
                    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2
                     WHERE id = $1 AND state = 'sending'",
                    &[&id, error],
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
            tx.execute(
                "UPDATE outbox SET state = 'uncertain', last_error = '发送过程中服务停止，未确认是否送达' WHERE state = 'sending'",
                &[],
            )
            .map_err(err)
        })
    }

    fn requeue(&self, ctx: &WriteContext, id: i64, now: i64) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $2
                     WHERE id = $1 AND state IN ('failed', 'uncertain')",
                    &[&id, &now],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict("只有发送失败或未确认送达的消息可以重新发送".into()));
            }
            insert_event(tx, ctx, "outbox.requeued", None, None, &format!("{{\"message\":{id}}}"))?;
            Ok(())
        })
    }

    fn messages(&self, limit: u32) -> Result<Vec<Message>> {
        self.with(|c| {
            c.client
                .query(
                    &format!("SELECT {} FROM outbox ORDER BY id DESC LIMIT $1", message_columns()),
                    &[&i64::from(limit)],
                )
                .map_err(err)?
                .iter()
                .map(message_of)
                .collect()
        })
    }
}
