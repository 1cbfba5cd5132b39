//! The SQLite backend of records and subjects: the write path of record batches and the reads of records, subjects and submissions ([`xinjiao_store::RecordStore`]).

use super::*;

impl RecordStore for SqliteStore {
    fn write_batches(
        &self,
        batches: &mut dyn Iterator<Item = std::result::Result<(WriteContext, Vec<Record>), String>>,
        on_outcome: &mut dyn FnMut(RecordOutcome),
    ) -> Result<()> {
        let rules = self.window_rules();
        self.write(|tx| {
            let mut state = StreamState::begin(tx, rules).map_err(err)?;
            for batch in batches {
                let (ctx, batch) = batch.map_err(StoreError::Aborted)?;
                state.created_events.clear();
                for rec in &batch {
                    on_outcome(write_one(tx, &mut state, &ctx, rec).map_err(err)?);
                }
            }
            state.finish(tx).map_err(err)?;
            Ok(())
        })
    }

    fn search_subjects_on(&self, query: &str, page: PageRequest, public_on: Option<Date>) -> Result<Page<Subject>> {
        let q = normalize_for_search(query);
        let day = xinjiao_store::public_day_arg(public_on);
        if q.is_empty() {
            return Ok(Page { items: vec![], total: 0, page: page.page, per_page: page.per_page });
        }
        // Trigram index for 3+ characters without LIKE wildcards; otherwise an exact
        // substring scan with instr().
        let use_fts = q.chars().count() >= 3 && !q.contains(['%', '_']);
        let hits = if use_fts {
            "SELECT rowid AS id FROM subjects_fts WHERE name_norm LIKE '%' || ?1 || '%'
             UNION SELECT id FROM subjects WHERE uscc = ?1"
        } else {
            "SELECT id FROM subjects WHERE instr(name_norm, ?1) > 0 UNION SELECT id FROM subjects WHERE uscc = ?1"
        };
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!(
                    "SELECT count(*) FROM ({hits}) h
                     WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = h.id AND (r.decision_date <= ?2 OR ?2 = '0001-01-01') AND {PUBLIC} > ?2)"
                ),
                params![q, day],
                |r| r.get(0),
            )?;
            let sql = format!(
                "WITH hits AS ({hits}) SELECT {} FROM hits JOIN subjects s ON s.id = hits.id
                 WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= ?4 OR ?4 = '0001-01-01') AND {PUBLIC} > ?4)
                 ORDER BY (s.name_norm = ?1) DESC, (substr(s.name_norm, 1, length(?1)) = ?1) DESC,
                          length(s.name_norm), s.name_norm, s.id
                 LIMIT ?2 OFFSET ?3",
                subject_cols("?4")
            );
            let items = c
                .prepare(&sql)?
                .query_map(params![q, page.per_page, page.offset() as i64, day], subject_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn subject_by_key_on(&self, key: &str, public_on: Option<Date>) -> Result<Option<Subject>> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM subjects s WHERE s.public_key = ?1
                 AND EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= ?2 OR ?2 = '0001-01-01') AND {PUBLIC} > ?2)",
                subject_cols("?2")
            ))?
            .query_row(params![key, day], subject_row)
            .optional()
        })
    }

    fn list_records(&self, filter: &RecordFilter, page: PageRequest) -> Result<Page<RecordRow>> {
        let mut wh = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        for (lhs, arg) in filter.conditions() {
            args.push(match arg {
                FilterArg::Text(t) => Value::Text(t),
                FilterArg::Int(i) => Value::Integer(i),
                FilterArg::Date(d) => Value::Text(d.to_string()),
            });
            wh.push(format!("{lhs} ?{}", args.len()));
        }
        let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
        self.read(|c| {
            let n = args.len();
            let mut all = args.clone();
            all.push(Value::Integer(i64::from(page.per_page)));
            all.push(Value::Integer(page.offset() as i64));
            let sql = format!(
                "SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id {where_sql}
                 ORDER BY r.decision_date DESC, r.id DESC LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            );
            let items = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(all.iter()), record_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            // A short first page is the whole list: no need to count.
            let total = if page.page == 1 && (items.len() as u32) < page.per_page {
                items.len() as i64
            } else {
                c.prepare_cached(&format!("SELECT count(*) FROM records r {where_sql}"))?
                    .query_row(params_from_iter(args.iter()), |r| r.get(0))?
            };
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn record(&self, id: i64) -> Result<Option<RecordDetail>> {
        self.read(|c| {
            let row = c
                .query_row(&format!("SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id WHERE r.id = ?1"), [id], record_row)
                .optional()?;
            let Some(row) = row else { return Ok(None) };
            let versions = c
                .prepare("SELECT version, created_at, created_by, fields FROM record_versions WHERE record_id = ?1 ORDER BY version")?
                .query_map([id], |r| {
                    let fields: String = r.get(3)?;
                    Ok(RecordVersion {
                        version: r.get(0)?,
                        created_at: ts(r.get(1)?)?,
                        created_by: r.get(2)?,
                        fields: serde_json::from_str(&fields).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
                        })?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let events = c
                .prepare(
                    "SELECT id, at, actor, action, subject_id, record_id, reason, detail FROM events
                     WHERE authority_code = ?2 AND record_id = ?1
                     UNION ALL
                     SELECT e.id, e.at, e.actor, e.action, e.subject_id, e.record_id, e.reason, e.detail
                     FROM records r JOIN events e ON e.id = r.created_event WHERE r.id = ?1
                     ORDER BY 1",
                )?
                .query_map(params![id, row.authority_code], event_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(RecordDetail { row, versions, events }))
        })
    }

    fn authorities(&self) -> Result<Vec<AuthorityCount>> {
        self.read(|c| {
            c.prepare(
                "SELECT authority_code, max(authority_name), count(*) FROM records GROUP BY authority_code ORDER BY count(*) DESC, authority_code",
            )?
            .query_map([], |r| Ok(AuthorityCount { code: r.get(0)?, name: r.get(1)?, n_records: r.get(2)? }))?
            .collect()
        })
    }

    fn totals_on(&self, public_on: Option<Date>) -> Result<Totals> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.read(|c| {
            let n = |sql: &str| -> rusqlite::Result<i64> { c.query_row(sql, [&day], |r| r.get(0)) };
            Ok(Totals {
                n_subjects: n(&format!(
                    "SELECT count(*) FROM subjects s WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= ?1 OR ?1 = '0001-01-01') AND {PUBLIC} > ?1)"
                ))?,
                n_licenses: n(&format!("SELECT count(*) FROM records r WHERE r.kind = 'license' AND (r.decision_date <= ?1 OR ?1 = '0001-01-01') AND {PUBLIC} > ?1"))?,
                n_penalties: n(&format!("SELECT count(*) FROM records r WHERE r.kind = 'penalty' AND (r.decision_date <= ?1 OR ?1 = '0001-01-01') AND {PUBLIC} > ?1"))?,
            })
        })
    }

    fn create_submission(&self, ctx: &WriteContext, s: &NewSubmission) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO submissions (user_id, at, kind, filename, n_rows, n_accepted, n_unchanged, n_rejected, report_json, file, department_id, dry_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, zeroblob(?10), ?11, ?12)",
                params![
                    s.user_id,
                    ctx.at.to_string(),
                    s.kind.as_str(),
                    s.filename,
                    s.n_rows,
                    s.n_accepted,
                    s.n_unchanged,
                    s.n_rejected,
                    s.report_json,
                    s.file.len() as i64,
                    ctx.department_id,
                    i64::from(s.dry_run)
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            // The file is written in pieces into the space reserved above, so
            // that SQLite never holds a second whole copy of a 64 MB upload.
            let mut blob = tx.blob_open(rusqlite::MAIN_DB, "submissions", "file", id, false).map_err(err)?;
            for (i, piece) in s.file.chunks(1 << 20).enumerate() {
                blob.write_at(piece, i << 20).map_err(err)?;
            }
            drop(blob);
            let detail = serde_json::json!({"submission_id": id, "rows": s.n_rows, "rejected": s.n_rejected}).to_string();
            insert_event(tx, ctx, "submission.created", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn submissions_of(&self, user_id: i64, limit: u32) -> Result<Vec<Submission>> {
        self.read(|c| {
            c.prepare(&format!(
                "SELECT {SUBMISSION_COLS} FROM submissions WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![user_id, limit], submission_row)?
            .collect()
        })
    }

    fn submission(&self, id: i64) -> Result<Option<Submission>> {
        self.read(|c| {
            c.query_row(&format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = ?1"), [id], submission_row)
                .optional()
        })
    }

    fn submission_file(&self, id: i64) -> Result<Option<Vec<u8>>> {
        self.read(|c| c.query_row("SELECT file FROM submissions WHERE id = ?1", [id], |r| r.get(0)).optional())
    }

    fn subject_history(&self, subject_id: i64) -> Result<Vec<Event>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id, at, actor, action, subject_id, record_id, reason, detail FROM events
                 WHERE subject_id = ?1 AND action LIKE 'subject.%' ORDER BY id",
            )?
            .query_map([subject_id], event_row)?
            .collect()
        })
    }

    fn subject_by_identity(&self, identity: &str) -> Result<Option<Subject>> {
        self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {} FROM subjects s WHERE s.uscc = ?1 OR s.id_doc_no = ?1 ORDER BY s.id LIMIT 1",
                    subject_cols("'0001-01-01'")
                ),
                [identity],
                subject_row,
            )
            .optional()
        })
    }
}
