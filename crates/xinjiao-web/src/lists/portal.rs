//! The lists in public: every list with its entries in force, the notices
//! open for objection and the recent exits (`/lists/{code}`); the measures
//! catalogue (`/measures`, `/measures/{code}`); what a subject's profile
//! and its own account show of its entries and measures, and the subject's
//! objection to an entry in notice.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_core::lists::definition::ListDefinition;
use xinjiao_core::lists::entries::{EntryState, PublicStanding};
use xinjiao_core::lists::measures::{Catalogue, applicable};
use xinjiao_store::{Entry, EntryFilter, NewListObjection, Store, StoreError, Subject};

use super::views::{EntryRow, entry_row, standing_of};
use crate::kernel::auth::{MaybeUser, SubjectUser};
use crate::kernel::error::PageError;
pub use crate::kernel::facts::party_facts;
use crate::kernel::state::AppState;
use crate::kernel::workplace::ProfileSection;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists", get(index))
        .route("/lists/{code}", get(list_page))
        .route("/measures", get(measures))
        .route("/measures/{code}", get(measure))
        .route("/account/lists/{id}/objection", post(object).merge(crate::kernel::context::form_page_of(2)))
}

struct ListSummary {
    code: String,
    name: String,
    kind: &'static str,
    bureau_choice: bool,
    listed: usize,
    notice: usize,
    notice_days: u32,
    shown_months: u32,
}

#[derive(Template)]
#[template(path = "lists.html")]
struct IndexPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    lists: Vec<ListSummary>,
}

/// The entries public on `today` of list `code`, or of every list.
pub(super) async fn public_entries(st: &AppState, code: Option<&str>) -> Result<Vec<Entry>, StoreError> {
    let today = st.today();
    let filter = EntryFilter {
        list_code: code.map(str::to_string),
        states: vec![EntryState::Notice, EntryState::Listed, EntryState::Ended],
        ..Default::default()
    };
    let all = st.db(move |s| s.entries(&filter, u32::MAX)).await?;
    Ok(all.into_iter().filter(|e| standing_of(e, today) != PublicStanding::Hidden).collect())
}

async fn index(State(st): State<AppState>, u: MaybeUser) -> Result<Html<String>, PageError> {
    let today = st.today();
    let entries = public_entries(&st, None).await?;
    let lists = ListDefinition::embedded()
        .iter()
        .map(|l| {
            let count = |p: PublicStanding| {
                entries.iter().filter(|e| e.list_code == l.code && standing_of(e, today) == p).count()
            };
            ListSummary {
                code: l.code.clone(),
                name: l.name.clone(),
                kind: l.kind.label(),
                bureau_choice: l.bureau_choice,
                listed: count(PublicStanding::Listed),
                notice: count(PublicStanding::Notice),
                notice_days: l.notice_working_days,
                shown_months: l.shown_months,
            }
        })
        .collect();
    Ok(Html(IndexPage { banner: st.banner(), user: u.0.map(|u| u.display_name), lists }.render()?))
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    code: String,
    name: String,
    kind: &'static str,
    basis: String,
    bureau_choice: bool,
    notice_days: u32,
    shown_months: u32,
    exit_days: u32,
    criteria: Vec<(u32, String)>,
    measures: Vec<(String, String, &'static str)>,
    listed: Vec<EntryRow>,
    notices: Vec<EntryRow>,
    exits: Vec<EntryRow>,
    today: String,
}

async fn list_page(
    State(st): State<AppState>,
    u: MaybeUser,
    Path(code): Path<String>,
) -> Result<Html<String>, PageError> {
    let Some(list) = ListDefinition::find(&code) else { return Err(PageError::NotFound) };
    let today = st.today();
    let departments = st.db(|s| s.departments()).await?;
    let cal = st.rules.read().expect("rules").calendar.clone();
    let entries = public_entries(&st, Some(&code)).await?;
    let rows = |want: fn(PublicStanding, xinjiao_core::Date, u32) -> bool| -> Vec<EntryRow> {
        entries
            .iter()
            .filter(|e| want(standing_of(e, today), today, list.exit_notice_days))
            .map(|e| entry_row(e, &departments, &cal, today))
            .collect()
    };
    let page = ListPage {
        banner: st.banner(),
        user: u.0.map(|u| u.display_name),
        listed: rows(|s, _, _| s == PublicStanding::Listed),
        notices: rows(|s, _, _| s == PublicStanding::Notice),
        exits: rows(|s, today, days| match s {
            PublicStanding::Exited(d) => today.since(d).map(|span| span.get_days() as u32 <= days).unwrap_or(false),
            _ => false,
        }),
        code: list.code.clone(),
        name: list.name.clone(),
        kind: list.kind.label(),
        basis: list.basis.clone(),
        bureau_choice: list.bureau_choice,
        notice_days: list.notice_working_days,
        shown_months: list.shown_months,
        exit_days: list.exit_notice_days,
        criteria: list.criteria.iter().map(|c| (c.number, c.text.clone())).collect(),
        measures: Catalogue::embedded()
            .measures
            .iter()
            .filter(|m| m.lists.contains(&list.code))
            .map(|m| (m.code.clone(), m.name.clone(), m.kind.label()))
            .collect(),
        today: today.to_string(),
    };
    Ok(Html(page.render()?))
}

/// A measure as the pages show it.
pub struct MeasureRow {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub basis: String,
    pub applied_by: String,
    pub triggers: String,
    pub scenarios: String,
}

pub fn measure_row(m: &xinjiao_core::lists::measures::Measure) -> MeasureRow {
    let cat = Catalogue::embedded();
    let mut triggers: Vec<String> = m
        .lists
        .iter()
        .map(|l| format!("列入{}", ListDefinition::find(l).map_or(l.as_str(), |d| d.name.as_str())))
        .collect();
    triggers.extend(m.grades.iter().map(|g| format!("{} 定级为 {}", g.scheme, g.grades.join("、"))));
    MeasureRow {
        code: m.code.clone(),
        name: m.name.clone(),
        kind: m.kind.label(),
        kind_code: m.kind.as_str(),
        basis: m.basis.clone(),
        applied_by: m.applied_by.clone(),
        triggers: triggers.join("；")
            + &m.party_types
                .as_ref()
                .map(|p| format!("（仅适用于{}）", p.iter().map(|x| x.label()).collect::<Vec<_>>().join("、")))
                .unwrap_or_default()
            + &if m.withheld_by_lists.is_empty() {
                String::new()
            } else {
                "；列入严重失信名单期间不适用".to_string()
            },
        scenarios: m
            .scenarios
            .iter()
            .map(|s| cat.scenario(s).map_or(s.clone(), |x| x.name.clone()))
            .collect::<Vec<_>>()
            .join("、"),
    }
}

#[derive(Template)]
#[template(path = "measures.html")]
struct MeasuresPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    measures: Vec<MeasureRow>,
    one: bool,
}

async fn measures(State(st): State<AppState>, u: MaybeUser) -> Result<Html<String>, PageError> {
    let measures = Catalogue::embedded().measures.iter().map(measure_row).collect();
    Ok(Html(MeasuresPage { banner: st.banner(), user: u.0.map(|u| u.display_name), measures, one: false }.render()?))
}

async fn measure(
    State(st): State<AppState>,
    u: MaybeUser,
    Path(code): Path<String>,
) -> Result<Html<String>, PageError> {
    let m = Catalogue::embedded().measure(&code).ok_or(PageError::NotFound)?;
    Ok(Html(
        MeasuresPage {
            banner: st.banner(),
            user: u.0.map(|u| u.display_name),
            measures: vec![measure_row(m)],
            one: true,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "lists_profile.html")]
struct ProfileFragment {
    entries: Vec<EntryRow>,
    measures: Vec<(MeasureRow, String)>,
    account: bool,
    objectable: Vec<i64>,
}

fn fragment(
    st: &AppState,
    store: &dyn Store,
    subject: &Subject,
    account: bool,
) -> Result<Vec<ProfileSection>, StoreError> {
    let today = st.today();
    let (facts, entries) = party_facts(store, subject, today)?;
    let departments = store.departments()?;
    let cal = st.rules.read().expect("rules").calendar.clone();
    let shown: Vec<&Entry> = entries
        .iter()
        .filter(|e| standing_of(e, today) != PublicStanding::Hidden || (account && e.state == EntryState::Withdrawn))
        .collect();
    let applied = applicable(Catalogue::embedded(), None, &facts);
    if shown.is_empty() && applied.is_empty() {
        return Ok(vec![]);
    }
    let html = ProfileFragment {
        objectable: shown.iter().filter(|e| e.state == EntryState::Notice).map(|e| e.id).collect(),
        entries: shown.iter().map(|e| entry_row(e, &departments, &cal, today)).collect(),
        measures: applied.iter().map(|a| (measure_row(a.measure), a.reasons.join("；"))).collect(),
        account,
    }
    .render()
    .map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(vec![ProfileSection { title: "信用名单与联合奖惩措施".into(), html }])
}

/// The subject's entries and measures on its public profile.
pub fn profile_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    fragment(st, store, subject, false)
}

/// The same on the subject's own account, with why, until when, how to exit and the objection form.
pub fn account_section(st: &AppState, store: &dyn Store, subject: &Subject) -> Result<Vec<ProfileSection>, StoreError> {
    fragment(st, store, subject, true)
}

#[derive(Deserialize)]
struct ObjectionForm {
    reasons: String,
}

/// The subject objects to an entry about it during the notice.
async fn object(
    State(st): State<AppState>,
    SubjectUser(subject): SubjectUser,
    Path(id): Path<i64>,
    Form(f): Form<ObjectionForm>,
) -> Result<Response, PageError> {
    let reasons = f.reasons.trim().to_string();
    let n = reasons.chars().count();
    if !(5..=2000).contains(&n) {
        return Err(PageError::BadRequest("请写明异议理由（5 到 2000 字），例如检测当日持有超限运输许可。".into()));
    }
    let entry = st.db(move |s| s.entry(id)?.ok_or(StoreError::NotFound)).await?;
    if entry.subject_id != Some(subject.id) {
        return Err(PageError::Forbidden);
    }
    let today = st.today();
    let cal = st.rules.read().expect("rules").calendar.clone();
    let wctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "对名单公示提出异议");
    let o = NewListObjection { entry_id: id, objector: subject.name.clone(), filed_via: "account".into(), reasons };
    match st.db(move |s| s.file_list_objection(&wctx, &o, today, &cal)).await {
        Ok(_) => Ok(Redirect::to("/account?lists=objected").into_response()),
        Err(StoreError::Conflict(m)) => Err(PageError::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}
