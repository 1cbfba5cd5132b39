//! The public portal: home, subject search, subject profile, record detail and
//! the dual-disclosure lists. Everything here is public, so only the masked
//! view models of [`crate::kernel::views`] reach the templates.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use xinjiao_core::records::date::parse_date;
use xinjiao_core::{Date, RecordKind};
use xinjiao_store::{AuthorityCount, PageRequest, RecordFilter, Totals};

use crate::kernel::auth::MaybeUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::views::{FieldView, Pager, RecordRowView, SubjectView, field_views, urlencode};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/subjects/{key}", get(subject))
        .route("/records/{id}", get(record))
        .route("/disclosures", get(disclosures))
}

fn user_name(u: &MaybeUser) -> Option<String> {
    u.0.as_ref().map(|u| u.display_name.clone())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    q: String,
    totals: Totals,
    penalties: Vec<RecordRowView>,
    licenses: Vec<RecordRowView>,
}

async fn home(State(st): State<AppState>, u: MaybeUser) -> Result<Html<String>, PageError> {
    let today = Some(st.today());
    let (totals, penalties, licenses) = st
        .db(move |s| {
            let recent = |kind| {
                s.list_records(
                    &RecordFilter { kind: Some(kind), public_on: today, ..Default::default() },
                    PageRequest::new(1, 8),
                )
            };
            Ok((s.totals_on(today)?, recent(RecordKind::Penalty)?, recent(RecordKind::License)?))
        })
        .await?;
    let page = HomePage {
        banner: st.banner(),
        user: user_name(&u),
        q: String::new(),
        totals,
        penalties: penalties.items.iter().map(Into::into).collect(),
        licenses: licenses.items.iter().map(Into::into).collect(),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    pub page: Option<u32>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    q: String,
    message: Option<String>,
    subjects: Vec<SubjectView>,
    pager: Pager,
}

async fn search(
    State(st): State<AppState>,
    u: MaybeUser,
    Query(sq): Query<SearchQuery>,
) -> Result<Html<String>, PageError> {
    let q = sq.q.trim().to_string();
    let req = PageRequest::new(sq.page.unwrap_or(1), 20);
    let q2 = q.clone();
    let today = Some(st.today());
    let page = st.db(move |s| s.search_subjects_on(&q2, req, today)).await?;
    let message = q.is_empty().then(|| "请输入要查询的企业名称、统一社会信用代码或姓名。".to_string());
    let pager = Pager::new(&page, &format!("/search?q={}&", urlencode(&q)));
    let html = SearchPage {
        banner: st.banner(),
        user: user_name(&u),
        q,
        message,
        subjects: page.items.iter().map(Into::into).collect(),
        pager,
    }
    .render()?;
    Ok(Html(html))
}

#[derive(Template)]
#[template(path = "subject.html")]
struct SubjectPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    subject: SubjectView,
    penalties: Vec<RecordRowView>,
    licenses: Vec<RecordRowView>,
    /// What other capabilities show of the subject (its credit grades …).
    sections: Vec<crate::kernel::workplace::ProfileSection>,
}

async fn subject(State(st): State<AppState>, u: MaybeUser, Path(key): Path<String>) -> Result<Html<String>, PageError> {
    let today = Some(st.today());
    let state = st.clone();
    let (subject, penalties, licenses, sections) = st
        .db(move |s| {
            let subject = s.subject_by_key_on(&key, today)?.ok_or(xinjiao_store::StoreError::NotFound)?;
            let sections = state.workplace.profile(&state, s, &subject)?;
            let of = |kind| {
                s.list_records(
                    &RecordFilter {
                        kind: Some(kind),
                        subject_id: Some(subject.id),
                        public_on: today,
                        ..Default::default()
                    },
                    PageRequest::new(1, 100),
                )
            };
            let (p, l) = (of(RecordKind::Penalty)?, of(RecordKind::License)?);
            Ok((subject, p, l, sections))
        })
        .await?;
    let html = SubjectPage {
        banner: st.banner(),
        user: user_name(&u),
        subject: (&subject).into(),
        penalties: penalties.items.iter().map(Into::into).collect(),
        licenses: licenses.items.iter().map(Into::into).collect(),
        sections,
    }
    .render()?;
    Ok(Html(html))
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    row: RecordRowView,
    fields: Vec<FieldView>,
    updated: String,
    objection_open: bool,
    /// The last day the record is public ("公示至"), or how long it stays.
    last_public_day: String,
}

/// Whether the record has an objection being handled ("异议处理中").
pub(crate) async fn open_objection(st: &AppState, record_id: i64) -> Result<bool, xinjiao_store::StoreError> {
    let f = xinjiao_store::ObjectionFilter { record_id: Some(record_id), open_only: true, ..Default::default() };
    Ok(!st.db(move |s| s.objections(&f, 1)).await?.is_empty())
}

async fn record(State(st): State<AppState>, u: MaybeUser, Path(id): Path<String>) -> Result<Html<String>, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let detail = st.db(move |s| s.record(id)).await?.ok_or(PageError::NotFound)?;
    if !crate::kernel::views::is_public_on(&detail.row, st.today()) {
        return Err(PageError::NotFound);
    }
    let objection_open = open_objection(&st, id).await?;
    let html = RecordPage {
        objection_open,
        banner: st.banner(),
        user: user_name(&u),
        row: (&detail.row).into(),
        fields: field_views(detail.row.kind, &detail.current().fields, false),
        updated: crate::kernel::time::china_date(detail.row.updated_at).to_string(),
        // `public_until` is the first day no longer public.
        last_public_day: detail.row.public_until.map_or_else(
            || "有效期内持续公示".to_string(),
            |u| u.yesterday().map_or_else(|_| u.to_string(), |d| d.to_string()),
        ),
    }
    .render()?;
    Ok(Html(html))
}

/// Query of the dual-disclosure lists (shared with the API).
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub subject: String,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A filter error: machine code and Chinese message.
pub type FilterError = (&'static str, String);

impl ListQuery {
    /// Turns the query into a store filter, or names the parameter that is wrong.
    pub fn filter(&self) -> Result<RecordFilter, FilterError> {
        let kind = match self.kind.as_str() {
            "" => None,
            k => Some(RecordKind::parse(k).ok_or(("invalid_kind", format!("类别“{k}”无效，应为 license 或 penalty")))?),
        };
        let date = |name: &str, v: &str| -> Result<Option<Date>, FilterError> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            parse_date(v).map(Some).ok_or(("invalid_date", format!("{name}“{v}”不是有效日期，应为 YYYY-MM-DD")))
        };
        Ok(RecordFilter {
            kind,
            subject_id: None,
            authority_code: (!self.authority.is_empty()).then(|| self.authority.clone()),
            date_from: date("起始日期", &self.from)?,
            date_to: date("截止日期", &self.to)?,
            department_id: None,
            public_on: None,
            review_state: None,
        })
    }
}

#[derive(Template)]
#[template(path = "disclosures.html")]
struct DisclosuresPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    heading: String,
    /// Key of the subject the list is limited to, or empty.
    subject: String,
    kind: String,
    from: String,
    to: String,
    authority: String,
    authorities: Vec<AuthorityCount>,
    message: Option<String>,
    records: Vec<RecordRowView>,
    pager: Pager,
}

async fn disclosures(
    State(st): State<AppState>,
    u: MaybeUser,
    Query(lq): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let (filter, message) = match lq.filter() {
        Ok(f) => (f, None),
        Err((_, msg)) => (RecordFilter::default(), Some(msg)),
    };
    let req = PageRequest::new(lq.page.unwrap_or(1), 20);
    let what = match filter.kind {
        Some(RecordKind::License) => "行政许可信息公示",
        Some(RecordKind::Penalty) => "行政处罚信息公示",
        None => "“双公示”信息",
    };
    let subject_key = lq.subject.clone();
    let today = Some(st.today());
    let (page, authorities, subject) = st
        .db(move |s| {
            let mut filter = filter;
            filter.public_on = today;
            let subject = match subject_key.as_str() {
                "" => None,
                key => Some(s.subject_by_key_on(key, today)?.ok_or(xinjiao_store::StoreError::NotFound)?),
            };
            filter.subject_id = subject.as_ref().map(|x| x.id);
            // Each authority's count is what the list shows when it is chosen.
            let mut authorities = s.authorities_for(&filter)?;
            if let Some(code) = filter.authority_code.as_ref().filter(|c| !authorities.iter().any(|a| &a.code == *c)) {
                authorities.push(AuthorityCount { code: code.clone(), name: code.clone(), n_records: 0 });
            }
            for a in &mut authorities {
                a.name = crate::kernel::views::mask_text(&a.name);
            }
            Ok((s.list_records(&filter, req)?, authorities, subject))
        })
        .await?;
    let heading = match &subject {
        Some(x) => format!("{}：{what}", crate::kernel::views::mask_text(&x.name)),
        None => what.to_string(),
    };
    let base = format!(
        "/disclosures?kind={}&from={}&to={}&authority={}&subject={}&",
        urlencode(&lq.kind),
        urlencode(&lq.from),
        urlencode(&lq.to),
        urlencode(&lq.authority),
        urlencode(&lq.subject)
    );
    let html = DisclosuresPage {
        banner: st.banner(),
        user: user_name(&u),
        heading,
        subject: lq.subject.clone(),
        pager: Pager::new(&page, &base),
        records: page.items.iter().map(Into::into).collect(),
        kind: lq.kind,
        from: lq.from,
        to: lq.to,
        authority: lq.authority,
        authorities,
        message,
    }
    .render()?;
    Ok(Html(html))
}
