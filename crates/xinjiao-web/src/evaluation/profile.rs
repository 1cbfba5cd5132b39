//! The credit grades section of a subject's public profile (a profile
//! source of the workplace registry).

use askama::Template;
use xinjiao_store::{Store, StoreError, Subject};

use super::views::{GradeView, grade_views};
use crate::kernel::state::AppState;
use crate::kernel::workplace::ProfileSection;

#[derive(Template)]
#[template(path = "evaluation_profile.html")]
struct GradesFragment {
    grades: Vec<GradeView>,
}

/// The subject's grades, latest per scheme and cycle (none: no section).
pub fn grades_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    let results = store.subject_evaluations(subject.id)?;
    let person = subject.kind == xinjiao_core::records::record::SubjectKind::NaturalPerson;
    let schemes = st.rules.read().expect("rules").schemes.clone();
    let mut grades = super::views::dynamic_views(store, &schemes, subject, st.today(), true)?;
    grades.extend(grade_views(&schemes, &results, st.today(), true, person));
    if grades.is_empty() {
        return Ok(vec![]);
    }
    let html = GradesFragment { grades }.render().map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "信用评价".into(), html }])
}
