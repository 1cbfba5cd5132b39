//! Accounts (账户): staff and their roles, API tokens, and [`AccountStore`]
//! (sessions, subject accounts and claim codes).

use jiff::Timestamp;

use crate::*;

/// Staff roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 报送员: submits records and documents for their department.
    Clerk,
    /// 信用工作牵头科室 (政策法规科): watches every department's rates, edits
    /// the responsibility table, declares for any department.
    Coordinator,
    /// 管理员: also manages accounts and the calendar.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "clerk" => Some(Role::Clerk),
            "coordinator" => Some(Role::Coordinator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Clerk => "报送员",
            Role::Coordinator => "信用工作协调员",
            Role::Admin => "管理员",
        }
    }
    /// Sees every department's figures and edits the responsibility table.
    pub fn oversees(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// PHC string of the Argon2id hash.
    pub password_hash: String,
    pub department_id: Option<i64>,
    /// A disabled account signs in by no means.
    pub disabled: bool,
}

/// An API token as listed: never its secret, nor its whole hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The first 12 hex digits of the token's hash: how a token is named
    /// when it is listed or revoked.
    pub id: String,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Accounts: staff, their sessions and API tokens; subject accounts, claim codes and sessions.
pub trait AccountStore: Send + Sync {
    fn create_user(
        &self,
        ctx: &WriteContext,
        username: &str,
        display_name: &str,
        role: Role,
        password_hash: &str,
        department_id: Option<i64>,
    ) -> Result<i64>;

    fn user_by_name(&self, username: &str) -> Result<Option<User>>;

    fn user(&self, id: i64) -> Result<Option<User>>;

    /// Sessions and API tokens are stored by the SHA-256 of their secret.
    fn create_session(&self, token_hash: &str, user_id: i64, expires_at: Timestamp) -> Result<()>;

    fn session_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>>;

    fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// A token that works until `expires_at` (if any) or until revoked.
    fn create_api_token(
        &self,
        ctx: &WriteContext,
        token_hash: &str,
        user_id: i64,
        name: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<()>;

    /// The account of a token that is neither expired at `now` nor revoked,
    /// if the account is not disabled.
    fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>>;

    /// Tokens of one account (or of all), newest first.
    fn api_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>>;

    /// Revokes the token named `id` ([`ApiToken::id`]), of `user_id` if
    /// given; [`StoreError::NotFound`] if there is no such live token.
    /// Appends `api_token.revoked`.
    fn revoke_api_token(&self, ctx: &WriteContext, id: &str, user_id: Option<i64>) -> Result<()>;

    /// Every staff account, by user name.
    fn users(&self) -> Result<Vec<User>>;

    /// Disables (ending its sessions) or re-enables an account. Appends
    /// `user.disabled` or `user.enabled`; [`StoreError::NotFound`] for an unknown name.
    fn set_user_disabled(&self, ctx: &WriteContext, username: &str, disabled: bool) -> Result<()>;

    /// Stores a one-time claim code (its hash) for a subject, issued with a
    /// record's credit-repair notice; the subject's earlier unused codes stop
    /// working. Appends `claim_code.created`.
    fn create_claim_code(
        &self,
        ctx: &WriteContext,
        subject_id: i64,
        record_id: Option<i64>,
        code_hash: &str,
    ) -> Result<()>;

    /// Activates the account of the subject whose USCC or document number is
    /// `identity`, with an unused claim code issued to it after `issued_after`:
    /// marks the code used and stores the password hash, in one transaction.
    /// [`StoreError::NotFound`] when identity and code do not match,
    /// [`StoreError::Conflict`] when the account is already active.
    fn claim_subject_account(
        &self,
        ctx: &WriteContext,
        identity: &str,
        code_hash: &str,
        issued_after: Timestamp,
        password_hash: &str,
    ) -> Result<Subject>;

    /// The subject with this USCC or document number and its account's password hash.
    fn subject_account(&self, identity: &str) -> Result<Option<(Subject, String)>>;

    fn create_subject_session(&self, token_hash: &str, subject_id: i64, expires_at: Timestamp) -> Result<()>;

    fn subject_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Subject>>;

    /// Ends a subject session (logout).
    fn delete_subject_session(&self, token_hash: &str) -> Result<()>;
}
