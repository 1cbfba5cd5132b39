//! Commitments as JSON: the public list (`GET /api/v1/commitments`), the
//! subject's own (`/api/v1/account/commitments`: list, sign, withdraw;
//! `/api/v1/account/education/{code}`: acknowledge), and the staff's
//! decision and verification (`POST /api/v1/commitments/{id}/decision`,
//! `…/verification`, with a bearer token or a staff session). Refusals
//! carry stable codes: `commitment.refused` (exclusion, education, type or
//! matter — the message says which), `commitment.forbidden`,
//! `commitment.day`, `commitment.reason`, `commitment.state`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use xinjiao_core::commitments::Action;
use xinjiao_store::StoreError;

use super::public::public_commitments;
use super::shared::{Ask, act, json as commitment_json, matters, prepare, sign};
use super::staff::finding_of;
use crate::kernel::auth::{ApiUser, SubjectUser};
use crate::kernel::error::ApiError;
use crate::kernel::state::AppState;

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/commitments", get(list))
        .route("/commitments/{id}/decision", post(decide))
        .route("/commitments/{id}/verification", post(verify))
        .route("/commitments/{id}/licence", post(link_licence_api))
        .route("/commitments/{id}/licence-revocation", post(revoke_licence_api))
        .route("/account/commitments", get(mine).post(sign_api))
        .route("/account/commitments/{id}/withdrawal", post(withdraw))
        .route("/account/education/{code}", post(acknowledge))
}

#[derive(Deserialize)]
struct ListQuery {
    subject: Option<String>,
}

/// The public commitments (of one subject with `?subject=KEY`).
async fn list(State(st): State<AppState>, Query(q): Query<ListQuery>) -> Result<Json<Value>, ApiError> {
    let today = st.today();
    let key = q.subject.clone();
    let found = st
        .db(move |s| {
            let id = match key {
                Some(k) => match s.subject_by_key(&k)? {
                    Some(x) => Some(x.id),
                    None => return Err(StoreError::NotFound),
                },
                None => None,
            };
            public_commitments(s, id, 2000)
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("主体"),
            e => e.into(),
        })?;
    let items: Vec<Value> = found.iter().map(|c| commitment_json(c, today, true)).collect();
    Ok(Json(json!({"as_of": today.to_string(), "items": items})))
}

/// The subject of the session, or 401 (an API answers, it does not redirect).
fn subject_of(s: Result<SubjectUser, Response>) -> Result<xinjiao_store::Subject, ApiError> {
    s.map(|SubjectUser(x)| x).map_err(|_| ApiError::unauthorized())
}

fn body<T>(b: Result<Json<T>, JsonRejection>, shape: &str) -> Result<T, ApiError> {
    b.map(|Json(x)| x)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "body.invalid", format!("请求体应为 JSON：{shape}（{e}）")))
}

/// The subject's own commitments (with text, deadlines and staff notes)
/// and the education it has read.
async fn mine(State(st): State<AppState>, subject: Result<SubjectUser, Response>) -> Result<Json<Value>, ApiError> {
    let subject = subject_of(subject)?;
    let today = st.today();
    let id = subject.id;
    let (found, acks) = st
        .db(move |s| {
            let f = xinjiao_store::CommitmentFilter { subject_id: Some(id), ..Default::default() };
            Ok((s.commitments(&f, 500)?, s.acknowledgements(id)?))
        })
        .await?;
    let items: Vec<Value> = found.iter().map(|c| commitment_json(c, today, false)).collect();
    let education: Vec<Value> =
        acks.iter().map(|(m, v, at)| json!({"material": m, "version": v, "acknowledged_at": at.to_string()})).collect();
    Ok(Json(json!({"subject": subject.key, "items": items, "education": education})))
}

#[derive(Deserialize)]
struct SignBody {
    kind: String,
    matter: Option<String>,
    /// The signer confirms it has read the text and the consequences.
    agree: bool,
}

/// Signs a commitment from the subject's session: the text is the current
/// template rendered for it (as on the page); 201 with the commitment.
async fn sign_api(
    State(st): State<AppState>,
    subject: Result<SubjectUser, Response>,
    b: Result<Json<SignBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let subject = subject_of(subject)?;
    let b = body(b, "{\"kind\", \"matter\", \"agree\": true}")?;
    if !b.agree {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "commitment.not_agreed",
            "须先阅读承诺书和违诺后果并确认（agree: true）",
        ));
    }
    let (s, today) = (st.clone(), st.today());
    let done = st
        .db(move |store| {
            let prepared = prepare(&s, store, &subject, &Ask { kind: &b.kind, matter: b.matter.as_deref() })?;
            let new = match prepared {
                Ok((new, _)) => new,
                Err(why) => return Ok(Err(why)),
            };
            let ctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), s.now(), "签署信用承诺");
            let id = sign(store, &ctx, &new)?;
            Ok(Ok(store.commitment(id)?.ok_or(StoreError::NotFound)?))
        })
        .await?;
    match done {
        Ok(c) => Ok((StatusCode::CREATED, Json(commitment_json(&c, today, false)))),
        Err(why) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "commitment.refused", why)),
    }
}

/// The subject withdraws its own commitment.
async fn withdraw(
    State(st): State<AppState>,
    subject: Result<SubjectUser, Response>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let subject = subject_of(subject)?;
    let (s, today) = (st.clone(), st.today());
    let done = st.db(move |store| super::shared::withdraw(&s, store, &subject, id)).await;
    answer(done, |c| commitment_json(&c, today, false))
}

/// The subject acknowledges the current version of a material.
async fn acknowledge(
    State(st): State<AppState>,
    subject: Result<SubjectUser, Response>,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let subject = subject_of(subject)?;
    let m = matters().material(&code).ok_or_else(|| ApiError::not_found("诚信教育材料"))?;
    let (version, material) = (m.version, m.code.clone());
    let ctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "确认已阅读诚信教育材料");
    let new = st.db(move |s| s.acknowledge_education(&ctx, subject.id, &material, version)).await?;
    Ok(Json(json!({"material": code, "version": version, "new": new})))
}

#[derive(Deserialize)]
struct DecisionBody {
    granted: bool,
    /// The day of the decision (today if absent).
    on: Option<String>,
    reason: String,
}

#[derive(Deserialize)]
struct VerificationBody {
    /// `kept`, `not_kept` or `false`.
    finding: String,
    /// The day of the finding (the day the material came in, or was found
    /// missing or untrue; today if absent).
    on: Option<String>,
    reason: String,
}

fn day(st: &AppState, on: Option<&str>) -> Result<jiff::civil::Date, ApiError> {
    match on {
        None => Ok(st.today()),
        Some(s) => s
            .parse()
            .map_err(|_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "commitment.day", "on 应为 YYYY-MM-DD")),
    }
}

async fn staff_act(
    st: AppState,
    user: xinjiao_store::User,
    id: i64,
    action: Action,
    on: jiff::civil::Date,
    reason: String,
) -> Result<Json<Value>, ApiError> {
    let s = st.clone();
    let today = st.today();
    let done = st.db(move |store| act(&s, store, &user, id, action, on, &reason)).await;
    answer(done, |c| commitment_json(&c, today, false))
}

/// The matter a commitment came with is decided (granted starts the deadline).
async fn decide(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    b: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body(b, "{\"granted\": true, \"on\", \"reason\"}")?;
    let on = day(&st, b.on.as_deref())?;
    staff_act(st, user, id, Action::Decide { granted: b.granted }, on, b.reason).await
}

/// Staff record what they found: kept (late if after the deadline), not kept, false.
async fn verify(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    b: Result<Json<VerificationBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body(b, "{\"finding\": \"kept|not_kept|false\", \"on\", \"reason\"}")?;
    let finding = finding_of(&b.finding).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "commitment.finding", "finding 应为 kept、not_kept 或 false")
    })?;
    let on = day(&st, b.on.as_deref())?;
    staff_act(st, user, id, Action::Verify(finding), on, b.reason).await
}

#[derive(Deserialize)]
struct LicenceBody {
    decision_no: String,
}

#[derive(Deserialize)]
struct RevocationBody {
    reason: String,
}

fn refused(r: super::shared::Refusal) -> ApiError {
    ApiError::new(r.status(), r.code, r.message)
}

/// A staff action's answer: `shown` of what it did, or its refusal.
fn answer<T>(
    done: Result<Result<T, super::shared::Refusal>, StoreError>,
    shown: impl FnOnce(T) -> Value,
) -> Result<Json<Value>, ApiError> {
    match done {
        Ok(Ok(x)) => Ok(Json(shown(x))),
        Ok(Err(r)) => Err(refused(r)),
        Err(StoreError::NotFound) => Err(ApiError::not_found("信用承诺")),
        Err(e) => Err(e.into()),
    }
}

/// Names the licence a granted commitment obtained (by its decision number).
async fn link_licence_api(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    b: Result<Json<LicenceBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body(b, "{\"decision_no\"}")?;
    let s = st.clone();
    let done = st.db(move |store| super::shared::link_licence(&s, store, &user, id, &b.decision_no)).await;
    answer(done, |record| json!({"commitment": id, "licence_record_id": record}))
}

/// Revokes the licence a broken or false commitment obtained: a correction
/// of the licence record (`pending` when the department reviews first).
async fn revoke_licence_api(
    State(st): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    b: Result<Json<RevocationBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body(b, "{\"reason\"}")?;
    let s = st.clone();
    let done = st.db(move |store| super::shared::revoke_licence(&s, store, &user, id, &b.reason)).await;
    answer(done, |o| {
        let (record, state) = match o {
            xinjiao_store::RecordOutcome::Pending { record_id, .. } => (record_id, "pending"),
            other => (other.record_id(), "corrected"),
        };
        json!({"commitment": id, "licence_record_id": record, "state": state})
    })
}
