//! The SQLite backend of graded supervision ([`xinjiao_store::InspectionStore`]).

use xinjiao_core::inspection::draw::{Assignment, Member, population_hash, population_text};
use xinjiao_store::inspection::{population_from_text, shares_from_text, shares_text};
use xinjiao_store::{
    Draw, DrawSummary, FrozenRoster, InspectionResult, InspectionStore, Inspector, Matter, NewDraw, NewMatter,
};

use super::audit::insert_event;
use super::*;

const MATTER_COLUMNS: &str =
    "m.id, m.code, m.name, m.department_id, d.name, m.legal_basis, m.scheme, m.priority, m.times_a_year";

fn matter_of(r: &Row) -> rusqlite::Result<Matter> {
    Ok(Matter {
        id: r.get(0)?,
        code: r.get(1)?,
        name: r.get(2)?,
        department_id: r.get(3)?,
        department_name: r.get(4)?,
        legal_basis: r.get(5)?,
        scheme: r.get(6)?,
        priority: r.get(7)?,
        times_a_year: r.get(8)?,
    })
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

impl InspectionStore for SqliteStore {
    fn save_matter(&self, ctx: &WriteContext, m: &NewMatter) -> Result<i64> {
        self.write(|tx| {
            let id: i64 = tx
                .query_row(
                    "INSERT INTO inspection_matters (code, name, department_id, legal_basis, scheme, priority, times_a_year, updated_at, updated_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                       legal_basis = excluded.legal_basis, scheme = excluded.scheme, priority = excluded.priority,
                       times_a_year = excluded.times_a_year, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                     RETURNING id",
                    params![m.code, m.name, m.department_id, m.legal_basis, m.scheme, m.priority, m.times_a_year, ctx.at.to_string(), ctx.actor],
                    |r| r.get(0),
                )
                .map_err(err)?;
            let detail = serde_json::json!({"code": m.code, "name": m.name, "scheme": m.scheme, "priority": m.priority}).to_string();
            insert_event(tx, ctx, "inspection_matter.saved", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn matters(&self) -> Result<Vec<Matter>> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {MATTER_COLUMNS} FROM inspection_matters m JOIN departments d ON d.id = m.department_id ORDER BY m.code"
            ))?
            .query_map([], matter_of)?
            .collect()
        })
    }

    fn save_inspectors(&self, ctx: &WriteContext, rows: &[Inspector]) -> Result<(usize, usize)> {
        self.write(|tx| {
            let (mut created, mut changed) = (0, 0);
            for i in rows {
                let before: Option<(String, i64, i64)> = tx
                    .query_row(
                        "SELECT name, department_id, active FROM inspectors WHERE certificate = ?1",
                        [&i.certificate],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(err)?;
                let now = (i.name.clone(), i.department_id, i64::from(i.active));
                if before.as_ref() == Some(&now) {
                    continue;
                }
                tx.execute(
                    "INSERT INTO inspectors (certificate, name, department_id, active, updated_at, updated_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (certificate) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                       active = excluded.active, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    params![i.certificate, i.name, i.department_id, i.active, ctx.at.to_string(), ctx.actor],
                )
                .map_err(err)?;
                if before.is_some() { changed += 1 } else { created += 1 }
                let detail = serde_json::json!({"certificate": i.certificate, "department_id": i.department_id, "active": i.active}).to_string();
                insert_event(tx, ctx, "inspector.saved", None, None, &detail).map_err(err)?;
            }
            Ok((created, changed))
        })
    }

    fn inspectors(&self) -> Result<Vec<Inspector>> {
        self.read(|c| {
            c.prepare_cached("SELECT certificate, name, department_id, active FROM inspectors ORDER BY certificate")?
                .query_map([], |r| {
                    Ok(Inspector {
                        certificate: r.get(0)?,
                        name: r.get(1)?,
                        department_id: r.get(2)?,
                        active: r.get::<_, i64>(3)? != 0,
                    })
                })?
                .collect()
        })
    }

    fn declare_conflict(&self, ctx: &WriteContext, certificate: &str, subject_id: i64, reason: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO inspector_conflicts (certificate, subject_id, reason, declared_at, declared_by) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (certificate, subject_id) DO UPDATE SET reason = excluded.reason",
                params![certificate, subject_id, reason, ctx.at.to_string(), ctx.actor],
            )
            .map_err(err)?;
            let detail = serde_json::json!({"certificate": certificate}).to_string();
            insert_event(tx, ctx, "inspector.conflict_declared", Some(subject_id), None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn conflicts(&self) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT c.certificate, s.public_key FROM inspector_conflicts c JOIN subjects s ON s.id = c.subject_id
                 ORDER BY c.certificate, s.public_key",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
        })
    }

    fn licensed_subjects(&self, department_id: i64) -> Result<Vec<(String, SubjectKind)>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT DISTINCT s.public_key, s.kind FROM records r JOIN subjects s ON s.id = r.subject_id
                 WHERE r.kind = 'license' AND r.department_id = ?1 ORDER BY s.public_key",
            )?
            .query_map([department_id], |r| {
                Ok((r.get(0)?, SubjectKind::parse(&r.get::<_, String>(1)?).unwrap_or(SubjectKind::Organization)))
            })?
            .collect()
        })
    }

    fn assignments_since(&self, since: Date) -> Result<Vec<(String, String)>> {
        let rows: Vec<(String, String)> = self.read(|c| {
            c.prepare_cached(
                "SELECT r.subject_code, r.inspectors FROM draw_results r JOIN draws d ON d.id = r.draw_id
                 WHERE d.run_at IS NOT NULL AND d.as_of >= ?1",
            )?
            .query_map([since.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
        })?;
        let mut out = Vec::new();
        for (code, certs) in rows {
            let certs: Vec<String> = serde_json::from_str(&certs).map_err(|e| StoreError::Backend(e.to_string()))?;
            out.extend(certs.into_iter().map(|c| (code.clone(), c)));
        }
        Ok(out)
    }

    fn create_draw(&self, ctx: &WriteContext, d: &NewDraw) -> Result<i64> {
        let shares = serde_json::to_string(&shares_text(&d.shares)).expect("shares serialise");
        let overridden = serde_json::to_string(&shares_text(&d.overridden)).expect("shares serialise");
        let roster = serde_json::to_string(&d.roster).expect("roster serialises");
        self.write(|tx| {
            tx.execute(
                "INSERT INTO draws (matter_id, as_of, population, population_hash, shares, overridden, inspectors_per_subject,
                   roster, commitment, secret, public_value_source, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    d.matter_id,
                    d.as_of.to_string(),
                    population_text(&d.population),
                    population_hash(&d.population),
                    shares,
                    overridden,
                    d.inspectors_per_subject,
                    roster,
                    xinjiao_core::inspection::draw::commitment(&d.secret),
                    d.secret,
                    d.public_value_source,
                    ctx.at.to_string(),
                    ctx.actor
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"draw": id, "population": d.population.len(),
                "population_hash": population_hash(&d.population), "commitment": xinjiao_core::inspection::draw::commitment(&d.secret)})
            .to_string();
            insert_event(tx, ctx, "draw.planned", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn draw(&self, id: i64) -> Result<Draw> {
        self.read(|c| {
            let (matter_id, mut draw) = c.query_row(
                "SELECT id, matter_id, as_of, population, population_hash, shares, overridden, inspectors_per_subject, roster,
                        commitment, secret, public_value_source, public_value, seed, run_at, created_at, created_by
                 FROM draws WHERE id = ?1",
                [id],
                |r| {
                    let shares: std::collections::BTreeMap<String, String> = serde_json::from_str(&r.get::<_, String>(5)?).map_err(json_err)?;
                    let overridden: std::collections::BTreeMap<String, String> = serde_json::from_str(&r.get::<_, String>(6)?).map_err(json_err)?;
                    let roster: FrozenRoster = serde_json::from_str(&r.get::<_, String>(8)?).map_err(json_err)?;
                    Ok((
                        r.get::<_, i64>(1)?,
                        Draw {
                            id: r.get(0)?,
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
                            as_of: date(r.get(2)?)?,
                            population: population_from_text(&r.get::<_, String>(3)?),
                            population_hash: r.get(4)?,
                            shares: shares_from_text(&shares).unwrap_or_default(),
                            overridden: shares_from_text(&overridden).unwrap_or_default(),
                            inspectors_per_subject: r.get(7)?,
                            roster,
                            commitment: r.get(9)?,
                            secret: r.get(10)?,
                            public_value_source: r.get(11)?,
                            public_value: r.get(12)?,
                            seed: r.get(13)?,
                            run_at: r.get::<_, Option<String>>(14)?.map(ts).transpose()?,
                            created_at: ts(r.get(15)?)?,
                            created_by: r.get(16)?,
                            drawn: Vec::new(),
                        },
                    ))
                },
            )?;
            draw.matter = c.query_row(
                &format!("SELECT {MATTER_COLUMNS} FROM inspection_matters m JOIN departments d ON d.id = m.department_id WHERE m.id = ?1"),
                [matter_id],
                matter_of,
            )?;
            draw.drawn = c
                .prepare_cached("SELECT subject_code, grade, inspectors, short FROM draw_results WHERE draw_id = ?1 ORDER BY position")?
                .query_map([id], |r| {
                    Ok(Assignment {
                        member: Member { code: r.get(0)?, grade: r.get(1)? },
                        inspectors: serde_json::from_str(&r.get::<_, String>(2)?).map_err(json_err)?,
                        short: r.get::<_, i64>(3)? != 0,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(draw)
        })
    }

    fn draws(&self) -> Result<Vec<DrawSummary>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT d.id, m.code, m.name, d.as_of, length(d.population) - length(replace(d.population, char(10), '')),
                        (SELECT count(*) FROM draw_results r WHERE r.draw_id = d.id),
                        (SELECT count(*) FROM inspection_results i WHERE i.draw_id = d.id), d.commitment, d.public_value_source, d.run_at
                 FROM draws d JOIN inspection_matters m ON m.id = d.matter_id ORDER BY d.id DESC",
            )?
            .query_map([], |r| {
                Ok(DrawSummary {
                    id: r.get(0)?,
                    matter_code: r.get(1)?,
                    matter_name: r.get(2)?,
                    as_of: date(r.get(3)?)?,
                    population: r.get::<_, i64>(4)? as usize,
                    drawn: r.get::<_, i64>(5)? as usize,
                    entered: r.get::<_, i64>(6)? as usize,
                    commitment: r.get(7)?,
                    public_value_source: r.get(8)?,
                    run_at: r.get::<_, Option<String>>(9)?.map(ts).transpose()?,
                })
            })?
            .collect()
        })
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
                    "UPDATE draws SET public_value = ?2, seed = ?3, run_at = ?4, run_by = ?5 WHERE id = ?1 AND run_at IS NULL",
                    params![id, public_value, seed, ctx.at.to_string(), ctx.actor],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("第 {id} 号抽查已完成或不存在，不能重新抽取")));
            }
            for (i, a) in drawn.iter().enumerate() {
                tx.execute(
                    "INSERT INTO draw_results (draw_id, position, subject_code, grade, inspectors, short) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, i as i64, a.member.code, a.member.grade, serde_json::to_string(&a.inspectors).expect("list"), a.short],
                )
                .map_err(err)?;
            }
            let detail = serde_json::json!({"draw": id, "public_value": public_value, "seed": seed, "drawn": drawn.len()}).to_string();
            insert_event(tx, ctx, "draw.run", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn record_inspection_result(&self, ctx: &WriteContext, r: &InspectionResult) -> Result<()> {
        self.write(|tx| {
            let drawn: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM draw_results WHERE draw_id = ?1 AND subject_code = ?2)",
                    params![r.draw_id, r.subject_code],
                    |row| row.get(0),
                )
                .map_err(err)?;
            if !drawn {
                return Err(StoreError::Conflict(format!("{} 不是第 {} 号抽查抽中的对象", r.subject_code, r.draw_id)));
            }
            let n = tx
                .execute(
                    "INSERT INTO inspection_results (draw_id, subject_code, outcome, findings, inspected_on, entered_at, entered_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                    params![
                        r.draw_id,
                        r.subject_code,
                        r.outcome.as_str(),
                        r.findings,
                        r.inspected_on.to_string(),
                        ctx.at.to_string(),
                        ctx.actor
                    ],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("{} 的检查结果已经录入", r.subject_code)));
            }
            let detail = serde_json::json!({"draw": r.draw_id, "subject": r.subject_code, "outcome": r.outcome.as_str(),
                "inspected_on": r.inspected_on.to_string()})
            .to_string();
            insert_event(tx, ctx, "inspection.result", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn inspection_results(&self, draw_id: i64) -> Result<Vec<InspectionResult>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT draw_id, subject_code, outcome, findings, inspected_on, entered_at, entered_by
                 FROM inspection_results WHERE draw_id = ?1 ORDER BY subject_code",
            )?
            .query_map([draw_id], result_of)?
            .collect()
        })
    }

    fn inspection_results_in(&self, subjects: std::ops::Range<i64>) -> Result<Vec<(i64, InspectionResult)>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT i.draw_id, i.subject_code, i.outcome, i.findings, i.inspected_on, i.entered_at, i.entered_by, s.id
                 FROM inspection_results i JOIN subjects s ON s.public_key = i.subject_code
                 WHERE s.id >= ?1 AND s.id < ?2 ORDER BY s.id, i.inspected_on",
            )?
            .query_map(params![subjects.start, subjects.end], |r| Ok((r.get(7)?, result_of(r)?)))?
            .collect()
        })
    }
}

fn result_of(r: &Row) -> rusqlite::Result<InspectionResult> {
    Ok(InspectionResult {
        draw_id: r.get(0)?,
        subject_code: r.get(1)?,
        outcome: xinjiao_core::inspection::results::Outcome::parse(&r.get::<_, String>(2)?)
            .ok_or(rusqlite::Error::InvalidColumnType(2, "outcome".into(), rusqlite::types::Type::Text))?,
        findings: r.get(3)?,
        inspected_on: date(r.get(4)?)?,
        entered_at: ts(r.get(5)?)?,
        entered_by: r.get(6)?,
    })
}
