//! What the commitments pages share: the rule files as read, the
//! preparation of a commitment for a subject (type, matter, exclusion,
//! education, the template rendered), staff actions with their permission
//! and day checks, and the rows the pages and the API show.

use jiff::civil::Date;
use xinjiao_core::commitments::matters::MatterList;
use xinjiao_core::commitments::templates::Templates;
use xinjiao_core::commitments::{Action, CommitmentRules, Stage, State};
use xinjiao_store::{Commitment, CommitmentFilter, NewCommitment, Store, StoreError, Subject, User};

use crate::kernel::state::AppState;

/// The commitment rules the platform runs on.
pub fn rules() -> &'static CommitmentRules {
    CommitmentRules::shipped()
}

/// The installation's list of matters and education material.
pub fn matters() -> &'static MatterList {
    MatterList::shipped()
}

/// The commitment templates.
pub fn templates() -> &'static Templates {
    Templates::shipped()
}

/// The Chinese name of a type code (the code itself if unknown).
pub fn type_name(code: &str) -> String {
    rules().type_of(code).map_or_else(|| code.to_string(), |t| t.name.clone())
}

/// The name of a matter code (empty without one).
pub fn matter_name(code: Option<&str>) -> String {
    code.and_then(|m| matters().matter(m)).map(|m| m.name.clone()).unwrap_or_default()
}

/// Whether the public sees the commitment: a public type in force or with an
/// outcome, or the outcome of any type where the rules make outcomes public.
pub fn shown_publicly(c: &Commitment) -> bool {
    (c.public && !matches!(c.state, State::Signed | State::Withdrawn | State::Void))
        || (rules().breach.outcomes_public && c.state.is_outcome())
}

/// What is asked to be signed: a type and, for approval-stage types, a matter.
pub struct Ask<'a> {
    pub kind: &'a str,
    pub matter: Option<&'a str>,
}

/// The commitment `ask` names, rendered for `subject`, or why it may not be
/// signed (Chinese). Checks the type and matter, the exclusion rules against
/// the subject's lists and breaches, and the education the matter requires.
/// The text is always rendered here from the current template, never taken
/// from the signer.
pub fn prepare(
    st: &AppState,
    store: &dyn Store,
    subject: &Subject,
    ask: &Ask<'_>,
) -> Result<Result<(NewCommitment, String), String>, StoreError> {
    let Some(ty) = rules().type_of(ask.kind) else { return Ok(Err("没有这种承诺类型".into())) };
    let matter = match (ty.stage, ask.matter.filter(|m| !m.is_empty())) {
        (Stage::Approval, Some(code)) => match matters().matter(code) {
            Some(m) if m.types.contains(&ty.code) => Some(m),
            Some(m) => return Ok(Err(format!("“{}”不接受{}", m.name, ty.name))),
            None => return Ok(Err("告知承诺事项清单中没有该事项".into())),
        },
        (Stage::Approval, None) => return Ok(Err("请选择办理的事项".into())),
        (Stage::Supervision, _) => None,
        _ => return Ok(Err(format!("{}不在此签署", ty.name))),
    };
    let today = st.today();
    let (facts, _) = crate::kernel::facts::party_facts(store, subject, today)?;
    let kinds: Vec<_> = facts
        .entries
        .iter()
        .filter_map(|e| xinjiao_core::lists::definition::ListDefinition::find(&e.list).map(|l| l.kind))
        .collect();
    let breaches = store.count_commitments(&CommitmentFilter {
        subject_id: Some(subject.id),
        states: vec![State::NotKept, State::False],
        ..Default::default()
    })?;
    if let Err(why) = rules().may_use(&kinds, breaches as usize) {
        return Ok(Err(why));
    }
    if let Some(m) = matter {
        let acks: Vec<(String, u32)> =
            store.acknowledgements(subject.id)?.into_iter().map(|(c, v, _)| (c, v)).collect();
        if let Err(why) = xinjiao_core::commitments::matters::education_done(matters(), m, &acks) {
            return Ok(Err(why));
        }
    }
    let code = subject.uscc.clone().or_else(|| subject.id_doc_no.clone()).unwrap_or_default();
    let (tpl, text) = match templates().render_for(ty, matter, (&subject.name, &code), today) {
        Ok(x) => x,
        Err(e) => return Ok(Err(e)),
    };
    let department_id = match matter {
        Some(m) => store.departments()?.into_iter().find(|d| d.code == m.department).map(|d| d.id),
        None => None,
    };
    let new = NewCommitment {
        subject_id: subject.id,
        kind: ty.code.clone(),
        matter: matter.map(|m| m.code.clone()),
        template_version: tpl.version,
        text,
        signed_via: "account".into(),
        association: None,
        public: ty.public,
        department_id,
        scan: None,
    };
    Ok(Ok((new, tpl.title.clone())))
}

/// Signs what [`prepare`] made, in the state the type starts in.
pub fn sign(store: &dyn Store, ctx: &xinjiao_store::WriteContext, new: &NewCommitment) -> Result<i64, StoreError> {
    let ty = rules().type_of(&new.kind).expect("prepared from a known type");
    store.sign_commitment(ctx, new, xinjiao_core::commitments::initial(ty))
}

/// Why a staff action is refused: a stable machine code (`commitment.forbidden`,
/// `commitment.day`, `commitment.reason`, `commitment.state`) and the Chinese message.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }

    /// The HTTP status of the refusal.
    pub fn status(&self) -> axum::http::StatusCode {
        match self.code {
            "commitment.forbidden" => axum::http::StatusCode::FORBIDDEN,
            "commitment.state" => axum::http::StatusCode::CONFLICT,
            _ => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// Why a staff action on `c` on `on` is refused before the core is asked:
/// who may act (the matter's department, or a coordinator; a commitment of
/// no department only a coordinator), and the day (not in the future, not
/// before the commitment was signed or its matter decided).
pub fn staff_refusal(user: &User, c: &Commitment, action: Action, on: Date, today: Date) -> Option<Refusal> {
    if !crate::kernel::context::acts_for(user, c.department_id) {
        return Some(Refusal::new(
            "commitment.forbidden",
            if c.department_id.is_none() {
                "该承诺不属于任何科室，只有信用工作协调员可以处理"
            } else {
                "只能处理本科室办理事项的承诺"
            },
        ));
    }
    if matches!(action, Action::Withdraw) {
        return Some(Refusal::new("commitment.forbidden", "承诺只能由签署的主体撤回"));
    }
    if on > today {
        return Some(Refusal::new("commitment.day", "日期不能晚于今天"));
    }
    let earliest = match action {
        Action::Decide { .. } => crate::kernel::time::china_date(c.signed_at),
        _ => c.decided_on.unwrap_or_else(|| crate::kernel::time::china_date(c.signed_at)),
    };
    (on < earliest)
        .then(|| Refusal::new("commitment.day", format!("日期不能早于 {earliest}（承诺签署或事项办结之日）")))
}

/// Applies a staff action on the day `on` with the reason (kept as the
/// commitment's note when it concludes): the matter's working days for a
/// decision; a refusal (who, when, or the core's) as `Err`.
pub fn act(
    st: &AppState,
    store: &dyn Store,
    user: &User,
    id: i64,
    action: Action,
    on: Date,
    reason: &str,
) -> Result<Result<Commitment, Refusal>, StoreError> {
    let Some(c) = store.commitment(id)? else { return Err(StoreError::NotFound) };
    if let Some(why) = staff_refusal(user, &c, action, on, st.today()) {
        return Ok(Err(why));
    }
    let reason = reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 500 {
        return Ok(Err(Refusal::new("commitment.reason", "请写明理由或核查情况（2 到 500 字）")));
    }
    let matter_days = c.matter.as_deref().and_then(|m| matters().matter(m)).and_then(|m| m.working_days);
    let cal = st.rules.read().expect("rules").calendar.clone();
    let ctx = crate::kernel::context::ctx(st, user, reason);
    match store.act_on_commitment(&ctx, id, action, on, matter_days, rules(), &cal) {
        Ok(c) => Ok(Ok(c)),
        Err(StoreError::Conflict(m)) => Ok(Err(Refusal::new("commitment.state", m))),
        Err(e) => Err(e),
    }
}

/// A commitment as a row of a page.
pub struct Row {
    pub id: i64,
    pub subject_key: String,
    pub subject_name: String,
    pub kind: String,
    pub matter: String,
    pub state_code: &'static str,
    pub state: &'static str,
    pub signed_on: String,
    pub via: &'static str,
    pub due: String,
    pub overdue: bool,
    pub concluded_on: String,
    pub note: String,
    /// The association that organised it (行业自律型), if any.
    pub association: String,
}

pub fn via_label(via: &str) -> &'static str {
    match via {
        "window" => "窗口纸质签署",
        "association" => "协会上传",
        _ => "网上签署",
    }
}

/// `c` as a row; `public` masks personal numbers in what is shown.
pub fn row(c: &Commitment, today: Date, public: bool) -> Row {
    let shown = |s: &str| if public { crate::kernel::views::mask_text(s) } else { s.to_string() };
    Row {
        id: c.id,
        subject_key: c.subject_key.clone(),
        subject_name: shown(&c.subject_name),
        kind: type_name(&c.kind),
        matter: matter_name(c.matter.as_deref()),
        state_code: c.state.as_str(),
        state: c.state.label(),
        signed_on: crate::kernel::time::china_date(c.signed_at).to_string(),
        via: via_label(&c.signed_via),
        due: c.due.map(|d| d.to_string()).unwrap_or_default(),
        overdue: xinjiao_core::commitments::is_overdue(c.state, c.due, today),
        concluded_on: c.concluded_on.map(|d| d.to_string()).unwrap_or_default(),
        note: if public { String::new() } else { c.note.clone().unwrap_or_default() },
        association: c.association.clone().unwrap_or_default(),
    }
}

/// A commitment as JSON (public: numbers masked, staff notes left out).
pub fn json(c: &Commitment, today: Date, public: bool) -> serde_json::Value {
    let r = row(c, today, public);
    let opt = |s: &str| if s.is_empty() { serde_json::Value::Null } else { serde_json::json!(s) };
    serde_json::json!({
        "id": r.id, "subject": r.subject_key, "subject_name": r.subject_name, "kind": c.kind, "kind_name": r.kind,
        "matter": c.matter, "matter_name": opt(&r.matter), "state": r.state_code, "state_name": r.state,
        "signed_on": r.signed_on, "signed_via": c.signed_via, "template_version": c.template_version,
        "decided_on": c.decided_on.map(|d| d.to_string()), "due": opt(&r.due), "overdue": r.overdue,
        "concluded_on": opt(&r.concluded_on), "association": c.association,
        "text": if public && !c.public { serde_json::Value::Null } else { serde_json::json!(if public { crate::kernel::views::mask_text(&c.text) } else { c.text.clone() }) },
        "note": if public { serde_json::Value::Null } else { serde_json::json!(c.note) },
    })
}

/// The subject withdraws its own commitment `id` today (refused for
/// another subject's, and by the core once the matter is decided).
pub fn withdraw(
    st: &AppState,
    store: &dyn Store,
    subject: &Subject,
    id: i64,
) -> Result<Result<Commitment, Refusal>, StoreError> {
    let Some(c) = store.commitment(id)? else { return Err(StoreError::NotFound) };
    if c.subject_id != subject.id {
        return Ok(Err(Refusal::new("commitment.forbidden", "只能撤回本主体的承诺")));
    }
    let cal = st.rules.read().expect("rules").calendar.clone();
    let ctx = xinjiao_store::WriteContext::new(format!("subject:{}", subject.key), st.now(), "撤回信用承诺");
    match store.act_on_commitment(&ctx, id, Action::Withdraw, st.today(), None, rules(), &cal) {
        Ok(c) => Ok(Ok(c)),
        Err(StoreError::Conflict(m)) => Ok(Err(Refusal::new("commitment.state", m))),
        Err(e) => Err(e),
    }
}

/// The commitment `id` if `user` may act on it, else the refusal.
fn for_staff(store: &dyn Store, user: &User, id: i64) -> Result<Result<Commitment, Refusal>, StoreError> {
    let Some(c) = store.commitment(id)? else { return Err(StoreError::NotFound) };
    if !crate::kernel::context::acts_for(user, c.department_id) {
        return Ok(Err(Refusal::new("commitment.forbidden", "只能处理本科室办理事项的承诺")));
    }
    Ok(Ok(c))
}

/// Names the licence a granted commitment obtained, by its decision number
/// among the subject's licences.
pub fn link_licence(
    st: &AppState,
    store: &dyn Store,
    user: &User,
    id: i64,
    decision_no: &str,
) -> Result<Result<i64, Refusal>, StoreError> {
    let c = match for_staff(store, user, id)? {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    if c.decided_on.is_none() || matches!(c.state, State::Void | State::Withdrawn | State::Signed) {
        return Ok(Err(Refusal::new("commitment.state", "只有准予办理的承诺才能关联其取得的许可")));
    }
    let filter = xinjiao_store::RecordFilter {
        kind: Some(xinjiao_core::records::fields::RecordKind::License),
        subject_id: Some(c.subject_id),
        ..Default::default()
    };
    let found = store
        .list_records(&filter, xinjiao_store::PageRequest::new(1, 100))?
        .items
        .into_iter()
        .find(|r| r.decision_no == decision_no.trim());
    let Some(licence) = found else {
        return Ok(Err(Refusal::new(
            "commitment.licence",
            format!("{} 没有文号为“{}”的行政许可记录", c.subject_name, decision_no.trim()),
        )));
    };
    let ctx = crate::kernel::context::ctx(st, user, format!("关联以第 {id} 号信用承诺取得的许可"));
    match store.link_commitment_licence(&ctx, id, licence.id) {
        Ok(()) => Ok(Ok(licence.id)),
        Err(StoreError::Conflict(m)) => Ok(Err(Refusal::new("commitment.state", m))),
        Err(e) => Err(e),
    }
}

/// Revokes the licence a commitment found not kept or false obtained: a
/// correction of the licence record (当前状态 → 无效) by the staff member,
/// through the records' own write (the department's review applies, the
/// log records the correction). Refused before the finding, without a
/// linked licence, or when the licence is no longer valid.
pub fn revoke_licence(
    st: &AppState,
    store: &dyn Store,
    user: &User,
    id: i64,
    reason: &str,
) -> Result<Result<xinjiao_store::RecordOutcome, Refusal>, StoreError> {
    let c = match for_staff(store, user, id)? {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    if !c.state.is_breach() {
        return Ok(Err(Refusal::new("commitment.state", "只有认定未履行或不实的承诺才能撤销其取得的许可")));
    }
    let Some(record_id) = c.licence_record_id else {
        return Ok(Err(Refusal::new("commitment.licence", "该承诺尚未关联取得的许可")));
    };
    let reason = reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 500 {
        return Ok(Err(Refusal::new("commitment.reason", "请写明撤销许可的决定（2 到 500 字）")));
    }
    let detail = store.record(record_id)?.ok_or(StoreError::NotFound)?;
    let mut fields = detail.current().fields.clone();
    if fields.get("XK_ZT").map(String::as_str) == Some("无效") {
        return Ok(Err(Refusal::new("commitment.state", "该许可已是无效状态")));
    }
    fields.insert("XK_ZT".into(), "无效".into());
    let Some(record) = xinjiao_store::records::record_from_stored(
        xinjiao_core::records::fields::RecordKind::License,
        &fields,
        st.today(),
    ) else {
        return Err(StoreError::Backend(format!("licence record {record_id} does not parse")));
    };
    let why = format!("因第 {id} 号信用承诺{}撤销许可：{reason}", c.state.label());
    let ctx = crate::kernel::context::ctx(st, user, why);
    let outcome = store.write_records(&ctx, &[record])?.into_iter().next().expect("one record written");
    match outcome {
        xinjiao_store::RecordOutcome::Refused(_) => {
            Ok(Err(Refusal::new("commitment.forbidden", "该许可由其他科室报送，只有该科室或协调员可以更正")))
        }
        o => Ok(Ok(o)),
    }
}
