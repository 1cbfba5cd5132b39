//! What the public sees of commitments: the list of commitments made
//! public (`/commitments/public`: 主动公示型 and 行业自律型 ones, and any
//! commitment found not kept or false, as the rules make breaches public),
//! and the section of a subject's profile. Persons' numbers are masked;
//! the text of a non-public commitment is never shown.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use xinjiao_store::{Commitment, CommitmentFilter, Store, StoreError, Subject};

use super::shared::{Row, row, shown_publicly};
use crate::kernel::auth::MaybeUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::workplace::ProfileSection;

pub fn routes() -> Router<AppState> {
    Router::new().route("/commitments/public", get(list))
}

/// The commitments the public sees, newest first, at most `limit`
/// (of `subject_id`'s only, if given).
pub fn public_commitments(
    store: &dyn Store,
    subject_id: Option<i64>,
    limit: u32,
) -> Result<Vec<Commitment>, StoreError> {
    use xinjiao_core::commitments::State;
    let f = CommitmentFilter {
        subject_id,
        states: vec![State::InForce, State::Kept, State::KeptLate, State::NotKept, State::False],
        ..Default::default()
    };
    Ok(store.commitments(&f, limit)?.into_iter().filter(shown_publicly).collect())
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    breaches: Option<String>,
}

/// A public row: the shared row and, for a public type, its text (masked).
pub struct PublicRow {
    pub row: Row,
    pub text: Option<String>,
}

fn public_row(c: &Commitment, today: jiff::civil::Date) -> PublicRow {
    PublicRow { row: row(c, today, true), text: c.public.then(|| crate::kernel::views::mask_text(&c.text)) }
}

#[derive(Template)]
#[template(path = "commitments_public.html")]
struct ListPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    rows: Vec<PublicRow>,
    breaches_only: bool,
}

async fn list(State(st): State<AppState>, u: MaybeUser, Query(q): Query<ListQuery>) -> Result<Html<String>, PageError> {
    let today = st.today();
    let breaches_only = q.breaches.is_some();
    let found = st.db(|s| public_commitments(s, None, 2000)).await?;
    let rows = found.iter().filter(|c| !breaches_only || c.state.is_breach()).map(|c| public_row(c, today)).collect();
    let page = ListPage { banner: st.banner(), user: u.0.map(|u| u.display_name), rows, breaches_only };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "commitments_profile.html")]
struct ProfileFragment {
    rows: Vec<PublicRow>,
}

/// The subject's profile: its public commitments and its breaches.
pub fn profile_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    let found = public_commitments(store, Some(subject.id), 200)?;
    if found.is_empty() {
        return Ok(vec![]);
    }
    let today = st.today();
    let rows = found.iter().map(|c| public_row(c, today)).collect();
    let html = ProfileFragment { rows }.render().map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "信用承诺".into(), html }])
}
