//! The HTTP adapter: the public portal (server-rendered Chinese pages), the JSON
//! API under `/api/v1` with its OpenAPI document, and the staff console behind
//! login. The only crate that knows HTTP, JSON and HTML.
//!
//! One folder per capability (`records`, `organisation`, `reporting`,
//! `lifecycle`, `accounts`, `calendar`, `rulebook`, `evaluation`, `inspection`,
//! `monitoring`, `lists`, `transparency`, `commitments`), each with its pages, API routes and
//! view models; they never import each other. All of them use the
//! [`kernel`] (state, errors, extractors, masking in [`kernel::views`]),
//! which uses none of them. This file assembles the router from each
//! capability's `routes()` and fills the workplace registry.
// The hand-written OpenAPI document is one json! value.
#![recursion_limit = "256"]

pub mod accounts;
pub mod calendar;
pub mod commitments;
pub mod evaluation;
pub mod inspection;
pub mod kernel;
pub mod lifecycle;
pub mod lists;
pub mod monitoring;
mod openapi;
pub mod organisation;
pub mod records;
pub mod reporting;
pub mod rulebook;
pub mod transparency;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use kernel::error::{ApiError, PageError};
pub use kernel::{AppState, Banner, Clock, Rules, auth, china_date, china_tz, views};

/// What each capability contributes to the staff's start page and the
/// dashboard, in the order shown.
fn workplace() -> kernel::state::Workplace {
    kernel::state::Workplace {
        reminders: vec![
            organisation::documents::reminders,
            reporting::reminders::declaration_reminders,
            lifecycle::reminders::review_reminders,
            reporting::reminders::late_reminders,
            inspection::pages::draw_reminders,
            monitoring::pages::warning_reminders,
            lists::console::reminders,
            commitments::staff::reminders,
        ],
        cases: vec![
            lifecycle::reminders::objection_cases,
            lifecycle::reminders::repair_cases,
            lists::console::cases,
            commitments::staff::cases,
        ],
        nav: console_nav(),
        profile: vec![
            evaluation::profile::grades_section,
            lists::portal::profile_section,
            transparency::verify::profile_section,
            commitments::public::profile_section,
        ],
        account: vec![
            evaluation::account::account_section,
            monitoring::pages::account_section,
            lists::portal::account_section,
            transparency::verify::account_section,
            commitments::account::account_section,
        ],
        jobs: vec![transparency::peers::audit_due],
        tallies: vec![commitments::staff::tallies],
    }
}

/// The console's navigation: what each capability offers staff, grouped,
/// with the counts of what waits.
fn console_nav() -> Vec<kernel::state::NavEntry> {
    use kernel::state::NavEntry;
    use kernel::workplace::{admins, everyone, overseers};
    let entry = |group, label, href, shown, badges| NavEntry { group, label, href, shown, badges };
    vec![
        entry("报送", "工作台", "/console", everyone, None),
        entry("报送", "逐条录入", "/console/records/new", everyone, None),
        entry("报送", "应报送数申报", "/console/declarations", everyone, None),
        entry("报送", "文件与动态", "/console/documents", everyone, None),
        entry("处置", "发布前审核", "/console/reviews", everyone, Some(lifecycle::reminders::review_badges)),
        entry("处置", "信用异议", "/console/objections", everyone, Some(lifecycle::reminders::objection_badges)),
        entry("处置", "信用修复", "/console/repairs", everyone, Some(lifecycle::reminders::repair_badges)),
        entry("处置", "主体账户激活", "/console/subject-accounts", overseers, None),
        entry("统计", "三率统计", "/console/dashboard", everyone, None),
        entry("统计", "信用评价", "/console/evaluations", everyone, Some(evaluation::console::objection_badges)),
        entry("处置", "双随机抽查", "/console/inspections", everyone, None),
        entry("处置", "信用风险预警", "/console/warnings", everyone, Some(monitoring::pages::warning_badges)),
        entry("处置", "失信与守信名单", "/console/lists", everyone, Some(lists::console::badges)),
        entry("处置", "信用核查", "/console/credit-checks", everyone, None),
        entry("处置", "信用承诺", "/console/commitments", everyone, Some(commitments::staff::badges)),
        entry("管理", "责任表", "/console/responsibilities", overseers, None),
        entry("管理", "API 令牌", "/console/tokens", everyone, None),
        entry("管理", "工作日日历", "/console/calendar", admins, None),
        entry("管理", "提醒渠道与发件箱", "/console/reminders", admins, None),
        entry("管理", "信用核查合作方", "/console/partners", admins, None),
        entry("管理", "工作人员账号", "/console/users", admins, None),
        entry("管理", "透明日志监测", "/console/log-peers", overseers, Some(transparency::peers::badges)),
    ]
}

/// The routes under `/api/v1`.
fn api_routes() -> Router<AppState> {
    Router::new()
        .merge(records::api_routes())
        .merge(reporting::api_routes())
        .merge(evaluation::api_routes())
        .merge(inspection::api_routes())
        .merge(lists::api_routes())
        .merge(transparency::api_routes())
        .merge(commitments::api_routes())
        .route("/openapi.json", get(openapi::openapi))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "接口不存在") })
}

/// The whole application router.
pub fn router(mut state: AppState) -> Router {
    state.workplace = Arc::new(workplace());
    Router::new()
        .merge(records::routes())
        .merge(organisation::routes())
        .merge(reporting::routes())
        .merge(lifecycle::routes())
        .merge(accounts::routes())
        .merge(calendar::routes())
        .merge(rulebook::routes())
        .merge(evaluation::routes())
        .merge(inspection::routes())
        .merge(monitoring::routes())
        .merge(lists::routes())
        .merge(transparency::routes())
        .merge(commitments::routes())
        .nest("/api/v1", api_routes())
        .route("/static/style.css", get(|| static_file("text/css; charset=utf-8", include_str!("../static/style.css"))))
        .route(
            "/static/app.js",
            get(|| static_file("text/javascript; charset=utf-8", include_str!("../static/app.js"))),
        )
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { PageError::NotFound })
        .layer(axum::middleware::from_fn_with_state(state.clone(), kernel::error::uniform_errors))
        .layer(axum::middleware::map_response(kernel::error::security_headers))
        .with_state(state)
}

async fn static_file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

pub use openapi::openapi_document;

/// The state with the workplace registry filled in, as the router and the
/// background jobs use it.
pub fn with_workplace(mut state: AppState) -> AppState {
    state.workplace = Arc::new(workplace());
    state
}

/// Serves the application on `listener` until Ctrl-C, with the background
/// jobs (the daily monitoring run and the reminders' outbox) beside it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    background: monitoring::jobs::Background,
) -> std::io::Result<()> {
    tokio::spawn(monitoring::jobs::run(with_workplace(state.clone()), background));
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
