//! Helpers of every staff page: who acts for which department, the write
//! context of a staff action, times in China, safe redirects after login,
//! XLSX downloads, and the upload limit.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use xinjiao_store::{Department, Role, User, WriteContext};

use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

/// Largest accepted upload.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Whether `user` may act on something of `department_id`: its own
/// department's staff, or a coordinator or administrator.
pub fn acts_for(user: &User, department_id: Option<i64>) -> bool {
    user.role.oversees() || (user.department_id.is_some() && user.department_id == department_id)
}

/// The write context of a staff action: the user, now, why, the user's
/// department, and whether the user acts for every department.
pub fn ctx(st: &AppState, user: &User, reason: impl Into<String>) -> WriteContext {
    WriteContext::new(user.username.clone(), st.now(), reason)
        .in_department(user.department_id)
        .overseeing(user.role.oversees())
}

/// Where to go after login: only a path on this site. Refused: other hosts
/// (`//host`, `/\\host`), backslashes, and control characters, which
/// browsers strip (`/\t/host` would become `//host`).
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok { next } else { "/console" }
}

pub fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    let disposition =
        format!("attachment; filename=\"report.xlsx\"; filename*=UTF-8''{}", crate::kernel::views::urlencode(name));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub fn require_admin(user: &User) -> Result<(), PageError> {
    if user.role == Role::Admin { Ok(()) } else { Err(PageError::Forbidden) }
}

pub fn dept_name(departments: &[Department], id: i64) -> String {
    departments.iter().find(|d| d.id == id).map_or_else(|| format!("部门{id}"), |d| d.name.clone())
}

/// Departments a user may act for: all for coordinators and administrators,
/// their own otherwise.
pub fn allowed_departments(user: &User, departments: &[Department]) -> Vec<Department> {
    departments.iter().filter(|d| user.role.oversees() || user.department_id == Some(d.id)).cloned().collect()
}

/// `s` percent-encoded for a query value or a `filename*` parameter: every
/// byte but ASCII letters, digits and `-_.` (stricter than
/// [`crate::kernel::views::urlencode`], which keeps `/` and `~` for paths).
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// `GET` of a form's `POST` address (a bookmarked or reloaded result, a
/// pasted link): a redirect to the page that holds the form, `levels` path
/// segments up (`/console/records/5/withdraw` with 1 → `/console/records/5`).
pub fn form_page_of(levels: usize) -> axum::routing::MethodRouter<AppState> {
    axum::routing::get(move |uri: axum::http::Uri| async move {
        let mut path = uri.path().trim_end_matches('/').to_string();
        for _ in 0..levels {
            path.truncate(path.rfind('/').unwrap_or(0));
        }
        axum::response::Redirect::to(if path.is_empty() { "/" } else { &path })
    })
}

/// The form of a staff action on an objection (to a record, a result or a list entry).
#[derive(serde::Deserialize)]
pub struct ObjectionActionForm {
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

/// The longest reason kept with an objection's handling.
pub const REASON_MAX: usize = 2000;

/// What staff must write when they extend or decide an objection.
pub const REASON_REQUIRED: &str = "延期、认定成立或不成立都须写明理由。";

/// A staff action on an objection (to a record, a result or a list entry) from its
/// form: `Ok(None)` when an action other than acknowledging comes without
/// a reason ([`REASON_REQUIRED`]).
pub fn objection_action(
    action: &str,
    reason: &str,
) -> Result<Option<xinjiao_core::lifecycle::objections::ObjectionAction>, PageError> {
    use xinjiao_core::lifecycle::objections::ObjectionAction as A;
    let reason = reason.trim().to_string();
    if reason.chars().count() > REASON_MAX {
        return Err(PageError::BadRequest(format!(
            "理由至多 {REASON_MAX} 字（收到 {} 字），材料请另附。",
            reason.chars().count()
        )));
    }
    let needs = |f: fn(String) -> A| if reason.is_empty() { None } else { Some(f(reason.clone())) };
    match action {
        "acknowledge" => Ok(Some(A::Acknowledge)),
        "extend" => Ok(needs(A::Extend)),
        "uphold" => Ok(needs(A::Uphold)),
        "reject" => Ok(needs(A::Reject)),
        _ => Err(PageError::BadRequest("未知的操作".into())),
    }
}
