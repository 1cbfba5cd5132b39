//! The PostgreSQL backend of the organisation: divisions, departments, declarations, responsibilities and documents ([`xinjiao_store::OrganisationStore`]).

use super::audit::insert_event;
use super::*;

pub(crate) const DOCUMENT_COLS: &str = "id, kind, title, body, issue_date::text, department_id, published_on::text,
    (extract(epoch from created_at) * 1000000)::bigint, created_by";

pub(crate) fn document_row(r: &Row) -> Result<Document> {
    let kind: &str = r.get(1);
    Ok(Document {
        id: r.get(0),
        kind: DocumentKind::parse(kind).ok_or_else(|| bad(format!("document kind {kind}")))?,
        title: r.get(2),
        body: r.get(3),
        issue_date: parse_date(r.get(4))?,
        department_id: r.get(5),
        published_on: r.get::<_, Option<&str>>(6).map(parse_date).transpose()?,
        created_at: ts_micros(r.get(7))?,
        created_by: r.get(8),
    })
}

impl OrganisationStore for PgStore {
    fn save_organisation(
        &self,
        ctx: &WriteContext,
        divisions: &[Division],
        departments: &[NewDepartment],
    ) -> Result<()> {
        self.write(|tx| {
            for d in divisions {
                tx.execute(
                    "INSERT INTO divisions (code, name, parent_code, sort, authority_codes) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, sort = excluded.sort,
                     authority_codes = excluded.authority_codes",
                    &[&d.code, &d.name, &d.parent_code, &d.sort, &xinjiao_store::join_codes(&d.authority_codes)],
                )
                .map_err(err)?;
            }
            for d in departments {
                tx.execute(
                    "INSERT INTO departments (code, division_code, name, kind, sort, authority_codes) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (code) DO UPDATE SET division_code = excluded.division_code, name = excluded.name,
                     kind = excluded.kind, sort = excluded.sort, authority_codes = excluded.authority_codes",
                    &[
                        &d.code,
                        &d.division_code,
                        &d.name,
                        &d.kind.as_str(),
                        &d.sort,
                        &xinjiao_store::join_codes(&d.authority_codes),
                    ],
                )
                .map_err(err)?;
            }
            let detail = serde_json::json!({"divisions": divisions.len(), "departments": departments.len()}).to_string();
            insert_event(tx, ctx, "organisation.saved", None, None, &detail)?;
            Ok(())
        })
    }

    fn divisions(&self) -> Result<Vec<Division>> {
        self.rows(
            "SELECT code, name, parent_code, sort, authority_codes FROM divisions ORDER BY sort, code",
            &[],
            |r| {
                Ok(Division {
                    code: r.get(0),
                    name: r.get(1),
                    parent_code: r.get(2),
                    sort: r.get(3),
                    authority_codes: xinjiao_store::split_codes(r.get(4)),
                })
            },
        )
    }

    fn departments(&self) -> Result<Vec<Department>> {
        self.rows(
            "SELECT d.id, d.code, d.division_code, d.name, d.kind, d.sort, d.review_required <> 0, d.authority_codes FROM departments d
             JOIN divisions v ON v.code = d.division_code ORDER BY v.sort, d.sort, d.code",
            &[],
            |r| {
                let kind: String = r.get(4);
                Ok(Department {
                    id: r.get(0),
                    code: r.get(1),
                    division_code: r.get(2),
                    name: r.get(3),
                    kind: DepartmentKind::parse(&kind).ok_or_else(|| bad(format!("department kind {kind}")))?,
                    sort: r.get(5),
                    review_required: r.get(6),
                    authority_codes: xinjiao_store::split_codes(r.get(7)),
                })
            },
        )
    }

    fn declare(&self, ctx: &WriteContext, declarations: &[(i64, Month, RecordKind, i64)]) -> Result<()> {
        self.write(|tx| {
            for (department_id, month, kind, due) in declarations {
                let month = month.to_string();
                let old: Option<i64> = tx
                    .query_opt(
                        "SELECT due FROM declarations WHERE department_id = $1 AND month = $2 AND kind = $3",
                        &[department_id, &month, &kind.as_str()],
                    )
                    .map_err(err)?
                    .map(|r| r.get(0));
                if old == Some(*due) {
                    continue;
                }
                tx.execute(
                    "INSERT INTO declarations (department_id, month, kind, due, declared_at, declared_by)
                     VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6)
                     ON CONFLICT (department_id, month, kind) DO UPDATE SET due = excluded.due,
                     declared_at = excluded.declared_at, declared_by = excluded.declared_by",
                    &[department_id, &month, &kind.as_str(), due, &ctx.at.to_string(), &ctx.actor],
                )
                .map_err(err)?;
                let detail = serde_json::json!({
                    "department_id": department_id, "month": month, "kind": kind.as_str(), "due": [old, due]
                })
                .to_string();
                insert_event(tx, ctx, "declaration.saved", None, None, &detail)?;
            }
            Ok(())
        })
    }

    fn declarations(&self, from: Month, to: Month) -> Result<Vec<Declaration>> {
        self.rows(
            "SELECT department_id, month, kind, due, (extract(epoch from declared_at) * 1000000)::bigint, declared_by
             FROM declarations WHERE month >= $1 AND month <= $2 ORDER BY month, department_id, kind",
            &[&from.to_string(), &to.to_string()],
            |r| {
                let m: &str = r.get(1);
                Ok(Declaration {
                    department_id: r.get(0),
                    month: Month::parse(m).ok_or_else(|| bad(format!("month {m}")))?,
                    kind: record_kind(r.get(2))?,
                    due: r.get(3),
                    declared_at: ts_micros(r.get(4))?,
                    declared_by: r.get(5),
                })
            },
        )
    }

    fn replace_responsibilities(&self, ctx: &WriteContext, rows: &[Responsibility]) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM responsibilities", &[]).map_err(err)?;
            for (i, r) in rows.iter().enumerate() {
                tx.execute(
                    "INSERT INTO responsibilities (category, department_id, person, post, sort) VALUES ($1, $2, $3, $4, $5)",
                    &[&r.category, &r.department_id, &r.person, &r.post, &(i as i64)],
                )
                .map_err(err)?;
            }
            let detail = serde_json::json!({"rows": rows.len()}).to_string();
            insert_event(tx, ctx, "responsibilities.saved", None, None, &detail)?;
            Ok(())
        })
    }

    fn responsibilities(&self) -> Result<Vec<Responsibility>> {
        self.rows("SELECT category, department_id, person, post FROM responsibilities ORDER BY sort, id", &[], |r| {
            Ok(Responsibility { category: r.get(0), department_id: r.get(1), person: r.get(2), post: r.get(3) })
        })
    }

    fn create_document(&self, ctx: &WriteContext, doc: &NewDocument) -> Result<i64> {
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO documents (kind, title, body, issue_date, department_id, published_on, created_at, created_by)
                     VALUES ($1, $2, $3, $4::text::date, $5, $6::text::date, $7::text::timestamptz, $8) RETURNING id",
                    &[
                        &doc.kind.as_str(),
                        &doc.title,
                        &doc.body,
                        &doc.issue_date.to_string(),
                        &doc.department_id,
                        &doc.published_on.map(|d| d.to_string()),
                        &ctx.at.to_string(),
                        &ctx.actor,
                    ],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({"document_id": id, "published": doc.published_on.is_some()}).to_string();
            insert_event(tx, ctx, "document.created", None, None, &detail)?;
            Ok(id)
        })
    }

    fn publish_document(&self, ctx: &WriteContext, id: i64, on: Date) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE documents SET published_on = $2::text::date WHERE id = $1 AND published_on IS NULL",
                    &[&id, &on.to_string()],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::Conflict("文件不存在或已发布".into()));
            }
            let detail = serde_json::json!({"document_id": id, "published_on": on.to_string()}).to_string();
            insert_event(tx, ctx, "document.published", None, None, &detail)?;
            Ok(())
        })
    }

    fn document(&self, id: i64) -> Result<Option<Document>> {
        self.opt_row(&format!("SELECT {DOCUMENT_COLS} FROM documents WHERE id = $1"), &[&id], document_row)
    }

    fn documents(&self, filter: &DocumentFilter, page: PageRequest) -> Result<Page<Document>> {
        let kind = filter.kind.map(|k| k.as_str());
        let from = filter.issued_from.map(|d| d.to_string());
        let to = filter.issued_to.map(|d| d.to_string());
        let where_sql = "($1 = false OR published_on IS NOT NULL) AND ($2::text IS NULL OR kind = $2)
            AND ($3::bigint[] IS NULL OR department_id = ANY($3)) AND ($4::text IS NULL OR issue_date >= $4::text::date)
            AND ($5::text IS NULL OR issue_date <= $5::text::date)";
        self.with(|c| {
            let args: [&(dyn ToSql + Sync); 5] = [&filter.published_only, &kind, &filter.departments, &from, &to];
            let total: i64 =
                c.query_one(&format!("SELECT count(*) FROM documents WHERE {where_sql}"), &args).map_err(err)?.get(0);
            let (limit, offset) = (i64::from(page.per_page), page.offset() as i64);
            let mut all = args.to_vec();
            all.push(&limit);
            all.push(&offset);
            let items = c
                .query(
                    &format!(
                        "SELECT {DOCUMENT_COLS} FROM documents WHERE {where_sql}
                         ORDER BY issue_date DESC, id DESC LIMIT $6 OFFSET $7"
                    ),
                    &all,
                )
                .map_err(err)?
                .iter()
                .map(document_row)
                .collect::<Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, page: page.page, per_page: page.per_page })
        })
    }

    fn set_review_required(&self, ctx: &WriteContext, department_id: i64, required: bool) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE departments SET review_required = $2 WHERE id = $1",
                    &[&department_id, &i64::from(required)],
                )
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let detail = serde_json::json!({"department_id": department_id, "review_required": required}).to_string();
            insert_event(tx, ctx, "department.review_changed", None, None, &detail)?;
            Ok(())
        })
    }
}
