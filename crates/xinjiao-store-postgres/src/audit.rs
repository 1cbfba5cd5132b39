//! The PostgreSQL backend of the event log ([`xinjiao_store::AuditStore`]).

use super::*;

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
