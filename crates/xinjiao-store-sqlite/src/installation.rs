//! The SQLite backend of the backend, settings, the writer probe, and dump and restore ([`xinjiao_store::InstallationStore`]).

use super::*;

pub(crate) fn dump_value(v: rusqlite::types::ValueRef<'_>) -> DumpValue {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => DumpValue::Null,
        ValueRef::Integer(i) => DumpValue::Int(i),
        ValueRef::Real(f) => DumpValue::Text(f.to_string()),
        ValueRef::Text(t) => DumpValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => DumpValue::Bytes(b.to_vec()),
    }
}

pub(crate) fn sql_value(v: DumpValue) -> Value {
    match v {
        DumpValue::Null => Value::Null,
        DumpValue::Int(i) => Value::Integer(i),
        DumpValue::Text(t) => Value::Text(t),
        DumpValue::Bytes(b) => Value::Blob(b),
    }
}

impl InstallationStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional())
    }

    fn dump_rows(&self, table: &str, after: Option<&[DumpValue]>, limit: u32) -> Result<Vec<Vec<DumpValue>>> {
        let (name, cols, n_key) =
            dump_table(table).ok_or_else(|| StoreError::Backend(format!("unknown table {table}")))?;
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let keys = names[..n_key].join(", ");
        let mut args: Vec<Value> = after.map(|a| a.iter().cloned().map(sql_value).collect()).unwrap_or_default();
        let filter = if args.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (1..=args.len()).map(|i| format!("?{i}")).collect();
            format!("WHERE ({keys}) > ({})", marks.join(", "))
        };
        args.push(Value::Integer(i64::from(limit)));
        let sql = format!("SELECT {} FROM {name} {filter} ORDER BY {keys} LIMIT ?{}", names.join(", "), args.len());
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| {
                (0..cols.len()).map(|i| r.get_ref(i).map(dump_value)).collect::<rusqlite::Result<Vec<_>>>()
            })?;
            rows.collect()
        })
    }

    fn restore(&self, batches: &mut dyn Iterator<Item = Result<(&'static str, Vec<Vec<DumpValue>>)>>) -> Result<u64> {
        self.write(|tx| {
            let used: i64 = tx
                .query_row("SELECT (SELECT count(*) FROM subjects) + (SELECT count(*) FROM records) + (SELECT count(*) FROM users)", [], |r| r.get(0))
                .map_err(err)?;
            if used > 0 {
                return Err(StoreError::Conflict("目标数据库不是空的：恢复只能写入新建的数据库".into()));
            }
            let mut n = 0u64;
            for batch in batches {
                let (table, rows) = batch?;
                let (name, cols, _) = dump_table(table).ok_or_else(|| StoreError::Backend(format!("unknown table {table}")))?;
                let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
                let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
                let sql = format!("INSERT OR REPLACE INTO {name} ({}) VALUES ({})", names.join(", "), marks.join(", "));
                let mut st = tx.prepare_cached(&sql).map_err(err)?;
                for row in rows {
                    st.execute(params_from_iter(row.into_iter().map(sql_value))).map_err(err)?;
                    n += 1;
                }
            }
            super::records::rebuild_derived(tx).map_err(err)?;
            Ok(n)
        })
    }

    fn write_in_progress(&self) -> Result<bool> {
        // Another writer holds the lock if an immediate transaction cannot start at once.
        let c = open_conn(&self.path).map_err(err)?;
        c.busy_timeout(std::time::Duration::ZERO).map_err(err)?;
        match c.execute_batch("BEGIN IMMEDIATE; ROLLBACK") {
            Ok(()) => Ok(false),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DatabaseBusy => Ok(true),
            Err(e) => Err(err(e)),
        }
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(err)?;
            Ok(())
        })
    }
}
