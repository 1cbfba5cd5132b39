//! The SQLite backend of the transparency log ([`xinjiao_store::LogStore`]).
//! The only module whose SQL writes `log_entries`, `log_hashes` and
//! `log_checkpoints`; the records and lifecycle modules append through
//! [`LogWriter`] in their own transactions.

use xinjiao_core::transparency::entry::LogEvent;
use xinjiao_core::transparency::tree::{Appender, Hash, frontier_keys};
use xinjiao_store::transparency::{BuiltLeaf, MAX_READ, PendingLeaf, build_leaf};
use xinjiao_store::transparency::{Peer, PeerAudit};
use xinjiao_store::{LogLeaf, LogStore, NewLeaf, NewReport, StoredCheckpoint, StoredReport};

use super::audit::insert_event;
use super::*;

/// Appends leaves within one transaction: the tree's frontier, read once.
/// SQLite has one writer, so the frontier stays true until the commit.
pub(crate) struct LogWriter {
    ap: Appender,
}

fn hash_of(b: Vec<u8>) -> rusqlite::Result<Hash> {
    b.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(0, "hash".into(), rusqlite::types::Type::Blob))
}

impl LogWriter {
    pub(crate) fn open(tx: &Connection) -> rusqlite::Result<LogWriter> {
        let size: i64 = tx.query_row("SELECT coalesce(max(idx) + 1, 0) FROM log_entries", [], |r| r.get(0))?;
        let size = size as u64;
        let mut get = tx.prepare_cached("SELECT hash FROM log_hashes WHERE level = ?1 AND idx = ?2")?;
        let frontier = frontier_keys(size)
            .into_iter()
            .map(|(k, i)| get.query_row(params![k, i as i64], |r| hash_of(r.get(0)?)))
            .collect::<rusqlite::Result<Vec<Hash>>>()?;
        let ap = Appender::new(size, &frontier).map_err(|_| rusqlite::Error::InvalidQuery)?;
        Ok(LogWriter { ap })
    }

    /// Appends one leaf; returns its index.
    pub(crate) fn append(&mut self, tx: &Connection, l: &PendingLeaf) -> rusqlite::Result<u64> {
        let BuiltLeaf { entry, salt, hash } = build_leaf(l.at, l.event, &l.object, &l.content);
        let index = self.ap.size();
        tx.prepare_cached(
            "INSERT INTO log_entries (idx, at, event, object, record_id, entry, salt, content)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            index as i64,
            l.at.to_string(),
            l.event.as_str(),
            l.object,
            l.record_id,
            entry,
            &salt[..],
            l.content
        ])?;
        let mut put = tx.prepare_cached("INSERT INTO log_hashes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
        for (k, i, h) in self.ap.push(hash) {
            put.execute(params![k, i as i64, &h[..]])?;
        }
        Ok(index)
    }

    /// Logs record `id`'s version in force, read from the database.
    pub(crate) fn record_in_force(
        &mut self,
        tx: &Connection,
        at: Timestamp,
        event: LogEvent,
        id: i64,
    ) -> rusqlite::Result<u64> {
        let (k, version, fields): (String, i64, String) = tx.query_row(
            "SELECT r.kind, r.version, v.fields FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version
             WHERE r.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let fields: BTreeMap<String, String> = serde_json::from_str(&fields).unwrap_or_default();
        self.append(tx, &PendingLeaf::record_version(at, event, kind(k)?, id, version, &fields))
    }

    /// Logs the early end of record `id`'s publication (withdrawn, repaired).
    pub(crate) fn record_ending(
        &mut self,
        tx: &Connection,
        at: Timestamp,
        event: LogEvent,
        id: i64,
        on: Date,
        reason: &str,
    ) -> rusqlite::Result<u64> {
        let version: i64 = tx.query_row("SELECT version FROM records WHERE id = ?1", [id], |r| r.get(0))?;
        self.append(tx, &PendingLeaf::record_ending(at, event, id, version, on, reason))
    }
}

const LEAF_COLS: &str = "idx, at, event, object, record_id, entry, salt, content";

fn leaf_row(r: &Row<'_>) -> rusqlite::Result<LogLeaf> {
    Ok(LogLeaf {
        index: r.get::<_, i64>(0)? as u64,
        at: ts(r.get(1)?)?,
        event: r.get(2)?,
        object: r.get(3)?,
        record_id: r.get(4)?,
        entry: r.get(5)?,
        salt: r.get(6)?,
        content: r.get(7)?,
    })
}

fn checkpoint_row(r: &Row<'_>) -> rusqlite::Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: r.get::<_, i64>(0)? as u64,
        root: hash_of(r.get(1)?)?,
        note: r.get(2)?,
        at: ts(r.get(3)?)?,
    })
}

const REPORT_COLS: &str = "number, subject_key, subject_name, edition, as_of, issued_at, issued_by, sha256, data_version, leaf_index, pages, bytes, digests";

fn report_row(r: &Row<'_>) -> rusqlite::Result<StoredReport> {
    Ok(StoredReport {
        number: r.get(0)?,
        subject_key: r.get(1)?,
        subject_name: r.get(2)?,
        edition: r.get(3)?,
        as_of: date(r.get(4)?)?,
        issued_at: ts(r.get(5)?)?,
        issued_by: r.get(6)?,
        sha256: hash_of(r.get(7)?)?,
        data_version: r.get(8)?,
        leaf_index: r.get::<_, i64>(9)? as u64,
        pages: r.get(10)?,
        bytes: r.get::<_, i64>(11)? as u64,
        digests: r.get(12)?,
    })
}

impl LogStore for SqliteStore {
    fn log_size(&self) -> Result<u64> {
        self.read(|c| c.query_row("SELECT coalesce(max(idx) + 1, 0) FROM log_entries", [], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
    }

    fn log_leaves(&self, start: u64, end: u64) -> Result<Vec<LogLeaf>> {
        let end = end.min(start.saturating_add(MAX_READ));
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {LEAF_COLS} FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx"))?
                .query_map(params![start as i64, end as i64], leaf_row)?
                .collect()
        })
    }

    fn record_leaves(&self, record_id: i64) -> Result<Vec<LogLeaf>> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {LEAF_COLS} FROM log_entries WHERE record_id = ?1 ORDER BY idx"))?
                .query_map([record_id], leaf_row)?
                .collect()
        })
    }

    fn object_leaf(&self, object: &str) -> Result<Option<LogLeaf>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {LEAF_COLS} FROM log_entries WHERE object = ?1 ORDER BY idx DESC LIMIT 1"
            ))?
            .query_row([object], leaf_row)
            .optional()
        })
    }

    fn log_level(&self, level: u32, start: u64, end: u64) -> Result<Vec<Hash>> {
        let end = end.min(start.saturating_add(MAX_READ));
        self.read(|c| {
            c.prepare_cached("SELECT hash FROM log_hashes WHERE level = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx")?
                .query_map(params![level, start as i64, end as i64], |r| hash_of(r.get(0)?))?
                .collect()
        })
    }

    fn log_hashes(&self, keys: &[(u32, u64)]) -> Result<Vec<Hash>> {
        self.read(|c| {
            let mut get = c.prepare_cached("SELECT hash FROM log_hashes WHERE level = ?1 AND idx = ?2")?;
            keys.iter().map(|(k, i)| get.query_row(params![k, *i as i64], |r| hash_of(r.get(0)?))).collect()
        })
    }

    fn append_leaf(&self, ctx: &WriteContext, leaf: &NewLeaf) -> Result<u64> {
        self.write(|tx| {
            let mut w = LogWriter::open(tx).map_err(err)?;
            let pending = leaf.pending(ctx.at);
            let index = w.append(tx, &pending).map_err(err)?;
            let detail = serde_json::json!({"event": leaf.event.as_str(), "object": leaf.object, "leaf_index": index});
            insert_event(tx, ctx, "log.appended", None, None, &detail.to_string()).map_err(err)?;
            Ok(index)
        })
    }

    fn append_leaves_once(&self, ctx: &WriteContext, leaves: &[NewLeaf]) -> Result<bool> {
        let Some(first) = leaves.first() else { return Ok(false) };
        self.write(|tx| {
            let there: Option<i64> = tx
                .query_row("SELECT idx FROM log_entries WHERE object = ?1 LIMIT 1", [&first.object], |r| r.get(0))
                .optional()
                .map_err(err)?;
            if there.is_some() {
                return Ok(false);
            }
            let mut w = LogWriter::open(tx).map_err(err)?;
            let mut from = None;
            for leaf in leaves {
                let pending = leaf.pending(ctx.at);
                let i = w.append(tx, &pending).map_err(err)?;
                from.get_or_insert(i);
            }
            let detail = serde_json::json!({"event": first.event.as_str(), "first": first.object,
                "leaf_index": from, "leaves": leaves.len()});
            insert_event(tx, ctx, "log.appended", None, None, &detail.to_string()).map_err(err)?;
            Ok(true)
        })
    }

    fn add_checkpoint(&self, size: u64, root: &Hash, note: &str, at: Timestamp) -> Result<bool> {
        let expected = xinjiao_store::transparency::log_root(self, size)?;
        if &expected != root {
            return Err(StoreError::Conflict(format!("checkpoint root of size {size} is not the log's")));
        }
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO log_checkpoints (size, root, note, at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (size) DO NOTHING",
                    params![size as i64, &root[..], note, at.to_string()],
                )
                .map_err(err)?;
            Ok(n == 1)
        })
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        self.read(|c| {
            c.prepare_cached("SELECT size, root, note, at FROM log_checkpoints ORDER BY size DESC LIMIT 1")?
                .query_row([], checkpoint_row)
                .optional()
        })
    }

    fn checkpoint_of_size(&self, size: u64) -> Result<Option<StoredCheckpoint>> {
        self.read(|c| {
            c.prepare_cached("SELECT size, root, note, at FROM log_checkpoints WHERE size = ?1")?
                .query_row([size as i64], checkpoint_row)
                .optional()
        })
    }

    fn checkpoints(&self, limit: u32) -> Result<Vec<StoredCheckpoint>> {
        self.read(|c| {
            c.prepare_cached("SELECT size, root, note, at FROM log_checkpoints ORDER BY size DESC LIMIT ?1")?
                .query_map([limit], checkpoint_row)?
                .collect()
        })
    }

    fn issue_report(&self, ctx: &WriteContext, report: &NewReport) -> Result<StoredReport> {
        let number = report.number.clone();
        self.write(|tx| {
            let mut w = LogWriter::open(tx).map_err(err)?;
            let index = w.append(tx, &report.leaf(ctx.at)).map_err(err)?;
            let n = tx
                .execute(
                    "INSERT INTO reports (number, subject_key, subject_name, edition, as_of, issued_at, issued_by, sha256,
                     data_version, leaf_index, pages, bytes, digests)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                     ON CONFLICT DO NOTHING",
                    params![
                        report.number,
                        report.subject_key,
                        report.subject_name,
                        report.edition,
                        report.as_of.to_string(),
                        ctx.at.to_string(),
                        ctx.actor,
                        &report.sha256[..],
                        report.data_version,
                        index as i64,
                        report.pages,
                        report.bytes as i64,
                        report.digests
                    ],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("report {} or its hash exists", report.number)));
            }
            let detail = serde_json::json!({"number": report.number, "edition": report.edition, "leaf_index": index});
            insert_event(tx, ctx, "report.issued", None, None, &detail.to_string()).map_err(err)?;
            Ok(())
        })?;
        self.report(&number)?.ok_or(StoreError::NotFound)
    }

    fn report(&self, number: &str) -> Result<Option<StoredReport>> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {REPORT_COLS} FROM reports WHERE number = ?1"))?
                .query_row([number], report_row)
                .optional()
        })
    }

    fn report_by_sha256(&self, sha256: &Hash) -> Result<Option<StoredReport>> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {REPORT_COLS} FROM reports WHERE sha256 = ?1"))?
                .query_row([&sha256[..]], report_row)
                .optional()
        })
    }

    fn subject_reports(&self, subject_key: &str, limit: u32) -> Result<Vec<StoredReport>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {REPORT_COLS} FROM reports WHERE subject_key = ?1 ORDER BY issued_at DESC, leaf_index DESC LIMIT ?2"
            ))?
            .query_map(params![subject_key, limit], report_row)?
            .collect()
        })
    }

    fn add_peer(&self, ctx: &WriteContext, url: &str, name: &str, vkey: &str) -> Result<i64> {
        self.write(|tx| {
            let there: Option<i64> =
                tx.query_row("SELECT id FROM log_peers WHERE url = ?1", [url], |r| r.get(0)).optional().map_err(err)?;
            if there.is_some() {
                return Err(StoreError::Conflict(format!("已在监测 {url}")));
            }
            tx.execute(
                "INSERT INTO log_peers (url, name, vkey, added_by, added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![url, name, vkey, ctx.actor, ctx.at.to_string()],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"peer": id, "url": url, "name": name, "vkey": vkey}).to_string();
            insert_event(tx, ctx, "log_peer.added", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn peers(&self) -> Result<Vec<Peer>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id, url, name, vkey, state, status, code, message, size, checked_at, added_by, added_at
                 FROM log_peers ORDER BY name, id",
            )?
            .query_map([], |r| {
                Ok(Peer {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    name: r.get(2)?,
                    vkey: r.get(3)?,
                    state: r.get(4)?,
                    status: r.get(5)?,
                    code: r.get(6)?,
                    message: r.get(7)?,
                    size: r.get::<_, Option<i64>>(8)?.map(|n| n as u64),
                    checked_at: r.get::<_, Option<String>>(9)?.map(ts).transpose()?,
                    added_by: r.get(10)?,
                    added_at: ts(r.get(11)?)?,
                })
            })?
            .collect()
        })
    }

    fn record_peer_audit(&self, ctx: &WriteContext, id: i64, a: &PeerAudit) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE log_peers SET status = ?2, code = ?3, message = ?4, checked_at = ?5,
                       state = coalesce(?6, state), size = coalesce(?7, size), vkey = coalesce(?8, vkey)
                     WHERE id = ?1",
                    params![
                        id,
                        a.status,
                        a.code,
                        a.message,
                        ctx.at.to_string(),
                        a.state,
                        a.size.map(|n| n as i64),
                        a.vkey
                    ],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if a.status == "finding" {
                let detail = serde_json::json!({"peer": id, "code": a.code, "message": a.message}).to_string();
                insert_event(tx, ctx, "log_peer.finding", None, None, &detail).map_err(err)?;
            }
            Ok(())
        })
    }
}

/// What tests do behind the platform's back, to prove that it finds it
/// (feature `testing`, never in a normal build).
/// Replaces `from` with `to` in the entry of leaf `idx`, dropping the
/// append-only trigger first, as someone with write access to the file could.
#[cfg(feature = "testing")]
pub fn rewrite_log_entry(db: &std::path::Path, idx: u64, from: &str, to: &str) {
    let c = rusqlite::Connection::open(db).expect("the database file");
    c.execute_batch("DROP TRIGGER log_entries_no_update").expect("the trigger");
    let n = c
        .execute(
            "UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), ?1, ?2) AS BLOB) WHERE idx = ?3",
            rusqlite::params![from, to, idx as i64],
        )
        .expect("the update");
    assert_eq!(n, 1, "leaf {idx} rewritten");
}
