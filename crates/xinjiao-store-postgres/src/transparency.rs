//! The PostgreSQL backend of the transparency log ([`xinjiao_store::LogStore`]).
//! The only module whose SQL writes `log_entries`, `log_hashes` and
//! `log_checkpoints`; the records and lifecycle modules append through
//! [`LogWriter`] in their own transactions. Appends are serialised across
//! connections and processes by a transaction-level advisory lock taken
//! before the frontier is read, so the frontier stays true until the commit.

use xinjiao_core::transparency::entry::LogEvent;
use xinjiao_core::transparency::tree::{Appender, Hash, frontier_keys};
use xinjiao_store::transparency::{BuiltLeaf, MAX_READ, PendingLeaf as Pending, build_leaf};
use xinjiao_store::transparency::{Peer, PeerAudit};
use xinjiao_store::{LogLeaf, LogStore, NewLeaf, NewReport, StoredCheckpoint, StoredReport};

use super::*;

/// The advisory lock key of log appends ("XJLOG").
const LOG_LOCK: i64 = 0x58_4a4c_4f47;

/// Appends leaves within one transaction: the tree's frontier, read once
/// under the advisory lock.
pub(crate) struct LogWriter {
    ap: Appender,
}

fn hash_of(b: Vec<u8>) -> Result<Hash> {
    b.try_into().map_err(|_| bad("a log hash is not 32 bytes"))
}

impl LogWriter {
    pub(crate) fn open(tx: &mut Transaction<'_>) -> Result<LogWriter> {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK]).map_err(err)?;
        let size: i64 = tx.query_one("SELECT coalesce(max(idx) + 1, 0) FROM log_entries", &[]).map_err(err)?.get(0);
        let keys = frontier_keys(size as u64);
        let (levels, idxs): (Vec<i64>, Vec<i64>) = keys.iter().map(|(k, i)| (i64::from(*k), *i as i64)).unzip();
        let rows = tx
            .query(
                "SELECT h.hash FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(level, idx, n)
                 JOIN log_hashes h ON h.level = k.level AND h.idx = k.idx ORDER BY k.n",
                &[&levels, &idxs],
            )
            .map_err(err)?;
        let frontier = rows.into_iter().map(|r| hash_of(r.get(0))).collect::<Result<Vec<Hash>>>()?;
        let ap = Appender::new(size as u64, &frontier).map_err(|_| bad("the log's frontier is incomplete"))?;
        Ok(LogWriter { ap })
    }

    /// Appends leaves in order; returns the first one's index.
    pub(crate) fn append(&mut self, tx: &mut Transaction<'_>, leaves: &[Pending]) -> Result<u64> {
        let first = self.ap.size();
        let n = leaves.len();
        let (mut idx, mut at, mut event, mut object, mut record, mut entry, mut salt, mut content) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut h_level, mut h_idx, mut h_hash) = (Vec::new(), Vec::new(), Vec::new());
        for l in leaves {
            let BuiltLeaf { entry: e, salt: s, hash } = build_leaf(l.at, l.event, &l.object, &l.content);
            idx.push(self.ap.size() as i64);
            at.push(l.at.to_string());
            event.push(l.event.as_str());
            object.push(l.object.as_str());
            record.push(l.record_id);
            entry.push(e);
            salt.push(s.to_vec());
            content.push(l.content.as_str());
            for (k, i, h) in self.ap.push(hash) {
                h_level.push(i64::from(k));
                h_idx.push(i as i64);
                h_hash.push(h.to_vec());
            }
        }
        if n == 0 {
            return Ok(first);
        }
        tx.execute(
            "INSERT INTO log_entries (idx, at, event, object, record_id, entry, salt, content)
             SELECT * FROM unnest($1::bigint[], $2::text[]::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::bytea[], $7::bytea[], $8::text[])",
            &[&idx, &at, &event, &object, &record, &entry, &salt, &content],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO log_hashes (level, idx, hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])",
            &[&h_level, &h_idx, &h_hash],
        )
        .map_err(err)?;
        Ok(first)
    }

    /// Logs record `id`'s version in force, read from the database.
    pub(crate) fn record_in_force(
        &mut self,
        tx: &mut Transaction<'_>,
        at: Timestamp,
        event: LogEvent,
        id: i64,
    ) -> Result<u64> {
        let r = tx
            .query_one(
                "SELECT r.kind, r.version, v.fields FROM records r
                 JOIN record_versions v ON v.record_id = r.id AND v.version = r.version WHERE r.id = $1",
                &[&id],
            )
            .map_err(err)?;
        let fields: BTreeMap<String, String> = serde_json::from_str(r.get(2)).unwrap_or_default();
        let leaf = Pending::record_version(at, event, record_kind(r.get(0))?, id, r.get(1), &fields);
        self.append(tx, &[leaf])
    }

    /// Logs the early end of record `id`'s publication (withdrawn, repaired).
    pub(crate) fn record_ending(
        &mut self,
        tx: &mut Transaction<'_>,
        at: Timestamp,
        event: LogEvent,
        id: i64,
        on: Date,
        reason: &str,
    ) -> Result<u64> {
        let version: i64 = tx.query_one("SELECT version FROM records WHERE id = $1", &[&id]).map_err(err)?.get(0);
        self.append(tx, &[Pending::record_ending(at, event, id, version, on, reason)])
    }
}

const LEAF_COLS: &str =
    "idx, (extract(epoch from at) * 1000000)::bigint, event, object, record_id, entry, salt, content";

fn leaf_row(r: &Row) -> Result<LogLeaf> {
    Ok(LogLeaf {
        index: r.get::<_, i64>(0) as u64,
        at: ts_micros(r.get(1))?,
        event: r.get(2),
        object: r.get(3),
        record_id: r.get(4),
        entry: r.get(5),
        salt: r.get(6),
        content: r.get(7),
    })
}

const CHECKPOINT_COLS: &str = "size, root, note, (extract(epoch from at) * 1000000)::bigint";

fn checkpoint_row(r: &Row) -> Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        size: r.get::<_, i64>(0) as u64,
        root: hash_of(r.get(1))?,
        note: r.get(2),
        at: ts_micros(r.get(3))?,
    })
}

const REPORT_COLS: &str = "number, subject_key, subject_name, edition, as_of::text, (extract(epoch from issued_at) * 1000000)::bigint, issued_by, sha256, data_version, leaf_index, pages, bytes, digests";

fn report_row(r: &Row) -> Result<StoredReport> {
    Ok(StoredReport {
        number: r.get(0),
        subject_key: r.get(1),
        subject_name: r.get(2),
        edition: r.get(3),
        as_of: parse_date(r.get(4))?,
        issued_at: ts_micros(r.get(5))?,
        issued_by: r.get(6),
        sha256: hash_of(r.get(7))?,
        data_version: r.get(8),
        leaf_index: r.get::<_, i64>(9) as u64,
        pages: r.get::<_, i64>(10) as u32,
        bytes: r.get::<_, i64>(11) as u64,
        digests: r.get(12),
    })
}

impl LogStore for PgStore {
    fn log_size(&self) -> Result<u64> {
        self.with(|c| {
            let n: i64 = c.query_one("SELECT coalesce(max(idx) + 1, 0) FROM log_entries", &[]).map_err(err)?.get(0);
            Ok(n as u64)
        })
    }

    fn log_leaves(&self, start: u64, end: u64) -> Result<Vec<LogLeaf>> {
        let end = end.min(start.saturating_add(MAX_READ));
        self.rows(
            &format!("SELECT {LEAF_COLS} FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx"),
            &[&(start as i64), &(end as i64)],
            leaf_row,
        )
    }

    fn record_leaves(&self, record_id: i64) -> Result<Vec<LogLeaf>> {
        self.rows(
            &format!("SELECT {LEAF_COLS} FROM log_entries WHERE record_id = $1 ORDER BY idx"),
            &[&record_id],
            leaf_row,
        )
    }

    fn object_leaf(&self, object: &str) -> Result<Option<LogLeaf>> {
        self.opt_row(
            &format!("SELECT {LEAF_COLS} FROM log_entries WHERE object = $1 ORDER BY idx DESC LIMIT 1"),
            &[&object],
            leaf_row,
        )
    }

    fn log_level(&self, level: u32, start: u64, end: u64) -> Result<Vec<Hash>> {
        let end = end.min(start.saturating_add(MAX_READ));
        self.with(|c| {
            c.query(
                "SELECT hash FROM log_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                &[&i64::from(level), &(start as i64), &(end as i64)],
            )
            .map_err(err)?
            .into_iter()
            .map(|r| hash_of(r.get(0)))
            .collect()
        })
    }

    fn log_hashes(&self, keys: &[(u32, u64)]) -> Result<Vec<Hash>> {
        let (levels, idxs): (Vec<i64>, Vec<i64>) = keys.iter().map(|(k, i)| (i64::from(*k), *i as i64)).unzip();
        let hashes = self.with(|c| {
            c.query(
                "SELECT h.hash FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(level, idx, n)
                 JOIN log_hashes h ON h.level = k.level AND h.idx = k.idx ORDER BY k.n",
                &[&levels, &idxs],
            )
            .map_err(err)?
            .into_iter()
            .map(|r| hash_of(r.get(0)))
            .collect::<Result<Vec<Hash>>>()
        })?;
        if hashes.len() != keys.len() {
            return Err(StoreError::NotFound);
        }
        Ok(hashes)
    }

    fn append_leaf(&self, ctx: &WriteContext, leaf: &NewLeaf) -> Result<u64> {
        self.write(|tx| {
            let mut w = LogWriter::open(tx)?;
            let pending = leaf.pending(ctx.at);
            let index = w.append(tx, &[pending])?;
            let detail = serde_json::json!({"event": leaf.event.as_str(), "object": leaf.object, "leaf_index": index});
            audit::insert_event(tx, ctx, "log.appended", None, None, &detail.to_string())?;
            Ok(index)
        })
    }

    fn append_leaves_once(&self, ctx: &WriteContext, leaves: &[NewLeaf]) -> Result<bool> {
        let Some(first) = leaves.first() else { return Ok(false) };
        self.write(|tx| {
            // The writer takes the log's advisory lock first: the check below
            // then sees every append committed before it.
            let mut w = LogWriter::open(tx)?;
            let there =
                tx.query_opt("SELECT idx FROM log_entries WHERE object = $1 LIMIT 1", &[&first.object]).map_err(err)?;
            if there.is_some() {
                return Ok(false);
            }
            let pending: Vec<Pending> = leaves.iter().map(|leaf| leaf.pending(ctx.at)).collect();
            let from = w.append(tx, &pending)?;
            let detail = serde_json::json!({"event": first.event.as_str(), "first": first.object,
                "leaf_index": from, "leaves": leaves.len()});
            audit::insert_event(tx, ctx, "log.appended", None, None, &detail.to_string())?;
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
                    "INSERT INTO log_checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4::text::timestamptz)
                     ON CONFLICT (size) DO NOTHING",
                    &[&(size as i64), &root.to_vec(), &note, &at.to_string()],
                )
                .map_err(err)?;
            Ok(n == 1)
        })
    }

    fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        self.opt_row(
            &format!("SELECT {CHECKPOINT_COLS} FROM log_checkpoints ORDER BY size DESC LIMIT 1"),
            &[],
            checkpoint_row,
        )
    }

    fn checkpoint_of_size(&self, size: u64) -> Result<Option<StoredCheckpoint>> {
        self.opt_row(
            &format!("SELECT {CHECKPOINT_COLS} FROM log_checkpoints WHERE size = $1"),
            &[&(size as i64)],
            checkpoint_row,
        )
    }

    fn checkpoints(&self, limit: u32) -> Result<Vec<StoredCheckpoint>> {
        self.rows(
            &format!("SELECT {CHECKPOINT_COLS} FROM log_checkpoints ORDER BY size DESC LIMIT $1"),
            &[&i64::from(limit)],
            checkpoint_row,
        )
    }

    fn issue_report(&self, ctx: &WriteContext, report: &NewReport) -> Result<StoredReport> {
        self.write(|tx| {
            let mut w = LogWriter::open(tx)?;
            let index = w.append(tx, &[report.leaf(ctx.at)])?;
            let n = tx
                .execute(
                    "INSERT INTO reports (number, subject_key, subject_name, edition, as_of, issued_at, issued_by, sha256,
                     data_version, leaf_index, pages, bytes, digests)
                     VALUES ($1, $2, $3, $4, $5::text::date, $6::text::timestamptz, $7, $8, $9, $10, $11, $12, $13)
                     ON CONFLICT DO NOTHING",
                    &[
                        &report.number,
                        &report.subject_key,
                        &report.subject_name,
                        &report.edition,
                        &report.as_of.to_string(),
                        &ctx.at.to_string(),
                        &ctx.actor,
                        &report.sha256.to_vec(),
                        &report.data_version,
                        &(index as i64),
                        &i64::from(report.pages),
                        &(report.bytes as i64),
                        &report.digests,
                    ],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("report {} or its hash exists", report.number)));
            }
            let detail = serde_json::json!({"number": report.number, "edition": report.edition, "leaf_index": index});
            audit::insert_event(tx, ctx, "report.issued", None, None, &detail.to_string())?;
            Ok(())
        })?;
        self.report(&report.number)?.ok_or(StoreError::NotFound)
    }

    fn report(&self, number: &str) -> Result<Option<StoredReport>> {
        self.opt_row(&format!("SELECT {REPORT_COLS} FROM reports WHERE number = $1"), &[&number], report_row)
    }

    fn report_by_sha256(&self, sha256: &Hash) -> Result<Option<StoredReport>> {
        self.opt_row(&format!("SELECT {REPORT_COLS} FROM reports WHERE sha256 = $1"), &[&sha256.to_vec()], report_row)
    }

    fn subject_reports(&self, subject_key: &str, limit: u32) -> Result<Vec<StoredReport>> {
        self.rows(
            &format!("SELECT {REPORT_COLS} FROM reports WHERE subject_key = $1 ORDER BY issued_at DESC, leaf_index DESC LIMIT $2"),
            &[&subject_key, &i64::from(limit)],
            report_row,
        )
    }

    fn add_peer(&self, ctx: &WriteContext, url: &str, name: &str, vkey: &str) -> Result<i64> {
        self.write(|tx| {
            if tx.query_opt("SELECT id FROM log_peers WHERE url = $1", &[&url]).map_err(err)?.is_some() {
                return Err(StoreError::Conflict(format!("已在监测 {url}")));
            }
            let id: i64 = tx
                .query_one(
                    "INSERT INTO log_peers (url, name, vkey, added_by, added_at) VALUES ($1, $2, $3, $4, $5::text::timestamptz)
                     RETURNING id",
                    &[&url, &name, &vkey, &ctx.actor, &ctx.at.to_string()],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({"peer": id, "url": url, "name": name, "vkey": vkey}).to_string();
            audit::insert_event(tx, ctx, "log_peer.added", None, None, &detail)?;
            Ok(id)
        })
    }

    fn peers(&self) -> Result<Vec<Peer>> {
        self.rows(
            "SELECT id, url, name, vkey, state, status, code, message, size,
                    (extract(epoch from checked_at) * 1000000)::bigint, added_by,
                    (extract(epoch from added_at) * 1000000)::bigint
             FROM log_peers ORDER BY name, id",
            &[],
            |r| {
                Ok(Peer {
                    id: r.get(0),
                    url: r.get(1),
                    name: r.get(2),
                    vkey: r.get(3),
                    state: r.get(4),
                    status: r.get(5),
                    code: r.get(6),
                    message: r.get(7),
                    size: r.get::<_, Option<i64>>(8).map(|n| n as u64),
                    checked_at: r.get::<_, Option<i64>>(9).map(ts_micros).transpose()?,
                    added_by: r.get(10),
                    added_at: ts_micros(r.get(11))?,
                })
            },
        )
    }

    fn record_peer_audit(&self, ctx: &WriteContext, id: i64, a: &PeerAudit) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE log_peers SET status = $2, code = $3, message = $4, checked_at = $5::text::timestamptz,
                       state = coalesce($6, state), size = coalesce($7, size), vkey = coalesce($8, vkey)
                     WHERE id = $1",
                    &[
                        &id,
                        &a.status,
                        &a.code,
                        &a.message,
                        &ctx.at.to_string(),
                        &a.state,
                        &a.size.map(|n| n as i64),
                        &a.vkey,
                    ],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if a.status == "finding" {
                let detail = serde_json::json!({"peer": id, "code": a.code, "message": a.message}).to_string();
                audit::insert_event(tx, ctx, "log_peer.finding", None, None, &detail)?;
            }
            Ok(())
        })
    }
}

/// What tests do behind the platform's back, to prove that it finds it
/// (feature `testing`, never in a normal build).
/// Replaces `from` with `to` in the entry of leaf `idx`, dropping the
/// append-only trigger first, as someone with database access could.
#[cfg(feature = "testing")]
pub fn rewrite_log_entry(url: &str, idx: u64, from: &str, to: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("the database");
    c.batch_execute("DROP TRIGGER log_entries_append_only ON log_entries").expect("the trigger");
    let n = c
        .execute(
            "UPDATE log_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), $1, $2), 'UTF8') WHERE idx = $3",
            &[&from, &to, &(idx as i64)],
        )
        .expect("the update");
    assert_eq!(n, 1, "leaf {idx} rewritten");
}
