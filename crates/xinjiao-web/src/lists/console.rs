//! The lists in the console: for each list its computed candidates (with
//! their evidence) and a form to propose a party on a criterion the platform
//! cannot compute; an entry's page where a coordinator reviews it (not its
//! proposer), confirms it after the notice or ends it early, and where its
//! department handles objections; the export for reporting upward.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinjiao_core::lists::definition::{ListDefinition, PartyType};
use xinjiao_core::lists::entries::{EndKind, EntryAction, EntryState};
use xinjiao_core::lists::limits::VehicleLimits;
use xinjiao_core::lists::overload::normalize_plate;
use xinjiao_core::records::ids::{IdCardNo, Uscc};
use xinjiao_core::records::record::SubjectInfo;
use xinjiao_store::{Entry, EntryFilter, NewEntry, NewListObjection, Store, StoreError, User};

use super::views::{CandidateRow, EntryRow, candidate_row, entry_row};
use crate::kernel::auth::StaffUser;
use crate::kernel::context::{acts_for, ctx};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

/// The longest grounds, notes and reasons kept.
const TEXT_MAX: usize = 2000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/lists", get(index))
        .route("/console/lists/{code}/propose", post(propose).merge(crate::kernel::context::form_page_of(1)))
        .route("/console/lists/{code}/export", get(export))
        .route("/console/lists/entries/{id}", get(detail))
        .route("/console/lists/entries/{id}/act", post(act).merge(crate::kernel::context::form_page_of(1)))
        .route(
            "/console/lists/entries/{id}/objections",
            post(record_objection).merge(crate::kernel::context::form_page_of(1)),
        )
        .route(
            "/console/lists/objections/{id}/act",
            post(act_on_objection).merge(crate::kernel::context::form_page_of(3)),
        )
}

/// The subject a party names, found or created with the entry: an
/// enterprise itself, a vehicle's owner (from the register), a person.
pub fn subject_of(
    store: &dyn Store,
    party_type: PartyType,
    party: &str,
    name: &str,
) -> Result<Option<SubjectInfo>, StoreError> {
    let org = |code: &str, name: &str| Uscc::parse(code).ok().map(|u| SubjectInfo::organisation(u, name));
    Ok(match party_type {
        PartyType::Enterprise => org(party, name),
        PartyType::Vehicle => store
            .vehicles()?
            .into_iter()
            .find(|v| v.plate == party)
            .and_then(|v| org(&v.enterprise_code, &v.enterprise_name)),
        PartyType::Driver | PartyType::Person => Some(SubjectInfo::id_card_holder(party, name)),
    })
}

#[derive(Deserialize, Default)]
struct Which {
    #[serde(default)]
    list: String,
}

struct ListTab {
    code: String,
    name: String,
    kind: &'static str,
    active: bool,
    counts: String,
}

#[derive(Template)]
#[template(path = "lists_console.html")]
struct IndexPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    tabs: Vec<ListTab>,
    list_code: String,
    list_name: String,
    bureau_choice: bool,
    notice_days: u32,
    shown_months: u32,
    today: String,
    candidates: Vec<CandidateRow>,
    proposed_criteria: Vec<(u32, String, String, String)>,
    party_types: Vec<(&'static str, &'static str)>,
    entries: Vec<EntryRow>,
    oversees: bool,
    errors: Vec<String>,
}

async fn index(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<Which>,
) -> Result<Response, PageError> {
    render_index(&st, &user, &q.list, vec![]).await
}

async fn render_index(st: &AppState, user: &User, code: &str, errors: Vec<String>) -> Result<Response, PageError> {
    let lists = ListDefinition::embedded();
    let list = lists.iter().find(|l| l.code == code).unwrap_or(&lists[0]);
    let today = st.today();
    let l = list.clone();
    let (candidates, entries, departments, all) = st
        .db(move |s| {
            let found = xinjiao_store::lists::candidates(s, &l, VehicleLimits::embedded(), today)?;
            let entries = s.entries(&EntryFilter { list_code: Some(l.code.clone()), ..Default::default() }, 500)?;
            let all = s.entries(&EntryFilter::default(), 5000)?;
            Ok((found, entries, s.departments()?, all))
        })
        .await?;
    let cal = st.rules.read().expect("rules").calendar.clone();
    let open_for = |party: &str| {
        entries
            .iter()
            .find(|e| {
                e.party == party
                    && (matches!(e.state, EntryState::Proposed | EntryState::Notice)
                        || (e.state == EntryState::Listed && e.shown_until.is_some_and(|d| d >= today)))
            })
            .map(|e| e.id)
    };
    let tabs = lists
        .iter()
        .map(|l| {
            let of = |s: EntryState| all.iter().filter(|e| e.list_code == l.code && e.state == s).count();
            ListTab {
                code: l.code.clone(),
                name: l.name.clone(),
                kind: l.kind.label(),
                active: l.code == list.code,
                counts: format!(
                    "待审核 {} · 公示中 {} · 已列入 {}",
                    of(EntryState::Proposed),
                    of(EntryState::Notice),
                    all.iter()
                        .filter(|e| e.list_code == l.code
                            && super::views::standing_of(e, today)
                                == xinjiao_core::lists::entries::PublicStanding::Listed)
                        .count()
                ),
            }
        })
        .collect();
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let page = IndexPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/lists").await?,
        tabs,
        list_code: list.code.clone(),
        list_name: list.name.clone(),
        bureau_choice: list.bureau_choice,
        notice_days: list.notice_working_days,
        shown_months: list.shown_months,
        today: today.to_string(),
        candidates: candidates.iter().map(|c| candidate_row(list, c, open_for(&c.party))).collect(),
        proposed_criteria: list
            .criteria
            .iter()
            .filter(|c| c.computed.is_none())
            .map(|c| {
                (
                    c.number,
                    c.text.clone(),
                    c.evidence.clone().unwrap_or_default(),
                    c.party_type.map_or_else(|| "任一".to_string(), |p| p.label().to_string()),
                )
            })
            .collect(),
        party_types: list.party_types.iter().map(|p| (p.as_str(), p.label())).collect(),
        entries: entries.iter().map(|e| entry_row(e, &departments, &cal, today)).collect(),
        oversees: user.role.oversees(),
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct ProposeForm {
    criterion: u32,
    /// `computed` (a candidate) or `proposed`.
    origin: String,
    #[serde(default)]
    party: String,
    #[serde(default)]
    party_type: String,
    #[serde(default)]
    party_name: String,
    #[serde(default)]
    grounds: String,
    #[serde(default)]
    evidence: String,
}

/// Checks a party's code against its type; the normalised code.
fn checked_party(t: PartyType, party: &str, today: xinjiao_core::Date) -> Result<String, String> {
    let code = xinjiao_core::records::text::normalize_code(party);
    match t {
        PartyType::Vehicle => normalize_plate(party).ok_or_else(|| format!("“{party}”不是有效的车牌号码")),
        PartyType::Enterprise => {
            Uscc::parse(&code).map(|_| code.clone()).map_err(|_| format!("“{party}”不是有效的统一社会信用代码"))
        }
        PartyType::Driver | PartyType::Person => {
            IdCardNo::parse(&code, today).map(|_| code.clone()).map_err(|_| format!("“{party}”不是有效的身份证号码"))
        }
    }
}

/// Turns a candidate, or a party with grounds and evidence, into a proposal.
async fn propose(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(code): Path<String>,
    Form(f): Form<ProposeForm>,
) -> Result<Response, PageError> {
    let Some(list) = ListDefinition::find(&code) else { return Err(PageError::NotFound) };
    if user.department_id.is_none() && !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let Some(criterion) = list.criterion(f.criterion) else {
        return render_index(&st, &user, &code, vec![format!("没有第 {} 项认定标准", f.criterion)]).await;
    };
    let today = st.today();
    let entry = if f.origin == "computed" {
        if criterion.computed.is_none() {
            return render_index(&st, &user, &code, vec!["该项标准不由平台计算，请附证据提出".into()]).await;
        }
        let party = f.party.clone();
        let n = f.criterion;
        let found = st
            .db(move |s| {
                Ok(xinjiao_store::lists::candidates(s, list, VehicleLimits::embedded(), today)?
                    .into_iter()
                    .find(|c| c.criterion == n && c.party == party))
            })
            .await?;
        let Some(c) = found else {
            return render_index(&st, &user, &code, vec!["该候选已不符合认定标准（数据已变化），请刷新".into()]).await;
        };
        let evidence = serde_json::to_string(&super::views::candidate_json(list, &c)["evidence"]).unwrap_or_default();
        NewEntry {
            list_code: code.clone(),
            criterion: c.criterion,
            origin: "computed".into(),
            party_type: c.party_type,
            party: c.party.clone(),
            party_name: c.party_name.clone(),
            subject: None,
            reason: c.reason.clone(),
            evidence,
            department_id: user.department_id,
        }
    } else {
        let mut errors = Vec::new();
        if criterion.computed.is_some() {
            errors.push("该项标准由平台按数据计算，请从候选中提出".to_string());
        }
        let t = PartyType::parse(&f.party_type).filter(|t| list.party_types.contains(t));
        let t = match (t, criterion.party_type) {
            (Some(t), Some(want)) if t != want => {
                errors.push(format!("第 {} 项标准只适用于{}", criterion.number, want.label()));
                None
            }
            (t, _) => t,
        };
        let party = match t {
            None => {
                errors.push("请选择当事人类型".into());
                String::new()
            }
            Some(t) => checked_party(t, &f.party, today).unwrap_or_else(|m| {
                errors.push(m);
                String::new()
            }),
        };
        let name = f.party_name.trim().to_string();
        let grounds = f.grounds.trim().to_string();
        let evidence = f.evidence.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push("请填写当事人名称（至多 200 字）".into());
        }
        if grounds.chars().count() < 5 || grounds.chars().count() > TEXT_MAX {
            errors.push(format!("请写明认定理由（5 到 {TEXT_MAX} 字）"));
        }
        if evidence.chars().count() < 5 || evidence.chars().count() > TEXT_MAX {
            errors.push(format!(
                "请列明证据（如{}，5 到 {TEXT_MAX} 字）",
                criterion.evidence.clone().unwrap_or_default()
            ));
        }
        if !errors.is_empty() {
            return render_index(&st, &user, &code, errors).await;
        }
        NewEntry {
            list_code: code.clone(),
            criterion: criterion.number,
            origin: "proposed".into(),
            party_type: t.expect("checked"),
            party,
            party_name: name,
            subject: None,
            reason: grounds,
            evidence: serde_json::json!([{ "kind": "text", "text": evidence }]).to_string(),
            department_id: user.department_id,
        }
    };
    let wctx = ctx(&st, &user, format!("提出列入{}", list.name));
    let done = st
        .db(move |s| {
            let mut e = entry;
            e.subject = subject_of(s, e.party_type, &e.party, &e.party_name)?;
            s.propose_entry(&wctx, &e, today)
        })
        .await;
    match done {
        Ok(id) => Ok(Redirect::to(&format!("/console/lists/entries/{id}")).into_response()),
        Err(StoreError::Conflict(m)) => render_index(&st, &user, &code, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

struct ObjectionRow {
    id: i64,
    objector: String,
    via: &'static str,
    reasons: String,
    status: &'static str,
    open: bool,
    acknowledged: bool,
    filed_on: String,
    decide_by: String,
    decision: String,
}

#[derive(Template)]
#[template(path = "list_entry_console.html")]
struct DetailPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    e: EntryRow,
    basis: String,
    proposed_by: String,
    reviewed: String,
    objections: Vec<ObjectionRow>,
    may_review: bool,
    may_confirm: bool,
    may_end: bool,
    may_handle: bool,
    in_notice: bool,
    exits: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
}

async fn render_detail(st: &AppState, user: &User, id: i64, errors: Vec<String>) -> Result<Response, PageError> {
    let (e, objections, departments) = st
        .db(move |s| Ok((s.entry(id)?.ok_or(StoreError::NotFound)?, s.list_objections(Some(id))?, s.departments()?)))
        .await?;
    let today = st.today();
    let (calendar, objection_rules) = {
        let r = st.rules.read().expect("rules");
        (r.calendar.clone(), r.objections)
    };
    let list = ListDefinition::find(&e.list_code).ok_or(PageError::NotFound)?;
    let row = entry_row(&e, &departments, &calendar, today);
    let oversees = user.role.oversees();
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let page = DetailPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/lists").await?,
        basis: list.basis.clone(),
        proposed_by: e.proposed_by.clone(),
        reviewed: match (&e.reviewed_by, e.reviewed_at) {
            (Some(by), Some(at)) => format!("{by}，{}", crate::kernel::time::local_time(at)),
            _ => String::new(),
        },
        objections: objections
            .iter()
            .map(|o| ObjectionRow {
                id: o.id,
                objector: o.objector.clone(),
                via: if o.filed_via == "account" { "主体账户提交" } else { "窗口代录" },
                reasons: o.reasons.clone(),
                status: o.status.label(),
                open: o.status.is_open(),
                acknowledged: o.acknowledged_at.is_some(),
                filed_on: o.filed_on.to_string(),
                decide_by: objection_rules.decide_by(o.filed_on, o.extended_at.is_some(), &calendar).to_string(),
                decision: o.decision_reason.clone().unwrap_or_default(),
            })
            .collect(),
        may_review: oversees && e.state == EntryState::Proposed && e.proposed_by != user.username,
        may_confirm: oversees && e.state == EntryState::Notice,
        may_end: oversees && row.standing_code == "listed",
        may_handle: acts_for(user, e.department_id),
        in_notice: e.state == EntryState::Notice,
        exits: list.exits.iter().filter_map(|x| EndKind::parse(x.as_str()).map(|k| (k.as_str(), k.label()))).collect(),
        e: row,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn detail(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    render_detail(&st, &user, id, vec![]).await
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    end_kind: String,
}

/// Reviews, confirms or ends an entry (coordinators; the store refuses the proposer).
async fn act(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let note = f.note.trim().to_string();
    let needs_note = matches!(f.action.as_str(), "reject" | "end");
    if needs_note && (note.chars().count() < 2 || note.chars().count() > TEXT_MAX) {
        return render_detail(&st, &user, id, vec![format!("请写明理由或依据（2 到 {TEXT_MAX} 字）")]).await;
    }
    let action = match f.action.as_str() {
        "approve" => EntryAction::Approve,
        "reject" => EntryAction::Reject(note),
        "confirm" => EntryAction::Confirm,
        "end" => match EndKind::parse(&f.end_kind) {
            Some(k) => EntryAction::End(k, note),
            None => return render_detail(&st, &user, id, vec!["请选择移出方式".into()]).await,
        },
        _ => return Err(PageError::BadRequest("未知的操作".into())),
    };
    let today = st.today();
    let cal = st.rules.read().expect("rules").calendar.clone();
    let wctx = ctx(&st, &user, format!("名单条目 #{id}：{}", action.as_str()));
    match st.db(move |s| s.act_on_entry(&wctx, id, &action, today, &cal)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/lists/entries/{id}")).into_response()),
        Err(StoreError::Conflict(m)) => render_detail(&st, &user, id, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct StaffObjectionForm {
    objector: String,
    reasons: String,
}

/// Records an objection received at a window or by letter (the entry's department or a coordinator).
async fn record_objection(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<StaffObjectionForm>,
) -> Result<Response, PageError> {
    let e = owned(&st, &user, id).await?;
    let objector = f.objector.trim().to_string();
    let reasons = f.reasons.trim().to_string();
    if objector.is_empty()
        || objector.chars().count() > 200
        || reasons.chars().count() < 5
        || reasons.chars().count() > TEXT_MAX
    {
        return render_detail(
            &st,
            &user,
            id,
            vec![format!("请填写异议人（至多 200 字）和异议理由（5 到 {TEXT_MAX} 字）")],
        )
        .await;
    }
    let today = st.today();
    let cal = st.rules.read().expect("rules").calendar.clone();
    let wctx = ctx(&st, &user, format!("代录名单条目 #{} 的异议", e.id));
    let o = NewListObjection { entry_id: id, objector, filed_via: "staff".into(), reasons };
    match st.db(move |s| s.file_list_objection(&wctx, &o, today, &cal)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/lists/entries/{id}")).into_response()),
        Err(StoreError::Conflict(m)) => render_detail(&st, &user, id, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

/// The entry `id` if `user` acts for its department (403 otherwise).
async fn owned(st: &AppState, user: &User, id: i64) -> Result<Entry, PageError> {
    let e = st.db(move |s| s.entry(id)?.ok_or(StoreError::NotFound)).await?;
    if !acts_for(user, e.department_id) {
        return Err(PageError::Forbidden);
    }
    Ok(e)
}

/// Acknowledges, extends, upholds or rejects an objection (the entry's department or a coordinator).
async fn act_on_objection(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<crate::kernel::context::ObjectionActionForm>,
) -> Result<Response, PageError> {
    let o = st
        .db(move |s| s.list_objections(None).map(|v| v.into_iter().find(|o| o.id == id)))
        .await?
        .ok_or(PageError::NotFound)?;
    let entry = owned(&st, &user, o.entry_id).await?;
    let Some(action) = crate::kernel::context::objection_action(&f.action, &f.reason)? else {
        return render_detail(&st, &user, entry.id, vec![crate::kernel::context::REASON_REQUIRED.into()]).await;
    };
    let wctx = ctx(&st, &user, format!("办理名单异议 #{id}"));
    match st.db(move |s| s.act_on_list_objection(&wctx, id, &action)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/lists/entries/{}", entry.id)).into_response()),
        Err(StoreError::Conflict(m)) => render_detail(&st, &user, entry.id, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(default)]
    purpose: String,
}

/// The entries of a list for reporting upward (XLSX or CSV), with persons'
/// ID numbers in full: coordinators only, with a stated purpose kept in the
/// audit log.
async fn export(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Path(code): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    if !user.role.oversees() {
        return Err(PageError::Forbidden);
    }
    let Some(list) = ListDefinition::find(&code) else { return Err(PageError::NotFound) };
    let purpose = q.purpose.trim().to_string();
    if purpose.chars().count() < 2 || purpose.chars().count() > 200 {
        return Err(PageError::BadRequest("导出含完整身份证号码，请填写导出用途（如“报送省交通运输厅”）".into()));
    }
    let (entries, departments) = st
        .db(move |s| {
            Ok((
                s.entries(&EntryFilter { list_code: Some(list.code.clone()), ..Default::default() }, u32::MAX)?,
                s.departments()?,
            ))
        })
        .await?;
    let today = st.today();
    let cal = st.rules.read().expect("rules").calendar.clone();
    let headers = [
        "条目编号",
        "名单",
        "认定标准",
        "当事人类型",
        "当事人代码",
        "当事人名称",
        "认定理由",
        "状态",
        "公示开始",
        "公示截止",
        "列入日期",
        "展示截止",
        "移出日期",
        "移出说明",
        "提出部门",
    ];
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let r = entry_row(e, &departments, &cal, today);
            vec![
                e.id.to_string(),
                r.list_name,
                format!("第{}项 {}", r.criterion, r.criterion_text),
                r.party_type.to_string(),
                e.party.clone(),
                r.party_name,
                e.reason.clone(),
                format!("{}（{}）", r.state, r.standing),
                r.notice_from,
                r.notice_until,
                r.listed_on,
                r.shown_until,
                r.exited_on,
                r.end_text,
                r.department,
            ]
        })
        .collect();
    let persons = entries.iter().filter(|e| e.party_type.is_person()).count();
    if persons > 0 {
        let wctx = ctx(&st, &user, purpose.clone());
        let detail = serde_json::json!({"purpose": purpose, "what": format!("导出{}，含 {persons} 名个人的身份证号码", list.name)}).to_string();
        st.db(move |s| s.append_event(&wctx, "personal_data.read", None, None, &detail)).await?;
    }
    let name = format!("{}-{today}", list.name);
    if q.format == "csv" {
        let bytes = xinjiao_import::table_csv(&headers, &rows).map_err(|e| PageError::Internal(e.to_string()))?;
        let disposition = format!(
            "attachment; filename=\"list.csv\"; filename*=UTF-8''{}.csv",
            crate::kernel::views::urlencode(&name)
        );
        return Ok((
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (axum::http::header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response());
    }
    use xinjiao_import::{Cell, table_xlsx};
    let cells: Vec<Vec<Cell>> = rows.into_iter().map(|r| r.into_iter().map(Cell::Text).collect()).collect();
    let bytes = table_xlsx(&[("名单", headers.to_vec(), cells)]).map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(crate::kernel::context::xlsx_response(&format!("{name}.xlsx"), bytes))
}

/// What waits on the lists for `user`: proposals to review and notices
/// ended awaiting confirmation (coordinators), open objections to the
/// entries of the own department.
fn waiting(st: &AppState, store: &dyn Store, user: &User) -> Result<(u64, u64, u64), StoreError> {
    let today = st.today();
    let cal = st.rules.read().expect("rules").calendar.clone();
    let open = store
        .entries(&EntryFilter { states: vec![EntryState::Proposed, EntryState::Notice], ..Default::default() }, 5000)?;
    let (mut review, mut confirm) = (0, 0);
    if user.role.oversees() {
        for e in &open {
            match (e.state, ListDefinition::find(&e.list_code), e.notice_from) {
                (EntryState::Proposed, _, _) if e.proposed_by != user.username => review += 1,
                (EntryState::Notice, Some(l), Some(f))
                    if xinjiao_core::lists::entries::notice_last_day(l, f, &cal) < today =>
                {
                    confirm += 1
                }
                _ => {}
            }
        }
    }
    let objections = store
        .list_objections(None)?
        .iter()
        .filter(|o| open.iter().any(|e| e.id == o.entry_id && acts_for(user, e.department_id)))
        .count() as u64;
    Ok((review, confirm, objections))
}

/// Counts behind the console's 名单 entry.
pub fn badges(
    st: &AppState,
    store: &dyn Store,
    user: &User,
) -> Result<Vec<crate::kernel::workplace::Badge>, StoreError> {
    use crate::kernel::workplace::Badge;
    let (review, confirm, objections) = waiting(st, store, user)?;
    Ok([(review, "条待审核", false), (confirm, "条公示期满待确认", true), (objections, "件名单异议待办", true)]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, what, urgent)| Badge { n, what, urgent })
        .collect())
}

/// The start page's reminders of the lists.
pub fn reminders(
    st: &AppState,
    store: &dyn Store,
    user: &User,
) -> Result<Vec<crate::kernel::workplace::Reminder>, StoreError> {
    use crate::kernel::workplace::Reminder;
    let (review, confirm, objections) = waiting(st, store, user)?;
    let mut out = Vec::new();
    if review > 0 {
        out.push(Reminder {
            level: "soon",
            text: format!("{review} 条名单拟列入待审核"),
            href: "/console/lists".into(),
        });
    }
    if confirm > 0 {
        out.push(Reminder {
            level: "overdue",
            text: format!("{confirm} 条名单公示期已满，待确认列入"),
            href: "/console/lists".into(),
        });
    }
    if objections > 0 {
        out.push(Reminder {
            level: "overdue",
            text: format!("{objections} 件名单公示异议待办理"),
            href: "/console/lists".into(),
        });
    }
    Ok(out)
}

/// The dashboard's open cases of the lists: notices closing, entries
/// expiring within 30 days, objections (those `user` acts for).
pub fn cases(st: &AppState, store: &dyn Store, user: &User) -> Result<Vec<crate::kernel::workplace::Case>, StoreError> {
    use crate::kernel::workplace::Case;
    let today = st.today();
    let (calendar, objection_rules) = {
        let r = st.rules.read().expect("rules");
        (r.calendar.clone(), r.objections)
    };
    let entries = store.entries(
        &EntryFilter {
            states: vec![EntryState::Proposed, EntryState::Notice, EntryState::Listed],
            ..Default::default()
        },
        5000,
    )?;
    let departments = store.departments()?;
    let dept = |d: Option<i64>| {
        d.map_or_else(|| "信用工作牵头科室".to_string(), |d| crate::kernel::context::dept_name(&departments, d))
    };
    let mut out = Vec::new();
    for e in entries.iter().filter(|e| acts_for(user, e.department_id)) {
        let Some(list) = ListDefinition::find(&e.list_code) else { continue };
        let label = format!("{} #{} {}", list.name, e.id, e.party_name);
        match e.state {
            EntryState::Proposed => out.push(Case {
                what: "名单拟列入",
                decision_no: label,
                department: dept(e.department_id),
                status: "待审核",
                deadline: crate::kernel::time::local_time(e.proposed_at),
                overdue: false,
                href: "/console/lists",
            }),
            EntryState::Notice => {
                let last = e.notice_from.map(|f| xinjiao_core::lists::entries::notice_last_day(list, f, &calendar));
                out.push(Case {
                    what: "名单公示",
                    decision_no: label,
                    department: dept(e.department_id),
                    status: if last.is_some_and(|d| d < today) { "公示期满待确认" } else { "公示中" },
                    deadline: last.map(|d| d.to_string()).unwrap_or_default(),
                    overdue: last.is_some_and(|d| d < today),
                    href: "/console/lists",
                })
            }
            EntryState::Listed => {
                if let Some(until) = e
                    .shown_until
                    .filter(|d| *d >= today && today.checked_add(jiff::Span::new().days(30)).is_ok_and(|x| *d <= x))
                {
                    out.push(Case {
                        what: "名单即将期满",
                        decision_no: label,
                        department: dept(e.department_id),
                        status: "展示期即将届满",
                        deadline: until.to_string(),
                        overdue: false,
                        href: "/console/lists",
                    });
                }
            }
            _ => {}
        }
    }
    for o in store.list_objections(None)? {
        if let Some(e) = entries.iter().find(|e| e.id == o.entry_id).filter(|e| acts_for(user, e.department_id)) {
            let by = objection_rules.decide_by(o.filed_on, o.extended_at.is_some(), &calendar);
            out.push(Case {
                what: "名单异议",
                decision_no: format!("#{} {}", e.id, e.party_name),
                department: dept(e.department_id),
                status: o.status.label(),
                deadline: by.to_string(),
                overdue: by < today,
                href: "/console/lists",
            });
        }
    }
    Ok(out)
}
