//! The PostgreSQL backend of the backend, settings, the writer probe, and dump and restore ([`xinjiao_store::InstallationStore`]).

use super::*;

/// Moves the staged rows of a dumped table into it (see `restore`).
pub(crate) fn flush_stage(tx: &mut Transaction<'_>, table: &str) -> Result<()> {
    let (name, cols, n_key) = dump_table(table).ok_or_else(|| bad(format!("unknown table {table}")))?;
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let updates: Vec<String> = names[n_key..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let conflict = if updates.is_empty() {
        format!("ON CONFLICT ({}) DO NOTHING", names[..n_key].join(", "))
    } else {
        format!("ON CONFLICT ({}) DO UPDATE SET {}", names[..n_key].join(", "), updates.join(", "))
    };
    let list = names.join(", ");
    tx.batch_execute(&format!(
        "INSERT INTO {name} ({list}) SELECT {list} FROM stage_{name} ORDER BY {} {conflict}; TRUNCATE stage_{name}",
        names[..n_key].join(", ")
    ))
    .map_err(err)
}

/// A value in COPY's text format.
pub(crate) fn copy_text(buf: &mut Vec<u8>, v: &DumpValue) {
    match v {
        DumpValue::Null => buf.extend_from_slice(b"\\N"),
        DumpValue::Int(i) => buf.extend_from_slice(i.to_string().as_bytes()),
        DumpValue::Text(t) => copy_str(buf, t),
        DumpValue::Bytes(bytes) => {
            // bytea hex input (\x…), its backslash escaped for COPY.
            buf.extend_from_slice(b"\\\\x");
            for b in bytes {
                buf.extend_from_slice(format!("{b:02x}").as_bytes());
            }
        }
    }
}

/// Text in COPY's text format (backslash, tab and line ends escaped).
pub(crate) fn copy_str(buf: &mut Vec<u8>, t: &str) {
    for b in t.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

pub(crate) fn migrate(c: &mut Client) -> Result<()> {
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .map_err(err)?;
    for (version, name, sql) in MIGRATIONS {
        let mut tx = c.transaction().map_err(err)?;
        // One migrator at a time, even with several servers starting together.
        tx.execute("SELECT pg_advisory_xact_lock(7326001)", &[]).map_err(err)?;
        let applied =
            tx.query_opt("SELECT checksum FROM schema_migrations WHERE version = $1", &[version]).map_err(err)?;
        match applied {
            Some(row) if row.get::<_, String>(0) == xinjiao_store::migration_checksum(sql) => {}
            Some(_) => return Err(bad(format!("migration {version} ({name}) was changed after it was applied"))),
            None => {
                tx.batch_execute(sql).map_err(err)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    &[version, name, &xinjiao_store::migration_checksum(sql)],
                )
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
    }
    Ok(())
}

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
            let cast = match t {
                ColumnType::Text => "::text COLLATE \"C\"",
                // A date key (monitoring_days) is compared as a date, given as text.
                ColumnType::Date => "::text::date",
                _ => "",
            };
            marks.push(format!("${}{cast}", args.len()));
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
        let n = self.write(|tx| {
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
            super::records::rebuild_derived(tx)?;
            // Identity columns continue after the restored ids.
            for (table, _, _) in xinjiao_store::DUMP_TABLES.iter().filter(|t| t.1[0].0 == "id") {
                tx.execute(
                    &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"),
                    &[],
                )
                .map_err(err)?;
            }
            Ok(n)
        })?;
        // A whole installation arrived at once: statistics now, not at
        // autovacuum's next round (as after a large import).
        self.with(|c| c.client.batch_execute("ANALYZE").map_err(err))?;
        Ok(n)
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
