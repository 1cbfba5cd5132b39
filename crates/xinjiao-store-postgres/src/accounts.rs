//! The PostgreSQL backend of staff, sessions, API tokens and subject accounts ([`xinjiao_store::AccountStore`]).

use super::audit::insert_event;
use super::records::{subject_cols, subject_row};
use super::*;

pub(crate) const USER_COLS: &str =
    "u.id, u.username, u.display_name, u.role, u.password_hash, u.department_id, u.disabled_at IS NOT NULL";

pub(crate) fn user_row(r: &Row) -> Result<User> {
    let role: String = r.get(3);
    Ok(User {
        id: r.get(0),
        username: r.get(1),
        display_name: r.get(2),
        role: Role::parse(&role).ok_or_else(|| bad(format!("role {role}")))?,
        password_hash: r.get(4),
        department_id: r.get(5),
        disabled: r.get(6),
    })
}

impl AccountStore for PgStore {
    fn create_user(
        &self,
        ctx: &WriteContext,
        username: &str,
        display_name: &str,
        role: Role,
        password_hash: &str,
        department_id: Option<i64>,
    ) -> Result<i64> {
        self.write(|tx| {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO users (username, display_name, role, password_hash, created_at, department_id)
                     VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6) RETURNING id",
                    &[&username, &display_name, &role.as_str(), &password_hash, &ctx.at.to_string(), &department_id],
                )
                .map_err(err)?
                .get(0);
            let detail = serde_json::json!({"user_id": id, "username": username, "role": role.as_str()}).to_string();
            insert_event(tx, ctx, "user.created", None, None, &detail)?;
            Ok(id)
        })
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        self.opt_row(&format!("SELECT {USER_COLS} FROM users u WHERE u.username = $1"), &[&username], user_row)
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        self.opt_row(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"), &[&id], user_row)
    }

    fn create_session(&self, token_hash: &str, user_id: i64, expires_at: Timestamp) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3::text::timestamptz)",
                &[&token_hash, &user_id, &expires_at.to_string()],
            )
            .map_err(err)?;
            Ok(())
        })
    }

    fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>> {
        self.opt_row(
            &format!(
                "SELECT {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = $1 AND s.expires_at > $2::text::timestamptz AND u.disabled_at IS NULL"
            ),
            &[&token_hash, &now.to_string()],
            user_row,
        )
    }

    fn delete_subject_session(&self, token_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM subject_sessions WHERE token_hash = $1", &[&token_hash]).map_err(err)?;
            Ok(())
        })
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash]).map_err(err)?;
            Ok(())
        })
    }

    fn create_api_token(
        &self,
        ctx: &WriteContext,
        token_hash: &str,
        user_id: i64,
        name: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<()> {
        self.write(|tx| {
            let exp = expires_at.map(|t| t.to_string());
            tx.execute(
                "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at)
                 VALUES ($1, $2, $3, $4::text::timestamptz, $5::text::timestamptz)",
                &[&token_hash, &user_id, &name, &ctx.at.to_string(), &exp],
            )
            .map_err(err)?;
            let detail =
                serde_json::json!({"user_id": user_id, "name": name, "id": &token_hash[..12.min(token_hash.len())],
                "expires_at": exp})
                .to_string();
            insert_event(tx, ctx, "api_token.created", None, None, &detail)?;
            Ok(())
        })
    }

    fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>> {
        self.opt_row(
            &format!(
                "SELECT {USER_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL
                   AND (t.expires_at IS NULL OR t.expires_at > $2::text::timestamptz)"
            ),
            &[&token_hash, &now.to_string()],
            user_row,
        )
    }

    fn api_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
        self.rows(
            "SELECT substr(t.token_hash, 1, 12), t.user_id, u.username, t.name,
                    (extract(epoch from t.created_at) * 1000000)::bigint,
                    (extract(epoch from t.expires_at) * 1000000)::bigint,
                    (extract(epoch from t.revoked_at) * 1000000)::bigint
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE $1::bigint IS NULL OR t.user_id = $1 ORDER BY t.created_at DESC, t.token_hash",
            &[&user_id],
            |r| {
                let opt = |us: Option<i64>| us.map(ts_micros).transpose();
                Ok(ApiToken {
                    id: r.get(0),
                    user_id: r.get(1),
                    username: r.get(2),
                    name: r.get(3),
                    created_at: ts_micros(r.get(4))?,
                    expires_at: opt(r.get(5))?,
                    revoked_at: opt(r.get(6))?,
                })
            },
        )
    }

    fn revoke_api_token(&self, ctx: &WriteContext, id: &str, user_id: Option<i64>) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE api_tokens SET revoked_at = $1::text::timestamptz
                     WHERE substr(token_hash, 1, 12) = $2 AND length($2) = 12 AND revoked_at IS NULL
                       AND ($3::bigint IS NULL OR user_id = $3)",
                    &[&ctx.at.to_string(), &id, &user_id],
                )
                .map_err(err)?;
            if n != 1 {
                return Err(StoreError::NotFound);
            }
            let detail = serde_json::json!({"id": id}).to_string();
            insert_event(tx, ctx, "api_token.revoked", None, None, &detail)?;
            Ok(())
        })
    }

    fn users(&self) -> Result<Vec<User>> {
        self.rows(&format!("SELECT {USER_COLS} FROM users u ORDER BY u.username COLLATE \"C\""), &[], user_row)
    }

    fn set_user_disabled(&self, ctx: &WriteContext, username: &str, disabled: bool) -> Result<()> {
        self.write(|tx| {
            let at = disabled.then(|| ctx.at.to_string());
            let n = tx
                .execute("UPDATE users SET disabled_at = $1::text::timestamptz WHERE username = $2", &[&at, &username])
                .map_err(err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if disabled {
                tx.execute(
                    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
                    &[&username],
                )
                .map_err(err)?;
            }
            let detail = serde_json::json!({"username": username}).to_string();
            let action = if disabled { "user.disabled" } else { "user.enabled" };
            insert_event(tx, ctx, action, None, None, &detail)?;
            Ok(())
        })
    }

    fn create_claim_code(
        &self,
        ctx: &WriteContext,
        subject_id: i64,
        record_id: Option<i64>,
        code_hash: &str,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM claim_codes WHERE subject_id = $1 AND used_at IS NULL", &[&subject_id])
                .map_err(err)?;
            tx.execute(
                "INSERT INTO claim_codes (code_hash, subject_id, record_id, created_at, created_by)
                 VALUES ($1, $2, $3, $4::text::timestamptz, $5)",
                &[&code_hash, &subject_id, &record_id, &ctx.at.to_string(), &ctx.actor],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "claim_code.created", Some(subject_id), record_id, "{}")?;
            Ok(())
        })
    }

    fn claim_subject_account(
        &self,
        ctx: &WriteContext,
        identity: &str,
        code_hash: &str,
        issued_after: Timestamp,
        password_hash: &str,
    ) -> Result<Subject> {
        let subject = self
            .opt_row(
                &format!(
                    "SELECT {} FROM subjects s WHERE s.uscc = $1 OR s.id_doc_no = $1 ORDER BY s.id LIMIT 1",
                    subject_cols("'0001-01-01'")
                ),
                &[&identity],
                subject_row,
            )?
            .ok_or(StoreError::NotFound)?;
        let sid = subject.id;
        self.write(|tx| {
            let ok = tx
                .query_opt(
                    "SELECT 1 FROM claim_codes WHERE code_hash = $1 AND subject_id = $2 AND used_at IS NULL
                     AND created_at > $3::text::timestamptz FOR UPDATE",
                    &[&code_hash, &sid, &issued_after.to_string()],
                )
                .map_err(err)?;
            if ok.is_none() {
                return Err(StoreError::NotFound);
            }
            let exists: bool = tx
                .query_one("SELECT count(*) > 0 FROM subject_accounts WHERE subject_id = $1", &[&sid])
                .map_err(err)?
                .get(0);
            if exists {
                return Err(StoreError::Conflict("该主体的账户已激活，请直接登录".into()));
            }
            tx.execute(
                "UPDATE claim_codes SET used_at = $2::text::timestamptz WHERE code_hash = $1",
                &[&code_hash, &ctx.at.to_string()],
            )
            .map_err(err)?;
            tx.execute(
                "INSERT INTO subject_accounts (subject_id, password_hash, created_at, activated_by)
                 VALUES ($1, $2, $3::text::timestamptz, 'claim')",
                &[&sid, &password_hash, &ctx.at.to_string()],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "subject_account.activated", Some(sid), None, r#"{"by":"claim_code"}"#)?;
            Ok(())
        })?;
        Ok(subject)
    }

    fn subject_account(&self, identity: &str) -> Result<Option<(Subject, String)>> {
        self.with(|c| {
            let row = c
                .query_opt(
                    &format!(
                        "SELECT {}, a.password_hash FROM subjects s JOIN subject_accounts a ON a.subject_id = s.id
                         WHERE s.uscc = $1 OR s.id_doc_no = $1 ORDER BY s.id LIMIT 1",
                        subject_cols("'0001-01-01'")
                    ),
                    &[&identity],
                )
                .map_err(err)?;
            row.map(|r| Ok((subject_row(&r)?, r.get(9)))).transpose()
        })
    }

    fn create_subject_session(&self, token_hash: &str, subject_id: i64, expires_at: Timestamp) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO subject_sessions (token_hash, subject_id, expires_at) VALUES ($1, $2, $3::text::timestamptz)",
                &[&token_hash, &subject_id, &expires_at.to_string()],
            )
            .map(|_| ())
            .map_err(err)
        })
    }

    fn subject_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Subject>> {
        self.opt_row(
            &format!(
                "SELECT {} FROM subject_sessions x JOIN subjects s ON s.id = x.subject_id
                 WHERE x.token_hash = $1 AND x.expires_at > $2::text::timestamptz",
                subject_cols("$3")
            ),
            &[&token_hash, &now.to_string(), &"0001-01-01"],
            subject_row,
        )
    }
}
