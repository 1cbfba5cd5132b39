//! The HTTP adapter: the public portal (server-rendered Chinese pages), the JSON
//! API under `/api/v1` with its OpenAPI document, and the staff console behind
//! login. The only crate that knows HTTP, JSON and HTML. Public views are built
//! in [`views`], where personal data is masked once for every page and response.

pub mod access;
pub mod account;
pub mod api;
pub mod auth;
pub mod console;
pub mod dashboard;
pub mod import_job;
pub mod portal;
pub mod views;
pub mod workbench;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use xinjiao_core::Date;
use xinjiao_store::{Store, StoreError};

/// Where the server gets the time from. Production reads the system clock;
/// tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// China Standard Time (UTC+8, no daylight saving).
pub fn china_tz() -> TimeZone {
    TimeZone::fixed(Offset::constant(8))
}

/// The calendar date in China at `ts`.
pub fn china_date(ts: Timestamp) -> Date {
    Offset::constant(8).to_datetime(ts).date()
}

/// Rules that officials change, as loaded at start: the working-day calendar
/// (embedded years plus those loaded into the database) and publication deadlines.
pub struct Rules {
    pub calendar: xinjiao_core::calendar::Calendar,
    pub publication: xinjiao_core::publication::PublicationRules,
    /// Working-day deadlines of credit repair (`rules/repair.toml`).
    pub repairs: xinjiao_core::repairs::RepairRules,
    /// Working-day deadlines of objections (`rules/objections.toml`).
    pub objections: xinjiao_core::objections::ObjectionRules,
    /// How long penalties are published (`rules/disclosure.toml`); the
    /// store computes windows with the same rules ([`Store::window_rules`]).
    pub disclosure: xinjiao_core::disclosure::DisclosureRules,
}

impl Rules {
    /// Shared, replaceable rules for [`AppState`].
    pub fn shared(self) -> Arc<std::sync::RwLock<Rules>> {
        Arc::new(std::sync::RwLock::new(self))
    }

    /// The rules embedded in the binary.
    pub fn embedded() -> Rules {
        Rules {
            calendar: xinjiao_core::calendar::Calendar::embedded(),
            publication: xinjiao_core::publication::PublicationRules::embedded(),
            disclosure: xinjiao_core::disclosure::DisclosureRules::embedded(),
            objections: xinjiao_core::objections::ObjectionRules::embedded(),
            repairs: xinjiao_core::repairs::RepairRules::embedded(),
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Replaced when an administrator loads a calendar year; every deadline is
    /// derived from it at read time, so a loaded year takes effect at once.
    pub rules: Arc<std::sync::RwLock<Rules>>,
    pub clock: Clock,
    /// Whether the database holds demo data (shown as a banner).
    pub demo: bool,
    /// Whether the clock shows another day (`serve --today`, tests and demos
    /// only); every page then says which day it shows.
    pub test_clock: bool,
    /// Set `Secure` on cookies (behind HTTPS).
    pub secure_cookies: bool,
    /// The dashboard's month counts, reused until the data changes.
    pub rates_cache: dashboard::RatesCache,
    /// Failed logins of staff and subjects.
    pub login_throttle: auth::LoginThrottle,
}

/// What the banner above every page says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Banner {
    /// The data is demo data.
    pub demo: bool,
    /// The pages show this day (test clock).
    pub test_day: Option<Date>,
}

impl AppState {
    /// The banner of every page.
    pub fn banner(&self) -> Banner {
        Banner { demo: self.demo, test_day: self.test_clock.then(|| self.today()) }
    }
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }
    pub fn today(&self) -> Date {
        china_date(self.now())
    }
    /// Runs a store call on a blocking thread.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .unwrap_or_else(|e| Err(StoreError::Backend(format!("store task failed: {e}"))))
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(portal::routes())
        .merge(console::routes())
        .merge(workbench::routes())
        .merge(account::routes())
        .merge(access::routes())
        .nest("/api/v1", api::routes())
        .route("/static/style.css", get(|| static_file("text/css; charset=utf-8", include_str!("../static/style.css"))))
        .route(
            "/static/app.js",
            get(|| static_file("text/javascript; charset=utf-8", include_str!("../static/app.js"))),
        )
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { PageError::NotFound })
        .layer(axum::middleware::from_fn(uniform_errors))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn static_file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// The Content-Security-Policy of every response: our own styles, scripts and
/// forms only, no inline script or style, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The stable code and Chinese message of an error status that the framework
/// answered by itself (a query, form, path or body it could not read).
pub fn rejection_text(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("bad_request", "请求参数无法解析，请检查参数名称和取值"),
        StatusCode::NOT_FOUND => ("not_found", "请求的地址不存在"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "该地址不支持此请求方法"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "请求内容超过允许的大小"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "请求内容的类型（Content-Type）不受支持"),
        StatusCode::UNPROCESSABLE_ENTITY => ("unprocessable", "请求内容无法按要求的格式读取"),
        s if s.is_server_error() => ("internal", "系统暂时无法处理该请求，请稍后再试"),
        _ => ("bad_request", "请求有误"),
    }
}

/// Every error is answered in the documented shape: a response the framework
/// produced as plain text (its own rejections) becomes, under `/api/`, the
/// JSON `{"error": {"code", "message"}}` and, elsewhere, the Chinese error page.
async fn uniform_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return resp;
    }
    let (code, message) = rejection_text(status);
    if api {
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        (status, axum::Json(body)).into_response()
    } else {
        error_page(status, "请求有误", message)
    }
}

/// The Chinese error page with this status.
fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let page = views::ErrorPage { title, detail, banner: Banner::default(), user: None };
    let body = askama::Template::render(&page).unwrap_or_else(|_| title.to_string());
    (status, Html(body)).into_response()
}

/// Security headers on every response.
async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("same-origin"));
    resp
}

/// Errors of HTML pages, rendered as a Chinese error page.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    BadRequest(String),
    Forbidden,
    Internal(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            PageError::NotFound => {
                (StatusCode::NOT_FOUND, "页面不存在", "您访问的页面或记录不存在，可能已被更正或撤销。".to_string())
            }
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "请求有误", m),
            PageError::Forbidden => (StatusCode::FORBIDDEN, "无权访问", "该操作需要相应权限。".to_string()),
            PageError::Internal(m) => {
                eprintln!("internal error: {m}");
                (StatusCode::INTERNAL_SERVER_ERROR, "系统错误", "系统暂时无法处理该请求，请稍后再试。".to_string())
            }
        };
        error_page(status, title, &detail)
    }
}

/// Serves the application on `listener` until Ctrl-C.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
