//! The working-day calendar: administrators load a year's State Council
//! holiday arrangement (`/console/calendar`); every deadline derived from it
//! changes at once.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use xinjiao_store::User;

use crate::kernel::auth::StaffUser;
use crate::kernel::context::{ctx, require_admin};
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/calendar", get(calendar_page).post(load_calendar).layer(DefaultBodyLimit::max(1024 * 1024)))
}

struct CalendarRow {
    year: i16,
    n_off: usize,
    n_work: usize,
    source: String,
    stored: bool,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    banner: crate::kernel::state::Banner,
    chrome: crate::kernel::chrome::Chrome,
    years: Vec<CalendarRow>,
    message: Option<String>,
    error: Option<String>,
}

async fn render_calendar(
    st: &AppState,
    user: &User,
    message: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, PageError> {
    let stored: Vec<i16> = st.db(|s| s.calendar_years()).await?.into_iter().map(|(y, _)| y).collect();
    let years = st
        .rules
        .read()
        .expect("rules lock")
        .calendar
        .years()
        .map(|y| CalendarRow {
            year: y.year,
            n_off: y.off.len(),
            n_work: y.work.len(),
            source: y.source.clone(),
            stored: stored.contains(&y.year),
        })
        .collect();
    let page = CalendarPage {
        banner: st.banner(),
        chrome: st.chrome(user, "/console/calendar").await?,
        years,
        message,
        error,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct MessageQuery {
    loaded: Option<i16>,
}

async fn calendar_page(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    Query(q): Query<MessageQuery>,
) -> Result<Html<String>, PageError> {
    require_admin(&user)?;
    let msg = q.loaded.map(|y| format!("已载入 {y} 年日历，涉及该年的期限已按新日历计算。"));
    render_calendar(&st, &user, msg, None).await
}

async fn load_calendar(
    State(st): State<AppState>,
    StaffUser(user): StaffUser,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    require_admin(&user)?;
    let mut text = String::new();
    while let Some(field) =
        mp.next_field().await.map_err(|e| PageError::BadRequest(format!("上传内容无法读取：{e}")))?
    {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|e| PageError::BadRequest(format!("文件读取失败：{e}")))?;
            text = String::from_utf8(bytes.to_vec())
                .map_err(|_| PageError::BadRequest("日历文件应为 UTF-8 文本".into()))?;
        }
    }
    let year = match xinjiao_core::calendar::YearCalendar::parse(&text) {
        Ok(y) => y,
        Err(e) => {
            let msg = format!("日历文件无效，未载入：{}（{}）", e.message, e.code);
            return Ok(
                (StatusCode::UNPROCESSABLE_ENTITY, render_calendar(&st, &user, None, Some(msg)).await?).into_response()
            );
        }
    };
    let wctx = ctx(&st, &user, format!("载入 {} 年工作日日历", year.year));
    let y = year.year;
    st.db(move |s| s.save_calendar_year(&wctx, y, &text)).await?;
    st.rules.write().expect("rules lock").calendar.insert(year);
    Ok(Redirect::to(&format!("/console/calendar?loaded={y}")).into_response())
}
