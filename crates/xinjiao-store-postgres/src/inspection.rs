//! The PostgreSQL backend of graded supervision ([`xinjiao_store::InspectionStore`]).

use xinjiao_core::inspection::draw::{Assignment, Member, commitment, population_hash, population_text};
use xinjiao_store::inspection::{population_from_text, shares_from_text, shares_text};
use xinjiao_store::{
    Draw, DrawSummary, FrozenRoster, InspectionResult, InspectionStore, Inspector, Matter, NewDraw, NewMatter,
};

use super::audit::insert_event;
use super::*;

fn matter_of(r: &Row) -> Result<Matter> {
    Ok(Matter {
        id: r.get(0),
        code: r.get(1),
        name: r.get(2),
        department_id: r.get(3),
        department_name: r.get(4),
        legal_basis: r.get(5),
        scheme: r.get(6),
        priority: r.get(7),
        times_a_year: r.get::<_, i64>(8) as u32,
    })
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| bad(e.to_string()))
}

impl InspectionStore for PgStore {
    fn save_matter(&self, ctx: &WriteContext, m: &NewMatter) -> Result<i64> {
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO inspection_matters (code, name, department_id, legal_basis, scheme, priority, times_a_year, updated_at, updated_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::timestamptz, $9)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                       legal_basis = excluded.legal_basis, scheme = excluded.scheme, priority = excluded.priority,
                       times_a_year = excluded.times_a_year, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                     RETURNING id",
                    &[
                        &m.code,
                        &m.name,
                        &m.department_id,
                        &m.legal_basis,
                        &m.scheme,
                        &m.priority,
                        &i64::from(m.times_a_year),
                        &ctx.at.to_string(),
                        &ctx.actor,
                    ],
                )
                .map_err(err)?
                .get(0);
            let detail =
                serde_json::json!({"code": m.code, "name": m.name, "scheme": m.scheme, "priority": m.priority}).to_string();
            insert_event(tx, ctx, "inspection_matter.saved", None, None, &detail)?;
            Ok(id)
        })
    }

    fn matters(&self) -> Result<Vec<Matter>> {
        self.rows(
            "SELECT m.id, m.code, m.name, m.department_id, d.name, m.legal_basis, m.scheme, m.priority, m.times_a_year
             FROM inspection_matters m JOIN departments d ON d.id = m.department_id ORDER BY m.code",
            &[],
            matter_of,
        )
    }

    fn save_inspectors(&self, ctx: &WriteContext, rows: &[Inspector]) -> Result<(usize, usize)> {
        self.write(|tx| {
            let (mut created, mut changed) = (0, 0);
            for i in rows {
                let before = tx
                    .query_opt("SELECT name, department_id, active FROM inspectors WHERE certificate = $1", &[&i.certificate])
                    .map_err(err)?
                    .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1), r.get::<_, i64>(2)));
                let now = (i.name.clone(), i.department_id, i64::from(i.active));
                if before.as_ref() == Some(&now) {
                    continue;
                }
                tx.execute(
                    "INSERT INTO inspectors (certificate, name, department_id, active, updated_at, updated_by)
                     VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6)
                     ON CONFLICT (certificate) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                       active = excluded.active, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    &[&i.certificate, &i.name, &i.department_id, &i64::from(i.active), &ctx.at.to_string(), &ctx.actor],
                )
                .map_err(err)?;
                if before.is_some() {
                    changed += 1
                } else {
                    created += 1
                }
                let detail =
                    serde_json::json!({"certificate": i.certificate, "department_id": i.department_id, "active": i.active})
                        .to_string();
                insert_event(tx, ctx, "inspector.saved", None, None, &detail)?;
            }
            Ok((created, changed))
        })
    }

    fn inspectors(&self) -> Result<Vec<Inspector>> {
        self.rows("SELECT certificate, name, department_id, active FROM inspectors ORDER BY certificate", &[], |r| {
            Ok(Inspector {
                certificate: r.get(0),
                name: r.get(1),
                department_id: r.get(2),
                active: r.get::<_, i64>(3) != 0,
            })
        })
    }

    fn declare_conflict(&self, ctx: &WriteContext, certificate: &str, subject_id: i64, reason: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO inspector_conflicts (certificate, subject_id, reason, declared_at, declared_by)
                 VALUES ($1, $2, $3, $4::text::timestamptz, $5)
                 ON CONFLICT (certificate, subject_id) DO UPDATE SET reason = excluded.reason",
                &[&certificate, &subject_id, &reason, &ctx.at.to_string(), &ctx.actor],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"certificate": certificate}).to_string();
            insert_event(tx, ctx, "inspector.conflict_declared", Some(subject_id), None, &detail)?;
            Ok(())
        })
    }

    fn conflicts(&self) -> Result<Vec<(String, String)>> {
        self.rows(
            "SELECT c.certificate, s.public_key FROM inspector_conflicts c JOIN subjects s ON s.id = c.subject_id
             ORDER BY c.certificate, s.public_key",
            &[],
            |r| Ok((r.get(0), r.get(1))),
        )
    }

    fn licensed_subjects(&self, department_id: i64) -> Result<Vec<(String, SubjectKind)>> {
        self.rows(
            "SELECT DISTINCT s.public_key, s.kind FROM records r JOIN subjects s ON s.id = r.subject_id
             WHERE r.kind = 'license' AND r.department_id = $1 ORDER BY s.public_key",
            &[&department_id],
            |r| Ok((r.get(0), SubjectKind::parse(r.get(1)).unwrap_or(SubjectKind::Organization))),
        )
    }

    fn assignments_since(&self, since: Date) -> Result<Vec<(String, String)>> {
        let rows = self.rows(
            "SELECT r.subject_code, r.inspectors FROM draw_results r JOIN draws d ON d.id = r.draw_id
             WHERE d.run_at IS NOT NULL AND d.as_of >= $1::text::date",
            &[&since.to_string()],
            |r| Ok((r.get::<_, String>(0), r.get::<_, String>(1))),
        )?;
        let mut out = Vec::new();
        for (code, certs) in rows {
            let certs: Vec<String> = json(&certs)?;
            out.extend(certs.into_iter().map(|c| (code.clone(), c)));
        }
        Ok(out)
    }

    fn create_draw(&self, ctx: &WriteContext, d: &NewDraw) -> Result<i64> {
        let shares = serde_json::to_string(&shares_text(&d.shares)).expect("shares serialise");
        let overridden = serde_json::to_string(&shares_text(&d.overridden)).expect("shares serialise");
        let roster = serde_json::to_string(&d.roster).expect("roster serialises");
        let (hash, commit) = (population_hash(&d.population), commitment(&d.secret));
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO draws (matter_id, as_of, population, population_hash, shares, overridden, inspectors_per_subject,
                       roster, commitment, secret, public_value_source, created_at, created_by)
                     VALUES ($1, $2::text::date, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text::timestamptz, $13) RETURNING id",
                    &[
                        &d.matter_id,
                        &d.as_of.to_string(),
                        &population_text(&d.population),
                        &hash,
                        &shares,
                        &overridden,
                        &i64::from(d.inspectors_per_subject),
                        &roster,
                        &commit,
                        &d.secret,
                        &d.public_value_source,
                        &ctx.at.to_string(),
                        &ctx.actor,
                    ],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({"draw": id, "population": d.population.len(),
                "population_hash": hash, "commitment": commit})
            .to_string();
            insert_event(tx, ctx, "draw.planned", None, None, &detail)?;
            Ok(id)
        })
    }

    fn draw(&self, id: i64) -> Result<Draw> {
        let row = self
            .opt_row(
                "SELECT id, matter_id, as_of::text, population, population_hash, shares, overridden, inspectors_per_subject,
                        roster, commitment, secret, public_value_source, public_value, seed,
                        (extract(epoch from run_at) * 1000000)::bigint, (extract(epoch from created_at) * 1000000)::bigint,
                        created_by
                 FROM draws WHERE id = $1",
                &[&id],
                |r| {
                    let shares: std::collections::BTreeMap<String, String> = json(r.get(5))?;
                    let overridden: std::collections::BTreeMap<String, String> = json(r.get(6))?;
                    Ok((
                        r.get::<_, i64>(1),
                        Draw {
                            id: r.get(0),
                            matter: Matter {
                                id: 0,
                                code: String::new(),
                                name: String::new(),
                                department_id: 0,
                                department_name: String::new(),
                                legal_basis: String::new(),
                                scheme: String::new(),
                                priority: String::new(),
                                times_a_year: 0,
                            },
                            as_of: parse_date(r.get(2))?,
                            population: population_from_text(r.get(3)),
                            population_hash: r.get(4),
                            shares: shares_from_text(&shares).unwrap_or_default(),
                            overridden: shares_from_text(&overridden).unwrap_or_default(),
                            inspectors_per_subject: r.get::<_, i64>(7) as u32,
                            roster: json::<FrozenRoster>(r.get(8))?,
                            commitment: r.get(9),
                            secret: r.get(10),
                            public_value_source: r.get(11),
                            public_value: r.get(12),
                            seed: r.get(13),
                            run_at: r.get::<_, Option<i64>>(14).map(ts_micros).transpose()?,
                            created_at: ts_micros(r.get(15))?,
                            created_by: r.get(16),
                            drawn: Vec::new(),
                        },
                    ))
                },
            )?
            .ok_or(StoreError::NotFound);
        let (matter_id, mut draw) = row?;
        draw.matter = self
            .opt_row(
                "SELECT m.id, m.code, m.name, m.department_id, d.name, m.legal_basis, m.scheme, m.priority, m.times_a_year
                 FROM inspection_matters m JOIN departments d ON d.id = m.department_id WHERE m.id = $1",
                &[&matter_id],
                matter_of,
            )?
            .ok_or(StoreError::NotFound)?;
        draw.drawn = self.rows(
            "SELECT subject_code, grade, inspectors, short FROM draw_results WHERE draw_id = $1 ORDER BY position",
            &[&id],
            |r| {
                Ok(Assignment {
                    member: Member { code: r.get(0), grade: r.get(1) },
                    inspectors: json(r.get(2))?,
                    short: r.get::<_, i64>(3) != 0,
                })
            },
        )?;
        Ok(draw)
    }

    fn draws(&self) -> Result<Vec<DrawSummary>> {
        self.rows(
            "SELECT d.id, m.code, m.name, d.as_of::text,
                    (length(d.population) - length(replace(d.population, E'\\n', '')))::bigint,
                    (SELECT count(*) FROM draw_results r WHERE r.draw_id = d.id),
                        (SELECT count(*) FROM inspection_results i WHERE i.draw_id = d.id), d.commitment, d.public_value_source,
                    (extract(epoch from d.run_at) * 1000000)::bigint
             FROM draws d JOIN inspection_matters m ON m.id = d.matter_id ORDER BY d.id DESC",
            &[],
            |r| {
                Ok(DrawSummary {
                    id: r.get(0),
                    matter_code: r.get(1),
                    matter_name: r.get(2),
                    as_of: parse_date(r.get(3))?,
                    population: r.get::<_, i64>(4) as usize,
                    drawn: r.get::<_, i64>(5) as usize,
                    entered: r.get::<_, i64>(6) as usize,
                    commitment: r.get(7),
                    public_value_source: r.get(8),
                    run_at: r.get::<_, Option<i64>>(9).map(ts_micros).transpose()?,
                })
            },
        )
    }

    fn record_draw_run(
        &self,
        ctx: &WriteContext,
        id: i64,
        public_value: &str,
        seed: &str,
        drawn: &[Assignment],
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE draws SET public_value = $2, seed = $3, run_at = $4::text::timestamptz, run_by = $5
                     WHERE id = $1 AND run_at IS NULL",
                    &[&id, &public_value, &seed, &ctx.at.to_string(), &ctx.actor],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("第 {id} 号抽查已完成或不存在，不能重新抽取")));
            }
            let insert = tx
                .prepare(
                    "INSERT INTO draw_results (draw_id, position, subject_code, grade, inspectors, short)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .map_err(err)?;
            for (i, a) in drawn.iter().enumerate() {
                let inspectors = serde_json::to_string(&a.inspectors).expect("list");
                tx.execute(
                    &insert,
                    &[&id, &(i as i64), &a.member.code, &a.member.grade, &inspectors, &i64::from(a.short)],
                )
                .map_err(err)?;
            }
            let detail =
                serde_json::json!({"draw": id, "public_value": public_value, "seed": seed, "drawn": drawn.len()})
                    .to_string();
            insert_event(tx, ctx, "draw.run", None, None, &detail)?;
            Ok(())
        })
    }

    fn record_inspection_result(&self, ctx: &WriteContext, r: &InspectionResult) -> Result<()> {
        self.write(|tx| {
            let drawn: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM draw_results WHERE draw_id = $1 AND subject_code = $2)",
                    &[&r.draw_id, &r.subject_code],
                )
                .map_err(err)?
                .get(0);
            if !drawn {
                return Err(StoreError::Conflict(format!("{} 不是第 {} 号抽查抽中的对象", r.subject_code, r.draw_id)));
            }
            let n = tx
                .execute(
                    "INSERT INTO inspection_results (draw_id, subject_code, outcome, findings, inspected_on, entered_at, entered_by)
                     VALUES ($1, $2, $3, $4, $5::text::date, $6::text::timestamptz, $7) ON CONFLICT DO NOTHING",
                    &[
                        &r.draw_id,
                        &r.subject_code,
                        &r.outcome.as_str(),
                        &r.findings,
                        &r.inspected_on.to_string(),
                        &ctx.at.to_string(),
                        &ctx.actor,
                    ],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("{} 的检查结果已经录入", r.subject_code)));
            }
            let detail = serde_json::json!({"draw": r.draw_id, "subject": r.subject_code, "outcome": r.outcome.as_str(),
                "inspected_on": r.inspected_on.to_string()})
            .to_string();
            insert_event(tx, ctx, "inspection.result", None, None, &detail)?;
            Ok(())
        })
    }

    fn inspection_results(&self, draw_id: i64) -> Result<Vec<InspectionResult>> {
        self.rows(
            "SELECT draw_id, subject_code, outcome, findings, inspected_on::text,
                    (extract(epoch from entered_at) * 1000000)::bigint, entered_by
             FROM inspection_results WHERE draw_id = $1 ORDER BY subject_code",
            &[&draw_id],
            result_of,
        )
    }

    fn inspection_results_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<(i64, InspectionResult)>> {
        self.rows(
            "SELECT i.draw_id, i.subject_code, i.outcome, i.findings, i.inspected_on::text,
                    (extract(epoch from i.entered_at) * 1000000)::bigint, i.entered_by, s.id
             FROM inspection_results i JOIN subjects s ON s.public_key = i.subject_code
             WHERE s.id >= $1 AND s.id < $2 ORDER BY s.id, i.inspected_on",
            &[&subjects.start, &subjects.end],
            |r| Ok((r.get(7), result_of(r)?)),
        )
    }
}

fn result_of(r: &Row) -> Result<InspectionResult> {
    Ok(InspectionResult {
        draw_id: r.get(0),
        subject_code: r.get(1),
        outcome: xinjiao_core::inspection::results::Outcome::parse(r.get(2))
            .ok_or_else(|| bad("inspection_results.outcome is not a known outcome"))?,
        findings: r.get(3),
        inspected_on: parse_date(r.get(4))?,
        entered_at: ts_micros(r.get(5))?,
        entered_by: r.get(6),
    })
}
