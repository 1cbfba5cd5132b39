//! The subject's own grades on its account page: every result with its
//! full explanation, and, during a result's comment period (初评公示), an
//! objection to it; the coordinator handles objections on the console.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_store::{Store, StoreError, Subject};

use super::views::{GradeView, Reason, all_items, grade_views};
use crate::kernel::auth::SubjectUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::ProfileSection;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/evaluations/{run}/objection", post(object).merge(crate::kernel::context::form_page_of(3)))
}

/// A grade with everything in it and what the subject may do.
struct OwnGrade {
    grade: GradeView,
    items: Vec<Reason>,
    /// The objection to it, if any: its status in Chinese and the decision.
    objection: Option<(String, String)>,
    /// An objection may be filed now.
    may_object: bool,
}

#[derive(Template)]
#[template(path = "evaluation_account.html")]
struct AccountFragment {
    grades: Vec<OwnGrade>,
}

/// The subject's grades (an account source of the workplace registry).
pub fn account_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    let results = store.subject_evaluations(subject.id)?;
    let schemes = st.rules.read().expect("rules").schemes.clone();
    let dynamic = super::views::dynamic_views(store, &schemes, subject, st.today(), false)?;
    if results.is_empty() && dynamic.is_empty() {
        return Ok(vec![]);
    }
    let objections = store.result_objections(Some(subject.id), false)?;
    let grades = {
        let rules = st.rules.read().expect("rules");
        grade_views(&rules.schemes, &results, st.today(), false, false)
    };
    let grades = dynamic
        .into_iter()
        .chain(grades)
        .map(|g| {
            let explanation =
                results.iter().find(|(r, _)| r.id == g.run_id).map(|(_, x)| x.explanation.clone()).unwrap_or_default();
            let scheme = schemes.iter().find(|s| s.code == g.scheme);
            let objection = objections.iter().find(|o| o.run_id == g.run_id);
            OwnGrade {
                items: if g.status == "dynamic" { g.lowered_by.clone() } else { all_items(scheme, &explanation) },
                objection: objection
                    .map(|o| (o.status.label().to_string(), o.decision_reason.clone().unwrap_or_default())),
                may_object: g.status == "preliminary" && objection.is_none_or(|o| !o.status.is_open()),
                grade: g,
            }
        })
        .collect();
    let html = AccountFragment { grades }.render().map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "我的信用评价".into(), html }])
}

/// The longest reasons an objection to a result may give.
const MAX_REASONS_CHARS: usize = 2_000;

#[derive(Deserialize)]
struct ObjectionForm {
    reasons: String,
}

/// Files the subject's objection to its result in a run.
async fn object(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(run): Path<i64>,
    Form(f): Form<ObjectionForm>,
) -> Result<Response, PageError> {
    let reasons = f.reasons.trim().to_string();
    let n = reasons.chars().count();
    if n < 5 {
        return Err(PageError::BadRequest("请写明异议的理由（至少 5 个字），例如哪一项计分有误、依据是什么。".into()));
    }
    if n > MAX_REASONS_CHARS {
        return Err(PageError::BadRequest(format!(
            "异议理由最多 {MAX_REASONS_CHARS} 个字（收到 {n} 个），材料请另行提交。"
        )));
    }
    let wctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "对评价结果提出异议");
    let sid = subject.id;
    match st.db(move |s| s.file_result_objection(&wctx, run, sid, &reasons)).await {
        Ok(_) => Ok(Redirect::to("/account?evaluation=filed").into_response()),
        Err(StoreError::Conflict(m)) => Err(PageError::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}
