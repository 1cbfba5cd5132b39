//! The PostgreSQL backend of the commitments capability
//! ([`xinjiao_store::CommitmentStore`]): the only module whose SQL writes
//! `commitments` and `education_acks`.

use xinjiao_core::calendar::Calendar;
use xinjiao_core::commitments::{Action, CommitmentRules, State};
use xinjiao_store::commitments::{plan_step, state_of};
use xinjiao_store::{Commitment, CommitmentFilter, CommitmentStore, NewCommitment};

use super::*;

const COLUMNS: &str = "c.id, c.subject_id, s.public_key, s.name, c.kind, c.matter, c.template_version, c.text,
    (extract(epoch from c.signed_at) * 1000000)::bigint, c.signed_by, c.signed_via, c.association, c.public,
    c.department_id, c.state, c.decided_on::text, c.due::text, c.concluded_on::text, c.concluded_by, c.note, c.licence_record_id, c.repair_id";

/// The rows a [`CommitmentFilter`] selects, its values bound as $1 to $7
/// (subject, matter, states, public only, department, overdue on, concluded from).
const FILTERED: &str = "FROM commitments c JOIN subjects s ON s.id = c.subject_id
     WHERE ($1::bigint IS NULL OR c.subject_id = $1) AND ($2::text IS NULL OR c.matter = $2)
       AND (cardinality($3::text[]) = 0 OR c.state = ANY($3)) AND (NOT $4 OR c.public <> 0)
       AND ($5::bigint IS NULL OR c.department_id = $5)
       AND ($6::text IS NULL OR (c.state = 'in_force' AND c.due < $6::text::date))
       AND ($7::text IS NULL OR c.concluded_on >= $7::text::date)";

fn opt_date(v: Option<String>) -> Result<Option<Date>> {
    v.as_deref().map(parse_date).transpose()
}

fn commitment_of(r: &Row) -> Result<Commitment> {
    Ok(Commitment {
        id: r.get(0),
        subject_id: r.get(1),
        subject_key: r.get(2),
        subject_name: r.get(3),
        kind: r.get(4),
        matter: r.get(5),
        template_version: r.get::<_, i64>(6) as u32,
        text: r.get(7),
        signed_at: ts_micros(r.get(8))?,
        signed_by: r.get(9),
        signed_via: r.get(10),
        association: r.get(11),
        public: r.get::<_, i64>(12) != 0,
        department_id: r.get(13),
        state: state_of(r.get(14))?,
        decided_on: opt_date(r.get(15))?,
        due: opt_date(r.get(16))?,
        concluded_on: opt_date(r.get(17))?,
        concluded_by: r.get(18),
        note: r.get(19),
        licence_record_id: r.get(20),
        repair_id: r.get(21),
    })
}

fn one(tx: &mut Transaction<'_>, id: i64) -> Result<Option<Commitment>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM commitments c JOIN subjects s ON s.id = c.subject_id WHERE c.id = $1"),
        &[&id],
    )
    .map_err(err)?
    .as_ref()
    .map(commitment_of)
    .transpose()
}

/// Inserts a signed commitment (with its scan) and its event; the id.
pub(crate) fn insert_commitment(
    tx: &mut Transaction<'_>,
    ctx: &WriteContext,
    c: &NewCommitment,
    state: State,
) -> Result<i64> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO commitments (subject_id, kind, matter, template_version, text, signed_at, signed_by,
               signed_via, association, public, department_id, state)
             VALUES ($1, $2, $3, $4, $5, $6::text::timestamptz, $7, $8, $9, $10, $11, $12) RETURNING id",
            &[
                &c.subject_id,
                &c.kind,
                &c.matter,
                &i64::from(c.template_version),
                &c.text,
                &ctx.at.to_string(),
                &ctx.actor,
                &c.signed_via,
                &c.association,
                &i64::from(c.public),
                &c.department_id,
                &state.as_str(),
            ],
        )
        .map_err(err)?
        .get(0);
    let scan = match &c.scan {
        Some((name, bytes)) => {
            let digest = xinjiao_core::commitments::scan_digest(bytes);
            tx.execute(
                "INSERT INTO commitment_scans (commitment_id, filename, content, sha256) VALUES ($1, $2, $3, $4)",
                &[&id, name, bytes, &digest],
            )
            .map_err(err)?;
            Some(digest)
        }
        None => None,
    };
    let detail = serde_json::json!({"commitment": id, "kind": c.kind, "matter": c.matter,
        "template_version": c.template_version, "via": c.signed_via, "scan_sha256": scan})
    .to_string();
    audit::insert_event(tx, ctx, "commitment.signed", Some(c.subject_id), None, &detail)?;
    Ok(id)
}

impl CommitmentStore for PgStore {
    fn sign_commitment(&self, ctx: &WriteContext, c: &NewCommitment, state: State) -> Result<i64> {
        self.write(|tx| insert_commitment(tx, ctx, c, state))
    }

    fn sign_member_commitments(&self, ctx: &WriteContext, members: &[NewCommitment]) -> Result<(u64, u64)> {
        self.write(|tx| {
            // Two uploads at once take turns, so neither adds what the other did.
            tx.execute("SELECT pg_advisory_xact_lock(hashtext('xinjiao.commitments.members'))", &[]).map_err(err)?;
            let (mut new, mut held) = (0, 0);
            for c in members {
                let exists: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM commitments WHERE subject_id = $1 AND kind = $2
                           AND association IS NOT DISTINCT FROM $3 AND state = 'in_force')",
                        &[&c.subject_id, &c.kind, &c.association],
                    )
                    .map_err(err)?
                    .get(0);
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
            // The row is locked for the step: two staff acting at once act in turn.
            tx.execute("SELECT 1 FROM commitments WHERE id = $1 FOR UPDATE", &[&id]).map_err(err)?;
            let c = one(tx, id)?.ok_or(StoreError::NotFound)?;
            let step = plan_step(&c, action, on, matter_days, rules, cal)?;
            let decided = matches!(action, Action::Decide { .. });
            let concluded = !matches!(step.state, State::InForce | State::Signed);
            tx.execute(
                "UPDATE commitments SET state = $2, due = $3::text::date,
                   decided_on = CASE WHEN $4 THEN $5::text::date ELSE decided_on END,
                   concluded_on = CASE WHEN $6 THEN $5::text::date ELSE concluded_on END,
                   concluded_by = CASE WHEN $6 THEN $7 ELSE concluded_by END,
                   note = CASE WHEN $6 THEN $8 ELSE note END
                 WHERE id = $1",
                &[
                    &id,
                    &step.state.as_str(),
                    &step.due.map(|d| d.to_string()),
                    &decided,
                    &on.to_string(),
                    &concluded,
                    &ctx.actor,
                    &ctx.reason,
                ],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"commitment": id, "from": c.state.as_str(), "to": step.state.as_str(),
                "due": step.due.map(|d| d.to_string()), "on": on.to_string()})
            .to_string();
            let action = format!("commitment.{}", step.state.as_str());
            audit::insert_event(tx, ctx, &action, Some(c.subject_id), None, &detail)?;
            one(tx, id)?.ok_or(StoreError::NotFound)
        })
    }

    fn link_commitment_licence(&self, ctx: &WriteContext, id: i64, record_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("SELECT 1 FROM commitments WHERE id = $1 FOR UPDATE", &[&id]).map_err(err)?;
            let c = one(tx, id)?.ok_or(StoreError::NotFound)?;
            if c.licence_record_id.is_some() {
                return Err(StoreError::Conflict("该承诺已关联许可".into()));
            }
            tx.execute("UPDATE commitments SET licence_record_id = $2 WHERE id = $1", &[&id, &record_id])
                .map_err(err)?;
            let detail = serde_json::json!({"commitment": id, "record": record_id}).to_string();
            audit::insert_event(tx, ctx, "commitment.licence_linked", Some(c.subject_id), Some(record_id), &detail)?;
            Ok(())
        })
    }

    fn commitment(&self, id: i64) -> Result<Option<Commitment>> {
        self.opt_row(
            &format!("SELECT {COLUMNS} FROM commitments c JOIN subjects s ON s.id = c.subject_id WHERE c.id = $1"),
            &[&id],
            commitment_of,
        )
    }

    fn commitments(&self, f: &CommitmentFilter, limit: u32) -> Result<Vec<Commitment>> {
        let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
        let (due, since) = (f.due_before.map(|d| d.to_string()), f.concluded_from.map(|d| d.to_string()));
        let limit = i64::from(limit);
        self.rows(
            &format!("SELECT {COLUMNS} {FILTERED} ORDER BY c.id DESC LIMIT $8"),
            &[&f.subject_id, &f.matter, &states, &f.public_only, &f.department_id, &due, &since, &limit],
            commitment_of,
        )
    }

    fn count_commitments(&self, f: &CommitmentFilter) -> Result<u64> {
        let states: Vec<&str> = f.states.iter().map(|s| s.as_str()).collect();
        let (due, since) = (f.due_before.map(|d| d.to_string()), f.concluded_from.map(|d| d.to_string()));
        let n = self.opt_row(
            &format!("SELECT COUNT(*) {FILTERED}"),
            &[&f.subject_id, &f.matter, &states, &f.public_only, &f.department_id, &due, &since],
            |r| Ok(r.get::<_, i64>(0)),
        )?;
        Ok(n.unwrap_or(0) as u64)
    }

    fn commitment_scan(&self, id: i64) -> Result<Option<(String, Vec<u8>, String)>> {
        self.opt_row("SELECT filename, content, sha256 FROM commitment_scans WHERE commitment_id = $1", &[&id], |r| {
            Ok((r.get(0), r.get(1), r.get(2)))
        })
    }

    fn concluded_commitments_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<Commitment>> {
        self.rows(
            &format!(
                "SELECT {COLUMNS} FROM commitments c JOIN subjects s ON s.id = c.subject_id
                 WHERE c.subject_id >= $1 AND c.subject_id < $2
                   AND c.state IN ('kept', 'kept_late', 'not_kept', 'false')
                 ORDER BY c.subject_id, c.id"
            ),
            &[&subjects.start, &subjects.end],
            commitment_of,
        )
    }

    fn acknowledge_education(&self, ctx: &WriteContext, subject_id: i64, material: &str, version: u32) -> Result<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "INSERT INTO education_acks (subject_id, material, material_version, acknowledged_at)
                     VALUES ($1, $2, $3, $4::text::timestamptz) ON CONFLICT DO NOTHING",
                    &[&subject_id, &material, &i64::from(version), &ctx.at.to_string()],
                )
                .map_err(err)?;
            if n == 1 {
                let detail = serde_json::json!({"material": material, "version": version}).to_string();
                audit::insert_event(tx, ctx, "education.acknowledged", Some(subject_id), None, &detail)?;
            }
            Ok(n == 1)
        })
    }

    fn education_counts(&self) -> Result<Vec<(String, u32, u64)>> {
        self.rows(
            "SELECT material, material_version, COUNT(*) FROM education_acks GROUP BY material, material_version
             ORDER BY material, material_version",
            &[],
            |r| Ok((r.get(0), r.get::<_, i64>(1) as u32, r.get::<_, i64>(2) as u64)),
        )
    }

    fn acknowledgements(&self, subject_id: i64) -> Result<Vec<(String, u32, Timestamp)>> {
        self.rows(
            "SELECT material, material_version, (extract(epoch from acknowledged_at) * 1000000)::bigint
             FROM education_acks WHERE subject_id = $1 ORDER BY id",
            &[&subject_id],
            |r| Ok((r.get(0), r.get::<_, i64>(1) as u32, ts_micros(r.get(2))?)),
        )
    }
}

/// Keeps the repair commitment of application `repair_id` (in force), in the
/// application's transaction.
pub(crate) fn insert_repair_commitment(
    tx: &mut Transaction<'_>,
    ctx: &WriteContext,
    c: &NewCommitment,
    repair_id: i64,
) -> Result<i64> {
    let id = insert_commitment(tx, ctx, c, State::InForce)?;
    tx.execute("UPDATE commitments SET repair_id = $2 WHERE id = $1", &[&id, &repair_id]).map_err(err)?;
    Ok(id)
}

/// The repair of application `repair_id` is revoked for a false commitment:
/// its commitment (if in force) is found false on `on`, in the revocation's
/// transaction, with the revocation's reason as its note. Appends
/// `commitment.false`.
pub(crate) fn repair_commitment_false(
    tx: &mut Transaction<'_>,
    ctx: &WriteContext,
    repair_id: i64,
    on: Date,
    note: &str,
) -> Result<()> {
    let found: Option<i64> = tx
        .query_opt("SELECT id FROM commitments WHERE repair_id = $1 AND state = 'in_force'", &[&repair_id])
        .map_err(err)?
        .map(|r| r.get(0));
    let Some(id) = found else { return Ok(()) };
    tx.execute(
        "UPDATE commitments SET state = 'false', concluded_on = $2::text::date, concluded_by = $3, note = $4 WHERE id = $1",
        &[&id, &on.to_string(), &ctx.actor, &note],
    )
    .map_err(err)?;
    let c = one(tx, id)?.ok_or(StoreError::NotFound)?;
    let detail = serde_json::json!({"commitment": id, "from": "in_force", "to": "false", "on": on.to_string(), "repair": repair_id}).to_string();
    audit::insert_event(tx, ctx, "commitment.false", Some(c.subject_id), None, &detail)?;
    Ok(())
}
