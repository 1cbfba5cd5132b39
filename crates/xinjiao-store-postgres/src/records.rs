//! The PostgreSQL backend of records and subjects: the write path of record batches and the reads of records, subjects and submissions ([`xinjiao_store::RecordStore`]).

use super::*;

impl RecordStore for PgStore {
    fn write_batches(
        &self,
        batches: &mut dyn Iterator<Item = std::result::Result<(WriteContext, Vec<Record>), String>>,
        on_outcome: &mut dyn FnMut(RecordOutcome),
    ) -> Result<()> {
        let rules = self.window_rules();
        self.write(|tx| {
            let p = Prepared::new(tx, rules)?;
            let mut cache = SubjectCache::new();
            for batch in batches {
                let (ctx, batch) = batch.map_err(StoreError::Aborted)?;
                let mut out = Vec::with_capacity(batch.len());
                write_batch(tx, &p, &mut cache, &ctx, &batch, &mut out)?;
                out.into_iter().for_each(&mut *on_outcome);
            }
            Ok(())
        })
    }

    fn search_subjects_on(&self, query: &str, page: PageRequest, public_on: Option<Date>) -> Result<Page<Subject>> {
        let q = normalize_for_search(query);
        let day = xinjiao_store::public_day_arg(public_on);
        if q.is_empty() {
            return Ok(Page { items: vec![], total: 0, page: page.page, per_page: page.per_page });
        }
        // LIKE uses the trigram index; with LIKE's wildcards in the query, an
        // exact strpos() scan instead (the same results as the SQLite backend).
        let hits = if q.contains(['%', '_', '\\']) {
            "SELECT id FROM subjects WHERE strpos(name_norm, $1) > 0 UNION SELECT id FROM subjects WHERE uscc = $1"
        } else {
            "SELECT id FROM subjects WHERE name_norm LIKE '%' || $1 || '%' UNION SELECT id FROM subjects WHERE uscc = $1"
        };
        self.with(|c| {
            let total: i64 = c
                .query_one(
                    &format!(
                        "SELECT count(*) FROM ({hits}) h
                         WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = h.id AND (r.decision_date <= $2::text::date OR $2::text = '0001-01-01') AND {PUBLIC} > $2::text::date)"
                    ),
                    &[&q, &day],
                )
                .map_err(err)?
                .get(0);
            let sql = format!(
                "WITH hits AS ({hits}) SELECT {} FROM hits JOIN subjects s ON s.id = hits.id
                 WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= $4::text::date OR $4::text = '0001-01-01') AND {PUBLIC} > $4::text::date)
                 ORDER BY (s.name_norm = $1) DESC, (left(s.name_norm, length($1)) = $1) DESC,
                          length(s.name_norm), s.name_norm COLLATE \"C\", s.id
                 LIMIT $2 OFFSET $3",
                subject_cols("$4")
            );
            let rows = c.query(&sql, &[&q, &i64::from(page.per_page), &(page.offset() as i64), &day]).map_err(err)?;
            let items = rows.iter().map(subject_row).collect::<Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn subject_by_key_on(&self, key: &str, public_on: Option<Date>) -> Result<Option<Subject>> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.opt_row(
            &format!(
                "SELECT {} FROM subjects s WHERE s.public_key = $1
                 AND EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= $2::text::date OR $2::text = '0001-01-01') AND {PUBLIC} > $2::text::date)",
                subject_cols("$2")
            ),
            &[&key, &day],
            subject_row,
        )
    }

    fn list_records(&self, filter: &RecordFilter, page: PageRequest) -> Result<Page<RecordRow>> {
        let mut wh: Vec<String> = Vec::new();
        let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        for (lhs, arg) in filter.conditions() {
            let cast = match arg {
                FilterArg::Text(t) => {
                    args.push(Box::new(t));
                    ""
                }
                FilterArg::Int(i) => {
                    args.push(Box::new(i));
                    ""
                }
                FilterArg::Date(d) => {
                    args.push(Box::new(d.to_string()));
                    "::text::date"
                }
            };
            wh.push(format!("{lhs} ${}{cast}", args.len()));
        }
        let where_sql = if wh.is_empty() { String::new() } else { format!("WHERE {}", wh.join(" AND ")) };
        let n = args.len();
        self.with(|c| {
            let mut all: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
            let limit = i64::from(page.per_page);
            let offset = page.offset() as i64;
            all.push(&limit);
            all.push(&offset);
            let sql = format!(
                "SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id {where_sql}
                 ORDER BY r.decision_date DESC, r.id DESC LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            );
            let items = c.query(&sql, &all).map_err(err)?.iter().map(record_row).collect::<Result<Vec<_>>>()?;
            let total = if page.page == 1 && (items.len() as u32) < page.per_page {
                items.len() as i64
            } else {
                c.query_one(&format!("SELECT count(*) FROM records r {where_sql}"), &all[..n]).map_err(err)?.get(0)
            };
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn record(&self, id: i64) -> Result<Option<RecordDetail>> {
        self.with(|c| {
            let row = c
                .query_opt(
                    &format!(
                        "SELECT {RECORD_COLS} FROM records r JOIN subjects s ON s.id = r.subject_id WHERE r.id = $1"
                    ),
                    &[&id],
                )
                .map_err(err)?;
            let Some(row) = row else { return Ok(None) };
            let row = record_row(&row)?;
            let versions = c
                .query(
                    "SELECT version, (extract(epoch from created_at) * 1000000)::bigint, created_by, fields
                     FROM record_versions WHERE record_id = $1 ORDER BY version",
                    &[&id],
                )
                .map_err(err)?
                .iter()
                .map(|r| {
                    let fields: String = r.get(3);
                    Ok(RecordVersion {
                        version: r.get(0),
                        created_at: ts_micros(r.get(1))?,
                        created_by: r.get(2),
                        fields: serde_json::from_str(&fields).map_err(|e| bad(e.to_string()))?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let events = c
                .query(
                    &format!(
                        "SELECT {EVENT_COLS} FROM events WHERE authority_code = $2 AND record_id = $1
                         UNION ALL
                         SELECT {EVENT_COLS} FROM events WHERE id = (SELECT created_event FROM records WHERE id = $1)
                         ORDER BY 1"
                    ),
                    &[&id, &row.authority_code],
                )
                .map_err(err)?
                .iter()
                .map(event_row)
                .collect::<Result<Vec<_>>>()?;
            Ok(Some(RecordDetail { row, versions, events }))
        })
    }

    fn authorities(&self) -> Result<Vec<AuthorityCount>> {
        self.with(|c| {
            Ok(c.query(
                "SELECT authority_code, max(authority_name), count(*) FROM records GROUP BY authority_code
                 ORDER BY count(*) DESC, authority_code COLLATE \"C\"",
                &[],
            )
            .map_err(err)?
            .iter()
            .map(|r| AuthorityCount { code: r.get(0), name: r.get(1), n_records: r.get(2) })
            .collect())
        })
    }

    fn totals_on(&self, public_on: Option<Date>) -> Result<Totals> {
        let day = xinjiao_store::public_day_arg(public_on);
        self.with(|c| {
            let r = c
                .query_one(
                    &format!(
                        "SELECT (SELECT count(*) FROM subjects s WHERE EXISTS
                                    (SELECT 1 FROM records r WHERE r.subject_id = s.id AND (r.decision_date <= $1::text::date OR $1::text = '0001-01-01') AND {PUBLIC} > $1::text::date)),
                                (SELECT count(*) FROM records r WHERE r.kind = 'license' AND (r.decision_date <= $1::text::date OR $1::text = '0001-01-01') AND {PUBLIC} > $1::text::date),
                                (SELECT count(*) FROM records r WHERE r.kind = 'penalty' AND (r.decision_date <= $1::text::date OR $1::text = '0001-01-01') AND {PUBLIC} > $1::text::date)"
                    ),
                    &[&day],
                )
                .map_err(err)?;
            Ok(Totals { n_subjects: r.get(0), n_licenses: r.get(1), n_penalties: r.get(2) })
        })
    }

    fn create_submission(&self, ctx: &WriteContext, s: &NewSubmission) -> Result<i64> {
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO submissions (user_id, at, kind, filename, n_rows, n_accepted, n_unchanged, n_rejected, report_json, file, department_id, dry_run)
                     VALUES ($1, $2::text::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                    &[
                        &s.user_id,
                        &ctx.at.to_string(),
                        &s.kind.as_str(),
                        &s.filename,
                        &s.n_rows,
                        &s.n_accepted,
                        &s.n_unchanged,
                        &s.n_rejected,
                        &s.report_json,
                        &s.file.get(..FILE_PIECE).unwrap_or(&s.file),
                        &ctx.department_id,
                        &i64::from(s.dry_run),
                    ],
                )
                .map_err(err)?
                .get(0);
            // The rest of a large file follows in pieces, so that no protocol
            // message (and no buffer of ours) holds a whole 64 MB upload.
            for piece in s.file.get(FILE_PIECE..).unwrap_or_default().chunks(FILE_PIECE) {
                tx.execute("UPDATE submissions SET file = file || $1 WHERE id = $2", &[&piece, &id]).map_err(err)?;
            }
            let detail = serde_json::json!({"submission_id": id, "rows": s.n_rows, "rejected": s.n_rejected}).to_string();
            insert_event(tx, ctx, "submission.created", None, None, &detail)?;
            Ok(id)
        })
    }

    fn submissions_of(&self, user_id: i64, limit: u32) -> Result<Vec<Submission>> {
        self.rows(
            &format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE user_id = $1 ORDER BY id DESC LIMIT $2"),
            &[&user_id, &i64::from(limit)],
            submission_row,
        )
    }

    fn submission(&self, id: i64) -> Result<Option<Submission>> {
        self.opt_row(&format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE id = $1"), &[&id], submission_row)
    }

    fn submission_file(&self, id: i64) -> Result<Option<Vec<u8>>> {
        self.with(|c| {
            Ok(c.query_opt("SELECT file FROM submissions WHERE id = $1", &[&id]).map_err(err)?.map(|r| r.get(0)))
        })
    }

    fn subject_history(&self, subject_id: i64) -> Result<Vec<Event>> {
        self.rows(
            &format!(
                "SELECT {EVENT_COLS} FROM events WHERE subject_id = $1 AND record_id IS NULL AND action LIKE 'subject.%' ORDER BY id"
            ),
            &[&subject_id],
            event_row,
        )
    }

    fn subject_by_identity(&self, identity: &str) -> Result<Option<Subject>> {
        self.opt_row(
            &format!(
                "SELECT {} FROM subjects s WHERE s.uscc = $1 OR s.id_doc_no = $1 ORDER BY s.id LIMIT 1",
                subject_cols("'0001-01-01'")
            ),
            &[&identity],
            subject_row,
        )
    }
}
