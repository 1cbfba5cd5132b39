//! The SQLite backend of the event log ([`xinjiao_store::AuditStore`]).

use super::*;

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
