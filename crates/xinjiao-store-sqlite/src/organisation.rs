//! The SQLite backend of the organisation: divisions, departments, declarations, responsibilities and documents ([`xinjiao_store::OrganisationStore`]).

use super::audit::insert_event;
use super::*;

pub(crate) const DOCUMENT_COLS: &str =
    "id, kind, title, body, issue_date, department_id, published_on, created_at, created_by";

pub(crate) fn document_row(r: &Row<'_>) -> rusqlite::Result<Document> {
    let k: String = r.get(1)?;
    Ok(Document {
        id: r.get(0)?,
        kind: DocumentKind::parse(&k)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, k, rusqlite::types::Type::Text))?,
        title: r.get(2)?,
        body: r.get(3)?,
        issue_date: date(r.get(4)?)?,
        department_id: r.get(5)?,
        published_on: r.get::<_, Option<String>>(6)?.map(date).transpose()?,
        created_at: ts(r.get(7)?)?,
        created_by: r.get(8)?,
    })
}

impl OrganisationStore for SqliteStore {
    fn save_organisation(
        &self,
        ctx: &WriteContext,
        divisions: &[Division],
        departments: &[NewDepartment],
    ) -> Result<()> {
        self.write(|tx| {
            for d in divisions {
                tx.prepare_cached(
                    "INSERT INTO divisions (code, name, parent_code, sort, authority_codes) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, sort = excluded.sort,
                     authority_codes = excluded.authority_codes",
                )
                .and_then(|mut st| {
                    st.execute(params![d.code, d.name, d.parent_code, d.sort, xinjiao_store::join_codes(&d.authority_codes)])
                })
                .map_err(err)?;
            }
            for d in departments {
                tx.prepare_cached(
                    "INSERT INTO departments (code, division_code, name, kind, sort, authority_codes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (code) DO UPDATE SET division_code = excluded.division_code, name = excluded.name,
                     kind = excluded.kind, sort = excluded.sort, authority_codes = excluded.authority_codes",
                )
                .and_then(|mut st| {
                    let codes = xinjiao_store::join_codes(&d.authority_codes);
                    st.execute(params![d.code, d.division_code, d.name, d.kind.as_str(), d.sort, codes])
                })
                .map_err(err)?;
            }
            let detail = serde_json::json!({"divisions": divisions.len(), "departments": departments.len()}).to_string();
            insert_event(tx, ctx, "organisation.saved", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn divisions(&self) -> Result<Vec<Division>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT code, name, parent_code, sort, authority_codes FROM divisions ORDER BY sort, code",
            )?
            .query_map([], |r| {
                Ok(Division {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    parent_code: r.get(2)?,
                    sort: r.get(3)?,
                    authority_codes: xinjiao_store::split_codes(&r.get::<_, String>(4)?),
                })
            })?
            .collect()
        })
    }

    fn departments(&self) -> Result<Vec<Department>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT d.id, d.code, d.division_code, d.name, d.kind, d.sort, d.review_required <> 0, d.authority_codes FROM departments d
                 JOIN divisions v ON v.code = d.division_code ORDER BY v.sort, d.sort, d.code",
            )?
            .query_map([], |r| {
                let kind: String = r.get(4)?;
                Ok(Department {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    division_code: r.get(2)?,
                    name: r.get(3)?,
                    kind: DepartmentKind::parse(&kind)
                        .ok_or_else(|| rusqlite::Error::InvalidColumnType(4, kind, rusqlite::types::Type::Text))?,
                    sort: r.get(5)?,
                    review_required: r.get(6)?,
                    authority_codes: xinjiao_store::split_codes(&r.get::<_, String>(7)?),
                })
            })?
            .collect()
        })
    }

    fn declare(&self, ctx: &WriteContext, declarations: &[(i64, Month, RecordKind, i64)]) -> Result<()> {
        self.write(|tx| {
            for (department_id, month, kind, due) in declarations {
                let old: Option<i64> = tx
                    .prepare_cached("SELECT due FROM declarations WHERE department_id = ?1 AND month = ?2 AND kind = ?3")
                    .and_then(|mut st| {
                        st.query_row(params![department_id, month.to_string(), kind.as_str()], |r| r.get(0)).optional()
                    })
                    .map_err(err)?;
                if old == Some(*due) {
                    continue;
                }
                tx.prepare_cached(
                    "INSERT INTO declarations (department_id, month, kind, due, declared_at, declared_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (department_id, month, kind) DO UPDATE SET due = excluded.due,
                     declared_at = excluded.declared_at, declared_by = excluded.declared_by",
                )
                .and_then(|mut st| {
                    st.execute(params![department_id, month.to_string(), kind.as_str(), due, ctx.at.to_string(), ctx.actor])
                })
                .map_err(err)?;
                let detail = serde_json::json!({
                    "department_id": department_id, "month": month.to_string(), "kind": kind.as_str(), "due": [old, due]
                })
                .to_string();
                insert_event(tx, ctx, "declaration.saved", None, None, &detail).map_err(err)?;
            }
            Ok(())
        })
    }

    fn declarations(&self, from: Month, to: Month) -> Result<Vec<Declaration>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT department_id, month, kind, due, declared_at, declared_by FROM declarations
                 WHERE month >= ?1 AND month <= ?2 ORDER BY month, department_id, kind",
            )?
            .query_map(params![from.to_string(), to.to_string()], |r| {
                let m: String = r.get(1)?;
                Ok(Declaration {
                    department_id: r.get(0)?,
                    month: Month::parse(&m)
                        .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, m, rusqlite::types::Type::Text))?,
                    kind: kind(r.get(2)?)?,
                    due: r.get(3)?,
                    declared_at: ts(r.get(4)?)?,
                    declared_by: r.get(5)?,
                })
            })?
            .collect()
        })
    }

    fn replace_responsibilities(&self, ctx: &WriteContext, rows: &[Responsibility]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM responsibilities", []).map_err(err)?;
            for (i, r) in rows.iter().enumerate() {
                tx.prepare_cached(
                    "INSERT INTO responsibilities (category, department_id, person, post, sort) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut st| st.execute(params![r.category, r.department_id, r.person, r.post, i as i64]))
                .map_err(err)?;
            }
            let detail = serde_json::json!({"rows": rows.len()}).to_string();
            insert_event(tx, ctx, "responsibilities.saved", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn responsibilities(&self) -> Result<Vec<Responsibility>> {
        self.read(|c| {
            c.prepare_cached("SELECT category, department_id, person, post FROM responsibilities ORDER BY sort, id")?
                .query_map([], |r| {
                    Ok(Responsibility {
                        category: r.get(0)?,
                        department_id: r.get(1)?,
                        person: r.get(2)?,
                        post: r.get(3)?,
                    })
                })?
                .collect()
        })
    }

    fn create_document(&self, ctx: &WriteContext, doc: &NewDocument) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO documents (kind, title, body, issue_date, department_id, published_on, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    doc.kind.as_str(),
                    doc.title,
                    doc.body,
                    doc.issue_date.to_string(),
                    doc.department_id,
                    doc.published_on.map(|d| d.to_string()),
                    ctx.at.to_string(),
                    ctx.actor
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            let detail = serde_json::json!({"document_id": id, "published": doc.published_on.is_some()}).to_string();
            insert_event(tx, ctx, "document.created", None, None, &detail).map_err(err)?;
            Ok(id)
        })
    }

    fn publish_document(&self, ctx: &WriteContext, id: i64, on: Date) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE documents SET published_on = ?2 WHERE id = ?1 AND published_on IS NULL",
                    params![id, on.to_string()],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict("文件不存在或已发布".into()));
            }
            let detail = serde_json::json!({"document_id": id, "published_on": on.to_string()}).to_string();
            insert_event(tx, ctx, "document.published", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }

    fn document(&self, id: i64) -> Result<Option<Document>> {
        self.read(|c| {
            c.query_row(&format!("SELECT {DOCUMENT_COLS} FROM documents WHERE id = ?1"), [id], document_row).optional()
        })
    }

    fn documents(&self, filter: &DocumentFilter, page: PageRequest) -> Result<Page<Document>> {
        let mut wh = vec!["1 = 1".to_string()];
        let mut args: Vec<Value> = Vec::new();
        if filter.published_only {
            wh.push("published_on IS NOT NULL".into());
        }
        if let Some(k) = filter.kind {
            args.push(Value::Text(k.as_str().into()));
            wh.push(format!("kind = ?{}", args.len()));
        }
        if let Some(ids) = &filter.departments {
            args.push(Value::Text(serde_json::to_string(ids).expect("ids serialise")));
            wh.push(format!("department_id IN (SELECT value FROM json_each(?{}))", args.len()));
        }
        if let Some(d) = filter.issued_from {
            args.push(Value::Text(d.to_string()));
            wh.push(format!("issue_date >= ?{}", args.len()));
        }
        if let Some(d) = filter.issued_to {
            args.push(Value::Text(d.to_string()));
            wh.push(format!("issue_date <= ?{}", args.len()));
        }
        let where_sql = wh.join(" AND ");
        self.read(|c| {
            let total: i64 = c.query_row(
                &format!("SELECT count(*) FROM documents WHERE {where_sql}"),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )?;
            let n = args.len();
            let mut all = args.clone();
            all.push(Value::Integer(i64::from(page.per_page)));
            all.push(Value::Integer(page.offset() as i64));
            let items = c
                .prepare(&format!(
                    "SELECT {DOCUMENT_COLS} FROM documents WHERE {where_sql}
                     ORDER BY issue_date DESC, id DESC LIMIT ?{} OFFSET ?{}",
                    n + 1,
                    n + 2
                ))?
                .query_map(params_from_iter(all.iter()), document_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn set_review_required(&self, ctx: &WriteContext, department_id: i64, required: bool) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute("UPDATE departments SET review_required = ?2 WHERE id = ?1", params![department_id, required])
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let detail = serde_json::json!({"department_id": department_id, "review_required": required}).to_string();
            insert_event(tx, ctx, "department.review_changed", None, None, &detail).map_err(err)?;
            Ok(())
        })
    }
}
