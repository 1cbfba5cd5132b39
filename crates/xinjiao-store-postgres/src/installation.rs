//! The PostgreSQL backend of the backend, settings, the writer probe, and dump and restore ([`xinjiao_store::InstallationStore`]).

use super::*;

impl InstallationStore for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn write_in_progress(&self) -> Result<bool> {
        self.with(|c| {
            let n: i64 = c
                .client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                     AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
                    &[],
                )
                .map_err(err)?
                .get(0);
            Ok(n > 0)
        })
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.with(|c| Ok(c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key]).map_err(err)?.map(|r| r.get(0))))
    }

    fn dump_rows(&self, table: &str, after: Option<&[DumpValue]>, limit: u32) -> Result<Vec<Vec<DumpValue>>> {
        let (name, cols, n_key) = dump_table(table).ok_or_else(|| bad(format!("unknown table {table}")))?;
        let select: Vec<String> = cols
            .iter()
            .map(|(c, t)| match t {
                ColumnType::Timestamp => format!("(extract(epoch from {c}) * 1000000)::bigint"),
                ColumnType::Date => format!("{c}::text"),
                _ => c.to_string(),
            })
            .collect();
        let keys: Vec<String> = cols[..n_key]
            .iter()
            .map(|(c, t)| if *t == ColumnType::Text { format!("{c} COLLATE \"C\"") } else { c.to_string() })
            .collect();
        let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut marks = Vec::new();
        for (v, (_, t)) in after.unwrap_or_default().iter().zip(cols.iter()) {
            args.push(match v {
                DumpValue::Int(i) => Box::new(*i),
                DumpValue::Text(s) => Box::new(s.clone()),
                other => return Err(bad(format!("unsupported key value {other:?}"))),
            });
            marks.push(format!("${}{}", args.len(), if *t == ColumnType::Text { "::text COLLATE \"C\"" } else { "" }));
        }
        let filter = if marks.is_empty() {
            String::new()
        } else {
            format!("WHERE ({}) > ({})", keys.join(", "), marks.join(", "))
        };
        let limit = i64::from(limit);
        args.push(Box::new(limit));
        let sql = format!(
            "SELECT {} FROM {name} {filter} ORDER BY {} LIMIT ${}",
            select.join(", "),
            keys.join(", "),
            args.len()
        );
        self.with(|c| {
            let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|b| b.as_ref()).collect();
            let rows = c.query(&sql, &refs).map_err(err)?;
            rows.iter()
                .map(|r| {
                    cols.iter()
                        .enumerate()
                        .map(|(i, (_, t))| {
                            Ok(match t {
                                ColumnType::Int => r.get::<_, Option<i64>>(i).map_or(DumpValue::Null, DumpValue::Int),
                                ColumnType::Text | ColumnType::Date => {
                                    r.get::<_, Option<String>>(i).map_or(DumpValue::Null, DumpValue::Text)
                                }
                                ColumnType::Bytes => {
                                    r.get::<_, Option<Vec<u8>>>(i).map_or(DumpValue::Null, DumpValue::Bytes)
                                }
                                ColumnType::Timestamp => match r.get::<_, Option<i64>>(i) {
                                    None => DumpValue::Null,
                                    Some(us) => DumpValue::Text(ts_micros(us)?.to_string()),
                                },
                            })
                        })
                        .collect::<Result<Vec<_>>>()
                })
                .collect()
        })
    }

    fn restore(&self, batches: &mut dyn Iterator<Item = Result<(&'static str, Vec<Vec<DumpValue>>)>>) -> Result<u64> {
        self.write(|tx| {
            let used: i64 = tx
                .query_one("SELECT (SELECT count(*) FROM subjects) + (SELECT count(*) FROM records) + (SELECT count(*) FROM users)", &[])
                .map_err(err)?
                .get(0);
            if used > 0 {
                return Err(StoreError::Conflict("目标数据库不是空的：恢复只能写入新建的数据库".into()));
            }
            // Each table's rows go through a temporary staging table with COPY
            // (one round trip per batch rather than per row), then into the
            // table with one INSERT … ON CONFLICT (some tables, e.g. meta,
            // may hold rows a migration wrote).
            let mut n = 0u64;
            let mut staged: Option<&'static str> = None;
            for batch in batches {
                let (table, rows) = batch?;
                if staged != Some(table) {
                    if let Some(prev) = staged {
                        flush_stage(tx, prev)?;
                    }
                    tx.batch_execute(&format!(
                        "CREATE TEMP TABLE IF NOT EXISTS stage_{table} (LIKE {table}) ON COMMIT DROP; TRUNCATE stage_{table}"
                    ))
                    .map_err(err)?;
                    staged = Some(table);
                }
                let (_, cols, _) = dump_table(table).ok_or_else(|| bad(format!("unknown table {table}")))?;
                let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
                let mut w = tx
                    .copy_in(&format!("COPY stage_{table} ({}) FROM STDIN", names.join(", ")))
                    .map_err(err)?;
                let mut buf = Vec::with_capacity(rows.len() * 256);
                for row in &rows {
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            buf.push(b'\t');
                        }
                        copy_text(&mut buf, v);
                    }
                    buf.push(b'\n');
                }
                std::io::Write::write_all(&mut w, &buf).map_err(|e| bad(format!("COPY {table}: {e}")))?;
                w.finish().map_err(err)?;
                n += rows.len() as u64;
            }
            if let Some(prev) = staged {
                flush_stage(tx, prev)?;
            }
            tx.batch_execute(
                "DELETE FROM record_day_counts;
                 INSERT INTO record_day_counts (decision_date, kind, department_id, published_on, n)
                 SELECT decision_date, kind, coalesce(department_id, 0), published_on, count(*) FROM records GROUP BY 1, 2, 3, 4;",
            )
            .map_err(err)?;
            // Identity columns continue after the restored ids.
            for (table, _, _) in xinjiao_store::DUMP_TABLES.iter().filter(|t| t.1[0].0 == "id") {
                tx.execute(
                    &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"),
                    &[],
                )
                .map_err(err)?;
            }
            Ok(n)
        })
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .map_err(err)?;
            Ok(())
        })
    }
}
