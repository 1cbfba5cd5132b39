//! Errors in the documented shapes: [`PageError`] renders the Chinese error
//! page, [`ApiError`] the API's `{"error": {"code", "message"}}`; the
//! framework's own plain-text rejections are turned into one or the other
//! ([`uniform_errors`]); and the security headers of every response.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use xinjiao_store::StoreError;

use crate::kernel::state::{AppState, Banner};
use crate::kernel::views;

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
/// JSON `{"error": {"code", "message"}}` and, elsewhere, the Chinese error
/// page; every error page carries the banner of the installation (demo data,
/// test clock), which the handler that failed did not know.
pub async fn uniform_errors(
    axum::extract::State(st): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if let Some(parts) = resp.extensions().get::<ErrorPageParts>() {
        return render_error_page(status, &parts.title, &parts.detail, st.banner());
    }
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
        render_error_page(status, "请求有误", message, st.banner())
    }
}

/// The title and detail of an error page, kept on its response so that
/// [`uniform_errors`] renders it again with the installation's banner.
#[derive(Clone)]
struct ErrorPageParts {
    title: String,
    detail: String,
}

fn render_error_page(status: StatusCode, title: &str, detail: &str, banner: Banner) -> Response {
    let page = views::ErrorPage { title, detail, banner, user: None };
    let body = askama::Template::render(&page).unwrap_or_else(|_| title.to_string());
    (status, Html(body)).into_response()
}

/// The Chinese error page with this status (rendered by [`uniform_errors`]
/// with the installation's banner; every route passes through it).
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    // Rendered once, by `uniform_errors`, which knows the banner.
    let mut resp = status.into_response();
    resp.extensions_mut().insert(ErrorPageParts { title: title.to_string(), detail: detail.to_string() });
    resp
}

/// Security headers on every response.
pub async fn security_headers(mut resp: Response) -> Response {
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

/// An API error with a stable machine code.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_string(), message: message.into() }
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "需要登录或有效的 API 令牌（Authorization: Bearer <token>）",
        )
    }
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what}不存在"))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("记录"),
            other => {
                eprintln!("internal error: {other}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "系统暂时无法处理该请求")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": {"code": self.code, "message": self.message}}))).into_response()
    }
}

/// A page of items.
#[derive(Serialize)]
pub struct PageJson<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> PageJson<T> {
    pub fn from_page<S>(p: xinjiao_store::Page<S>, f: impl Fn(&S) -> T) -> PageJson<T> {
        PageJson { items: p.items.iter().map(f).collect(), total: p.total, page: p.page, per_page: p.per_page }
    }
}
