//! The PostgreSQL backend of the event log ([`xinjiao_store::AuditStore`]).

use super::records::Prepared;
use super::*;

pub(crate) const EVENT_COLS: &str =
    "id, (extract(epoch from at) * 1000000)::bigint, actor, action, subject_id, record_id, reason, detail";

pub(crate) fn event_row(r: &Row) -> Result<Event> {
    Ok(Event {
        id: r.get(0),
        at: ts_micros(r.get(1))?,
        actor: r.get(2),
        action: r.get(3),
        subject_id: r.get(4),
        record_id: r.get(5),
        reason: r.get(6),
        detail: r.get(7),
    })
}

pub(crate) fn insert_event(
    c: &mut impl GenericClient,
    ctx: &WriteContext,
    action: &str,
    subject_id: Option<i64>,
    record_id: Option<i64>,
    detail: &str,
) -> Result<i64> {
    let row = c
        .query_one(
            "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
             VALUES ($1::text::timestamptz, $2, $3, $4, $5, $6, $7, coalesce((SELECT authority_code FROM records WHERE id = $5), ''))
             RETURNING id",
            &[&ctx.at.to_string(), &ctx.actor, &action, &subject_id, &record_id, &ctx.reason, &detail],
        )
        .map_err(err)?;
    Ok(row.get(0))
}

pub(crate) fn event(
    tx: &mut Transaction<'_>,
    p: &Prepared,
    ctx: &WriteContext,
    action: &str,
    subject: Option<i64>,
    record: Option<i64>,
    detail: &str,
) -> Result<()> {
    let at = ctx.at.to_string();
    tx.execute(&p.insert_event, &[&at, &ctx.actor, &action, &subject, &record, &ctx.reason, &detail]).map_err(err)?;
    Ok(())
}

/// `subject.created` events, one per subject, each with its own detail.
pub(crate) fn subject_created_events(
    tx: &mut Transaction<'_>,
    ctx: &WriteContext,
    ids: &[i64],
    details: &[String],
) -> Result<()> {
    tx.execute(
        "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
         SELECT $3::text::timestamptz, $4, 'subject.created', s, NULL, $5, d, ''
         FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS t(s, d, n) ORDER BY n",
        &[&ids, &details, &ctx.at.to_string(), &ctx.actor, &ctx.reason],
    )
    .map_err(err)?;
    Ok(())
}

/// An event about a record or subject; the record's authority code is looked
/// up from the record (`''` for events about no record). A prepared statement
/// of the bulk write path.
pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
     VALUES ($1::text::timestamptz, $2, $3, $4, $5, $6, $7, coalesce((SELECT authority_code FROM records WHERE id = $5), ''))";

/// The `record.created` events of a batch, one per authority code (`$1`, in
/// order), returning each event's id and authority code.
pub(crate) const INSERT_CREATED_EVENTS: &str =
    "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
     SELECT $2::text::timestamptz, $3, 'record.created', NULL, NULL, $4, '{\"version\":1}', a
     FROM unnest($1::text[]) WITH ORDINALITY AS t(a, n) ORDER BY n
     RETURNING id, authority_code";

impl AuditStore for PgStore {
    fn append_event(
        &self,
        ctx: &WriteContext,
        action: &str,
        subject_id: Option<i64>,
        record_id: Option<i64>,
        detail: &str,
    ) -> Result<i64> {
        self.write(|tx| insert_event(tx, ctx, action, subject_id, record_id, detail))
    }

    fn events(&self, limit: u32) -> Result<Vec<Event>> {
        self.rows(
            &format!("SELECT {EVENT_COLS} FROM events ORDER BY id DESC LIMIT $1"),
            &[&i64::from(limit)],
            event_row,
        )
    }

    fn data_version(&self) -> Result<i64> {
        self.with(|c| Ok(c.query_one("SELECT coalesce(max(id), 0)::bigint FROM events", &[]).map_err(err)?.get(0)))
    }
}
