//! The SQLite backend of the event log ([`xinjiao_store::AuditStore`]).

use super::*;

pub(crate) fn insert_event(
    tx: &Connection,
    ctx: &WriteContext,
    action: &str,
    subject_id: Option<i64>,
    record_id: Option<i64>,
    detail: &str,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce((SELECT authority_code FROM records WHERE id = ?5), ''))",
    )?
    .execute(params![ctx.at.to_string(), ctx.actor, action, subject_id, record_id, ctx.reason, detail])?;
    Ok(tx.last_insert_rowid())
}

/// Appends an event about a record whose authority is known (the hot path of
/// imports: no look-up of the authority).
pub(crate) fn insert_record_event(
    tx: &Connection,
    ctx: &WriteContext,
    action: &str,
    subject_id: i64,
    record_id: i64,
    authority_code: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ctx.at.to_string(),
        ctx.actor,
        action,
        subject_id,
        record_id,
        ctx.reason,
        detail,
        authority_code
    ])?;
    Ok(())
}

pub(crate) fn event_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        at: ts(r.get(1)?)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject_id: r.get(4)?,
        record_id: r.get(5)?,
        reason: r.get(6)?,
        detail: r.get(7)?,
    })
}

/// Appends the `record.created` event of a batch's new records of `authority`
/// (they point at it through `records.created_event`); returns its id.
pub(crate) fn insert_created_event(tx: &Connection, ctx: &WriteContext, authority: &str) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO events (at, actor, action, subject_id, record_id, reason, detail, authority_code)
         VALUES (?1, ?2, 'record.created', NULL, NULL, ?3, ?4, ?5)",
    )?
    .execute(params![ctx.at.to_string(), ctx.actor, ctx.reason, r#"{"version":1}"#, authority])?;
    Ok(tx.last_insert_rowid())
}

impl AuditStore for SqliteStore {
    fn append_event(
        &self,
        ctx: &WriteContext,
        action: &str,
        subject_id: Option<i64>,
        record_id: Option<i64>,
        detail: &str,
    ) -> Result<i64> {
        self.write(|tx| insert_event(tx, ctx, action, subject_id, record_id, detail).map_err(err))
    }

    fn events(&self, limit: u32) -> Result<Vec<Event>> {
        self.read(|c| {
            c.prepare("SELECT id, at, actor, action, subject_id, record_id, reason, detail FROM events ORDER BY id DESC LIMIT ?1")?
                .query_map([limit], event_row)?
                .collect()
        })
    }

    fn data_version(&self) -> Result<i64> {
        self.read(|c| c.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0)))
    }
}
