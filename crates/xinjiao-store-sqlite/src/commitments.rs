//! The SQLite backend of the commitments capability
//! ([`xinjiao_store::CommitmentStore`]): the only module whose SQL writes
//! `commitments` and `education_acks`.

use xinjiao_core::calendar::Calendar;
use xinjiao_core::commitments::{Action, CommitmentRules, State};
use xinjiao_store::commitments::plan_step;
use xinjiao_store::{Commitment, CommitmentFilter, CommitmentStore, NewCommitment};

use super::audit::insert_event;
use super::*;

const COLUMNS: &str = "c.id, c.subject_id, s.public_key, s.name, c.kind, c.matter, c.template_version, c.text,
    c.signed_at, c.signed_by, c.signed_via, c.association, c.public, c.department_id, c.state, c.decided_on,
    c.due, c.concluded_on, c.concluded_by, c.note, c.licence_record_id, c.repair_id";

/// The rows a [`CommitmentFilter`] selects (its values bound by [`filter_values`]).
const FILTERED: &str = "FROM commitments c JOIN subjects s ON s.id = c.subject_id
     WHERE (?1 IS NULL OR c.subject_id = ?1) AND (?2 IS NULL OR c.matter = ?2)
       AND (?3 = '[]' OR c.state IN (SELECT value FROM json_each(?3)))
       AND (NOT ?4 OR c.public <> 0) AND (?5 IS NULL OR c.department_id = ?5)
       AND (?6 IS NULL OR (c.state = 'in_force' AND c.due < ?6))
       AND (?7 IS NULL OR c.concluded_on >= ?7)";

/// A filter's values for [`FILTERED`] (?1 to ?7), then `more`.
fn filter_values(f: &CommitmentFilter, more: &[i64]) -> rusqlite::ParamsFromIter<Vec<rusqlite::types::Value>> {
    use rusqlite::types::Value as V;
    let int = |x: Option<i64>| x.map_or(V::Null, V::Integer);
    let text = |x: Option<String>| x.map_or(V::Null, V::Text);
    let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
    let mut values = vec![
        int(f.subject_id),
        text(f.matter.clone()),
        V::Text(serde_json::to_string(&states).expect("strings")),
        V::Integer(i64::from(f.public_only)),
        int(f.department_id),
        text(f.due_before.map(|d| d.to_string())),
        text(f.concluded_from.map(|d| d.to_string())),
    ];
    values.extend(more.iter().copied().map(V::Integer));
    rusqlite::params_from_iter(values)
}

fn opt_date(v: Option<String>) -> rusqlite::Result<Option<Date>> {
    v.map(date).transpose()
}

fn commitment_of(r: &Row<'_>) -> rusqlite::Result<Commitment> {
    let state: String = r.get(14)?;
    Ok(Commitment {
        id: r.get(0)?,
        subject_id: r.get(1)?,
        subject_key: r.get(2)?,
        subject_name: r.get(3)?,
        kind: r.get(4)?,
        matter: r.get(5)?,
        template_version: r.get(6)?,
        text: r.get(7)?,
        signed_at: ts(r.get(8)?)?,
        signed_by: r.get(9)?,
        signed_via: r.get(10)?,
        association: r.get(11)?,
        public: r.get(12)?,
        department_id: r.get(13)?,
        state: State::parse(&state)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(14, state, rusqlite::types::Type::Text))?,
        decided_on: opt_date(r.get(15)?)?,
        due: opt_date(r.get(16)?)?,
        concluded_on: opt_date(r.get(17)?)?,
        concluded_by: r.get(18)?,
        note: r.get(19)?,
        licence_record_id: r.get(20)?,
        repair_id: r.get(21)?,
    })
}

fn one(c: &Connection, id: i64) -> rusqlite::Result<Option<Commitment>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM commitments c JOIN subjects s ON s.id = c.subject_id WHERE c.id = ?1"),
        [id],
        commitment_of,
    )
    .optional()
}

/// Inserts a signed commitment (with its scan) and its event; the id.
pub(crate) fn insert_commitment(tx: &Connection, ctx: &WriteContext, c: &NewCommitment, state: State) -> Result<i64> {
    tx.execute(
        "INSERT INTO commitments (subject_id, kind, matter, template_version, text, signed_at, signed_by,
           signed_via, association, public, department_id, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            c.subject_id,
            c.kind,
            c.matter,
            c.template_version,
            c.text,
            ctx.at.to_string(),
            ctx.actor,
            c.signed_via,
            c.association,
            c.public,
            c.department_id,
            state.as_str()
        ],
    )
    .map_err(err)?;
    let id = tx.last_insert_rowid();
    let scan = match &c.scan {
        Some((name, bytes)) => {
            let digest = xinjiao_core::commitments::scan_digest(bytes);
            tx.execute(
                "INSERT INTO commitment_scans (commitment_id, filename, content, sha256) VALUES (?1, ?2, ?3, ?4)",
                params![id, name, bytes, digest],
            )
            .map_err(err)?;
            Some(digest)
        }
        None => None,
    };
    let detail = serde_json::json!({"commitment": id, "kind": c.kind, "matter": c.matter,
        "template_version": c.template_version, "via": c.signed_via, "scan_sha256": scan})
    .to_string();
    insert_event(tx, ctx, "commitment.signed", Some(c.subject_id), None, &detail).map_err(err)?;
    Ok(id)
}

impl CommitmentStore for SqliteStore {
    fn sign_commitment(&self, ctx: &WriteContext, c: &NewCommitment, state: State) -> Result<i64> {
        self.write(|tx| insert_commitment(tx, ctx, c, state))
    }

    fn sign_member_commitments(&self, ctx: &WriteContext, members: &[NewCommitment]) -> Result<(u64, u64)> {
        self.write(|tx| {
            let (mut new, mut held) = (0, 0);
            for c in members {
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM commitments WHERE subject_id = ?1 AND kind = ?2
                           AND association IS ?3 AND state = 'in_force')",
                        params![c.subject_id, c.kind, c.association],
                        |r| r.get(0),
                    )
                    .map_err(err)?;
                if exists {
                    held += 1;
                } else {
                    insert_commitment(tx, ctx, c, State::InForce)?;
                    new += 1;
                }
            }
            Ok((new, held))
        })
    }

    fn act_on_commitment(
        &self,
        ctx: &WriteContext,
        id: i64,
        action: Action,
        on: Date,
        matter_days: Option<u32>,
        rules: &CommitmentRules,
        cal: &Calendar,
    ) -> Result<Commitment> {
        self.write(|tx| {
            let c = one(tx, id).map_err(err)?.ok_or(StoreError::NotFound)?;
            let step = plan_step(&c, action, on, matter_days, rules, cal)?;
            let decided = matches!(action, Action::Decide { .. });
            let concluded = !matches!(step.state, State::InForce | State::Signed);
            tx.execute(
                "UPDATE commitments SET state = ?2, due = ?3,
                   decided_on = CASE WHEN ?4 THEN ?5 ELSE decided_on END,
                   concluded_on = CASE WHEN ?6 THEN ?5 ELSE concluded_on END,
                   concluded_by = CASE WHEN ?6 THEN ?7 ELSE concluded_by END,
                   note = CASE WHEN ?6 THEN ?8 ELSE note END
                 WHERE id = ?1",
                params![
                    id,
                    step.state.as_str(),
                    step.due.map(|d| d.to_string()),
                    decided,
                    on.to_string(),
                    concluded,
                    ctx.actor,
                    ctx.reason
                ],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"commitment": id, "from": c.state.as_str(), "to": step.state.as_str(),
                "due": step.due.map(|d| d.to_string()), "on": on.to_string()})
            .to_string();
            let action = format!("commitment.{}", step.state.as_str());
            insert_event(tx, ctx, &action, Some(c.subject_id), None, &detail).map_err(err)?;
            one(tx, id).map_err(err)?.ok_or(StoreError::NotFound)
        })
    }

    fn link_commitment_licence(&self, ctx: &WriteContext, id: i64, record_id: i64) -> Result<()> {
        self.write(|tx| {
            let c = one(tx, id).map_err(err)?.ok_or(StoreError::NotFound)?;
            if c.licence_record_id.is_some() {
                return Err(StoreError::Conflict("该承诺已关联许可".into()));
            }
            tx.execute("UPDATE commitments SET licence_record_id = ?2 WHERE id = ?1", params![id, record_id])
                .map_err(err)?;
            let detail = serde_json::json!({"commitment": id, "record": record_id}).to_string();
            insert_event(tx, ctx, "commitment.licence_linked", Some(c.subject_id), Some(record_id), &detail)
                .map_err(err)?;
            Ok(())
        })
    }

    fn commitment(&self, id: i64) -> Result<Option<Commitment>> {
        self.read(|c| one(c, id))
    }

    fn commitments(&self, f: &CommitmentFilter, limit: u32) -> Result<Vec<Commitment>> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {COLUMNS} {FILTERED} ORDER BY c.id DESC LIMIT ?8"))?
                .query_map(filter_values(f, &[i64::from(limit)]), commitment_of)?
                .collect()
        })
    }

    fn count_commitments(&self, f: &CommitmentFilter) -> Result<u64> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT COUNT(*) {FILTERED}"))?
                .query_row(filter_values(f, &[]), |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
    }

    fn commitment_scan(&self, id: i64) -> Result<Option<(String, Vec<u8>, String)>> {
        self.read(|c| {
            c.query_row("SELECT filename, content, sha256 FROM commitment_scans WHERE commitment_id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })
    }

    fn concluded_commitments_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<Commitment>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM commitments c JOIN subjects s ON s.id = c.subject_id
                 WHERE c.subject_id >= ?1 AND c.subject_id < ?2
                   AND c.state IN ('kept', 'kept_late', 'not_kept', 'false')
                 ORDER BY c.subject_id, c.id"
            ))?
            .query_map(params![subjects.start, subjects.end], commitment_of)?
            .collect()
        })
    }

    fn acknowledge_education(&self, ctx: &WriteContext, subject_id: i64, material: &str, version: u32) -> Result<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO education_acks (subject_id, material, material_version, acknowledged_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![subject_id, material, version, ctx.at.to_string()],
                )
                .map_err(err)?;
            if n == 1 {
                let detail = serde_json::json!({"material": material, "version": version}).to_string();
                insert_event(tx, ctx, "education.acknowledged", Some(subject_id), None, &detail).map_err(err)?;
            }
            Ok(n == 1)
        })
    }

    fn education_counts(&self) -> Result<Vec<(String, u32, u64)>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT material, material_version, COUNT(*) FROM education_acks GROUP BY material, material_version
                 ORDER BY material, material_version",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))?
            .collect()
        })
    }

    fn acknowledgements(&self, subject_id: i64) -> Result<Vec<(String, u32, Timestamp)>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT material, material_version, acknowledged_at FROM education_acks
                 WHERE subject_id = ?1 ORDER BY id",
            )?
            .query_map([subject_id], |r| Ok((r.get(0)?, r.get(1)?, ts(r.get(2)?)?)))?
            .collect()
        })
    }
}

/// Keeps the repair commitment of application `repair_id` (in force), in the
/// application's transaction.
pub(crate) fn insert_repair_commitment(
    tx: &Connection,
    ctx: &WriteContext,
    c: &NewCommitment,
    repair_id: i64,
) -> Result<i64> {
    let id = insert_commitment(tx, ctx, c, State::InForce)?;
    tx.execute("UPDATE commitments SET repair_id = ?2 WHERE id = ?1", params![id, repair_id]).map_err(err)?;
    Ok(id)
}

/// The repair of application `repair_id` is revoked for a false commitment:
/// its commitment (if in force) is found false on `on`, in the revocation's
/// transaction, with the revocation's reason as its note. Appends
/// `commitment.false`.
pub(crate) fn repair_commitment_false(
    tx: &Connection,
    ctx: &WriteContext,
    repair_id: i64,
    on: Date,
    note: &str,
) -> Result<()> {
    let found: Option<i64> = tx
        .query_row("SELECT id FROM commitments WHERE repair_id = ?1 AND state = 'in_force'", [repair_id], |r| r.get(0))
        .optional()
        .map_err(err)?;
    let Some(id) = found else { return Ok(()) };
    tx.execute(
        "UPDATE commitments SET state = 'false', concluded_on = ?2, concluded_by = ?3, note = ?4 WHERE id = ?1",
        params![id, on.to_string(), ctx.actor, note],
    )
    .map_err(err)?;
    let c = one(tx, id).map_err(err)?.ok_or(StoreError::NotFound)?;
    let detail = serde_json::json!({"commitment": id, "from": "in_force", "to": "false", "on": on.to_string(), "repair": repair_id}).to_string();
    insert_event(tx, ctx, "commitment.false", Some(c.subject_id), None, &detail).map_err(err)?;
    Ok(())
}
