//! The PostgreSQL backend of credit evaluation ([`xinjiao_store::EvaluationStore`]).

use xinjiao_core::evaluation::engine::CreditEvent;
use xinjiao_core::evaluation::scheme::Points;
use xinjiao_core::lifecycle::objections::{ObjectionAction, ObjectionStatus};
use xinjiao_store::{
    EvaluationStore, EventOutcome, NewCreditEvent, NewRun, PenaltyInput, ResultObjection, Run, StoredResult,
};

use super::audit::insert_event;
use super::records::find_or_create_subject;
use super::*;
use crate::installation::copy_str;
use xinjiao_store::evaluation::penalty_fields;

fn opt_date(s: Option<&str>) -> Result<Option<Date>> {
    s.map(parse_date).transpose()
}

impl EvaluationStore for PgStore {
    fn write_credit_events(&self, ctx: &WriteContext, events: &[NewCreditEvent]) -> Result<Vec<EventOutcome>> {
        self.write(|tx| {
            let day = ctx.china_date().to_string();
            let at = ctx.at.to_string();
            let insert = tx
                .prepare(
                    "INSERT INTO credit_events (scheme, subject_id, item, points, event_date, basis, known_from, created_at, created_by)
                     VALUES ($1, $2, $3, $4, $5::text::date, $6, $7::text::date, $8::text::timestamptz, $9) ON CONFLICT DO NOTHING",
                )
                .map_err(err)?;
            let mut out = Vec::with_capacity(events.len());
            for e in events {
                let subject_id = find_or_create_subject(tx, ctx, &e.subject)?;
                let inserted = tx
                    .execute(
                        &insert,
                        &[&e.scheme, &subject_id, &e.item, &e.points, &e.date.to_string(), &e.basis, &day, &at, &ctx.actor],
                    )
                    .map_err(err)?;
                if inserted == 1 {
                    let detail = serde_json::json!({"scheme": e.scheme, "item": e.item, "basis": e.basis}).to_string();
                    insert_event(tx, ctx, "credit_event.created", Some(subject_id), None, &detail)?;
                    out.push(EventOutcome::Created { subject_id });
                } else {
                    out.push(EventOutcome::Unchanged { subject_id });
                }
            }
            Ok(out)
        })
    }

    fn credit_events_in(&self, scheme: &str, subjects: std::ops::Range<i64>) -> Result<Vec<(i64, CreditEvent)>> {
        self.rows(
            "SELECT subject_id, basis, item, points, event_date::text, known_from::text, void_from::text FROM credit_events
             WHERE scheme = $1 AND subject_id >= $2 AND subject_id < $3
             ORDER BY subject_id, credit_events.event_date, id",
            &[&scheme, &subjects.start, &subjects.end],
            |r| {
                Ok((
                    r.get(0),
                    CreditEvent {
                        source: r.get(1),
                        item: r.get(2),
                        points: r.get::<_, Option<i64>>(3).map(Points),
                        date: parse_date(r.get(4))?,
                        known_from: parse_date(r.get(5))?,
                        void_from: opt_date(r.get(6))?,
                        penalty_until: None,
                        record_id: None,
                    },
                ))
            },
        )
    }

    fn penalty_inputs_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<PenaltyInput>> {
        self.rows(
            "SELECT r.subject_id, s.kind, r.decision_no, r.decision_date::text, r.published_on::text,
                    least(r.withdrawn_on, r.repaired_on)::text, r.id, v.fields
             FROM records r JOIN subjects s ON s.id = r.subject_id
             JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
             WHERE r.subject_id >= $1 AND r.subject_id < $2 AND r.kind = 'penalty' AND r.published_on IS NOT NULL
             ORDER BY r.subject_id, r.id",
            &[&subjects.start, &subjects.end],
            |r| {
                let fields =
                    penalty_fields(r.get(7)).ok_or_else(|| bad("record_versions.fields is not an object of texts"))?;
                Ok(PenaltyInput {
                    record_id: r.get(6),
                    subject_id: r.get(0),
                    person: r.get::<_, &str>(1) == SubjectKind::NaturalPerson.as_str(),
                    decision_no: r.get(2),
                    decision_date: parse_date(r.get(3))?,
                    published_on: opt_date(r.get(4))?,
                    void_from: opt_date(r.get(5))?,
                    fields,
                })
            },
        )
    }

    fn store_evaluation_run(
        &self,
        ctx: &WriteContext,
        run: &NewRun,
        next: &mut dyn FnMut(i64) -> Result<Option<Vec<StoredResult>>>,
    ) -> Result<(i64, u64)> {
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO evaluation_runs (scheme, cycle_year, as_of, version, final_from, created_at, created_by)
                     VALUES ($1, $2, $3::text::date, $4, $5::text::date, $6::text::timestamptz, $7) RETURNING id",
                    &[
                        &run.scheme,
                        &i64::from(run.cycle_year),
                        &run.as_of.to_string(),
                        &run.version,
                        &run.final_from.to_string(),
                        &ctx.at.to_string(),
                        &ctx.actor,
                    ],
                )
                .map_err(err)?
                .get(0);
            // Each batch in one COPY (one round trip, not one per result).
            let mut stored = 0u64;
            let mut buf = Vec::new();
            while let Some(results) = next(id)? {
                if results.is_empty() {
                    continue;
                }
                buf.clear();
                for r in &results {
                    use std::io::Write as _;
                    let _ = write!(buf, "{id}\t{}\t{}\t{}\t", r.subject_id, r.score, r.demerits);
                    for (i, t) in [&r.grade, &r.explanation, &r.fingerprint].into_iter().enumerate() {
                        if i > 0 {
                            buf.push(b'\t');
                        }
                        copy_str(&mut buf, t);
                    }
                    buf.push(b'\n');
                }
                let mut w = tx
                    .copy_in(
                        "COPY evaluations (run_id, subject_id, score, demerits, grade, explanation, fingerprint) FROM STDIN",
                    )
                    .map_err(err)?;
                std::io::Write::write_all(&mut w, &buf).map_err(|e| bad(format!("COPY evaluations: {e}")))?;
                w.finish().map_err(err)?;
                stored += results.len() as u64;
            }
            let detail = serde_json::json!({"run_id": id, "scheme": run.scheme, "cycle": run.cycle_year,
                "as_of": run.as_of.to_string(), "subjects": stored})
            .to_string();
            insert_event(tx, ctx, "evaluation.run", None, None, &detail)?;
            Ok((id, stored))
        })
    }

    fn evaluation_runs(&self, scheme: &str) -> Result<Vec<Run>> {
        self.rows(
            "SELECT id, scheme, cycle_year, as_of::text, version, final_from::text,
                    (extract(epoch from created_at) * 1000000)::bigint, created_by
             FROM evaluation_runs WHERE scheme = $1 ORDER BY id DESC",
            &[&scheme],
            run_of,
        )
    }

    fn grade_counts(&self, run_id: i64) -> Result<BTreeMap<String, u64>> {
        let rows =
            self.rows("SELECT grade, count(*) FROM evaluations WHERE run_id = $1 GROUP BY grade", &[&run_id], |r| {
                Ok((r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            })?;
        Ok(rows.into_iter().collect())
    }

    fn max_subject_id(&self) -> Result<i64> {
        Ok(self.rows("SELECT coalesce(max(id), 0) FROM subjects", &[], |r| Ok(r.get::<_, i64>(0)))?.pop().unwrap_or(0))
    }

    fn evaluation_results_in(&self, run_id: i64, subjects: std::ops::Range<i64>) -> Result<Vec<StoredResult>> {
        self.rows(
            "SELECT e.subject_id, s.public_key, e.score, e.demerits, e.grade, e.explanation, e.fingerprint
             FROM evaluations e JOIN subjects s ON s.id = e.subject_id
             WHERE e.run_id = $1 AND e.subject_id >= $2 AND e.subject_id < $3 ORDER BY e.subject_id",
            &[&run_id, &subjects.start, &subjects.end],
            result_of,
        )
    }

    fn evaluation_results(&self, run_id: i64) -> Result<Vec<StoredResult>> {
        self.rows(
            "SELECT e.subject_id, s.public_key, e.score, e.demerits, e.grade, e.explanation, e.fingerprint
             FROM evaluations e JOIN subjects s ON s.id = e.subject_id WHERE e.run_id = $1 ORDER BY s.public_key",
            &[&run_id],
            result_of,
        )
    }

    fn subject_evaluations(&self, subject_id: i64) -> Result<Vec<(Run, StoredResult)>> {
        self.rows(
            "SELECT r.id, r.scheme, r.cycle_year, r.as_of::text, r.version, r.final_from::text,
                    (extract(epoch from r.created_at) * 1000000)::bigint, r.created_by,
                    e.subject_id, s.public_key, e.score, e.demerits, e.grade, e.explanation, e.fingerprint
             FROM evaluations e JOIN evaluation_runs r ON r.id = e.run_id JOIN subjects s ON s.id = e.subject_id
             WHERE e.subject_id = $1 ORDER BY r.id DESC",
            &[&subject_id],
            |r| {
                Ok((
                    run_of(r)?,
                    StoredResult {
                        subject_id: r.get(8),
                        subject_key: r.get(9),
                        score: r.get(10),
                        demerits: r.get(11),
                        grade: r.get(12),
                        explanation: r.get(13),
                        fingerprint: r.get(14),
                    },
                ))
            },
        )
    }

    fn file_result_objection(&self, ctx: &WriteContext, run_id: i64, subject_id: i64, reasons: &str) -> Result<i64> {
        self.write(|tx| {
            let Some(row) = tx
                .query_opt(
                    "SELECT r.final_from::text FROM evaluations e JOIN evaluation_runs r ON r.id = e.run_id
                     WHERE e.run_id = $1 AND e.subject_id = $2",
                    &[&run_id, &subject_id],
                )
                .map_err(err)?
            else {
                return Err(StoreError::NotFound);
            };
            let final_from: String = row.get(0);
            if ctx.china_date().to_string() >= final_from {
                return Err(StoreError::Conflict(format!("初评公示期已于 {final_from} 前结束，结果已为正式结果")));
            }
            let open: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM result_objections WHERE run_id = $1 AND subject_id = $2 AND status IN ('filed', 'acknowledged'))",
                    &[&run_id, &subject_id],
                )
                .map_err(err)?
                .get(0);
            if open {
                return Err(StoreError::Conflict("对该评价结果已有正在处理的异议".into()));
            }
            let id: i64 = tx
                .query_one(
                    "INSERT INTO result_objections (run_id, subject_id, reasons, status, filed_at)
                     VALUES ($1, $2, $3, 'filed', $4::text::timestamptz) RETURNING id",
                    &[&run_id, &subject_id, &reasons, &ctx.at.to_string()],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({"run_id": run_id, "reason": reasons}).to_string();
            insert_event(tx, ctx, "result_objection.filed", Some(subject_id), None, &detail)?;
            Ok(id)
        })
    }

    fn result_objections(&self, subject_id: Option<i64>, open_only: bool) -> Result<Vec<ResultObjection>> {
        self.rows(
            "SELECT o.id, o.run_id, r.scheme, r.cycle_year, o.subject_id, s.public_key, s.name, o.reasons, o.status,
                    o.extended, (extract(epoch from o.filed_at) * 1000000)::bigint, o.decision_reason
             FROM result_objections o JOIN evaluation_runs r ON r.id = o.run_id JOIN subjects s ON s.id = o.subject_id
             WHERE ($1::bigint IS NULL OR o.subject_id = $1) AND (NOT $2 OR o.status IN ('filed', 'acknowledged'))
             ORDER BY o.id DESC",
            &[&subject_id, &open_only],
            |r| {
                Ok(ResultObjection {
                    id: r.get(0),
                    run_id: r.get(1),
                    scheme: r.get(2),
                    cycle_year: i16::try_from(r.get::<_, i64>(3)).map_err(|e| bad(e.to_string()))?,
                    subject_id: r.get(4),
                    subject_key: r.get(5),
                    subject_name: r.get(6),
                    reasons: r.get(7),
                    status: ObjectionStatus::parse(r.get(8)).unwrap_or(ObjectionStatus::Filed),
                    extended: r.get::<_, i64>(9) != 0,
                    filed_at: ts_micros(r.get(10))?,
                    decision_reason: r.get(11),
                })
            },
        )
    }

    fn act_on_result_objection(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: &ObjectionAction,
    ) -> Result<ObjectionStatus> {
        self.write(|tx| {
            let Some(row) = tx
                .query_opt("SELECT status, extended, subject_id FROM result_objections WHERE id = $1 FOR UPDATE", &[&id])
                .map_err(err)?
            else {
                return Err(StoreError::NotFound);
            };
            let (status, extended, subject_id): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
            let from = ObjectionStatus::parse(&status).unwrap_or(ObjectionStatus::Filed);
            let to = action.apply(from, extended != 0).map_err(|m| StoreError::Conflict(m.into()))?;
            let at = ctx.at.to_string();
            let (event, reason) = match action {
                ObjectionAction::Acknowledge => {
                    tx.execute(
                        "UPDATE result_objections SET status = $2, acknowledged_at = $3::text::timestamptz WHERE id = $1",
                        &[&id, &to.as_str(), &at],
                    )
                    .map_err(err)?;
                    ("result_objection.acknowledged", None)
                }
                ObjectionAction::Extend(why) => {
                    tx.execute("UPDATE result_objections SET extended = 1 WHERE id = $1", &[&id]).map_err(err)?;
                    ("result_objection.extended", Some(why))
                }
                ObjectionAction::Uphold(why) | ObjectionAction::Reject(why) => {
                    tx.execute(
                        "UPDATE result_objections SET status = $2, decided_at = $3::text::timestamptz, decision_reason = $4, decided_by = $5 WHERE id = $1",
                        &[&id, &to.as_str(), &at, why, &ctx.actor],
                    )
                    .map_err(err)?;
                    (if to == ObjectionStatus::Upheld { "result_objection.upheld" } else { "result_objection.rejected" }, Some(why))
                }
            };
            let detail = serde_json::json!({"objection_id": id, "reason": reason}).to_string();
            insert_event(tx, ctx, event, Some(subject_id), None, &detail)?;
            Ok(to)
        })
    }

    fn subject_keys(&self, ids: &[i64]) -> Result<BTreeMap<i64, String>> {
        let rows = self.rows("SELECT id, public_key FROM subjects WHERE id = ANY($1)", &[&ids], |r| {
            Ok((r.get::<_, i64>(0), r.get::<_, String>(1)))
        })?;
        Ok(rows.into_iter().collect())
    }
}

/// A run from the first eight columns of a row (id, scheme, cycle_year,
/// as_of, version, final_from, created_at in microseconds, created_by).
fn run_of(r: &Row) -> Result<Run> {
    Ok(Run {
        id: r.get(0),
        scheme: r.get(1),
        cycle_year: i16::try_from(r.get::<_, i64>(2)).map_err(|e| bad(e.to_string()))?,
        as_of: parse_date(r.get(3))?,
        version: r.get(4),
        final_from: parse_date(r.get(5))?,
        created_at: ts_micros(r.get(6))?,
        created_by: r.get(7),
    })
}

/// A result from the seven columns subject_id, public_key, score, demerits,
/// grade, explanation, fingerprint.
fn result_of(r: &Row) -> Result<StoredResult> {
    Ok(StoredResult {
        subject_id: r.get(0),
        subject_key: r.get(1),
        score: r.get(2),
        demerits: r.get(3),
        grade: r.get(4),
        explanation: r.get(5),
        fingerprint: r.get(6),
    })
}
