//! Credit checks (信用核查): given a party and a scenario, the measures that
//! apply and why, the lists and grade the scenario may see, and a receipt —
//! a C2SP signed note over the answer, signed with the platform's key —
//! that anyone verifies offline (`xinjiao verify receipt`). Partners (banks,
//! tendering platforms) call `POST /api/v1/credit-checks` with a token
//! limited to their scenarios; staff use `/console/credit-checks`. Every
//! check is an event (`credit_check.made`: who asked about whom and why).

use askama::Template;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use xinjiao_core::lists::definition::{ListDefinition, PartyType};
use xinjiao_core::lists::entries::PublicStanding;
use xinjiao_core::lists::measures::{Catalogue, EntryInForce, PartyFacts, applicable};
use xinjiao_core::lists::overload::normalize_plate;
use xinjiao_core::records::ids::{IdCardNo, Uscc};
use xinjiao_store::{EntryFilter, Partner, Store, StoreError, User, WriteContext};

use super::portal::party_facts;
use super::views::standing_of;
use crate::kernel::auth::{ApiUser, StaffUser};
use crate::kernel::error::{ApiError, PageError};
use crate::kernel::state::AppState;
use crate::kernel::views::mask_id;

/// The first line of every receipt: its format and version.
pub const RECEIPT_FORMAT: &str = "xinjiao/credit-check/v1";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/credit-checks", get(page).post(page_check))
        .route("/console/partners", get(partners_page).post(add_partner))
        .route("/console/partners/{id}/revoke", post(revoke_partner).merge(crate::kernel::context::form_page_of(1)))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/credit-checks", post(api_check)).layer(axum::extract::DefaultBodyLimit::max(4096))
}

/// Why a check was refused: a stable code, a Chinese message, the status.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { status, code, message: message.into() }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        eprintln!("internal error: {e}");
        refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal", "系统暂时无法处理该请求")
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::new(r.status, r.code, r.message)
    }
}

/// Who asks.
pub enum Caller {
    Staff(User),
    Partner(Partner),
    /// The command line (`xinjiao lists check --actor`).
    System(String),
}

impl Caller {
    fn actor(&self) -> String {
        match self {
            Caller::Staff(u) => u.username.clone(),
            Caller::Partner(p) => format!("partner:{}", p.name),
            Caller::System(name) => name.clone(),
        }
    }
}

/// A check as asked.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct CheckRequest {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub scenario: String,
    /// Required for a natural person.
    #[serde(default)]
    pub purpose: Option<String>,
}

fn random_id() -> String {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("operating system randomness");
    crate::kernel::auth::hex(&b)
}

/// Runs a check: refuses a scenario the caller may not use, a party the
/// scenario may not ask about, a person without a purpose; otherwise the
/// answer (with its receipt) and the audit event.
pub fn check(st: &AppState, store: &dyn Store, caller: &Caller, req: &CheckRequest) -> Result<Value, Refusal> {
    let cat = Catalogue::embedded();
    let code = req.subject.trim();
    if code.is_empty() || code.chars().count() > 64 {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "subject.invalid",
            "subject 应为统一社会信用代码、身份证号码、主体编号或车牌号码",
        ));
    }
    let Some(scenario) = cat.scenario(req.scenario.trim()) else {
        let known: Vec<&str> = cat.scenarios.iter().map(|s| s.code.as_str()).collect();
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "scenario.unknown",
            format!("没有场景“{}”，可用：{}", req.scenario, known.join("、")),
        ));
    };
    if let Caller::Partner(p) = caller
        && !p.scenarios.contains(&scenario.code)
    {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "scenario.not_allowed",
            format!("合作方“{}”的令牌不能用于场景“{}”（可用：{}）", p.name, scenario.name, p.scenarios.join("、")),
        ));
    }
    let purpose = req.purpose.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
    if purpose.as_ref().is_some_and(|p| p.chars().count() > 200) {
        return Err(refuse(StatusCode::BAD_REQUEST, "purpose.too_long", "purpose 至多 200 字"));
    }
    let today = st.today();
    let norm = xinjiao_core::records::text::normalize_code(code);
    // Who the code names.
    let (party_type, party, subject) = if let Some(plate) = normalize_plate(code) {
        (PartyType::Vehicle, plate, None)
    } else if Uscc::parse(&norm).is_ok() {
        (PartyType::Enterprise, norm.clone(), store.subject_by_identity(&norm)?)
    } else if IdCardNo::parse(&norm, today).is_ok() {
        (PartyType::Person, norm.clone(), store.subject_by_identity(&norm)?)
    } else if let Some(s) = store.subject_by_key(code)?.filter(|s| s.uscc.is_none()) {
        (PartyType::Person, s.id_doc_no.clone().unwrap_or_default(), Some(s))
    } else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "subject.invalid",
            format!("“{code}”不是有效的统一社会信用代码、身份证号码、主体编号或车牌号码"),
        ));
    };
    match party_type {
        PartyType::Vehicle if !scenario.vehicles => {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "subject.kind_not_allowed",
                format!("场景“{}”不核查车辆", scenario.name),
            ));
        }
        PartyType::Person if !scenario.persons => {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "subject.kind_not_allowed",
                format!("场景“{}”不核查自然人", scenario.name),
            ));
        }
        PartyType::Person if purpose.is_none() => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "purpose.required",
                "核查自然人须写明用途（purpose），用途记入审计日志",
            ));
        }
        _ => {}
    }
    let data_version = store.data_version()?;
    // The facts: a subject's own, or a vehicle's entries.
    let (mut facts, name) = match &subject {
        Some(s) => (party_facts(store, s, today)?.0, s.name.clone()),
        None => {
            let entries = store.entries(&EntryFilter { party: Some(party.clone()), ..Default::default() }, 100)?;
            let name = entries.first().map(|e| e.party_name.clone()).unwrap_or_default();
            let in_force = entries
                .iter()
                .filter(|e| standing_of(e, today) == PublicStanding::Listed)
                .map(|e| EntryInForce {
                    entry_id: e.id,
                    list: e.list_code.clone(),
                    criterion: e.criterion,
                    listed_on: e.listed_on.unwrap_or(today),
                    shown_until: e.shown_until.unwrap_or(today),
                })
                .collect();
            (PartyFacts { party_type, entries: in_force, grades: vec![] }, name)
        }
    };
    if party_type == PartyType::Vehicle {
        facts.party_type = PartyType::Vehicle;
    }
    let applied = applicable(cat, Some(&scenario.code), &facts);
    let person = facts.party_type.is_person() || party_type == PartyType::Person;
    let shown_code = if person { mask_id(&party) } else { party.clone() };
    let mut answer = json!({
        "format": RECEIPT_FORMAT,
        "check_id": random_id(),
        "installation": st.signer.name,
        "subject": shown_code,
        "subject_name": name,
        "subject_type": facts.party_type.as_str(),
        "scenario": scenario.code,
        "scenario_name": scenario.name,
        "checked_at": st.now().to_string(),
        "as_of": today.to_string(),
        "data_version": data_version,
        "rules": {"measures": cat.version, "scenarios": cat.scenarios_version},
        "measures": applied.iter().map(|a| json!({
            "code": a.measure.code, "name": a.measure.name, "kind": a.measure.kind.as_str(),
            "basis": a.measure.basis, "applied_by": a.measure.applied_by, "reason": a.reasons.join("；"),
        })).collect::<Vec<_>>(),
    });
    if let Some(p) = &purpose {
        answer["purpose"] = json!(p);
    }
    if scenario.sees.lists {
        answer["lists"] = facts
            .entries
            .iter()
            .map(|e| {
                let l = ListDefinition::find(&e.list);
                json!({
                    "list": e.list, "list_name": l.map(|l| l.name.as_str()), "kind": l.map(|l| l.kind.as_str()),
                    "entry": e.entry_id, "criterion": e.criterion,
                    "criterion_text": l.and_then(|l| l.criterion(e.criterion)).map(|c| c.text.as_str()),
                    "listed_on": e.listed_on.to_string(), "shown_until": e.shown_until.to_string(),
                })
            })
            .collect();
    }
    if scenario.sees.grades {
        answer["grades"] = facts
            .grades
            .iter()
            .map(|g| json!({"scheme": g.scheme, "grade": g.grade, "cycle_year": g.cycle_year, "run_id": g.run_id}))
            .collect();
    }
    if scenario.sees.penalties {
        let n = match &subject {
            Some(s) => store.subject_by_key_on(&s.key, Some(today))?.map_or(0, |x| x.n_penalties),
            None => 0,
        };
        answer["penalties_public"] = json!(n);
    }
    let text = format!("{RECEIPT_FORMAT}\n{answer}\n");
    let receipt =
        st.signer.sign(&text).map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.message()))?;
    let digest: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let wctx = WriteContext::new(
        caller.actor(),
        st.now(),
        purpose.clone().unwrap_or_else(|| format!("信用核查：{}", scenario.name)),
    );
    let detail = json!({
        "check_id": answer["check_id"], "subject": party, "subject_type": facts.party_type.as_str(),
        "scenario": scenario.code, "purpose": purpose, "measures": applied.iter().map(|a| a.measure.code.as_str()).collect::<Vec<_>>(),
        "receipt_sha256": digest, "data_version": data_version,
    })
    .to_string();
    store.append_event(&wctx, "credit_check.made", subject.as_ref().map(|s| s.id), None, &detail)?;
    answer["receipt"] = json!(receipt);
    answer["verifier_key"] = json!(st.signer.verifier().to_vkey());
    Ok(answer)
}

/// A partner's token, or a staff member's token or session.
pub struct Checker(pub Caller);

impl FromRequestParts<AppState> for Checker {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| crate::kernel::auth::token_hash(t.trim()));
        if let Some(hash) = bearer {
            let now = state.now();
            let h = hash.clone();
            if let Some(p) = state.db(move |s| s.partner_by_token(&h, now)).await? {
                return Ok(Checker(Caller::Partner(p)));
            }
        }
        let ApiUser(u) = ApiUser::from_request_parts(parts, state).await?;
        Ok(Checker(Caller::Staff(u)))
    }
}

async fn api_check(
    State(st): State<AppState>,
    Checker(caller): Checker,
    body: Result<Json<CheckRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "body.invalid",
            format!("请求体应为 JSON：{{\"subject\", \"scenario\", \"purpose\"}}（{e}）"),
        )
    })?;
    let st2 = st.clone();
    let out = st.db(move |s| Ok(check(&st2, s, &caller, &req))).await?.map_err(ApiError::from)?;
    Ok(Json(out))
}

struct ScenarioOption {
    code: String,
    name: String,
}

struct Shown {
    subject: String,
    subject_name: String,
    subject_type: String,
    scenario_name: String,
    measures: Vec<(String, String, String, String)>,
    lists: Vec<String>,
    grades: Vec<String>,
    penalties: Option<i64>,
    receipt: String,
    vkey: String,
    checked_at: String,
}

#[derive(Template)]
#[template(path = "credit_checks_console.html")]
struct CheckPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    scenarios: Vec<ScenarioOption>,
    q: CheckRequest,
    purpose: String,
    errors: Vec<String>,
    result: Option<Shown>,
}

async fn render(
    st: &AppState,
    user: &User,
    q: CheckRequest,
    errors: Vec<String>,
    result: Option<Shown>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = CheckPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/credit-checks").await?,
        scenarios: Catalogue::embedded()
            .scenarios
            .iter()
            .map(|s| ScenarioOption { code: s.code.clone(), name: s.name.clone() })
            .collect(),
        purpose: q.purpose.clone().unwrap_or_default(),
        q,
        errors,
        result,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn page(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Response, PageError> {
    render(&st, &user, CheckRequest::default(), vec![], None).await
}

async fn page_check(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(q): Form<CheckRequest>,
) -> Result<Response, PageError> {
    let st2 = st.clone();
    let (caller, req) = (Caller::Staff(user.clone()), q.clone());
    match st.db(move |s| Ok(check(&st2, s, &caller, &req))).await? {
        Err(r) => render(&st, &user, q, vec![r.message], None).await,
        Ok(a) => {
            let strs = |k: &str, f: &dyn Fn(&Value) -> String| {
                a[k].as_array().map(|v| v.iter().map(f).collect()).unwrap_or_default()
            };
            let shown = Shown {
                subject: a["subject"].as_str().unwrap_or("").into(),
                subject_name: a["subject_name"].as_str().unwrap_or("").into(),
                subject_type: PartyType::parse(a["subject_type"].as_str().unwrap_or(""))
                    .map_or("", |p| p.label())
                    .into(),
                scenario_name: a["scenario_name"].as_str().unwrap_or("").into(),
                measures: a["measures"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .map(|m| {
                                let s = |k: &str| m[k].as_str().unwrap_or("").to_string();
                                (
                                    s("name"),
                                    if s("kind") == "reward" { "守信激励".into() } else { "失信惩戒".into() },
                                    s("reason"),
                                    s("basis"),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                lists: strs("lists", &|e| {
                    format!(
                        "{}（第 {} 项标准，{} 至 {}）",
                        e["list_name"].as_str().unwrap_or(""),
                        e["criterion"],
                        e["listed_on"].as_str().unwrap_or(""),
                        e["shown_until"].as_str().unwrap_or("")
                    )
                }),
                grades: strs("grades", &|g| {
                    format!(
                        "{} {} 年度：{}",
                        g["scheme"].as_str().unwrap_or(""),
                        g["cycle_year"],
                        g["grade"].as_str().unwrap_or("")
                    )
                }),
                penalties: a["penalties_public"].as_i64(),
                receipt: a["receipt"].as_str().unwrap_or("").into(),
                vkey: a["verifier_key"].as_str().unwrap_or("").into(),
                checked_at: a["checked_at"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .map(crate::kernel::time::local_time)
                    .unwrap_or_default(),
            };
            render(&st, &user, q, vec![], Some(shown)).await
        }
    }
}

/// The longest a partner's token is valid, in days.
const PARTNER_MAX_DAYS: i64 = 3650;

struct PartnerRow {
    id: i64,
    name: String,
    scenarios: String,
    expires: String,
    state: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "partners_console.html")]
struct PartnersPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    partners: Vec<PartnerRow>,
    scenarios: Vec<ScenarioOption>,
    new_token: Option<String>,
    errors: Vec<String>,
}

async fn render_partners(
    st: &AppState,
    user: &User,
    new_token: Option<String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    if user.role != xinjiao_store::Role::Admin {
        return Err(PageError::Forbidden);
    }
    let now = st.now();
    let cat = Catalogue::embedded();
    let partners = st.db(|s| s.partners()).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = PartnersPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/partners").await?,
        partners: partners
            .iter()
            .map(|p| PartnerRow {
                id: p.id,
                name: p.name.clone(),
                scenarios: p
                    .scenarios
                    .iter()
                    .map(|s| cat.scenario(s).map_or(s.clone(), |x| x.name.clone()))
                    .collect::<Vec<_>>()
                    .join("、"),
                expires: crate::kernel::time::local_time(p.expires_at),
                state: if p.revoked_at.is_some() {
                    "已停用"
                } else if p.expires_at <= now {
                    "已过期"
                } else {
                    "有效"
                },
                active: p.revoked_at.is_none() && p.expires_at > now,
            })
            .collect(),
        scenarios: cat
            .scenarios
            .iter()
            .map(|s| ScenarioOption { code: s.code.clone(), name: s.name.clone() })
            .collect(),
        new_token,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn partners_page(State(st): State<AppState>, StaffUser(user): StaffUser) -> Result<Response, PageError> {
    render_partners(&st, &user, None, vec![]).await
}

/// Registers a partner (administrators): the token is shown once.
async fn add_partner(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if user.role != xinjiao_store::Role::Admin {
        return Err(PageError::Forbidden);
    }
    let cat = Catalogue::embedded();
    let (mut name, mut days, mut scenarios) = (String::new(), String::new(), Vec::new());
    for (k, v) in pairs {
        match k.as_str() {
            "name" => name = v.trim().to_string(),
            "days" => days = v,
            "scenario" if cat.scenario(&v).is_some() && !scenarios.contains(&v) => scenarios.push(v),
            _ => {}
        }
    }
    let days: i64 = days.trim().parse().unwrap_or(0);
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("请填写合作方名称（至多 100 字）".to_string());
    }
    if scenarios.is_empty() {
        errors.push("请至少选择一个核查场景".to_string());
    }
    if !(1..=PARTNER_MAX_DAYS).contains(&days) {
        errors.push(format!("有效天数应为 1 到 {PARTNER_MAX_DAYS}"));
    }
    if !errors.is_empty() {
        return render_partners(&st, &user, None, errors).await;
    }
    let token = crate::kernel::auth::new_token();
    let p = xinjiao_store::NewPartner {
        name,
        scenarios,
        token_hash: crate::kernel::auth::token_hash(&token),
        expires_at: st
            .now()
            .checked_add(jiff::SignedDuration::from_hours(24 * days))
            .map_err(|e| PageError::Internal(e.to_string()))?,
    };
    let wctx = crate::kernel::context::ctx(&st, &user, "登记信用核查合作方");
    st.db(move |s| s.create_partner(&wctx, &p)).await?;
    render_partners(&st, &user, Some(token), vec![]).await
}

/// Revokes a partner's token (administrators).
async fn revoke_partner(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, PageError> {
    if user.role != xinjiao_store::Role::Admin {
        return Err(PageError::Forbidden);
    }
    let wctx = crate::kernel::context::ctx(&st, &user, "停用合作方令牌");
    st.db(move |s| s.revoke_partner(&wctx, id)).await?;
    Ok(axum::response::Redirect::to("/console/partners").into_response())
}
