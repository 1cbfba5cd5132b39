//! HTTP tests against the real router and a real SQLite store: the portal, the
//! API and the console as a browser or a machine client uses them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jiff::Timestamp;
use tower::ServiceExt;
use xinjiao_store::{Role, Store, WriteContext};
use xinjiao_store_sqlite::SqliteStore;
use xinjiao_web::{AppState, auth};

const PERSON_ID: &str = "11010519491231002X";
const PASSWORD: &str = "correct horse";

struct App {
    router: Router,
    /// The state the router serves, with its workplace registry (always
    /// `Some` until dropped), for the background jobs' functions.
    state: Option<AppState>,
    /// Always `Some` until dropped (see `Drop`).
    store: Option<Arc<dyn Store>>,
    dir: std::path::PathBuf,
    /// The PostgreSQL database created for the test.
    pg_db: Option<String>,
}

impl App {
    /// A direct store call from inside a test (off the async worker, as the
    /// blocking PostgreSQL client requires).
    fn db<T>(&self, f: impl FnOnce(&dyn Store) -> T) -> T {
        tokio::task::block_in_place(|| f(&**self.store.as_ref().expect("open")))
    }
}

impl Drop for App {
    /// The test future drops the app on an async worker thread, where the
    /// blocking PostgreSQL client may not run: close everything on a plain thread.
    fn drop(&mut self) {
        let router = std::mem::replace(&mut self.router, Router::new());
        let store = (self.store.take(), self.state.take());
        let dir = self.dir.clone();
        let pg_db = self.pg_db.take();
        std::thread::spawn(move || {
            drop((router, store));
            let _ = std::fs::remove_dir_all(&dir);
            if let Some(name) = pg_db
                && let Ok(mut c) = ::postgres::Client::connect(&pg_admin_url(), ::postgres::NoTls)
            {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join()
        .expect("cleanup thread");
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn pg_admin_url() -> String {
    std::env::var("XINJIAO_TEST_POSTGRES_URL")
        .expect("XINJIAO_TEST_POSTGRES_URL is not set: run ./scripts/test (it starts a throwaway PostgreSQL cluster)")
}

/// Runs an async test on a fresh app of `backend`, on a multi-threaded runtime.
fn run<F: std::future::Future<Output = ()>>(backend: Backend, test: fn(App) -> F) {
    let app = app(backend);
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(test(app));
}

/// Stamps out each test for both backends.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::run(super::Backend::Sqlite, super::$name) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::run(super::Backend::Postgres, super::$name) } )*
        }
    };
}

on_both_backends!(
    portal_pages,
    record_detail_shows_every_field,
    personal_data_is_masked_everywhere_public,
    api_reads,
    openapi_documents_every_route,
    writes_need_authentication,
    console_upload_shows_diagnostics_and_error_report,
    single_record_form_validates_inline_and_audits_reveals,
    administrators_load_calendar_years,
    a_department_month_gives_hand_computed_rates,
    records_are_public_exactly_inside_their_window,
    staff_withdraw_records_with_a_reason,
    subjects_claim_their_account_with_the_notice_code,
    a_subject_objects_and_the_department_decides,
    a_repair_ends_publication_and_a_false_commitment_restores_it,
    staff_verify_and_activate_subject_accounts,
    reviewed_records_wait_for_approval,
    repeated_failed_logins_are_refused,
    hostile_uploads_are_refused_and_the_server_goes_on,
    numbers_in_free_text_are_masked_on_every_public_view,
    parallel_guesses_are_counted_before_checking_and_spare_the_owner,
    sessions_end_rotate_and_refuse_cross_site_logins,
    tokens_expire_and_are_revoked_and_disabled_accounts_sign_in_by_no_means,
    the_framework_s_own_rejections_are_answered_in_the_documented_shape,
    a_trusted_proxy_names_the_client_and_nobody_else_can,
    only_a_record_s_department_changes_it_and_changes_are_reviewed,
    public_filter_counts_match_their_results,
    small_things_a_user_notices,
    evaluations_from_the_console_reach_the_portal,
    draws_from_the_console_are_public_and_checkable,
    warnings_reach_their_department_and_reminders_leave_once,
    lists_and_credit_checks_from_the_console_and_the_api,
    other_installations_logs_are_watched,
    subjects_issue_their_full_report_and_nobody_else_does,
    integrity_education_is_read_and_acknowledged,
    commitments_are_signed_kept_missed_falsified_and_scored,
    paper_commitments_are_recorded_at_the_window,
    associations_upload_their_members_commitments,
);

fn ctx() -> WriteContext {
    WriteContext::new("seed", Timestamp::from_second(1_780_000_000).unwrap(), "测试数据")
}

fn app(backend: Backend) -> App {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("xinjiao-http-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (store, pg_db): (Arc<dyn Store>, Option<String>) = match backend {
        Backend::Sqlite => (Arc::new(SqliteStore::open(dir.join("db.sqlite3")).unwrap()), None),
        Backend::Postgres => {
            let name = format!("xj_http_{}_{n}", std::process::id());
            let admin = pg_admin_url();
            let mut c = ::postgres::Client::connect(&admin, ::postgres::NoTls).unwrap();
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
            c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
            (Arc::new(xinjiao_store_postgres::PgStore::open(&url).unwrap()), Some(name))
        }
    };
    use xinjiao_store::suite::{license, penalty};
    store
        .write_records(
            &ctx(),
            &[
                penalty("河源市顺达运输有限公司", "91350100M000100Y43", "河交罚〔2024〕1号", "2026-05-28"),
                penalty("龙川县顺达货运有限公司", "91110108551385082Q", "河交罚〔2024〕2号", "2026-07-01"),
                license("河源市顺达运输有限公司", "91350100M000100Y43", "龙交运许〔2024〕1号", "2024-03-01"),
                xinjiao_store::suite::person_penalty("李四", PERSON_ID, "河交罚〔2025〕9号"),
            ],
        )
        .unwrap();
    let hash = auth::hash_password(PASSWORD).unwrap();
    let (zcfg, wzcl, _) = xinjiao_store::suite::small_organisation(&*store);
    store.create_user(&ctx(), "clerk", "王报送", Role::Clerk, &hash, Some(wzcl)).unwrap();
    store.create_user(&ctx(), "admin", "李管理", Role::Admin, &hash, Some(zcfg)).unwrap();
    store.create_user(&ctx(), "coord", "陈协调", Role::Coordinator, &hash, Some(zcfg)).unwrap();
    let state = AppState {
        store: store.clone(),
        rules: xinjiao_web::Rules::embedded().shared(),
        clock: Arc::new(|| Timestamp::from_second(1_795_000_000).unwrap()),
        demo: true,
        test_clock: false,
        secure_cookies: false,
        public_url: "https://xinyong.example.test".into(),
        rates_cache: Default::default(),
        workplace: Default::default(),
        // 127.0.0.9 plays a reverse proxy (a_trusted_proxy_names_the_client).
        login_throttle: auth::LoginThrottle::trusting(vec![std::net::IpAddr::from([127, 0, 0, 9])]),
        signer: xinjiao_web::kernel::signing::test_signer("https://xinyong.example.test"),
        key_history: Default::default(),
    };
    App {
        router: xinjiao_web::router(state.clone()),
        state: Some(xinjiao_web::with_workplace(state)),
        store: Some(store),
        dir,
        pg_db,
    }
}

async fn send(app: &App, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get(app: &App, uri: &str) -> (StatusCode, String) {
    let (s, _, b) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    (s, b)
}

async fn get_with_cookie(app: &App, uri: &str, cookie: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    send(app, Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
}

fn enc(s: &str) -> String {
    xinjiao_web::views::urlencode(s)
}

async fn portal_pages(app: App) {
    let (s, home) = get(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(home.contains("演示数据") && home.contains("河交罚〔2024〕2号"), "demo banner and recent penalties");
    // The rule book names every rule file by what it is and shows the text the platform runs on.
    let (s, book) = get(&app, "/rules").await;
    assert_eq!(s, StatusCode::OK);
    assert!(book.contains(r#"<a href="/rules/objections">异议处理时限规则</a>"#) && !book.contains(".toml"), "{book}");
    let (s, rule) = get(&app, "/rules/objections").await;
    assert_eq!(s, StatusCode::OK);
    assert!(rule.contains("acknowledge = ") && rule.contains("深圳经济特区社会信用条例"));
    assert_eq!(get(&app, "/rules/nothing").await.0, StatusCode::NOT_FOUND);
    let (s, search) = get(&app, &format!("/search?q={}", enc("顺达"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        search.contains("河源市顺达运输有限公司") && search.contains("龙川县顺达货运有限公司"),
        "2-character search"
    );
    assert!(search.contains("共 2 条"));
    let (s, profile) = get(&app, "/subjects/91350100M000100Y43").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        profile.contains("行政处罚（1）") && profile.contains("行政许可（1）") && profile.contains("河交罚〔2024〕1号")
    );
    // A profile lists at most 100 records per kind and links to the full list.
    let many: Vec<_> = (0..101)
        .map(|i| {
            xinjiao_store::suite::penalty(
                "龙川县顺达货运有限公司",
                "91110108551385082Q",
                &format!("龙交罚〔2024〕{i}号"),
                "2026-01-01",
            )
        })
        .collect();
    app.db(|s| s.write_records(&ctx(), &many)).unwrap();
    let (_, big) = get(&app, "/subjects/91110108551385082Q").await;
    assert!(
        big.contains("查看全部 102 条行政处罚")
            && big.contains("/disclosures?kind=penalty&amp;subject=91110108551385082Q"),
        "{big}"
    );
    let (s, mine) = get(&app, "/disclosures?subject=91350100M000100Y43").await;
    assert_eq!(s, StatusCode::OK);
    assert!(mine.contains("河源市顺达运输有限公司：“双公示”信息") && mine.contains("共 2 条"), "{mine}");
    assert!(mine.contains("name=\"subject\" value=\"91350100M000100Y43\""), "the filter form keeps the subject");
    assert_eq!(get(&app, "/disclosures?subject=NOPE").await.0, StatusCode::NOT_FOUND);
    let (s, list) = get(&app, "/disclosures?kind=penalty&from=2026-06-01").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("河交罚〔2024〕2号") && !list.contains("河交罚〔2024〕1号"), "date filter");
    let (s, bad) = get(&app, "/disclosures?from=2024-13-01").await;
    assert_eq!(s, StatusCode::OK);
    assert!(bad.contains("不是有效日期"));
    assert_eq!(get(&app, "/subjects/91110000600037341L").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/records/999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/records/abc").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/nope").await.0, StatusCode::NOT_FOUND);
    let (s, css) = get(&app, "/static/style.css").await;
    assert_eq!(s, StatusCode::OK);
    assert!(css.contains("--blue"));
}

async fn record_detail_shows_every_field(app: App) {
    let (s, body) = get(&app, "/records/1").await;
    assert_eq!(s, StatusCode::OK);
    for label in ["行政相对人名称", "处罚决定日期", "罚款金额（万元）", "0.2", "处罚机关统一社会信用代码"]
    {
        assert!(body.contains(label), "{label}");
    }
    // The numbered code columns read by what they hold.
    assert!(body.contains(">统一社会信用代码<") && !body.contains("代码_1"), "{body}");
}

async fn personal_data_is_masked_everywhere_public(app: App) {
    let person = app.db(|s| s.search_subjects("李四", xinjiao_store::PageRequest::new(1, 1))).unwrap().items.remove(0);
    let masked = "1101**********002X";
    let rec = app
        .db(|s| {
            s.list_records(
                &xinjiao_store::RecordFilter { subject_id: Some(person.id), ..Default::default() },
                xinjiao_store::PageRequest::new(1, 1),
            )
        })
        .unwrap()
        .items
        .remove(0);
    for uri in [
        format!("/subjects/{}", person.key),
        format!("/records/{}", rec.id),
        format!("/search?q={}", enc("李四")),
        format!("/api/v1/subjects/{}", person.key),
        format!("/api/v1/subjects?q={}", enc("李四")),
        format!("/api/v1/records/{}", rec.id),
        "/api/v1/records?kind=penalty".to_string(),
        "/".to_string(),
    ] {
        let (s, body) = get(&app, &uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert!(!body.contains(PERSON_ID), "{uri} leaks the ID number");
        assert!(!body.contains("19491231"), "{uri} leaks the birth date");
        if uri.contains(&person.key) || uri.contains("records/") {
            assert!(body.contains(masked), "{uri} shows the masked number");
        }
    }
}

async fn api_reads(app: App) {
    let (s, body) = get(&app, &format!("/api/v1/subjects?q={}&per_page=1", enc("顺达"))).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 2);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["name"], "河源市顺达运输有限公司");
    let (s, body) = get(&app, "/api/v1/subjects/91350100M000100Y43").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["penalties"].as_array().unwrap().len(), 1);
    assert_eq!(v["licenses"][0]["decision_no"], "龙交运许〔2024〕1号");
    let (_, body) = get(&app, "/api/v1/records?kind=license").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 1);
    let (_, body) = get(&app, "/api/v1/records?subject=91350100M000100Y43").await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"], 2);
    let (s, body) = get(&app, "/api/v1/records/1").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["fields"]["CF_NR_FK"], "0.2");
    for (uri, status, code) in [
        ("/api/v1/records?from=2024-02-30", StatusCode::BAD_REQUEST, "invalid_date"),
        ("/api/v1/records?kind=fine", StatusCode::BAD_REQUEST, "invalid_kind"),
        ("/api/v1/subjects", StatusCode::BAD_REQUEST, "missing_query"),
        ("/api/v1/subjects/XYZ", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/records/77", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/records?subject=XYZ", StatusCode::NOT_FOUND, "not_found"),
        ("/api/v1/nothing", StatusCode::NOT_FOUND, "not_found"),
    ] {
        let (s, body) = get(&app, uri).await;
        assert_eq!(s, status, "{uri}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], code, "{uri}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
}

async fn openapi_documents_every_route(app: App) {
    let (s, body) = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    let expected = [
        "/api/v1/account/commitments",
        "/api/v1/account/commitments/{id}/withdrawal",
        "/api/v1/account/education/{code}",
        "/api/v1/commitments",
        "/api/v1/commitments/{id}/decision",
        "/api/v1/commitments/{id}/licence",
        "/api/v1/commitments/{id}/licence-revocation",
        "/api/v1/commitments/{id}/verification",
        "/api/v1/credit-checks",
        "/api/v1/diagnostic-codes",
        "/api/v1/draws",
        "/api/v1/draws/{id}",
        "/api/v1/imports/credit-events",
        "/api/v1/imports/{kind}",
        "/api/v1/lists",
        "/api/v1/lists/{code}/entries",
        "/api/v1/log/consistency",
        "/api/v1/openapi.json",
        "/api/v1/rates",
        "/api/v1/records",
        "/api/v1/records/{id}",
        "/api/v1/records/{id}/proof",
        "/api/v1/reports/{number}",
        "/api/v1/subjects",
        "/api/v1/subjects/{key}",
        "/api/v1/subjects/{key}/evaluations",
        "/api/v1/subjects/{key}/reports",
    ];
    assert_eq!(paths, expected);
    // Every documented GET answers with something other than "no such route".
    for p in expected {
        let uri = p
            .replace("{key}", "91350100M000100Y43")
            .replace("{id}", "1")
            .replace("{kind}", "penalties")
            .replace("{code}", "overload")
            .replace("{number}", "XJ-20260101-00000000");
        let uri = if uri.ends_with("/subjects") { format!("{uri}?q=x") } else { uri };
        let post = p.contains("imports")
            || p.contains("credit-checks")
            || p.ends_with("/reports")
            || p.contains("commitments/")
            || p.contains("education");
        let method = if post { "POST" } else { "GET" };
        let (s, _, body) = send(&app, Request::builder().method(method).uri(&uri).body(Body::empty()).unwrap()).await;
        assert!(!body.contains("接口不存在") && s != StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}: {s}");
    }
    let (_, body) = get(&app, "/api/v1/diagnostic-codes").await;
    assert!(body.contains("uscc.check_digit") && body.contains("cell.numeric_code"));
}

const CSV: &str = "行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码\n\
河源市新丰江航运有限公司,法人及非法人组织,91110000600037341L,河交罚〔2025〕1号,船舶未按规定配备船员,未配备船员,《内河交通安全管理条例》,罚款,罚款5000元,0.5,2025-01-02,2025-01-09,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n\
河源市坏代码有限公司,法人及非法人组织,91110000100000000X,河交罚〔2025〕2号,超限运输,超限,《公路安全保护条例》,罚款,罚款5000元,0.5,2025-01-02,2025-01-09,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n\
河源市未来有限公司,法人及非法人组织,91230500MA1B3N1N2M,河交罚〔2025〕3号,超限运输,超限,《公路安全保护条例》,罚款,罚款5000元,,2099-01-02,2099-01-09,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n";

async fn writes_need_authentication(app: App) {
    let post = |uri: &str, auth: Option<&str>| {
        let mut b = Request::post(uri);
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::from(CSV)).unwrap()
    };
    let (s, _, body) = send(&app, post("/api/v1/imports/penalties", None)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("\"unauthorized\""));
    let (s, _, _) = send(&app, post("/api/v1/imports/penalties", Some("Bearer nope"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, _) = send(&app, Request::post("/console/upload").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h[header::LOCATION].to_str().unwrap().starts_with("/console/login?next="));
    let (s, h, _) = get_with_cookie(&app, "/console", "xj_session=forged").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/console/login?next=/console");
    assert_eq!(app.db(|s| s.totals()).unwrap().n_penalties, 3, "nothing written");
    // With a token the import runs and reports rows 3 and 4.
    let token = auth::new_token();
    let uid = app.db(|s| s.user_by_name("clerk")).unwrap().unwrap().id;
    app.db(|s| s.create_api_token(&ctx(), &auth::token_hash(&token), uid, "执法系统", None)).unwrap();
    let (s, _, body) =
        send(&app, post("/api/v1/imports/penalties?dry_run=true", Some(&format!("Bearer {token}")))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db(|s| s.totals()).unwrap().n_penalties, 3, "dry run");
    let (s, _, body2) = send(&app, post("/api/v1/imports/penalties", Some(&format!("Bearer {token}")))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, body2, "a dry run reports what the real import does");
    let v: serde_json::Value = serde_json::from_str(&body2).unwrap();
    assert_eq!((v["rows"].as_u64(), v["accepted"].as_u64(), v["rejected"].as_u64()), (Some(3), Some(1), Some(2)));
    let rows: Vec<u64> = v["diagnostics"].as_array().unwrap().iter().map(|d| d["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [3, 4, 4]);
    assert_eq!(app.db(|s| s.totals()).unwrap().n_penalties, 4);
    let ev = app.db(|s| s.events(1)).unwrap().remove(0);
    assert_eq!(ev.actor, "clerk");
}

async fn login(app: &App) -> String {
    login_as(app, "clerk").await
}

async fn login_as(app: &App, username: &str) -> String {
    let body = format!("username={username}&password={}&next=%2Fconsole", enc(PASSWORD));
    let (s, _, _) = send(
        app,
        Request::post("/console/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("username=clerk&password=wrong"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, _) = send(
        app,
        Request::post("/console/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/console");
    let cookie = h[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    cookie.split(';').next().unwrap().to_string()
}

fn multipart(kind: &str, filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----xinjiao-test-boundary";
    let mut body = Vec::new();
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n").as_bytes());
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"encoding\"\r\n\r\nauto\r\n").as_bytes(),
    );
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend(content);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn console_upload_shows_diagnostics_and_error_report(app: App) {
    let cookie = login(&app).await;
    let (s, _, home) = get_with_cookie(&app, "/console", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(home.contains("王报送") && home.contains("暂无上报记录"));
    let (ct, body) = multipart("penalty", "处罚.csv", CSV.as_bytes());
    let upload = |cookie: &str, site: &str| {
        Request::post("/console/upload")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, ct.clone())
            .header("sec-fetch-site", site)
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let (s, _, _) = send(&app, upload(&cookie, "cross-site")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "cross-site posts are refused");
    let (s, h, _) = send(&app, upload(&cookie, "same-origin")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let loc = h[header::LOCATION].to_str().unwrap().to_string();
    assert_eq!(loc, "/console/submissions/1");
    let (s, _, page) = get_with_cookie(&app, &loc, &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("错误明细（3 处）"), "{page}");
    assert!(
        page.contains("<td>3</td>")
            && page.contains("uscc.check_digit")
            && page.contains("date.future")
            && page.contains("CF_NR_FK")
    );
    let (s, h, xlsx) = get_with_cookie(&app, "/console/submissions/1/errors.xlsx", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    // Named after the uploaded file's stem: 错误报告-处罚.xlsx.
    let disposition = h[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.ends_with(&format!("''{}", xinjiao_web::views::urlencode("错误报告-处罚.xlsx"))),
        "{disposition}"
    );
    assert!(xlsx.starts_with("PK"));
    let (s, _, tpl) = get_with_cookie(&app, "/console/templates/penalty.xlsx", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(tpl.starts_with("PK"));
    let (_, _, home) = get_with_cookie(&app, "/console", &cookie).await;
    assert!(home.contains("处罚.csv"));
    // A file with unknown columns is refused whole, with the column named.
    let (ct2, body2) = multipart("penalty", "坏表头.csv", "名称,金额\n甲,1\n".as_bytes());
    let (s, _, page) = send(
        &app,
        Request::post("/console/upload")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, ct2)
            .body(Body::from(body2))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("「金额」") && page.contains("file.unknown_columns"), "{page}");
    // Logging out ends the session.
    let (s, _, _) =
        send(&app, Request::post("/console/logout").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(get_with_cookie(&app, "/console", &cookie).await.0, StatusCode::SEE_OTHER);
}

async fn single_record_form_validates_inline_and_audits_reveals(app: App) {
    let cookie = login(&app).await;
    let (s, _, form) = get_with_cookie(&app, "/console/records/new?kind=penalty", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("name=\"CF_XDR_SHXYM\""));
    let post = |body: String| {
        Request::post("/console/records/new?kind=penalty")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let fields = [
        ("CF_XDR_MC", "王五"),
        ("CF_XDR_LB", "自然人"),
        ("CF_XDR_ZJLX", "身份证"),
        ("CF_XDR_ZJHM", "110105194912310021"),
        ("CF_WSH", "河交罚〔2025〕77号"),
        ("CF_WFXW", "超限运输"),
        ("CF_SY", "超限"),
        ("CF_YJ", "《公路安全保护条例》"),
        ("CF_CFLB", "罚款"),
        ("CF_NR", "罚款500元"),
        ("CF_NR_FK", "0.05"),
        ("CF_JDRQ", "2025-05-06"),
        ("CF_YXQ", "2025-05-13"),
        ("CF_CFJG", "河源市交通运输局"),
        ("CF_CFJGDM", "11230500001755309F"),
        ("CF_SJLY", "河源市交通运输局"),
        ("CF_SJLYDM", "11230500001755309F"),
    ];
    let encode = |fs: &[(&str, &str)]| fs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
    let (s, _, page) = send(&app, post(encode(&fields))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("校验位错误") && !page.contains("id_card.check_digit") && page.contains("value=\"王五\""),
        "inline error, values kept"
    );
    let mut fixed = fields.to_vec();
    fixed[3].1 = "11010519491231002X";
    // Two penalty classes ticked come as two values of one field.
    fixed.push(("CF_CFLB", "警告"));
    let (s, h, _) = send(&app, post(encode(&fixed))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let loc = h[header::LOCATION].to_str().unwrap().to_string();
    let (s, _, staff) = get_with_cookie(&app, &loc, &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(staff.contains("已保存") && staff.contains("1101**********002X") && !staff.contains(PERSON_ID));
    assert!(staff.contains("罚款；警告") || staff.contains("罚款、警告"), "both classes kept: {staff}");
    // The next form offers the standard's code lists and date pickers, and
    // fills in the authority and data source as the department's last record gave them.
    let (_, _, again) = get_with_cookie(&app, "/console/records/new?kind=penalty", &cookie).await;
    assert!(again.contains(r#"<select id="CF_XDR_LB" name="CF_XDR_LB">"#), "{again}");
    assert!(again.contains(r#"<input type="checkbox" name="CF_CFLB" value="罚款">"#));
    assert!(
        again.contains(r#"list="CF_XDR_ZJLX-list""#)
            && again.contains(r#"id="CF_JDRQ" name="CF_JDRQ" value="" type="date""#)
    );
    assert!(again.contains(r#"name="CF_CFJGDM" value="11230500001755309F""#), "{again}");
    assert!(again.contains(r#"name="CF_SJLY" value="河源市交通运输局""#));
    // Decided 2025-05-06, published by this clock in 2026: the page says how late.
    assert!(staff.contains("公示期限：决定日期后 7 个工作日，即 2025-05-15") && staff.contains("逾期"), "{staff}");
    let reveal = loc.split('?').next().unwrap().to_string() + "/reveal";
    // A purpose is required; another department's clerk may not look at all.
    let (s, _, page) = send(&app, form_post(&reveal, &cookie, "purpose=")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("须写明用途") && !page.contains(PERSON_ID), "{page}");
    let hash = auth::hash_password(PASSWORD).unwrap();
    let zcfg = app.db(|s| s.user_by_name("admin")).unwrap().unwrap().department_id;
    app.db(|s| s.create_user(&ctx(), "outsider", "外部门", Role::Clerk, &hash, zcfg)).unwrap();
    let outsider = login_as(&app, "outsider").await;
    let (s, _, page) = send(&app, form_post(&reveal, &outsider, "purpose=好奇")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!page.contains(PERSON_ID));
    let (_, _, theirs) = get_with_cookie(&app, loc.split('?').next().unwrap(), &outsider).await;
    assert!(!theirs.contains("显示完整个人信息") && !theirs.contains(PERSON_ID), "no reveal button for others");
    let (s, _, revealed) =
        send(&app, form_post(&reveal, &cookie, &format!("purpose={}", enc("核对身份以出具告知书")))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(revealed.contains(PERSON_ID));
    let ev = app.db(|s| s.events(1)).unwrap().remove(0);
    assert_eq!((ev.action.as_str(), ev.actor.as_str()), ("personal_data.read", "clerk"));
    assert!(ev.detail.contains("核对身份以出具告知书") && ev.reason.contains("核对身份以出具告知书"), "{ev:?}");
    // A clerk's dashboard shows their own department only; drilling elsewhere is refused.
    let (s, _, dash) = get_with_cookie(&app, "/console/dashboard?period=year&at=2026", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(dash.contains("违章处理科") && !dash.contains("政策法规科"), "{dash}");
    let zcfg_id = zcfg.unwrap();
    let other = format!("/console/dashboard/drill?what=overdue&by=department&key={zcfg_id}&period=year&at=2026");
    assert_eq!(get_with_cookie(&app, &other, &cookie).await.0, StatusCode::FORBIDDEN);
    let division = "/console/dashboard/drill?what=overdue&by=division&key=441600&period=year&at=2026";
    assert_eq!(get_with_cookie(&app, division, &cookie).await.0, StatusCode::FORBIDDEN);
    let coord = login_as(&app, "coord").await;
    let (_, _, all) = get_with_cookie(&app, "/console/dashboard?period=year&at=2026", &coord).await;
    assert!(all.contains("违章处理科") && all.contains("政策法规科"), "coordinators see every department");
    assert_eq!(get_with_cookie(&app, &other, &coord).await.0, StatusCode::OK);
}

fn calendar_upload(cookie: &str, text: &str) -> Request<Body> {
    let boundary = "----xinjiao-calendar";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cn-2027.toml\"\r\n\r\n{text}\r\n--{boundary}--\r\n"
    );
    Request::post("/console/calendar")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap()
}

async fn administrators_load_calendar_years(app: App) {
    let clerk = login(&app).await;
    assert_eq!(get_with_cookie(&app, "/console/calendar", &clerk).await.0, StatusCode::FORBIDDEN);
    let admin = login_as(&app, "admin").await;
    let (s, _, page) = get_with_cookie(&app, "/console/calendar", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<td>2026</td>") && page.contains("内置") && !page.contains("<td>2027</td>"));
    let y2027 = "year = 2027\n[[holidays]]\nname = \"元旦\"\noff = [\"2027-01-01\"]\n\
        [[holidays]]\nname = \"春节\"\noff = [\"2027-02-06..2027-02-12\"]\n\
        [[holidays]]\nname = \"清明节\"\noff = [\"2027-04-05\"]\n\
        [[holidays]]\nname = \"劳动节\"\noff = [\"2027-05-03\"]\n\
        [[holidays]]\nname = \"端午节\"\noff = [\"2027-06-09\"]\n\
        [[holidays]]\nname = \"中秋节、国庆节\"\noff = [\"2027-10-01\"]\n";
    let (s, _, page) = send(&app, calendar_upload(&admin, &y2027.replace("端午节", "其他"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("calendar.incomplete") && page.contains("端午"), "{page}");
    let (s, h, _) = send(&app, calendar_upload(&admin, y2027)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = get_with_cookie(&app, h[header::LOCATION].to_str().unwrap(), &admin).await;
    assert!(
        page.contains("已载入 2027 年日历") && page.contains("<td>2027</td>") && page.contains("管理员载入"),
        "{page}"
    );
    assert_eq!(app.db(|s| s.calendar_years()).unwrap().len(), 1);
    assert_eq!(app.db(|s| s.events(1)).unwrap()[0].action, "calendar.loaded");
}

/// Five rows for 违章处理科 uploaded on 2026-11-18 (the test clock): decisions of
/// 11-02 and 11-04 are late (deadlines 11-11 and 11-13), those of 11-12 and
/// 11-16 on time, and row 6 has a bad check digit.
const MONTH_CSV: &str = "行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码\n\
河源市新丰江航运有限公司,法人及非法人组织,91110000600037341L,河交罚〔2026〕101号,超限运输,超限,《公路安全保护条例》,罚款,罚款5000元,0.5,2026-11-02,2026-11-09,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n\
河源市新丰江航运有限公司,法人及非法人组织,91110000600037341L,河交罚〔2026〕102号,超限运输,超限,《公路安全保护条例》,罚款,罚款5000元,0.5,2026-11-04,2026-11-11,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n\
河源市新丰江航运有限公司,法人及非法人组织,91110000600037341L,河交罚〔2026〕103号,超限运输,超限,《公路安全保护条例》,罚款,罚款5000元,0.5,2026-11-12,2026-11-19,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n\
河源市新丰江航运有限公司,法人及非法人组织,91110000600037341L,河交罚〔2026〕104号,超限运输,超限,《公路安全保护条例》,罚款,罚款5000元,0.5,2026-11-16,2026-11-23,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n\
河源市坏代码有限公司,法人及非法人组织,91110000100000000X,河交罚〔2026〕105号,超限运输,超限,《公路安全保护条例》,罚款,罚款5000元,0.5,2026-11-16,2026-11-23,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F\n";

fn form_post(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The `<tr>` of the dashboard table whose first cell names `name`.
fn table_row<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page.find(&format!(">{name}</a>")).unwrap_or_else(|| panic!("no row {name}: {page}"));
    let end = start + page[start..].find("</tr>").unwrap();
    &page[start..end]
}

async fn a_department_month_gives_hand_computed_rates(app: App) {
    let wzcl = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "HY-WZCL").unwrap();
    let dy = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "DY-JTJ").unwrap();
    let clerk = login(&app).await;
    // 1. The clerk declares 6 penalty decisions for November; not for another department.
    let (s, h, _) = send(
        &app,
        form_post("/console/declarations", &clerk, &format!("department={}&month=2026-11&kind=penalty&due=6", wzcl.id)),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h[header::LOCATION].to_str().unwrap().starts_with("/console/declarations?saved="));
    let (s, _, page) = send(
        &app,
        form_post("/console/declarations", &clerk, &format!("department={}&month=2026-11&kind=penalty&due=6", dy.id)),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("只能为本部门申报"));
    let (s, _, page) = send(
        &app,
        form_post("/console/declarations", &clerk, &format!("department={}&month=2026-13&kind=penalty&due=x", wzcl.id)),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("月份“2026-13”无效") && page.contains("应报送数“x”"), "{page}");
    // Declarations are listed a month at a time, with the months as tabs and their counts.
    let (_, _, list) = get_with_cookie(&app, "/console/declarations?month=2026-11", &clerk).await;
    assert!(list.contains("2026-11 的申报") && list.contains("<td data-label=\"应报送数\">6</td>"), "{list}");
    assert!(list.contains(r#"href="/console/declarations?month=2026-11" aria-current="page" class="active">2026-11<span class="badge">1</span>"#));
    let (_, _, default) = get_with_cookie(&app, "/console/declarations", &clerk).await;
    assert!(default.contains("2026-10 的申报") && default.contains("2026-10 暂无申报"), "last month by default");

    // 2. It first only validates the file (not a submission: the pass rate ignores it)…
    let (ct, body) = multipart("penalty", "校验.csv", MONTH_CSV.as_bytes());
    let mut dry =
        b"------xinjiao-test-boundary\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n".to_vec();
    dry.extend(body);
    let (s, _, _) = send(
        &app,
        Request::post("/console/upload")
            .header(header::COOKIE, &clerk)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(dry))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // … then uploads the five rows: one rejected, two late.
    let (ct, body) = multipart("penalty", "十一月处罚.csv", MONTH_CSV.as_bytes());
    let (s, _, _) = send(
        &app,
        Request::post("/console/upload")
            .header(header::COOKIE, &clerk)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // 3. Hand-computed for 违章处理科, November 2026: fill 4/6, pass 4/5, timeliness 2/4.
    let coord = login_as(&app, "coord").await;
    let (s, _, dash) = get_with_cookie(&app, "/console/dashboard?period=month&at=2026-11", &coord).await;
    assert_eq!(s, StatusCode::OK);
    let row = table_row(&dash, "违章处理科");
    for want in ["66.6%", "4/6", "80.0%", "4/5", "50.0%", "2/4"] {
        assert!(row.contains(want), "{want} in {row}");
    }
    assert!(dash.contains("导出 XLSX（2026年11月）"), "the export names the period shown");
    // Seen in December, before anything of December is reported: the
    // dashboard opens on November and says so, with a way to December.
    let december = router_on(&app, "2026-12-03");
    let body = format!("username=coord&password={}", enc(PASSWORD));
    let req = Request::post("/console/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let resp = december.clone().oneshot(req).await.unwrap();
    let coord_then = resp.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let req = Request::get("/console/dashboard").header(header::COOKIE, &coord_then).body(Body::empty()).unwrap();
    let resp = december.clone().oneshot(req).await.unwrap();
    let body = String::from_utf8_lossy(&axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap()).into_owned();
    assert!(body.contains("2026年12月尚无报送数据") && body.contains("at=2026-12"), "{body}");
    assert!(table_row(&body, "违章处理科").contains("4/6"), "November's figures");
    // Each red figure says why.
    for why in ["尚缺 2 条", "1 行未通过校验", "2 条超期公示"] {
        assert!(row.contains(why), "{why} in {row}");
    }
    assert!(dash.contains("已报送记录数 ÷ 应报送记录数"), "definitions beside the figures");
    assert!(dash.contains("<svg") && dash.contains("三率趋势图"), "trend chart");
    // The same figures for the quarter, and for the city division.
    let (_, _, q4) = get_with_cookie(&app, "/console/dashboard?period=quarter&at=2026-Q4", &coord).await;
    assert!(table_row(&q4, "违章处理科").contains("2/4"));
    let (_, _, div) = get_with_cookie(&app, "/console/dashboard?period=month&at=2026-11&by=division", &coord).await;
    let city = table_row(&div, "河源市");
    assert!(city.contains("4/6") && city.contains("4/5") && city.contains("2/4"), "{city}");

    // 4. The API gives the same numbers.
    let token = auth::new_token();
    let uid = app.db(|s| s.user_by_name("coord")).unwrap().unwrap().id;
    app.db(|s| s.create_api_token(&ctx(), &auth::token_hash(&token), uid, "月报", None)).unwrap();
    let api = |uri: &str| {
        Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap()
    };
    let (s, _, body) = send(&app, api("/api/v1/rates?period=month&at=2026-11")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let r = v["rows"].as_array().unwrap().iter().find(|r| r["name"] == "违章处理科").unwrap();
    let frac = |k: &str| (r["rates"][k]["numerator"].as_u64().unwrap(), r["rates"][k]["denominator"].as_u64().unwrap());
    assert_eq!((frac("fill"), frac("pass"), frac("timeliness")), ((4, 6), (4, 5), (2, 4)));
    assert_eq!(r["rates"]["timeliness"]["display"], "50.0%");
    assert_eq!(
        send(&app, Request::get("/api/v1/rates").body(Body::empty()).unwrap()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(send(&app, api("/api/v1/rates?period=week")).await.0, StatusCode::BAD_REQUEST);

    // 5. Drill from the red timeliness figure to the two late records.
    let href = row.split("href=\"").filter_map(|h| h.split('"').next()).find(|h| h.contains("what=overdue")).unwrap();
    let (s, _, drill) = get_with_cookie(&app, &href.replace("&amp;", "&"), &coord).await;
    assert_eq!(s, StatusCode::OK);
    assert!(drill.contains("河交罚〔2026〕101号") && drill.contains("河交罚〔2026〕102号"), "{drill}");
    assert!(!drill.contains("河交罚〔2026〕103号") && !drill.contains("河交罚〔2026〕104号"));
    assert!(drill.contains("2026-11-11") && drill.contains("共 2 条"));
    let (_, _, rejected) = get_with_cookie(
        &app,
        &format!("/console/dashboard/drill?what=rejected&by=department&key={}&period=month&at=2026-11", wzcl.id),
        &coord,
    )
    .await;
    assert!(rejected.contains("十一月处罚.csv"), "{rejected}");

    // 6. The clerk's start page warns of the late records and the undeclared October.
    let (_, _, home) = get_with_cookie(&app, "/console", &clerk).await;
    assert!(home.contains("河交罚〔2026〕101号") && home.contains("已超期"), "{home}");
    assert!(home.contains("尚未申报 2026-10"));

    // 7. A count file from the case-handling system: refused whole when a row is bad, then applied.
    let counts = |text: &str| {
        let boundary = "----xinjiao-counts";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"counts.csv\"\r\n\r\n{text}\r\n--{boundary}--\r\n"
        );
        Request::post("/console/declarations/upload")
            .header(header::COOKIE, &clerk)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    let (s, _, page) =
        send(&app, counts("部门编码,月份,类别,应报送数\nHY-WZCL,2026-11,行政处罚,4\nHY-WZCL,2026-1x,行政处罚,4\n"))
            .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 3 行「月份」") && page.contains("counts.month"), "{page}");
    let (s, _, _) = send(&app, counts("部门编码,月份,类别,应报送数\nHY-WZCL,2026-11,行政处罚,4\n")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, dash) = get_with_cookie(&app, "/console/dashboard?period=month&at=2026-11", &coord).await;
    assert!(table_row(&dash, "违章处理科").contains("100.0%"), "fill rate 4/4 after the count file");

    // 8. A document issued on 11-02 and published today (deadline 11-11) is late too: 2/5.
    let (s, _, _) = send(
        &app,
        form_post(
            "/console/documents",
            &clerk,
            &format!(
                "kind=news&department={}&title={}&issue_date=2026-11-02&body=x&publish=1",
                wzcl.id,
                enc("超限治理工作动态")
            ),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, dash) = get_with_cookie(&app, "/console/dashboard?period=month&at=2026-11", &coord).await;
    assert!(table_row(&dash, "违章处理科").contains("2/5"));
    let (_, docs) = get(&app, "/documents").await;
    assert!(docs.contains("超限治理工作动态"));

    // 9. The coordinator edits the responsibility table; the public sees it; a clerk may not edit.
    let form = format!(
        "category_1={}&department_1={}&person_1={}&post_1={}",
        enc("行政处罚“双公示”信息"),
        wzcl.id,
        enc("张丽华"),
        enc("信息报送员")
    );
    let (s, _, _) = send(&app, form_post("/console/responsibilities", &coord, &form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, public) = get(&app, "/responsibilities").await;
    assert!(public.contains("张丽华") && public.contains("违章处理科"));
    assert_eq!(send(&app, form_post("/console/responsibilities", &clerk, &form)).await.0, StatusCode::FORBIDDEN);
    let (s, _, xlsx) = get_with_cookie(&app, "/console/dashboard.xlsx?period=month&at=2026-11", &coord).await;
    assert_eq!(s, StatusCode::OK);
    assert!(xlsx.starts_with("PK"));
}

/// The same store seen on another day (as `serve --today` does).
fn router_on(app: &App, day: &str) -> Router {
    let at: Timestamp = format!("{day}T04:00:00Z").parse().unwrap();
    xinjiao_web::router(AppState {
        store: app.store.clone().unwrap(),
        rules: xinjiao_web::Rules::embedded().shared(),
        clock: Arc::new(move || at),
        demo: false,
        test_clock: true,
        secure_cookies: false,
        public_url: "https://xinyong.example.test".into(),
        rates_cache: Default::default(),
        workplace: Default::default(),
        login_throttle: Default::default(),
        signer: xinjiao_web::kernel::signing::test_signer("https://xinyong.example.test"),
        key_history: Default::default(),
    })
}

async fn get_on(router: &Router, uri: &str) -> (StatusCode, String) {
    let resp = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn records_are_public_exactly_inside_their_window(app: App) {
    use xinjiao_store::suite::penalty;
    // Decided 2025-11-19 (Order 58, 一般 by its 罚款 class): public up to
    // 2026-11-18, no longer from 2026-11-19; repairable from 2026-02-19.
    let uscc = "91110000600037341L";
    let out = app
        .db(|s| s.write_records(&ctx(), &[penalty("河源市窗口运输有限公司", uscc, "河交罚〔2025〕77号", "2025-11-19")]))
        .unwrap();
    let id = out[0].record_id();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    // The day before the decision (a clock set back): not yet public.
    let earlier = router_on(&app, "2025-11-18");
    assert_eq!(get_on(&earlier, &format!("/records/{id}")).await.0, StatusCode::NOT_FOUND);
    let (_, list) = get_on(&earlier, "/api/v1/records?kind=penalty&per_page=100").await;
    assert!(!list.contains("河交罚〔2025〕77号"));
    assert_eq!(get_on(&earlier, &format!("/subjects/{uscc}")).await.0, StatusCode::NOT_FOUND);
    let before = router_on(&app, "2025-11-19");
    let last = router_on(&app, "2026-11-18");
    let after = router_on(&app, "2026-11-19");
    for r in [&before, &last] {
        let (s, page) = get_on(r, &format!("/records/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("公示至 2026-11-18"), "the last public day: {page}");
        assert_eq!(get_on(r, &format!("/api/v1/records/{id}")).await.0, StatusCode::OK);
        let (_, list) = get_on(r, "/api/v1/records?kind=penalty&per_page=100").await;
        assert!(list.contains("河交罚〔2025〕77号"));
        let (s, profile) = get_on(r, &format!("/subjects/{uscc}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(profile.contains("行政处罚（1）"), "{profile}");
    }
    let (s, body) = get_on(&after, &format!("/api/v1/records/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("not_public"));
    assert_eq!(get_on(&after, &format!("/records/{id}")).await.0, StatusCode::NOT_FOUND);
    let (_, list) = get_on(&after, "/api/v1/records?kind=penalty&per_page=100").await;
    assert!(!list.contains("河交罚〔2025〕77号"));
    // The subject has nothing public left: not found, not in search results.
    assert_eq!(get_on(&after, &format!("/subjects/{uscc}")).await.0, StatusCode::NOT_FOUND);
    let (_, found) = get_on(&after, &format!("/api/v1/subjects?q={}", enc("窗口运输"))).await;
    assert!(found.contains("\"total\":0"), "{found}");
    let (_, found) = get_on(&last, &format!("/api/v1/subjects?q={}", enc("窗口运输"))).await;
    assert!(found.contains("\"total\":1"), "{found}");
    // Pages seen on another day say so.
    let (_, home) = get_on(&after, "/").await;
    assert!(home.contains("测试时钟：本站按 2026-11-19 这一天显示"));
    // Staff still see the record.
    let cookie = login(&app).await;
    let (s, _, staff) = get_with_cookie(&app, &format!("/console/records/{id}"), &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(staff.contains("河交罚〔2025〕77号"));
}

async fn staff_withdraw_records_with_a_reason(app: App) {
    // Today is 2026-11-18 (the test clock). Record 1 has no department: only a coordinator may withdraw it.
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let recent = app
        .db(|s| {
            s.write_records(
                &ctx(),
                &[xinjiao_store::suite::penalty(
                    "河源市撤销测试有限公司",
                    "91110000600037341L",
                    "河交罚〔2026〕9号",
                    "2026-11-02",
                )],
            )
        })
        .unwrap()[0]
        .record_id();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    assert_eq!(get(&app, &format!("/records/{recent}")).await.0, StatusCode::OK);
    let clerk = login(&app).await;
    let coord = login_as(&app, "coord").await;
    let form = |reason: &str, day: &str| format!("reason={}&change_decided_on={day}", enc(reason));
    let uri = format!("/console/records/{recent}/withdraw");
    assert_eq!(send(&app, form_post(&uri, &clerk, &form("复议撤销", "2026-11-16"))).await.0, StatusCode::FORBIDDEN);
    let (s, _, page) = send(&app, form_post(&uri, &coord, &form("  ", "2026-11-20"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请填写撤销公示的原因") && page.contains("不能晚于今天"), "{page}");
    let (s, _, _) = send(&app, form_post(&uri, &coord, &form("行政复议决定撤销原处罚决定", "2026-11-16"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // Gone from the public at once; staff see why, and whether it was in time (11-16 + 3 WD = 11-19).
    assert_eq!(get(&app, &format!("/records/{recent}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, &format!("/api/v1/records/{recent}")).await.0, StatusCode::NOT_FOUND);
    let (_, _, staff) = get_with_cookie(&app, &format!("/console/records/{recent}"), &coord).await;
    assert!(staff.contains("已于 2026-11-18 撤销公示") && staff.contains("行政复议决定撤销原处罚决定"), "{staff}");
    assert!(staff.contains("2026-11-19") && staff.contains("按时撤销"));
    assert!(staff.contains("<td>撤销公示</td>"), "the event is in the history");
    let (s, _, _) = send(&app, form_post(&uri, &coord, &form("again", "2026-11-16"))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A withdrawal after the deadline says how late it is (11-10 + 3 WD = 11-13; 11-16, 17, 18 late).
    let (s, _, _) =
        send(&app, form_post("/console/records/2/withdraw", &coord, &form("决定被确认违法", "2026-11-10"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, staff) = get_with_cookie(&app, "/console/records/2", &coord).await;
    assert!(staff.contains("逾期 3 个工作日"), "{staff}");
}

async fn subjects_claim_their_account_with_the_notice_code(app: App) {
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let clerk = login(&app).await;
    let coord = login_as(&app, "coord").await;
    // An older fine of the same subject, whose publication has ended.
    let old = xinjiao_store::suite::penalty(
        "河源市顺达运输有限公司",
        "91350100M000100Y43",
        "河交罚〔2023〕8号",
        "2024-05-28",
    );
    app.db(move |s| s.write_records(&ctx(), &[old])).unwrap();
    // Record 1: 河源市顺达运输有限公司, 2026-05-28, a fine (一般): public until 2027-05-27, repairable from 2026-08-28.
    assert_eq!(send(&app, form_post("/console/records/1/notice", &clerk, "")).await.0, StatusCode::FORBIDDEN);
    let (s, _, notice) = send(&app, form_post("/console/records/1/notice", &coord, "")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        notice.contains("信用修复告知书") && notice.contains("2026-08-28") && notice.contains("2027-05-27"),
        "{notice}"
    );
    assert!(
        notice.contains("https://xinyong.example.test/account/claim"),
        "the printed notice carries the public address"
    );
    let code = notice.split("id=\"claim-code\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(code.len(), 14, "{code}");
    let uscc = "91350100M000100Y43";
    let claim = |identity: &str, code: &str, pw: &str, pw2: &str| {
        let body = format!("identity={identity}&code={}&password={}&password2={}", enc(code), enc(pw), enc(pw2));
        Request::post("/account/claim")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let (s, _, page) = send(&app, claim(uscc, "AAAA-BBBB-CCCC", "a-long-password", "a-long-password")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("激活码已使用、已过期"));
    let (s, _, page) = send(&app, claim(uscc, &code, "short", "other")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("密码至少 8 个字符") && page.contains("两次输入的密码不一致"));
    // Typed in lower case with spaces: still the code.
    let typed = code.to_lowercase().replace('-', " ");
    let (s, h, _) = send(&app, claim(&uscc.to_lowercase(), &typed, "a-long-password", "a-long-password")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/account");
    let cookie = h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("xj_subject="));
    let (s, _, mine) = get_with_cookie(&app, "/account", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        mine.contains("河交罚〔2024〕1号") && mine.contains("龙交运许〔2024〕1号"),
        "its penalty and licence: {mine}"
    );
    assert!(mine.contains("河交罚〔2023〕8号") && mine.contains("公示期满，已停止公示"), "{mine}");
    assert!(!mine.contains("河交罚〔2024〕2号"), "not another subject's");
    // The code is spent; the account logs in with its password.
    let (s, _, _) = send(&app, claim(uscc, &code, "a-long-password", "a-long-password")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let login_req = |pw: &str| {
        Request::post("/account/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("identity={uscc}&password={}", enc(pw))))
            .unwrap()
    };
    assert_eq!(send(&app, login_req("wrong-password")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, login_req("a-long-password")).await.0, StatusCode::SEE_OTHER);
    let (s, h, _) = get_with_cookie(&app, "/account", "xj_subject=forged").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/account/login");
}

/// Issues a notice for `record_id` as the coordinator and claims the
/// subject's account with its code; returns the subject's session cookie.
async fn claimed_subject(app: &App, record_id: i64, uscc: &str) -> String {
    let coord = login_as(app, "coord").await;
    let (_, _, notice) = send(app, form_post(&format!("/console/records/{record_id}/notice"), &coord, "")).await;
    let code = notice.split("id=\"claim-code\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let body = format!("identity={uscc}&code={code}&password=a-long-password&password2=a-long-password");
    let req = Request::post("/account/claim")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (s, h, _) = send(app, req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn a_subject_objects_and_the_department_decides(app: App) {
    let wzcl = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "HY-WZCL").unwrap().id;
    let uscc = "91350100M000100Y43";
    let w = WriteContext::new("wz1", Timestamp::from_second(1_795_000_000).unwrap(), "上传").in_department(Some(wzcl));
    let id = app
        .db(|s| {
            s.write_records(
                &w,
                &[xinjiao_store::suite::penalty("河源市顺达运输有限公司", uscc, "河交罚〔2026〕88号", "2026-11-02")],
            )
        })
        .unwrap()[0]
        .record_id();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let subject = claimed_subject(&app, id, uscc).await;
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains(&format!("/account/records/{id}/objection")));
    let objection = |reasons: &str, attachment: Option<&[u8]>| {
        let b = "----xj-objection";
        let mut body =
            format!("--{b}\r\nContent-Disposition: form-data; name=\"reasons\"\r\n\r\n{reasons}\r\n").into_bytes();
        if let Some(a) = attachment {
            body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"缴款凭证.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
            body.extend(a);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{b}--\r\n").as_bytes());
        Request::post(format!("/account/records/{id}/objection"))
            .header(header::COOKIE, &subject)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
            .body(Body::from(body))
            .unwrap()
    };
    // A cross-site post with the subject's cookie is refused.
    let mut forged = objection("跨站提交的异议理由", None);
    forged.headers_mut().insert("sec-fetch-site", axum::http::HeaderValue::from_static("cross-site"));
    assert_eq!(send(&app, forged).await.0, StatusCode::FORBIDDEN);
    let (s, _, page) = send(&app, objection("错", None)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请写明异议的理由"));
    let (s, h, _) = send(&app, objection("罚款已于当日缴清，处罚内容记载有误", Some(b"%PDF-1.4 receipt"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/account?filed=1");
    // Marked on the portal and in the API at once.
    let (_, public) = get(&app, &format!("/records/{id}")).await;
    assert!(public.contains("异议处理中"));
    let (_, api) = get(&app, &format!("/api/v1/records/{id}")).await;
    assert!(api.contains("\"objection_open\":true"), "{api}");
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains("已提交，待受理") && mine.contains("受理 2026-11-19 前"), "{mine}");
    // The coordinator's dashboard lists it with its current deadline.
    let coord = login_as(&app, "coord").await;
    let (_, _, dash) = get_with_cookie(&app, "/console/dashboard", &coord).await;
    let pending = dash.split("id=\"pending\"").nth(1).unwrap();
    assert!(
        pending.contains("信用异议") && pending.contains("河交罚〔2026〕88号") && pending.contains("2026-11-19"),
        "{pending}"
    );
    // The department handles it: acknowledge, then reject with reasons.
    let clerk = login(&app).await;
    let (s, _, list) = get_with_cookie(&app, "/console/objections", &clerk).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("河交罚〔2026〕88号") && list.contains("缴款凭证.pdf"), "{list}");
    assert!(list.contains("<td>河源市顺达运输有限公司</td>"), "the subject is on the list: {list}");
    // The staff record page carries the same mark as the portal.
    let (_, _, staff) = get_with_cookie(&app, &format!("/console/records/{id}"), &clerk).await;
    assert!(staff.contains("异议处理中"), "{staff}");
    let oid = list
        .split("/console/objections/")
        .filter_map(|x| x.split('"').next())
        .find_map(|x| x.parse::<i64>().ok())
        .unwrap();
    let attachment_id = list.split("/console/objections/attachments/").nth(1).unwrap().split('"').next().unwrap();
    let (s, _, content) =
        get_with_cookie(&app, &format!("/console/objections/attachments/{attachment_id}"), &clerk).await;
    assert_eq!((s, content.as_str()), (StatusCode::OK, "%PDF-1.4 receipt"));
    let act = |action: &str, reason: &str| {
        form_post(&format!("/console/objections/{oid}"), &clerk, &format!("action={action}&reason={}", enc(reason)))
    };
    assert_eq!(send(&app, act("reject", "")).await.0, StatusCode::UNPROCESSABLE_ENTITY, "a decision needs reasons");
    assert_eq!(send(&app, act("reject", "未受理")).await.0, StatusCode::CONFLICT, "acknowledge first");
    assert_eq!(send(&app, act("acknowledge", "")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, act("reject", "经核查，处罚内容与决定书一致")).await.0, StatusCode::SEE_OTHER);
    let (_, public) = get(&app, &format!("/records/{id}")).await;
    assert!(!public.contains("异议处理中"));
    let (_, _, staff) = get_with_cookie(&app, &format!("/console/records/{id}"), &clerk).await;
    assert!(!staff.contains("异议处理中"), "{staff}");
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains("异议不成立") && mine.contains("经核查，处罚内容与决定书一致"), "{mine}");
    let events: Vec<String> = app.db(|s| s.record(id)).unwrap().unwrap().events.into_iter().map(|e| e.action).collect();
    assert!(events.contains(&"objection.filed".to_string()) && events.contains(&"objection.rejected".to_string()));
}

async fn a_repair_ends_publication_and_a_false_commitment_restores_it(app: App) {
    let wzcl = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "HY-WZCL").unwrap().id;
    let uscc = "91350100M000100Y43";
    let w = WriteContext::new("wz1", Timestamp::from_second(1_795_000_000).unwrap(), "上传").in_department(Some(wzcl));
    let recs = [
        xinjiao_store::suite::penalty("河源市顺达运输有限公司", uscc, "河交罚〔2026〕50号", "2026-05-10"),
        xinjiao_store::suite::penalty("河源市顺达运输有限公司", uscc, "河交罚〔2026〕51号", "2026-11-02"),
    ];
    let out = app.db(|s| s.write_records(&w, &recs)).unwrap();
    let (old, new) = (out[0].record_id(), out[1].record_id());
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let subject = claimed_subject(&app, old, uscc).await;
    let apply = |id: i64, evidence: &str, commit: bool| {
        let b = "----xj-repair";
        let mut body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"evidence\"\r\n\r\n{evidence}\r\n--{b}\r\nContent-Disposition: form-data; name=\"signer\"\r\n\r\n张三\r\n"
        );
        if commit {
            body.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"commit\"\r\n\r\n1\r\n"));
        }
        body.push_str(&format!("--{b}--\r\n"));
        Request::post(format!("/account/records/{id}/repair"))
            .header(header::COOKIE, &subject)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
            .body(Body::from(body))
            .unwrap()
    };
    // The newer decision's minimum period has not passed (2026-11-02 + 3 months).
    let (_, _, form) = get_with_cookie(&app, &format!("/account/records/{new}/repair"), &subject).await;
    assert!(form.contains("最短公示期未满，自 2027-02-02 起可以申请信用修复"), "{form}");
    assert_eq!(send(&app, apply(new, "罚款已缴清并整改", true)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, page) = send(&app, apply(old, "罚款已缴清并整改", false)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请阅读并勾选信用修复承诺"));
    let (s, h, _) = send(&app, apply(old, "罚款已于2026-05-20缴清，超限车辆已整改", true)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/account?repair=1");
    let (_, _, mine) = get_with_cookie(&app, "/account?repair=1", &subject).await;
    assert!(mine.contains("信用修复申请已提交") && mine.contains("已提交，待受理"), "{mine}");
    // The application carries its repair commitment, rendered from the template for the subject.
    let repair_commitment = || {
        app.db(|s| s.commitments(&xinjiao_store::CommitmentFilter::default(), 10))
            .unwrap()
            .into_iter()
            .find(|c| c.kind == "repair")
            .expect("a repair commitment")
    };
    let c = repair_commitment();
    assert!(c.repair_id.is_some() && c.state.as_str() == "in_force", "{c:?}");
    assert!(c.text.contains("申请信用修复") && c.text.contains("同意撤销本次信用修复"), "{}", c.text);
    assert!(form.contains("id=\"repair-commitment\""), "the form shows the text");
    // The department accepts and approves: publication ends at once.
    let clerk = login(&app).await;
    let (_, _, list) = get_with_cookie(&app, "/console/repairs", &clerk).await;
    assert!(list.contains("河交罚〔2026〕50号") && list.contains("承诺人：张三"), "{list}");
    let rid = list
        .split("/console/repairs/")
        .filter_map(|x| x.split('"').next())
        .find_map(|x| x.parse::<i64>().ok())
        .unwrap();
    let act = |action: &str, reason: &str| {
        form_post(&format!("/console/repairs/{rid}"), &clerk, &format!("action={action}&reason={}", enc(reason)))
    };
    assert_eq!(send(&app, act("approve", "已履行")).await.0, StatusCode::CONFLICT, "accept first");
    assert_eq!(send(&app, act("accept", "")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, act("approve", "已履行全部义务")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, &format!("/records/{old}")).await.0, StatusCode::NOT_FOUND);
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains("修复成功，已停止公示"));
    // The commitment proves false: revoked, public again, and the breach stays in the history.
    assert_eq!(send(&app, act("revoke", "承诺不实：罚款未实际缴纳")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, &format!("/records/{old}")).await.0, StatusCode::OK);
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains("修复已撤销（承诺不实），恢复公示") && mine.contains("承诺不实：罚款未实际缴纳"));
    // The repair commitment was false: a breach, public and scored like any other.
    let c = repair_commitment();
    assert_eq!((c.state.as_str(), c.note.as_deref()), ("false", Some("承诺不实：罚款未实际缴纳")));
    let (_, public) = get(&app, "/commitments/public?breaches=1").await;
    assert!(public.contains("信用修复型") && public.contains("承诺不实"), "{public}");
    let (_, _, staff) = get_with_cookie(&app, &format!("/console/records/{old}"), &clerk).await;
    assert!(staff.contains("<td>准予信用修复</td>") && staff.contains("<td>撤销信用修复</td>"), "events in words");
    assert!(!staff.contains("repair.approved") && !staff.contains("{&quot;"), "no event codes or JSON");
}

async fn staff_verify_and_activate_subject_accounts(app: App) {
    let clerk = login(&app).await;
    let coord = login_as(&app, "coord").await;
    let uscc = "91110108551385082Q";
    let form =
        |identity: &str, verified: bool| format!("identity={identity}{}", if verified { "&verified=1" } else { "" });
    assert_eq!(
        send(&app, form_post("/console/subject-accounts", &clerk, &form(uscc, true))).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, _, page) = send(&app, form_post("/console/subject-accounts", &coord, &form(uscc, false))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请先核验申请人的身份"));
    let (s, _, page) =
        send(&app, form_post("/console/subject-accounts", &coord, &form("91110000000000000X", true))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("没有统一社会信用代码或证件号码为"));
    let (s, _, page) = send(&app, form_post("/console/subject-accounts", &coord, &form(uscc, true))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("已为 龙川县顺达货运有限公司 出具激活码"), "{page}");
    let code = page.split("id=\"claim-code\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let body = format!("identity={uscc}&code={code}&password=a-long-password&password2=a-long-password");
    let req = Request::post("/account/claim")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::SEE_OTHER);
    let events: Vec<String> = app.db(|s| s.events(20)).unwrap().into_iter().map(|e| e.reason).collect();
    assert!(events.iter().any(|r| r == "核验身份后出具主体账户激活码"));
}

async fn reviewed_records_wait_for_approval(app: App) {
    let wzcl = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "HY-WZCL").unwrap().id;
    let clerk = login(&app).await;
    let coord = login_as(&app, "coord").await;
    let (s, _, _) =
        send(&app, form_post("/console/reviews/settings", &clerk, &format!("department={wzcl}&required=1"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a clerk does not turn review on");
    let (s, _, _) =
        send(&app, form_post("/console/reviews/settings", &coord, &format!("department={wzcl}&required=1"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (ct, body) = multipart("penalty", "待审核.csv", MONTH_CSV.as_bytes());
    let (s, _, _) = send(
        &app,
        Request::post("/console/upload")
            .header(header::COOKIE, &clerk)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let pending = app
        .db(|s| {
            s.list_records(
                &xinjiao_store::RecordFilter { review_state: Some("pending".into()), ..Default::default() },
                xinjiao_store::PageRequest::new(1, 10),
            )
        })
        .unwrap();
    assert_eq!(pending.total, 4, "the 4 valid rows wait for review");
    let first = pending.items.iter().find(|r| r.decision_no == "河交罚〔2026〕101号").unwrap().id;
    let second = pending.items.iter().find(|r| r.decision_no == "河交罚〔2026〕102号").unwrap().id;
    assert_eq!(get(&app, &format!("/records/{first}")).await.0, StatusCode::NOT_FOUND, "not public while pending");
    let (_, list) = get(&app, "/api/v1/records?kind=penalty&per_page=100").await;
    assert!(!list.contains("河交罚〔2026〕101号"));
    let (_, _, home) = get_with_cookie(&app, "/console", &clerk).await;
    assert!(home.contains("河交罚〔2026〕101号（行政处罚）待审核，公示期限 2026-11-11"), "{home}");
    let (_, _, queue) = get_with_cookie(&app, "/console/reviews", &coord).await;
    assert!(queue.contains("待审核记录（4）") && queue.contains("已超期"), "{queue}");
    // The console's navigation counts what waits: the 4 awaiting review, and
    // as many past their deadline as the list marks.
    let overdue = queue.matches(" 已超期</td>").count();
    assert_eq!(overdue, 2, "two decided long enough ago");
    assert_eq!(nav_badges(&queue, "发布前审核"), ["4".to_string(), overdue.to_string()]);
    // A clerk sees the department's records awaiting review, without the reviewer's buttons.
    let (s, _, mine) = get_with_cookie(&app, "/console/reviews", &clerk).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        mine.contains("河交罚〔2026〕101号")
            && !mine.contains("通过并公示</button>")
            && !mine.contains("开启审核</button>"),
        "{mine}"
    );
    let review = |id: i64, action: &str, reason: &str| {
        form_post(&format!("/console/reviews/{id}"), &coord, &format!("action={action}&reason={}", enc(reason)))
    };
    assert_eq!(send(&app, review(first, "approve", "")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, &format!("/records/{first}")).await.0, StatusCode::OK, "public once approved");
    assert_eq!(send(&app, review(second, "reject", "")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(send(&app, review(second, "reject", "违法事实描述不完整")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, review(second, "approve", "")).await.0, StatusCode::CONFLICT, "no longer pending");
    let (_, _, home) = get_with_cookie(&app, "/console", &clerk).await;
    assert!(home.contains("河交罚〔2026〕102号（行政处罚）审核未通过：违法事实描述不完整"), "{home}");
    let (_, _, staff) = get_with_cookie(&app, &format!("/console/records/{second}"), &clerk).await;
    assert!(staff.contains("审核未通过：违法事实描述不完整"));
    assert!(staff.contains("王报送 · 违章处理科"), "the account label");
    // The clerk's count includes the record sent back (2 pending, 1 sent back).
    assert_eq!(nav_badges(&staff, "发布前审核")[0], "3");
    // Published on approval day (2026-11-18), after its deadline (2026-11-11): late in the rates.
    let (_, _, dash) = get_with_cookie(&app, "/console/dashboard?period=month&at=2026-11", &coord).await;
    assert!(table_row(&dash, "违章处理科").contains("0/1"), "one published, not on time");
}

/// The numbers beside the console's navigation entry `label`.
fn nav_badges(page: &str, label: &str) -> Vec<String> {
    let entry = page.split(&format!("<span>{label}</span>")).nth(1).unwrap_or("");
    let entry = entry.split("</a>").next().unwrap_or("");
    entry
        .split("<span class=\"badge")
        .skip(1)
        .map(|b| b.split('>').nth(1).unwrap_or("").split('<').next().unwrap_or("").to_string())
        .collect()
}

async fn repeated_failed_logins_are_refused(app: App) {
    let attempt = |user: &str, password: &str| {
        Request::post("/console/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("username={user}&password={}", enc(password))))
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(send(&app, attempt("clerk", "wrong")).await.0, StatusCode::UNAUTHORIZED);
    }
    let (s, _, page) = send(&app, attempt("clerk", PASSWORD)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "even the right password, for 15 minutes");
    assert!(page.contains("登录失败次数过多"));
    // Other accounts are not affected; a success clears the count.
    assert_eq!(send(&app, attempt("admin", "wrong")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, attempt("admin", PASSWORD)).await.0, StatusCode::SEE_OTHER);
    // Subjects' logins and claim codes are throttled the same way.
    let subject_login = || {
        Request::post("/account/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("identity=91350100M000100Y43&password=wrong-password"))
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(send(&app, subject_login()).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(send(&app, subject_login()).await.0, StatusCode::TOO_MANY_REQUESTS);
    let claim = || {
        Request::post("/account/claim")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                "identity=91350100M000100Y43&code=AAAA-BBBB-CCCC&password=a-long-password&password2=a-long-password",
            ))
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(send(&app, claim()).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(send(&app, claim()).await.0, StatusCode::TOO_MANY_REQUESTS);
}

async fn api_token(app: &App, username: &str) -> String {
    let token = auth::new_token();
    let uid = app.db(|s| s.user_by_name(username)).unwrap().unwrap().id;
    app.db(|s| s.create_api_token(&ctx(), &auth::token_hash(&token), uid, "测试令牌", None)).unwrap();
    token
}

async fn hostile_uploads_are_refused_and_the_server_goes_on(app: App) {
    let header: Vec<String> = CSV.lines().next().unwrap().split(',').map(str::to_string).collect();
    let bomb = xinjiao_import::crafted::sparse_bomb(&header);
    let before = app.db(|s| s.totals()).unwrap().n_penalties;
    let cookie = login(&app).await;
    let upload = |name: &str, content: &[u8]| {
        let (ct, body) = multipart("penalty", name, content);
        Request::post("/console/upload")
            .header(header::COOKIE, cookie.clone())
            .header(header::CONTENT_TYPE, ct)
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .unwrap()
    };
    let (s, _, page) = send(&app, upload("炸弹.xlsx", &bomb)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("file.too_many_columns") && page.contains("XFD1048576") && page.contains("未导入"), "{page}");
    let (s, _, page) = send(&app, upload("空.csv", b"")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("所选文件为空"), "{page}");
    let strings = xinjiao_import::crafted::shared_string_bomb(&header, 4_000_001);
    let token = api_token(&app, "clerk").await;
    for (query, body, code) in [
        ("dry_run=true&filename=bomb.xlsx", bomb.clone(), "file.too_many_columns"),
        ("filename=bomb.xlsx", bomb, "file.too_many_columns"),
        ("dry_run=true&filename=s.xlsx", strings, "file.too_many_strings"),
        ("filename=empty.csv", Vec::new(), "file.empty"),
    ] {
        let req = Request::post(format!("/api/v1/imports/penalties?{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap();
        let (s, _, body) = send(&app, req).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], code, "{query}: {body}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    // The server answers the next request, and nothing was stored.
    assert_eq!(get(&app, "/healthz").await.0, StatusCode::OK);
    assert_eq!(get(&app, "/").await.0, StatusCode::OK);
    assert_eq!(app.db(|s| s.totals()).unwrap().n_penalties, before);
}

async fn numbers_in_free_text_are_masked_on_every_public_view(app: App) {
    let id = {
        let first17 = "44162119800101003";
        format!("{first17}{}", xinjiao_core::records::ids::id_card_check_char(first17.as_bytes()).unwrap())
    };
    let (mobile, other_mobile, card) = ("13800138000", "13900139000", "6222020200000000006");
    let csv = format!(
        "行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码,备注\n\
         河源市新丰江航运有限公司（联系电话{other_mobile}）,法人及非法人组织,91110000600037341L,河交罚〔2025〕7号,船舶未按规定配备船员,驾驶员（身份证{id}，手机{mobile}）未配备船员,《内河交通安全管理条例》,罚款,罚款5000元,0.5,2026-10-09,2026-10-16,河源市交通运输局,11230500001755309F,河源市交通运输局,11230500001755309F,罚款已由卡号{card}缴纳\n"
    );
    let token = api_token(&app, "clerk").await;
    let req = Request::post("/api/v1/imports/penalties")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(csv))
        .unwrap();
    let (s, _, body) = send(&app, req).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let warned: Vec<&str> =
        report["warnings"].as_array().unwrap().iter().map(|w| w["field"].as_str().unwrap()).collect();
    assert_eq!(warned, ["CF_XDR_MC", "CF_SY", "BZ"], "the clerk is warned of each field: {report}");
    let (_, body) = get(&app, "/api/v1/records?subject=91110000600037341L").await;
    let id_rec = serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"][0]["id"].as_i64().unwrap();
    let name_q = enc("新丰江");
    for uri in [
        "/".to_string(),
        "/subjects/91110000600037341L".to_string(),
        format!("/records/{id_rec}"),
        "/disclosures".to_string(),
        "/disclosures?kind=penalty&subject=91110000600037341L".to_string(),
        format!("/search?q={name_q}"),
        "/api/v1/subjects/91110000600037341L".to_string(),
        format!("/api/v1/subjects?q={name_q}"),
        format!("/api/v1/records/{id_rec}"),
        "/api/v1/records?kind=penalty".to_string(),
        "/api/v1/records?subject=91110000600037341L".to_string(),
    ] {
        let (s, body) = get(&app, &uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        for secret in [id.as_str(), &id[4..14], mobile, other_mobile, card, &card[4..15]] {
            assert!(!body.contains(secret), "{uri} leaks {secret}");
        }
        if uri.contains("records/") {
            assert!(body.contains("138****8000") && body.contains("6222***********0006"), "{uri} shows masked numbers");
        }
    }
}

fn login_attempt(path: &str, body: String, ip: [u8; 4]) -> Request<Body> {
    let mut r = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    r.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 40_000))));
    r
}

async fn parallel_guesses_are_counted_before_checking_and_spare_the_owner(app: App) {
    let stranger = [10, 0, 0, 66];
    let staff = |user: &str, password: &str, ip: [u8; 4]| {
        login_attempt("/console/login", format!("username={user}&password={}", enc(password)), ip)
    };
    // 60 wrong passwords at once from one address: at most 5 are checked.
    let handles: Vec<_> = (0..60)
        .map(|_| {
            let router = app.router.clone();
            let req = staff("clerk", "wrong-password", stranger);
            tokio::spawn(async move { router.oneshot(req).await.unwrap().status() })
        })
        .collect();
    let mut checked = 0;
    for h in handles {
        match h.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(checked <= auth::LoginThrottle::MAX_PAIR_FAILURES, "{checked} attempts reached the password check");
    assert_eq!(checked, auth::LoginThrottle::MAX_PAIR_FAILURES);
    // The stranger is refused even the right password; the owner elsewhere is not.
    let (s, _, page) = send(&app, staff("clerk", PASSWORD, stranger)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("登录失败次数过多"), "{page}");
    assert_eq!(send(&app, staff("clerk", PASSWORD, [10, 0, 0, 7])).await.0, StatusCode::SEE_OTHER);
    // Guessing many accounts from one address locks that address.
    let other = [10, 0, 0, 99];
    for i in 0..auth::LoginThrottle::MAX_ADDRESS_FAILURES {
        assert_eq!(send(&app, staff(&format!("user{i}"), "wrong-password", other)).await.0, StatusCode::UNAUTHORIZED);
    }
    let (s, _, page) = send(&app, staff("admin", PASSWORD, other)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("本机"), "{page}");
    // Unknown and known accounts answer alike; an absurd name is refused before any count or hash.
    let (s1, _, p1) = send(&app, staff("nobody", "wrong-password", [10, 0, 0, 8])).await;
    let (s2, _, p2) = send(&app, staff("admin", "wrong-password", [10, 0, 0, 8])).await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(p1.replace("nobody", "admin"), p2, "the same page for known and unknown accounts");
    let long = "x".repeat(100_000);
    assert_eq!(send(&app, staff(&long, "wrong", [10, 0, 0, 8])).await.0, StatusCode::UNAUTHORIZED);
}

async fn sessions_end_rotate_and_refuse_cross_site_logins(app: App) {
    // Login forms refuse cross-site posts (login CSRF).
    for (path, body) in [
        ("/console/login", format!("username=clerk&password={}", enc(PASSWORD))),
        ("/account/login", "identity=91350100M000100Y43&password=whatever-it-is".to_string()),
        (
            "/account/claim",
            "identity=91350100M000100Y43&code=A&password=a-long-password&password2=a-long-password".into(),
        ),
    ] {
        let mut req = login_attempt(path, body, [127, 0, 0, 1]);
        req.headers_mut().insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(send(&app, req).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    // `next` goes only to paths on this site.
    for (next, to) in [
        ("/console/dashboard?period=year", "/console/dashboard?period=year"),
        ("//evil.example/x", "/console"),
        ("/\\evil.example", "/console"),
        ("/\t/evil.example", "/console"),
        ("https://evil.example/", "/console"),
        ("/%0a/x", "/%0a/x"),
    ] {
        let body = format!("username=clerk&password={}&next={}", enc(PASSWORD), enc(next));
        let (s, h, _) = send(&app, login_attempt("/console/login", body, [127, 0, 0, 1])).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(h[header::LOCATION], to, "{next:?}");
    }
    // Sessions rotate at login: the cookie the browser had no longer works.
    let old = login(&app).await;
    let mut req = login_attempt("/console/login", format!("username=clerk&password={}", enc(PASSWORD)), [127, 0, 0, 1]);
    req.headers_mut().insert(header::COOKIE, old.parse().unwrap());
    let (s, h, _) = send(&app, req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let new = h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(get_with_cookie(&app, "/console", &old).await.0, StatusCode::SEE_OTHER, "old session ended");
    assert_eq!(get_with_cookie(&app, "/console", &new).await.0, StatusCode::OK);
    // Logout ends the session on the server: the old cookie is refused afterwards.
    let logout = |path: &str, cookie: &str| {
        Request::post(path)
            .header(header::COOKIE, cookie)
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, logout("/console/logout", &new)).await.0, StatusCode::SEE_OTHER);
    assert_eq!(get_with_cookie(&app, "/console", &new).await.0, StatusCode::SEE_OTHER);
    let subject = app.db(|s| s.subject_by_key("91350100M000100Y43")).unwrap().unwrap();
    let token = auth::new_token();
    let until = Timestamp::from_second(1_795_000_000 + 3600).unwrap();
    app.db(|s| s.create_subject_session(&auth::token_hash(&token), subject.id, until)).unwrap();
    let cookie = format!("xj_subject={token}");
    assert_eq!(get_with_cookie(&app, "/account", &cookie).await.0, StatusCode::OK);
    assert_eq!(send(&app, logout("/account/logout", &cookie)).await.0, StatusCode::SEE_OTHER);
    let (s, h, _) = get_with_cookie(&app, "/account", &cookie).await;
    assert_eq!(
        (s, h.get(header::LOCATION).map(|v| v.to_str().unwrap())),
        (StatusCode::SEE_OTHER, Some("/account/login"))
    );
    // Every response carries the security headers.
    for uri in ["/", "/api/v1/records", "/nope", "/console/login"] {
        let (_, h, _) = send(&app, Request::get(uri).body(Body::empty()).unwrap()).await;
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{uri}: {csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{uri}");
    }
}

async fn tokens_expire_and_are_revoked_and_disabled_accounts_sign_in_by_no_means(app: App) {
    let api = |token: &str| {
        Request::get("/api/v1/rates?period=month&at=2026-11")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let clerk = login(&app).await;
    // A clerk creates a token for 30 days: shown once, listed without its secret.
    let (s, _, page) = send(&app, form_post("/console/tokens", &clerk, "name=执法系统&days=30")).await;
    assert_eq!(s, StatusCode::OK);
    let secret = page.split("<code id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    assert_eq!(send(&app, api(&secret)).await.0, StatusCode::OK);
    let (_, _, list) = get_with_cookie(&app, "/console/tokens", &clerk).await;
    assert!(list.contains("执法系统") && list.contains("有效") && !list.contains(&secret), "{list}");
    let id = &auth::token_hash(&secret)[..12];
    for bad in ["name=&days=30", "name=x&days=0", "name=x&days=99999"] {
        assert_eq!(
            send(&app, form_post("/console/tokens", &clerk, bad)).await.0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    // An expired token is refused.
    let old = auth::new_token();
    let uid = app.db(|s| s.user_by_name("clerk")).unwrap().unwrap().id;
    let past = Timestamp::from_second(1_790_000_000).unwrap();
    app.db(|s| s.create_api_token(&ctx(), &auth::token_hash(&old), uid, "过期", Some(past))).unwrap();
    assert_eq!(send(&app, api(&old)).await.0, StatusCode::UNAUTHORIZED);
    // Another clerk may not revoke it; its owner may, and it stops at once.
    let hash = auth::hash_password(PASSWORD).unwrap();
    let wzcl = app.db(|s| s.user_by_name("clerk")).unwrap().unwrap().department_id;
    app.db(|s| s.create_user(&ctx(), "clerk2", "赵报送", Role::Clerk, &hash, wzcl)).unwrap();
    let other = login_as(&app, "clerk2").await;
    let revoke = format!("/console/tokens/{id}/revoke");
    assert_eq!(send(&app, form_post(&revoke, &other, "")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, api(&secret)).await.0, StatusCode::OK);
    assert_eq!(send(&app, form_post(&revoke, &clerk, "")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, api(&secret)).await.0, StatusCode::UNAUTHORIZED);
    // Only an administrator manages accounts.
    for who in [&clerk, &other] {
        assert_eq!(get_with_cookie(&app, "/console/users", who).await.0, StatusCode::FORBIDDEN);
        assert_eq!(send(&app, form_post("/console/users/clerk2/disable", who, "")).await.0, StatusCode::FORBIDDEN);
    }
    let admin = login_as(&app, "admin").await;
    let (s, _, page) = get_with_cookie(&app, "/console/users", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("clerk2") && page.contains("正常"), "{page}");
    assert_eq!(
        send(&app, form_post("/console/users/admin/disable", &admin, "")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A disabled account: its session ends, its tokens stop, its password is refused.
    let token2 = api_token(&app, "clerk2").await;
    assert_eq!(send(&app, api(&token2)).await.0, StatusCode::OK);
    let (s, _, page) = send(&app, form_post("/console/users/clerk2/disable", &admin, "")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("已停用"), "{page}");
    assert_eq!(get_with_cookie(&app, "/console", &other).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, api(&token2)).await.0, StatusCode::UNAUTHORIZED);
    let body = format!("username=clerk2&password={}", enc(PASSWORD));
    assert_eq!(
        send(&app, login_attempt("/console/login", body.clone(), [10, 1, 1, 1])).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(send(&app, form_post("/console/users/clerk2/enable", &admin, "")).await.0, StatusCode::OK);
    assert_eq!(send(&app, login_attempt("/console/login", body, [10, 1, 1, 1])).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, api(&token2)).await.0, StatusCode::OK);
    // An administrator lifts a login lock-out.
    let wrong = format!("username=clerk&password={}", enc("wrong-password"));
    for _ in 0..auth::LoginThrottle::MAX_PAIR_FAILURES {
        send(&app, login_attempt("/console/login", wrong.clone(), [10, 1, 1, 2])).await;
    }
    let right = format!("username=clerk&password={}", enc(PASSWORD));
    assert_eq!(
        send(&app, login_attempt("/console/login", right.clone(), [10, 1, 1, 2])).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(send(&app, form_post("/console/users/clerk/unlock", &admin, "")).await.0, StatusCode::OK);
    assert_eq!(send(&app, login_attempt("/console/login", right, [10, 1, 1, 2])).await.0, StatusCode::SEE_OTHER);
    let actions: Vec<String> = app.db(|s| s.events(50)).unwrap().into_iter().map(|e| e.action).collect();
    for a in ["api_token.created", "api_token.revoked", "user.disabled", "user.enabled"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

async fn the_framework_s_own_rejections_are_answered_in_the_documented_shape(app: App) {
    let token = api_token(&app, "clerk").await;
    let big = vec![b'a'; xinjiao_web::kernel::context::MAX_UPLOAD_BYTES + 1024];
    let cases = [
        (Request::get("/api/v1/records?page=abc").body(Body::empty()).unwrap(), StatusCode::BAD_REQUEST, "bad_request"),
        (
            Request::get("/api/v1/subjects?q=a&per_page=-1").body(Body::empty()).unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Request::delete("/api/v1/records").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Request::post("/api/v1/imports/penalties")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(big.clone()))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (req, status, code) in cases {
        let uri = req.uri().to_string();
        let (s, h, body) = send(&app, req).await;
        assert_eq!(s, status, "{uri}: {body}");
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"), "{uri}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{uri}: {body}"));
        assert_eq!(v["error"]["code"], code, "{uri}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{uri}: Chinese message {message}");
    }
    // The console answers an oversized upload with its diagnostic, and a
    // malformed form with the Chinese error page.
    let cookie = login(&app).await;
    let (ct, body) = multipart("penalty", "大文件.csv", &big);
    let req = Request::post("/console/upload")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    let (s, _, page) = send(&app, req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("file.too_large") && page.contains("64 MB"), "{page}");
    let (s, h, page) = send(&app, form_post("/console/tokens", &cookie, "unexpected=1")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.contains("请求内容无法按要求的格式读取"), "{page}");
}

async fn a_trusted_proxy_names_the_client_and_nobody_else_can(app: App) {
    let via = |user: &str, password: &str, client: &str, peer: [u8; 4]| {
        let body = format!("username={user}&password={}", enc(password));
        let mut r = login_attempt("/console/login", body, peer);
        r.headers_mut().insert("x-forwarded-for", format!("192.0.2.1, {client}").parse().unwrap());
        r
    };
    let (proxy, limit) = ([127, 0, 0, 9], auth::LoginThrottle::MAX_ADDRESS_FAILURES);
    // Behind the trusted proxy, guesses from one client lock that client only.
    for i in 0..limit {
        assert_eq!(
            send(&app, via(&format!("u{i}"), "wrong-password", "203.0.113.5", proxy)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(send(&app, via("admin", PASSWORD, "203.0.113.5", proxy)).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(send(&app, via("admin", PASSWORD, "203.0.113.6", proxy)).await.0, StatusCode::SEE_OTHER);
    // Any other peer's header is ignored: it cannot choose the address it is counted under.
    let peer = [10, 0, 0, 50];
    for i in 0..limit {
        let client = format!("198.51.100.{i}");
        assert_eq!(
            send(&app, via(&format!("v{i}"), "wrong-password", &client, peer)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(send(&app, via("admin", PASSWORD, "198.51.100.200", peer)).await.0, StatusCode::TOO_MANY_REQUESTS);
}

/// A one-row penalty file (the CSV header of [`CSV`]).
fn penalty_csv(name: &str, uscc: &str, no: &str, content: &str, date: &str, authority: &str) -> String {
    let header = CSV.lines().next().unwrap();
    let yuan: f64 = content.trim_start_matches("罚款").trim_end_matches('元').parse().unwrap();
    let wan = yuan / 10000.0;
    format!(
        "{header}\n{name},法人及非法人组织,{uscc},{no},超限运输,车辆超限运输,《公路安全保护条例》,罚款,{content},{wan},{date},{date},河源市交通运输局,{authority},河源市交通运输局,{authority}\n"
    )
}

/// Imports a file through the API as `token`'s account; the JSON report.
async fn api_import(app: &App, token: &str, csv: String) -> serde_json::Value {
    let req = Request::post("/api/v1/imports/penalties?filename=x.csv")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(csv))
        .unwrap();
    let (s, _, body) = send(app, req).await;
    assert!(s == StatusCode::OK || s == StatusCode::UNPROCESSABLE_ENTITY, "{s}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn codes(report: &serde_json::Value) -> Vec<(u64, String, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["row"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn only_a_record_s_department_changes_it_and_changes_are_reviewed(app: App) {
    use xinjiao_store::suite::{CITY_AUTHORITY, uscc_for};
    let depts = app.db(|s| s.departments()).unwrap();
    let id_of = |code: &str| depts.iter().find(|d| d.code == code).unwrap().id;
    let (zcfg, dy) = (id_of("HY-ZCFG"), id_of("DY-JTJ"));
    let hash = auth::hash_password(PASSWORD).unwrap();
    app.db(|s| s.create_user(&ctx(), "dy1", "东源县报送员", Role::Clerk, &hash, Some(dy))).unwrap();
    app.db(|s| s.create_user(&ctx(), "zc1", "法规科报送员", Role::Clerk, &hash, Some(zcfg))).unwrap();
    let (city, county, other) =
        (api_token(&app, "clerk").await, api_token(&app, "dy1").await, api_token(&app, "zc1").await);
    let firm = uscc_for(77);
    let fine = |yuan: &str, date: &str, name: &str| {
        penalty_csv(name, &firm, "河交罚〔2026〕500号", &format!("罚款{yuan}元"), date, CITY_AUTHORITY)
    };
    let report = api_import(&app, &city, fine("20100", "2026-11-02", "河源市甲物流有限公司")).await;
    assert_eq!(report["accepted"], 1, "{report}");
    let id = app
        .db(|s| {
            s.list_records(
                &xinjiao_store::RecordFilter { subject_id: None, ..Default::default() },
                xinjiao_store::PageRequest::new(1, 100),
            )
        })
        .unwrap()
        .items
        .into_iter()
        .find(|r| r.decision_no == "河交罚〔2026〕500号")
        .unwrap()
        .id;
    let public_content = || async {
        let (s, body) = get(&app, &format!("/api/v1/records/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["fields"]["CF_NR"].as_str().unwrap().to_string()
    };
    assert_eq!(public_content().await, "罚款20100元");
    let record_events = || app.db(|s| s.record(id)).unwrap().unwrap().events.len();
    let sid = app.db(|s| s.subject_by_key(&firm)).unwrap().unwrap().id;
    let subject_events = || app.db(|s| s.subject_history(sid)).unwrap().len();
    let events_before = (record_events(), subject_events());

    // The county's clerk may not submit under the city's code at all.
    let report = api_import(&app, &county, fine("1", "2026-11-02", "河源市甲物流有限公司")).await;
    assert_eq!((report["accepted"].as_u64(), report["rejected"].as_u64()), (Some(0), Some(1)), "{report}");
    let got = codes(&report);
    assert_eq!((got[0].0, got[0].1.as_str()), (2, "row.authority_not_allowed"));
    assert!(got[0].2.contains(CITY_AUTHORITY) && got[0].2.contains("东源县交通运输局"), "{}", got[0].2);
    // The clerk's home page says which codes the department may use.
    let dy_cookie = login_as(&app, "dy1").await;
    let (_, _, home) = get_with_cookie(&app, "/console", &dy_cookie).await;
    assert!(home.contains(&format!("本部门可使用的决定机关代码：{}", uscc_for(900))), "{home}");
    // Another city department shares the code but not the record.
    let report = api_import(&app, &other, fine("1", "2026-11-02", "河源市甲物流有限公司")).await;
    let got = codes(&report);
    assert_eq!((report["accepted"].as_u64(), got[0].1.as_str()), (Some(0), "row.not_owner"), "{report}");
    assert!(got[0].2.contains("「违章处理科」"), "names the owner: {}", got[0].2);
    // The county's own decision about the firm may not rename it.
    let county_code = uscc_for(900);
    let renaming =
        penalty_csv("河源市乙物流有限公司", &firm, "东交罚〔2026〕1号", "罚款100元", "2026-11-05", &county_code);
    let report = api_import(&app, &county, renaming).await;
    let got = codes(&report);
    assert_eq!((report["accepted"].as_u64(), got[0].1.as_str()), (Some(0), "row.subject_not_held"), "{report}");
    assert!(got[0].2.contains("「违章处理科」"), "{}", got[0].2);
    // Nothing changed: the fine, the name, not even an event.
    assert_eq!(public_content().await, "罚款20100元");
    assert_eq!(app.db(|s| s.subject_by_key(&firm)).unwrap().unwrap().name, "河源市甲物流有限公司");
    assert_eq!((record_events(), subject_events()), events_before, "no record or subject event");
    // The same refusal through the single-record form, in Chinese, the values kept.
    let zc_cookie = login_as(&app, "zc1").await;
    let fields: Vec<(&str, String)> = vec![
        ("CF_XDR_MC", "河源市甲物流有限公司".into()),
        ("CF_XDR_LB", "法人及非法人组织".into()),
        ("CF_XDR_SHXYM", firm.clone()),
        ("CF_WSH", "河交罚〔2026〕500号".into()),
        ("CF_WFXW", "超限运输".into()),
        ("CF_SY", "车辆超限运输".into()),
        ("CF_YJ", "《公路安全保护条例》".into()),
        ("CF_CFLB", "罚款".into()),
        ("CF_NR", "罚款1元".into()),
        ("CF_NR_FK", "0.0001".into()),
        ("CF_JDRQ", "2026-11-02".into()),
        ("CF_YXQ", "2026-11-02".into()),
        ("CF_CFJG", "河源市交通运输局".into()),
        ("CF_CFJGDM", CITY_AUTHORITY.into()),
        ("CF_SJLY", "河源市交通运输局".into()),
        ("CF_SJLYDM", CITY_AUTHORITY.into()),
    ];
    let body = fields.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
    let (s, _, page) = send(&app, form_post("/console/records/new?kind=penalty", &zc_cookie, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !page.contains("row.not_owner")
            && page.contains("只能由该部门或信用工作协调员修改")
            && page.contains("罚款1元"),
        "{page}"
    );

    // Review on: the owner's change waits; the public keeps the approved version.
    let coord = login_as(&app, "coord").await;
    let wzcl = id_of("HY-WZCL");
    let (s, _, _) =
        send(&app, form_post("/console/reviews/settings", &coord, &format!("department={wzcl}&required=1"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let report = api_import(&app, &city, fine("20000", "2026-11-03", "河源市甲物流（新）有限公司")).await;
    assert_eq!((report["accepted"].as_u64(), report["awaiting_review"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(public_content().await, "罚款20100元", "the approved version stays public");
    let (_, page) = get(&app, &format!("/records/{id}")).await;
    assert!(page.contains("罚款20100元") && !page.contains("罚款20000元"), "{page}");
    assert_eq!(app.db(|s| s.subject_by_key(&firm)).unwrap().unwrap().name, "河源市甲物流有限公司");
    let (_, _, queue) = get_with_cookie(&app, "/console/reviews", &coord).await;
    assert!(queue.contains("已公示记录的修改（第 2 版"), "{queue}");
    let clerk = login(&app).await;
    let (_, _, staff) = get_with_cookie(&app, &format!("/console/records/{id}"), &clerk).await;
    assert!(
        staff.contains("待审核的修改（第 2 版）")
            && staff.contains("罚款20100元")
            && staff.contains("罚款20000元")
            && staff.contains("门户网站仍公示第 1 版"),
        "{staff}"
    );
    let (s, _, _) = send(&app, form_post(&format!("/console/reviews/{id}"), &coord, "action=approve&reason=")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(public_content().await, "罚款20000元");
    // The rename took effect with the approval, and staff see the subject's history.
    assert_eq!(app.db(|s| s.subject_by_key(&firm)).unwrap().unwrap().name, "河源市甲物流（新）有限公司");
    let (_, _, staff) = get_with_cookie(&app, &format!("/console/records/{id}"), &clerk).await;
    assert!(
        staff.contains("主体信息变更记录")
            && staff.contains("首次报送，名称「河源市甲物流有限公司」")
            && staff.contains("名称「河源市甲物流有限公司」→「河源市甲物流（新）有限公司」"),
        "{staff}"
    );
}

/// The (code, count) of every authority the `/disclosures` filter offers.
fn authority_options(page: &str) -> Vec<(String, u64)> {
    let select = page.split("name=\"authority\"").nth(1).unwrap().split("</select>").next().unwrap();
    select
        .split("<option value=\"")
        .skip(2) // before the first option, and 全部
        .map(|o| {
            let code = o.split('"').next().unwrap().to_string();
            let n = o.rsplit_once('（').unwrap().1.split('）').next().unwrap().parse().unwrap();
            (code, n)
        })
        .collect()
}

/// The number of records a `/disclosures` page says it lists.
fn listed(page: &str) -> u64 {
    match page.split("页，共 ").nth(1) {
        Some(rest) => rest.split(' ').next().unwrap().parse().unwrap(),
        None => {
            assert!(page.contains("没有符合条件的记录"), "{page}");
            0
        }
    }
}

async fn public_filter_counts_match_their_results(app: App) {
    use xinjiao_store::suite::{license, penalty};
    // On 2026-11-19: the 2025-11-19 penalty's window has ended (see
    // records_are_public_exactly_inside_their_window); the others are public.
    app.db(|s| {
        s.write_records(
            &ctx(),
            &[
                penalty("河源市窗口运输有限公司", "91110000600037341L", "河交罚〔2025〕77号", "2025-11-19"),
                penalty(
                    "河源市二号运输有限公司",
                    &xinjiao_store::suite::uscc_for(2),
                    "河交罚〔2026〕5号",
                    "2026-10-19",
                ),
                license(
                    "河源市三号运输有限公司",
                    &xinjiao_store::suite::uscc_for(3),
                    "龙交许〔2026〕6号",
                    "2026-10-20",
                ),
            ],
        )
    })
    .unwrap();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let day = router_on(&app, "2026-11-19");
    let mut checked = 0;
    for query in ["", "kind=penalty", "kind=license", "from=2026-10-20", "kind=penalty&to=2026-01-01"] {
        let (s, page) = get_on(&day, &format!("/disclosures?{query}")).await;
        assert_eq!(s, StatusCode::OK);
        let options = authority_options(&page);
        assert_eq!(options.iter().map(|o| o.1).sum::<u64>(), listed(&page), "{query}: the counts add up to the list");
        for (code, n) in options {
            let (_, chosen) = get_on(&day, &format!("/disclosures?{query}&authority={code}")).await;
            assert_eq!(listed(&chosen), n, "{query}, authority {code}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "the filters offered authorities ({checked})");
    // The penalty whose window ended on 2026-11-19 is counted the day before, not after.
    let city = |page: &str| authority_options(page).into_iter().find(|o| o.0 == "11230500001755309F").map(|o| o.1);
    let (_, before) = get_on(&router_on(&app, "2026-11-18"), "/disclosures?kind=penalty").await;
    let (_, after) = get_on(&day, "/disclosures?kind=penalty").await;
    assert_eq!(city(&before).unwrap(), city(&after).unwrap() + 1);
    // The home page's totals are what the lists hold on the same day.
    for d in ["2026-11-18", "2026-11-19"] {
        let r = router_on(&app, d);
        let (_, home) = get_on(&r, "/").await;
        let stats = home.split("已公示：").nth(1).unwrap().split("</p>").next().unwrap().to_string();
        let n = |what: &str| -> u64 {
            stats.split(" · ").find(|p| p.contains(what)).unwrap().split(' ').next().unwrap().trim().parse().unwrap()
        };
        let (_, penalties) = get_on(&r, "/disclosures?kind=penalty").await;
        let (_, licences) = get_on(&r, "/disclosures?kind=license").await;
        assert_eq!(n("条行政处罚"), listed(&penalties), "{d}: {stats}");
        assert_eq!(n("条行政许可"), listed(&licences), "{d}: {stats}");
    }
}

async fn small_things_a_user_notices(app: App) {
    let day = router_on(&app, "2026-11-19");
    let banner = "测试时钟：本站按 2026-11-19 这一天显示";
    // An empty search asks for a query; it does not report "not found".
    let (s, page) = get_on(&day, "/search?q=").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("请输入要查询的企业名称") && !page.contains("没有找到"), "{page}");
    // Error pages carry the installation's banner: an unknown address, a
    // record that does not exist, a query the framework cannot read.
    for uri in ["/no-such-page", "/records/999999", "/disclosures?page=x"] {
        let (s, page) = get_on(&day, uri).await;
        assert!(s.is_client_error(), "{uri}: {s}");
        assert!(page.contains(banner), "{uri}: {page}");
    }
    // GET of a form's POST address leads to the page with the form (and does nothing).
    for (post_only, form) in [
        ("/console/upload", "/console"),
        ("/console/records/5/withdraw", "/console/records/5"),
        ("/console/records/5/reveal", "/console/records/5"),
        ("/console/declarations/upload", "/console/declarations"),
        ("/console/documents/3/publish", "/console/documents"),
        ("/console/objections/2", "/console/objections"),
        ("/console/reviews/settings", "/console/reviews"),
        ("/console/tokens/abc/revoke", "/console/tokens"),
        ("/console/users/clerk/disable", "/console/users"),
        ("/console/logout", "/console"),
        ("/account/logout", "/account"),
    ] {
        let resp = day.clone().oneshot(Request::get(post_only).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{post_only}");
        assert_eq!(resp.headers()[header::LOCATION], form, "{post_only}");
    }
    let clerk = app.db(|s| s.user_by_name("clerk")).unwrap().unwrap();
    assert!(!clerk.disabled, "a GET changed nothing");
}

async fn evaluations_from_the_console_reach_the_portal(app: App) {
    use xinjiao_store::suite::{penalty, uscc_for};
    // A penalty road-transport maps (超限运输: -5), decided in 2025.
    let firm = uscc_for(31);
    app.db(|s| {
        s.write_records(&ctx(), &[penalty("河源市评价运输有限公司", &firm, "河交罚〔2025〕31号", "2025-12-01")])
    })
    .unwrap();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let clerk = login(&app).await;
    let coord = login_as(&app, "coord").await;
    // As of the test clock's day (the penalty was stored that day: the day
    // after the cycle, the default, knew nothing of it).
    let form = "scheme=road-transport&cycle=2025&as_of=2026-11-18";
    assert_eq!(
        send(&app, form_post("/console/evaluations", &clerk, form)).await.0,
        StatusCode::FORBIDDEN,
        "clerks do not run evaluations"
    );
    let (s, _, page) =
        send(&app, form_post("/console/evaluations", &coord, "scheme=road-transport&cycle=1999&as_of=")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("评价周期“1999”无效"), "{page}");
    let (s, h, _) = send(&app, form_post("/console/evaluations", &coord, form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let run = h[header::LOCATION].to_str().unwrap().to_string();
    let (s, _, results) = get_with_cookie(&app, &run, &coord).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        results.contains(&firm)
            && results.contains(">95<")
            && results.contains("超限运输（-5 分，<a href=\"/console/records/"),
        "the staff's explanation links each item to its record: {results}"
    );
    // The portal: the grade on the profile with the item that lowered it, in the API and the results page.
    let (_, profile) = get(&app, &format!("/subjects/{firm}")).await;
    assert!(
        profile.contains("信用评价") && profile.contains("道路运输经营者信用评价") && profile.contains(">AA<"),
        "{profile}"
    );
    assert!(profile.contains("超限运输（-5 分，河交罚〔2025〕31号") && profile.contains("初评公示中"), "{profile}");
    let (s, api) = get(&app, &format!("/api/v1/subjects/{firm}/evaluations")).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    let e = &v["evaluations"][0];
    assert_eq!(
        (e["scheme"].as_str(), e["cycle"].as_i64(), e["grade"].as_str(), e["score"].as_f64()),
        (Some("road-transport"), Some(2025), Some("AA"), Some(95.0))
    );
    assert_eq!(
        (e["status"].as_str(), e["lowered_by"][0]["source"].as_str()),
        (Some("preliminary"), Some("河交罚〔2025〕31号"))
    );
    assert_eq!(get(&app, "/api/v1/subjects/91350100M000100Y99/evaluations").await.0, StatusCode::NOT_FOUND);
    let (s, public) = get(&app, &run.replace("/console", "")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        public.contains("道路运输经营者信用评价 · 2025 年度") && public.contains("<svg") && public.contains(&firm),
        "{public}"
    );
    let (_, index) = get(&app, "/evaluations").await;
    assert!(index.contains("道路运输经营者信用评价 · 2025 年度"));

    // Credit-event files: coordinators upload them; clerks are refused, in the console and the API.
    let file = format!(
        "主体代码,主体名称,评价体系,事项代码,分值,发生日期,依据\n{firm},河源市评价运输有限公司,road-transport,RT-B01,3,2025-10-01,河交表〔2025〕8号\n{firm},河源市评价运输有限公司,road-transport,RT-B01,,2025-10-02,河交表〔2025〕9号\n"
    );
    let upload = |cookie: &str| {
        let (ct, body) = multipart("x", "信用事件.csv", file.as_bytes());
        Request::post("/console/evaluations/events")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    assert_eq!(send(&app, upload(&clerk)).await.0, StatusCode::FORBIDDEN);
    let (s, _, page) = send(&app, upload(&coord)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "one row rejected");
    assert!(
        page.contains("事项“受到县级以上交通运输主管部门表彰”的「分值」须填写")
            && page.contains("<td>3</td><td>分值</td>"),
        "{page}"
    );
    assert_eq!(app.db(|s| s.credit_events("road-transport")).unwrap().len(), 1, "the valid row stored");
    let api = |token: &str| {
        Request::post("/api/v1/imports/credit-events?dry_run=true")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(file.clone()))
            .unwrap()
    };
    let (clerk_token, coord_token) = (auth::new_token(), auth::new_token());
    for (name, token) in [("clerk", &clerk_token), ("coord", &coord_token)] {
        let uid = app.db(move |s| s.user_by_name(name)).unwrap().unwrap().id;
        let hash = auth::token_hash(token);
        app.db(move |s| s.create_api_token(&ctx(), &hash, uid, "评价系统", None)).unwrap();
    }
    let (s, _, body) = send(&app, api(&clerk_token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _, body) = send(&app, api(&coord_token)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((r["rows"].as_u64(), r["accepted"].as_u64(), r["rejected"].as_u64()), (Some(2), Some(1), Some(1)));
    assert_eq!(r["diagnostics"][0]["code"].as_str(), Some("points.required"));

    // The subject sees its grade with every item and objects during the comment period.
    let record = app
        .db(|s| s.list_records(&xinjiao_store::RecordFilter::default(), xinjiao_store::PageRequest::new(1, 50)))
        .unwrap()
        .items
        .into_iter()
        .find(|r| r.decision_no == "河交罚〔2025〕31号")
        .unwrap()
        .id;
    let (_, _, notice) = send(&app, form_post(&format!("/console/records/{record}/notice"), &coord, "")).await;
    let code = notice.split("id=\"claim-code\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let body = format!("identity={firm}&code={}&password=a-long-password&password2=a-long-password", enc(&code));
    let req = Request::post("/account/claim")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (_, h, _) = send(&app, req).await;
    let subject = h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(
        mine.contains("我的信用评价")
            && mine.contains("超限运输（-5 分，河交罚〔2025〕31号")
            && mine.contains("提出异议</button>"),
        "{mine}"
    );
    let run_id = run.rsplit('/').next().unwrap();
    let objection = format!("/account/evaluations/{run_id}/objection");
    assert_eq!(send(&app, form_post(&objection, &subject, "reasons=短")).await.0, StatusCode::BAD_REQUEST);
    let long = format!("reasons={}", "长".repeat(2_001));
    assert_eq!(
        send(&app, form_post(&objection, &subject, &long)).await.0,
        StatusCode::BAD_REQUEST,
        "2,000 characters at most"
    );
    // Nobody else objects: without a subject's login, or as a subject with no result in the run.
    let reasons_ok = format!("reasons={}", enc("理由足够长的异议"));
    let (s, _, _) = send(
        &app,
        Request::post(&objection)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(reasons_ok.clone()))
            .unwrap(),
    )
    .await;
    assert!(s == StatusCode::SEE_OTHER || s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED, "{s}");
    assert!(app.db(|s| s.result_objections(None, false)).unwrap().is_empty(), "nothing filed without a login");
    assert_eq!(
        send(&app, form_post("/account/evaluations/999999/objection", &subject, &reasons_ok)).await.0,
        StatusCode::NOT_FOUND
    );
    // And without a login nobody runs an evaluation or imports credit events.
    let (s, h, _) = send(&app, Request::post("/console/evaluations").body(Body::from(form)).unwrap()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    let (s, _, _) =
        send(&app, Request::post("/api/v1/imports/credit-events").body(Body::from(file.clone())).unwrap()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let reasons = format!("reasons={}", enc("该处罚已被行政复议撤销，不应扣分"));
    assert_eq!(send(&app, form_post(&objection, &subject, &reasons)).await.0, StatusCode::SEE_OTHER);
    let (s, _, page) = send(&app, form_post(&objection, &subject, &reasons)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "one open objection at a time");
    assert!(page.contains("已有正在处理的异议"), "{page}");
    // Staff see it, with its deadline; a clerk may not act; the coordinator acknowledges and decides.
    let (_, _, list) = get_with_cookie(&app, "/console/evaluations/objections", &coord).await;
    assert!(
        list.contains("该处罚已被行政复议撤销") && list.contains("已提交，待受理") && list.contains("受理 2026-11-"),
        "{list}"
    );
    let id = app.db(|s| s.result_objections(None, true)).unwrap()[0].id;
    let act = format!("/console/evaluations/objections/{id}");
    assert_eq!(send(&app, form_post(&act, &clerk, "action=acknowledge")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, form_post(&act, &coord, "action=acknowledge")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, form_post(&act, &coord, "action=reject&reason=")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let decide = format!("action=reject&reason={}", enc("经核查，复议维持原处罚决定"));
    assert_eq!(send(&app, form_post(&act, &coord, &decide)).await.0, StatusCode::SEE_OTHER);
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains("异议：异议不成立（经核查，复议维持原处罚决定）"), "{mine}");
    // Dynamic evaluation: a serious act (严重违法超限运输) changes the grade
    // at once, before any run; the profile and the API say so.
    let serious_firm = uscc_for(32);
    let mut fields = xinjiao_core::FieldValues::new();
    for (k, v) in [
        ("CF_XDR_MC", "河源市严重超限运输有限公司"),
        ("CF_XDR_LB", "法人及非法人组织"),
        ("CF_XDR_SHXYM", serious_firm.as_str()),
        ("CF_WSH", "河交罚〔2026〕32号"),
        ("CF_WFXW", "严重违法超限运输"),
        ("CF_SY", "一年内违法超限运输超过3次"),
        ("CF_YJ", "《公路安全保护条例》第六十六条"),
        ("CF_CFLB", "吊销许可证件"),
        ("CF_NR", "吊销道路运输证"),
        ("CF_NR_ZKDX", "道路运输证 粤交运管河字000000032号"),
        ("CF_JDRQ", "2026-11-10"),
        ("CF_YXQ", "2027-11-10"),
        ("CF_CFJG", "河源市交通运输局"),
        ("CF_CFJGDM", "11230500001755309F"),
        ("CF_SJLY", "河源市交通运输局"),
        ("CF_SJLYDM", "11230500001755309F"),
    ] {
        fields.insert(xinjiao_core::RecordKind::Penalty.field(k).unwrap().code, v.to_string());
    }
    let rec = xinjiao_core::parse_record(
        xinjiao_core::RecordKind::Penalty,
        &fields,
        &xinjiao_core::ParseContext { today: "2026-11-18".parse().unwrap() },
    )
    .unwrap();
    app.db(move |s| s.write_records(&ctx(), &[rec])).unwrap();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let (_, profile) = get(&app, &format!("/subjects/{serious_firm}")).await;
    assert!(profile.contains("动态评价：严重失信行为即时生效") && profile.contains(">D<"), "{profile}");
    assert!(profile.contains("直接评为 D，至 2027-11-10"), "the penalty's duration: {profile}");
    let (_, api) = get(&app, &format!("/api/v1/subjects/{serious_firm}/evaluations")).await;
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(
        (v["evaluations"][0]["status"].as_str(), v["evaluations"][0]["grade"].as_str()),
        (Some("dynamic"), Some("D"))
    );
}

/// A coordinator plans a draw and runs it from the console (a clerk may do
/// neither); the portal shows the plan, then the revealed secret and the
/// drawn subjects; the API's JSON recomputes; a second run is refused.
async fn draws_from_the_console_are_public_and_checkable(app: App) {
    use xinjiao_store::suite::{license, uscc_for};
    // The matter belongs to the clerk's department (who enters results).
    let clerk_dept = app.db(|s| s.user_by_name("clerk")).unwrap().unwrap().department_id.unwrap();
    let dept = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.id == clerk_dept).unwrap();
    let clerk_ctx = ctx().in_department(Some(dept.id));
    let licences: Vec<_> =
        (40..52).map(|i| license("河源市抽查运输有限公司", &uscc_for(i), &format!("许抽{i}"), "2026-01-05")).collect();
    app.db(|s| s.write_records(&clerk_ctx, &licences)).unwrap();
    app.db(|s| {
        s.save_matter(
            &ctx(),
            &xinjiao_store::NewMatter {
                code: "HY-SJ-09".into(),
                name: "道路运输经营行为检查".into(),
                department_id: dept.id,
                legal_basis: "《道路运输条例》".into(),
                scheme: "road-transport".into(),
                priority: "general".into(),
                times_a_year: 1,
            },
        )?;
        let i = |c: &str| xinjiao_store::Inspector {
            certificate: c.into(),
            name: "执法员".into(),
            department_id: dept.id,
            active: true,
        };
        s.save_inspectors(&ctx(), &[i("粤交执-11"), i("粤交执-12"), i("粤交执-13")])
    })
    .unwrap();
    let clerk = login(&app).await;
    let coord = login_as(&app, "coord").await;
    let form = "matter=HY-SJ-09&as_of=2026-11-18&shares=none%3D50&inspectors=2&public_value_source=2026-11-20+%E5%8F%8C%E8%89%B2%E7%90%83";
    assert_eq!(send(&app, form_post("/console/inspections", &clerk, form)).await.0, StatusCode::FORBIDDEN);
    // Without a staff login (none, or a forged session): to the login page, nothing planned.
    for cookie in ["", "xj_session=forged"] {
        let (s, h, _) = send(&app, form_post("/console/inspections", cookie, form)).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    }
    assert!(app.db(|s| s.draws()).unwrap().is_empty());
    let (s, _, page) =
        send(&app, form_post("/console/inspections", &coord, &form.replace("none%3D50", "none%3D1"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "below the rules' range");
    assert!(page.contains("超出规则允许的范围"), "{page}");
    let (s, h, _) = send(&app, form_post("/console/inspections", &coord, form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let url = h[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let (s, plan) = get(&app, &url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        plan.contains("尚未抽取") && plan.contains("12 个主体") && plan.contains("50%") && plan.contains("本计划调整"),
        "{plan}"
    );
    let run = format!("/console/inspections/draws/{id}/run");
    assert_eq!(send(&app, form_post(&run, &clerk, "public_value=1+2+3")).await.0, StatusCode::FORBIDDEN);
    let (s, _, _) = send(&app, form_post(&run, &coord, "public_value=05+11+17+22+28+33+%2B+07")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, done) = get(&app, &url).await;
    assert!(
        done.contains("05 11 17 22 28 33 + 07") && done.contains("秘密值（已揭示）") && done.contains("粤交执-1"),
        "{done}"
    );
    let (s, api) = get(&app, &format!("/api/v1/draws/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(v["drawn"].as_array().unwrap().len(), 6, "50 % of 12 ungraded subjects");
    assert_eq!(xinjiao_import::draws::verify_draw(api.as_bytes()), Ok(6));
    let (s, _, page) = send(&app, form_post(&run, &coord, "public_value=9")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不能重新抽取"), "{page}");
    // The department's clerk enters a result (masked where public); another department's staff may not.
    let code = v["drawn"][0]["subject"].as_str().unwrap().to_string();
    let console = format!("/console/inspections/draws/{id}");
    let body = format!(
        "subject={code}&outcome=rectification&inspected_on=2026-11-18&findings=%E5%B8%B8%E9%A9%BB%E8%81%94%E7%B3%BB%E4%BA%BA13812345678"
    );
    let (s, _, page) = send(&app, form_post(&console, &clerk, &body.replace("&findings=", "&x="))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "findings are required when something was found");
    assert!(page.contains("须写明发现的问题"), "{page}");
    let county = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "DY-JTJ").unwrap().id;
    let hash = auth::hash_password(PASSWORD).unwrap();
    app.db(|s| s.create_user(&ctx(), "county", "赵县局", Role::Clerk, &hash, Some(county))).unwrap();
    let other = login_as(&app, "county").await;
    assert_eq!(send(&app, form_post(&console, &other, &body)).await.0, StatusCode::FORBIDDEN, "another department");
    assert_eq!(send(&app, form_post(&run, &other, "public_value=1")).await.0, StatusCode::FORBIDDEN);
    for (uri, form) in [(&console, body.as_str()), (&run, "public_value=1")] {
        let (s, h, _) = send(&app, form_post(uri, "", form)).await;
        assert!(s == StatusCode::SEE_OTHER && h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    }
    assert!(app.db(|s| s.inspection_results(id)).unwrap().is_empty(), "nothing entered without a login");
    let (s, _, _) = send(&app, form_post(&console, &clerk, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, done) = get(&app, &url).await;
    assert!(
        done.contains("发现问题，责令整改") && !done.contains("13812345678") && done.contains("138****5678"),
        "{done}"
    );
    let (_, api) = get(&app, &format!("/api/v1/draws/{id}")).await;
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(
        (v["results"][0]["outcome"].as_str(), v["results"][0]["late"].as_bool()),
        (Some("rectification"), Some(false))
    );
    assert!(!api.contains("13812345678"));
    let (s, _, _) = send(&app, form_post(&console, &clerk, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a result is entered once");
    let (_, list) = get(&app, "/api/v1/draws").await;
    assert!(list.contains("HY-SJ-09"));
    let (_, index) = get(&app, "/inspections").await;
    assert!(index.contains("道路运输经营行为检查") && index.contains("抽中 6 个"), "{index}");
    assert_eq!(get(&app, "/inspections/draws/999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/api/v1/draws/999").await.0, StatusCode::NOT_FOUND);
}

/// What the local WeCom receiver saw: (status answered, request body).
type Seen = Arc<std::sync::Mutex<Vec<(u16, String)>>>;

/// A local stand-in for a WeCom group robot: answers HTTP 500 to the first
/// `failures` requests, then `{"errcode":0}`; returns the request bodies.
fn wecom_receiver(failures: usize) -> (String, Seen) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/cgi-bin/webhook/send?key=test-key-123456", listener.local_addr().unwrap());
    let seen: Seen = Default::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut log = log.lock().unwrap();
            let status = if log.len() < failures { 500 } else { 200 };
            log.push((status, String::from_utf8(body).unwrap()));
            let answer = if status == 200 { r#"{"errcode":0,"errmsg":"ok"}"# } else { "busy" };
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, seen)
}

/// A local SMTP sink: accepts every message; returns each session's envelope and data.
fn smtp_sink() -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let log = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut session = String::new();
            write!(conn, "220 sink ESMTP\r\n").unwrap();
            let mut in_data = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                session.push_str(&line);
                let reply = if in_data {
                    if line != ".\r\n" {
                        continue;
                    }
                    in_data = false;
                    "250 queued\r\n"
                } else {
                    match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                        "EHLO" => "250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            in_data = true;
                            "354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write!(conn, "221 bye\r\n");
                            break;
                        }
                        _ => "250 OK\r\n",
                    }
                };
                write!(conn, "{reply}").unwrap();
            }
            log.lock().unwrap().push(session);
        }
    });
    (port, got)
}

async fn warnings_reach_their_department_and_reminders_leave_once(app: App) {
    use xinjiao_web::monitoring::jobs::{deliver_due, run_due_days};
    let st = app.state.clone().unwrap();
    let (_, wzcl) = {
        let d = app.db(|s| s.departments()).unwrap();
        (d.iter().find(|d| d.code == "HY-ZCFG").unwrap().id, d.iter().find(|d| d.code == "HY-WZCL").unwrap().id)
    };
    // Three penalties of one subject within a year, by the department's clerk.
    let clerk_ctx =
        WriteContext::new("clerk", Timestamp::from_second(1_780_000_000).unwrap(), "上传").in_department(Some(wzcl));
    let penalties: Vec<_> = (1..=3)
        .map(|i| {
            xinjiao_store::suite::penalty(
                "河源市快运物流有限公司",
                &xinjiao_store::suite::uscc_for(40),
                &format!("河交罚〔2026〕4{i}号"),
                &format!("2026-0{}-10", i + 3),
            )
        })
        .collect();
    app.db(|s| s.write_records(&clerk_ctx, &penalties)).unwrap();
    let day1: xinjiao_core::Date = "2026-11-18".parse().unwrap();
    let day2: xinjiao_core::Date = "2026-11-19".parse().unwrap();

    // Day 1: no channels yet, so no reminders; the warning is raised once.
    assert_eq!(
        tokio::task::block_in_place(|| run_due_days(&st, &**app.store.as_ref().unwrap(), day1)).unwrap(),
        [day1]
    );
    let warnings = || app.db(|s| s.warnings(&xinjiao_store::WarningFilter::default(), 100)).unwrap();
    let ours: Vec<_> =
        warnings().into_iter().filter(|w| w.department_id == Some(wzcl) && w.rule == "penalties").collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    let total = warnings().len();
    assert!(app.db(|s| s.messages(10)).unwrap().is_empty());
    // A restart later the same day: nothing is due, nothing repeated.
    assert!(
        tokio::task::block_in_place(|| run_due_days(&st, &**app.store.as_ref().unwrap(), day1)).unwrap().is_empty()
    );
    assert_eq!(warnings().len(), total);

    // The administrator sets the department's channels (nobody else may).
    let (webhook, received) = wecom_receiver(2);
    let (smtp_port, mails) = smtp_sink();
    let admin = login_as(&app, "admin").await;
    let clerk = login_as(&app, "clerk").await;
    let set = format!("department={wzcl}&wecom_webhook={}&email_to=ops%40example.cn", enc(&webhook));
    assert_eq!(send(&app, form_post("/console/reminders", &clerk, &set)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(get_with_cookie(&app, "/console/reminders", &clerk).await.0, StatusCode::FORBIDDEN);
    let (s, h, _) = send(&app, form_post("/console/reminders", "", &set)).await;
    assert!(s == StatusCode::SEE_OTHER && h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    assert!(app.db(|s| s.channels()).unwrap().is_empty());
    let bad = format!("department={wzcl}&wecom_webhook=ftp%3A%2F%2Fx&email_to=%E5%9D%8F");
    let (s, _, page) = send(&app, form_post("/console/reminders", &admin, &bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Webhook 地址应以 https:// 开头") && page.contains("收件人地址“坏”无效"), "{page}");
    assert_eq!(send(&app, form_post("/console/reminders", &admin, &set)).await.0, StatusCode::SEE_OTHER);

    // Day 2: the server stops after storing the warnings and queueing (a
    // crash before the day is recorded); after the restart the day runs
    // again and neither the warnings nor the digests are repeated.
    let store = app.store.clone().unwrap();
    tokio::task::block_in_place(|| {
        let rules = st.rules.read().unwrap().warnings.clone();
        let facts = xinjiao_store::monitoring::gather_facts(
            &*store,
            &rules,
            &xinjiao_core::evaluation::scheme::Scheme::embedded(),
            day2,
        )
        .unwrap();
        let raised = xinjiao_core::monitoring::warnings::evaluate(
            &rules,
            &facts,
            day2,
            &xinjiao_core::calendar::Calendar::embedded(),
        );
        let ctx = WriteContext::new("system", st.now(), "每日信用风险预警");
        store.save_warnings(&ctx, day2, &raised).unwrap();
        store.enqueue(&ctx, &xinjiao_web::monitoring::jobs::digests(&st, &*store, day2).unwrap()).unwrap();
    });
    assert_eq!(tokio::task::block_in_place(|| run_due_days(&st, &*store, day2)).unwrap(), [day2]);
    assert_eq!(warnings().len(), total, "the same occasions on day 2");
    let queued = app.db(|s| s.messages(10)).unwrap();
    assert_eq!(queued.len(), 2, "one digest per channel: {queued:?}");
    assert!(queued.iter().all(|m| m.body.contains("信用风险预警待签收")), "{queued:?}");
    assert_eq!(app.db(|s| s.monitoring_days(10)).unwrap().len(), 2);

    // Delivery: the robot fails twice, then takes the message; the mail goes at once.
    let sender = xinjiao_notify::Sender::new(Some(&xinjiao_notify::Smtp {
        url: format!("smtp://127.0.0.1:{smtp_port}"),
        from: "信交 <xinjiao@localhost>".into(),
    }))
    .unwrap();
    let t0 = st.now();
    let at = |s: i64| Timestamp::from_second(t0.as_second() + s).unwrap();
    let deliver = |s: i64| tokio::task::block_in_place(|| deliver_due(&st, &*store, &sender, at(s))).unwrap();
    assert_eq!(deliver(0), 1, "the mail");
    assert_eq!(deliver(29), 0, "the robot's retry waits 30 s");
    assert_eq!(deliver(30), 0, "second failure");
    assert_eq!(deliver(89), 0, "then 60 s");
    assert_eq!(deliver(90), 1, "third attempt delivered");
    assert_eq!(deliver(100_000), 0, "nothing is sent twice");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [500, 500, 200]);
    let v: serde_json::Value = serde_json::from_str(&got[2].1).unwrap();
    assert_eq!(v["msgtype"], "markdown");
    let content = v["markdown"]["content"].as_str().unwrap();
    assert!(content.contains("信交每日提醒") && content.contains("https://xinyong.example.test/console"), "{content}");
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("RCPT TO:<ops@example.cn>") && mails[0].contains("Subject:"), "{}", mails[0]);
    let sent = app.db(|s| s.messages(10)).unwrap();
    assert!(sent.iter().all(|m| m.state == "sent"), "{sent:?}");
    assert_eq!(sent.iter().map(|m| m.attempts).sum::<u32>(), 4);
    let (_, page) = (
        get_with_cookie(&app, "/console/reminders", &admin).await.0,
        get_with_cookie(&app, "/console/reminders", &admin).await.2,
    );
    assert!(page.contains("已送达") && page.contains("test…3456") && !page.contains("test-key-123456"), "{page}");
    // Resending is the administrators' (and only of a failed or uncertain message).
    let requeue = format!("/console/reminders/outbox/{}/requeue", sent[0].id);
    assert_eq!(send(&app, form_post(&requeue, &clerk, "")).await.0, StatusCode::FORBIDDEN);
    let (s, h, _) = send(&app, form_post(&requeue, "", "")).await;
    assert!(s == StatusCode::SEE_OTHER && h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    let (s, _, page) = send(&app, form_post(&requeue, &admin, "")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("只有发送失败或未确认送达的消息可以重新发送"), "{page}");
    assert!(app.db(|s| s.messages(10)).unwrap().iter().all(|m| m.state == "sent"));

    // The department acknowledges and answers; another department may not.
    let w = ours[0].id;
    let county = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "DY-JTJ").unwrap().id;
    let hash = auth::hash_password(PASSWORD).unwrap();
    app.db(|s| s.create_user(&ctx(), "county", "赵县局", Role::Clerk, &hash, Some(county))).unwrap();
    let other = login_as(&app, "county").await;
    let (_, _, list) = get_with_cookie(&app, "/console/warnings?state=open", &clerk).await;
    assert!(list.contains("河源市快运物流有限公司") && list.contains("12个月内多次受到行政处罚"), "{list}");
    let (_, _, theirs) = get_with_cookie(&app, "/console/warnings", &other).await;
    assert!(!theirs.contains("河源市快运物流有限公司"), "another department's list");
    let ack = format!("/console/warnings/{w}/acknowledge");
    let fb = format!("/console/warnings/{w}/feedback");
    assert_eq!(send(&app, form_post(&ack, &other, "")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(get_with_cookie(&app, &format!("/console/warnings/{w}"), &other).await.0, StatusCode::FORBIDDEN);
    let (s, h, _) = send(&app, form_post(&ack, "", "")).await;
    assert!(s == StatusCode::SEE_OTHER && h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    let (s, _, page) = send(&app, form_post(&fb, &clerk, "feedback=%E5%B7%B2%E7%BA%A6%E8%B0%88")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "acknowledged first");
    assert!(page.contains("请先签收"), "{page}");
    assert_eq!(send(&app, form_post(&ack, &clerk, "")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(send(&app, form_post(&fb, &other, "feedback=x")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, form_post(&fb, &clerk, "feedback=")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        send(&app, form_post(&fb, &clerk, "feedback=%E5%B7%B2%E7%BA%A6%E8%B0%88")).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, _, page) = get_with_cookie(&app, &format!("/console/warnings/{w}"), &clerk).await;
    assert!(page.contains("已反馈") && page.contains("已约谈"), "{page}");

    // The subject sees the warning and the feedback in its account; the coordinator sees the daily runs.
    let subject = app.db(|s| s.subject_by_key(&xinjiao_store::suite::uscc_for(40))).unwrap().unwrap();
    let token = auth::new_token();
    let until = Timestamp::from_second(1_795_000_000 + 3600).unwrap();
    app.db(|s| s.create_subject_session(&auth::token_hash(&token), subject.id, until)).unwrap();
    let (_, _, account) = get_with_cookie(&app, "/account", &format!("xj_subject={token}")).await;
    assert!(account.contains("关于本主体的信用风险预警") && account.contains("部门反馈：已约谈"), "{account}");
    let coord = login_as(&app, "coord").await;
    let (_, _, runs) = get_with_cookie(&app, "/console/warnings", &coord).await;
    assert!(runs.contains("每日监测运行") && runs.contains("2026-11-19"), "{runs}");
}

async fn post_json(router: &Router, uri: &str, token: Option<&str>, body: &str) -> (StatusCode, serde_json::Value) {
    let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = router.clone().oneshot(b.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

/// A department proposes a firm for the transport list with evidence; only
/// a coordinator reviews it; the notice is public; another department, a
/// clerk and nobody are refused; after the notice the entry is confirmed,
/// and partners check the firm through the API: measures with reasons, a
/// receipt that verifies (and fails when changed), scenarios a token may not
/// ask refused, every answer audited.
async fn lists_and_credit_checks_from_the_console_and_the_api(app: App) {
    use xinjiao_core::signed_note::NoteVerifier;
    const SHUNDA: &str = "91350100M000100Y43";
    let dy = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "DY-JTJ").unwrap().id;
    let hash = auth::hash_password(PASSWORD).unwrap();
    app.db(|s| s.create_user(&ctx(), "dy1", "东源报送", Role::Clerk, &hash, Some(dy))).unwrap();
    let clerk = login(&app).await;
    // A proposal on a criterion the platform cannot compute needs evidence.
    let form = |evidence: &str| {
        format!(
            "origin=proposed&criterion=2&party_type=enterprise&party={SHUNDA}&party_name={}&grounds={}&evidence={}",
            enc("河源市顺达运输有限公司"),
            enc("以他人名义投标，弄虚作假骗取中标"),
            enc(evidence)
        )
    };
    let (s, _, page) = send(&app, form_post("/console/lists/transport/propose", &clerk, &form(""))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请列明证据"), "names what is missing");
    // Nobody without a staff login proposes.
    let (s, h, _) = send(
        &app,
        Request::post("/console/lists/transport/propose")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form("河交罚〔2026〕88号行政处罚决定书")))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    assert!(app.db(|s| s.entries(&Default::default(), 10)).unwrap().is_empty(), "nothing proposed");
    let (s, h, _) =
        send(&app, form_post("/console/lists/transport/propose", &clerk, &form("河交罚〔2026〕88号行政处罚决定书")))
            .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let at = h[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    // Only a coordinator reviews; nobody without a login; not another department's clerk.
    let (s, _, _) = send(&app, form_post(&format!("{at}/act"), &clerk, "action=approve")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, h, _) = send(&app, Request::post(format!("{at}/act")).body(Body::from("action=approve")).unwrap()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    let coord = login_as(&app, "coord").await;
    let (s, _, _) = send(&app, form_post(&format!("{at}/act"), &coord, "action=approve")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, public) = get(&app, "/lists/transport").await;
    let notices = public.split("id=\"notices\"").nth(1).expect("a notice").split("</table>").next().unwrap();
    assert!(notices.contains("河源市顺达运输有限公司") && notices.contains("2026-11-18 至 2026-12-02"), "{notices}");
    // The party itself objects from its account during the notice; another subject may not.
    let wzcl = app.db(|s| s.departments()).unwrap().into_iter().find(|d| d.code == "HY-WZCL").unwrap().id;
    let w = WriteContext::new("wz1", Timestamp::from_second(1_795_000_000).unwrap(), "上传").in_department(Some(wzcl));
    let rid = app
        .db(|s| {
            s.write_records(
                &w,
                &[xinjiao_store::suite::penalty("河源市顺达运输有限公司", SHUNDA, "河交罚〔2026〕77号", "2026-11-02")],
            )
        })
        .unwrap()[0]
        .record_id();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let subject = claimed_subject(&app, rid, SHUNDA).await;
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(
        mine.contains(&format!("/account/lists/{id}/objection")) && mine.contains("公示中"),
        "the account offers the objection"
    );
    let objection = |reasons: &str| format!("reasons={}", enc(reasons));
    let (s, h, _) = send(
        &app,
        form_post(&format!("/account/lists/{id}/objection"), &subject, &objection("所涉投标由他人冒用本公司名义")),
    )
    .await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/account?lists=objected"));
    let (s, _, _) = send(&app, form_post(&format!("/account/lists/{id}/objection"), &subject, &objection("短"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "too short a reason");
    let other = app
        .db(|s| {
            s.write_records(
                &w,
                &[xinjiao_store::suite::penalty(
                    "龙川县顺达货运有限公司",
                    "91110108551385082Q",
                    "河交罚〔2026〕78号",
                    "2026-11-02",
                )],
            )
        })
        .unwrap()[0]
        .record_id();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    let stranger = claimed_subject(&app, other, "91110108551385082Q").await;
    let (s, _, _) =
        send(&app, form_post(&format!("/account/lists/{id}/objection"), &stranger, &objection("与我无关但要反对")))
            .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not the party's entry");
    let dy1 = login_as(&app, "dy1").await;
    let (s, _, _) = send(
        &app,
        form_post(&format!("{at}/objections"), &dy1, &format!("objector=x&reasons={}", enc("不是本公司所为"))),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another department");
    let (s, _, _) = send(
        &app,
        form_post(
            &format!("{at}/objections"),
            &clerk,
            &format!("objector={}&reasons={}", enc("顺达"), enc("不是本公司所为")),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "the proposing department records one");
    let objections = app.db(|s| s.list_objections(Some(id))).unwrap();
    assert_eq!(objections.iter().map(|o| o.filed_via.as_str()).collect::<Vec<_>>(), ["account", "staff"]);
    for o in objections.iter().map(|o| o.id) {
        for action in ["acknowledge", "reject&reason=%E7%BB%8F%E6%A0%B8%E5%AE%9E"] {
            let (s, _, _) =
                send(&app, form_post(&format!("/console/lists/objections/{o}/act"), &dy1, &format!("action={action}")))
                    .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
            let (s, _, _) = send(
                &app,
                form_post(&format!("/console/lists/objections/{o}/act"), &clerk, &format!("action={action}")),
            )
            .await;
            assert_eq!(s, StatusCode::SEE_OTHER);
        }
    }
    // Confirmed after the notice (2 December).
    let cal = xinjiao_core::calendar::Calendar::embedded();
    let on: xinjiao_core::Date = "2026-12-03".parse().unwrap();
    app.db(|s| s.act_on_entry(&ctx(), id, &xinjiao_core::lists::entries::EntryAction::Confirm, on, &cal)).unwrap();
    let later = router_on(&app, "2026-12-03");
    let (_, profile) = get_on(&later, &format!("/subjects/{SHUNDA}")).await;
    assert!(
        profile.contains("交通运输领域严重失信主体名单") && profile.contains("限制参与交通运输工程招标投标和政府采购"),
        "measures on the profile"
    );
    // The export: coordinators only, with a purpose.
    assert_eq!(
        send(&app, get_req_with_cookie("/console/lists/transport/export?purpose=x1&format=csv", &clerk)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, get_req_with_cookie("/console/lists/transport/export?format=csv", &coord)).await.0,
        StatusCode::BAD_REQUEST
    );
    let (s, h, csv) = send(
        &app,
        get_req_with_cookie(&format!("/console/lists/transport/export?format=csv&purpose={}", enc("报送省厅")), &coord),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv") && csv.contains(SHUNDA));
    let (s, _, xlsx) = send(
        &app,
        get_req_with_cookie(&format!("/console/lists/transport/export?purpose={}", enc("报送省厅")), &coord),
    )
    .await;
    assert!(s == StatusCode::OK && xlsx.starts_with("PK"));

    // Administrators register partners on the console; the token is shown once.
    assert_eq!(get_with_cookie(&app, "/console/partners", &coord).await.0, StatusCode::FORBIDDEN);
    let (s, _, _) = send(&app, form_post("/console/partners", &clerk, "name=x&scenario=xinyidai&days=30")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let admin = login_as(&app, "admin").await;
    let (s, _, page) = send(&app, form_post("/console/partners", &admin, "name=x&days=30")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请至少选择一个核查场景"));
    let (s, _, page) = send(
        &app,
        form_post(
            "/console/partners",
            &admin,
            &format!("name={}&scenario=bidding&scenario=honours&days=30", enc("某招标平台")),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let shown = page.split("id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let (s, a) = post_json(
        &later,
        "/api/v1/credit-checks",
        Some(&shown),
        &format!(r#"{{"subject": "{SHUNDA}", "scenario": "bidding"}}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a["measures"][0]["code"], "bidding-restriction");
    let platform = app.db(|s| s.partners()).unwrap()[0].id;
    let (s, _, _) = send(&app, form_post(&format!("/console/partners/{platform}/revoke"), &admin, "")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = post_json(
        &later,
        "/api/v1/credit-checks",
        Some(&shown),
        &format!(r#"{{"subject": "{SHUNDA}", "scenario": "bidding"}}"#),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "revoked on the console");

    // Partners: a bank may ask 信易贷 only.
    let bank = auth::new_token();
    let expires = Timestamp::from_second(1_900_000_000).unwrap();
    let pid = app
        .db(|s| {
            s.create_partner(
                &ctx(),
                &xinjiao_store::NewPartner {
                    name: "某银行".into(),
                    scenarios: vec!["xinyidai".into()],
                    token_hash: auth::token_hash(&bank),
                    expires_at: expires,
                },
            )
        })
        .unwrap();
    let (s, a) = post_json(
        &later,
        "/api/v1/credit-checks",
        Some(&bank),
        &format!(r#"{{"subject": "{SHUNDA}", "scenario": "xinyidai"}}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!((a["subject"].as_str(), a["scenario"].as_str()), (Some(SHUNDA), Some("xinyidai")));
    let m = &a["measures"][0];
    assert_eq!((m["code"].as_str(), m["kind"].as_str()), (Some("loan-caution"), Some("punishment")));
    assert!(
        m["basis"].as_str().unwrap().contains("信易贷")
            && m["reason"].as_str().unwrap().contains(&format!("第 {id} 号"))
    );
    assert_eq!(a["lists"][0]["list"], "transport");
    assert!(a.get("penalties_public").is_none(), "信易贷 does not see penalties");
    // The lists as JSON, as the portal shows them on the day.
    let (s, body) = get_on(&later, "/api/v1/lists/transport/entries").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((v["listed"][0]["id"].as_i64(), v["listed"][0]["party"].as_str()), (Some(id), Some(SHUNDA)));
    assert_eq!(v["listed"][0]["shown_until"], "2029-12-02");
    assert_eq!(get_on(&later, "/api/v1/lists/nosuch/entries").await.0, StatusCode::NOT_FOUND);
    let (_, body) = get_on(&later, "/api/v1/lists").await;
    assert!(body.contains("\"code\":\"transport\"") && body.contains("\"listed\":1"), "{body}");
    let (_, vkey) = get_on(&later, "/log/key").await;
    let verifier = NoteVerifier::parse_vkey(&vkey).unwrap();
    let receipt = a["receipt"].as_str().unwrap();
    let text = verifier.open(receipt.as_bytes()).unwrap().text;
    assert!(
        text.starts_with("xinjiao/credit-check/v1\n")
            && text.contains("loan-caution")
            && text.contains("\"data_version\"")
    );
    for i in [0, 30, receipt.len() / 2, receipt.len() - 3] {
        let mut b = receipt.as_bytes().to_vec();
        b[i] ^= 0x01;
        assert!(verifier.open(&b).is_err(), "byte {i} changed");
    }
    // What the bank may not ask.
    for (body, status, code) in [
        (format!(r#"{{"subject": "{SHUNDA}", "scenario": "bidding"}}"#), StatusCode::FORBIDDEN, "scenario.not_allowed"),
        (
            format!(r#"{{"subject": "{PERSON_ID}", "scenario": "xinyidai", "purpose": "授信"}}"#),
            StatusCode::FORBIDDEN,
            "subject.kind_not_allowed",
        ),
        (r#"{"subject": "x", "scenario": "lottery"}"#.to_string(), StatusCode::BAD_REQUEST, "scenario.unknown"),
        (r#"{"subject": "不是代码", "scenario": "xinyidai"}"#.to_string(), StatusCode::BAD_REQUEST, "subject.invalid"),
        (r#"{"subject": "#.to_string(), StatusCode::BAD_REQUEST, "body.invalid"),
    ] {
        let (s, e) = post_json(&later, "/api/v1/credit-checks", Some(&bank), &body).await;
        assert_eq!((s, e["error"]["code"].as_str()), (status, Some(code)), "{body}");
    }
    let (s, _) = post_json(
        &later,
        "/api/v1/credit-checks",
        None,
        &format!(r#"{{"subject": "{SHUNDA}", "scenario": "xinyidai"}}"#),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Staff ask about a person with a purpose; the answer masks the number.
    let token = api_token(&app, "clerk").await;
    let (s, e) = post_json(
        &later,
        "/api/v1/credit-checks",
        Some(&token),
        &format!(r#"{{"subject": "{PERSON_ID}", "scenario": "government-service"}}"#),
    )
    .await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("purpose.required")));
    let (s, p) = post_json(
        &later,
        "/api/v1/credit-checks",
        Some(&token),
        &format!(r#"{{"subject": "{PERSON_ID}", "scenario": "government-service", "purpose": "行政许可审查"}}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!p.to_string().contains(PERSON_ID) && p["subject"].as_str().unwrap().contains('*'), "{p}");
    assert_eq!(p["penalties_public"].as_i64(), Some(1));
    // A revoked token asks nothing.
    app.db(|s| s.revoke_partner(&ctx(), pid)).unwrap();
    let (s, _) = post_json(
        &later,
        "/api/v1/credit-checks",
        Some(&bank),
        &format!(r#"{{"subject": "{SHUNDA}", "scenario": "xinyidai"}}"#),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let events = app.db(|s| s.events(500)).unwrap();
    let checks: Vec<_> = events.iter().filter(|e| e.action == "credit_check.made").collect();
    assert_eq!(checks.len(), 3, "each answered check is audited");
    assert!(checks.iter().any(|e| e.actor == "partner:某银行" && e.detail.contains("xinyidai")));
    assert!(checks.iter().any(|e| e.actor == "clerk" && e.reason == "行政许可审查"));
    let (s, measures) = get(&app, "/measures/loan-caution").await;
    assert!(s == StatusCode::OK && measures.contains("提示金融机构审慎授信"));
}

fn get_req_with_cookie(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap()
}

/// `/console/log-peers`: an administrator registers another installation
/// (served here on a real socket, with its own database) with the key to
/// trust; a coordinator audits it; its log grows and the audit says so; a
/// row changed behind its back is a finding that stays until a clean audit.
/// Nobody else may register or audit.
async fn other_installations_logs_are_watched(app: App) {
    let backend = if app.pg_db.is_some() { Backend::Postgres } else { Backend::Sqlite };
    let peer = tokio::task::spawn_blocking(move || self::app(backend)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = peer.router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, served).await.unwrap() });
    let (s, vkey) = get(&peer, "/log/key").await;
    assert_eq!(s, StatusCode::OK);
    let vkey = vkey.trim().to_string();

    let clerk = login_as(&app, "clerk").await;
    let coord = login_as(&app, "coord").await;
    let admin = login_as(&app, "admin").await;
    assert_eq!(get_with_cookie(&app, "/console/log-peers", &clerk).await.0, StatusCode::FORBIDDEN);
    let body = format!("name={}&url={}&vkey={}", enc("梅州市平台"), enc(&url), enc(&vkey));
    let (s, _, _) = send(&app, form_post("/console/log-peers", &coord, &body)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only administrators register");
    let bad = format!("name={}&url={}&vkey=nonsense", enc("梅州市平台"), enc("ftp://x"));
    let (s, _, page) = send(&app, form_post("/console/log-peers", &admin, &bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("公钥无效") && page.contains("平台地址应以"), "{page}");
    let (s, _, _) = send(&app, form_post("/console/log-peers", &admin, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, page) = send(&app, form_post("/console/log-peers", &admin, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("已在监测"), "{page}");
    let (_, _, page) = get_with_cookie(&app, "/console/log-peers", &coord).await;
    assert!(page.contains("data-status=\"new\"") && page.contains("尚未审计"), "{page}");
    let store = app.store.clone().unwrap();
    let id = tokio::task::spawn_blocking(move || store.peers().unwrap()[0].id).await.unwrap();
    let audit = format!("/console/log-peers/{id}/audit");

    // A coordinator audits it: consistent.
    assert_eq!(send(&app, form_post(&audit, &clerk, "")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, form_post(&audit, &coord, "")).await.0, StatusCode::SEE_OTHER);
    let peer_store = peer.store.clone().unwrap();
    let size = tokio::task::spawn_blocking(move || peer_store.log_size().unwrap()).await.unwrap();
    let (_, _, page) = get_with_cookie(&app, "/console/log-peers", &coord).await;
    assert!(page.contains("data-status=\"ok\"") && page.contains(&format!("一致：日志共 {size} 条")), "{page}");

    // The peer publishes one more record: still consistent, one more leaf.
    let peer_store = peer.store.clone().unwrap();
    tokio::task::spawn_blocking(move || {
        let rec = xinjiao_store::suite::penalty(
            "河源市新记录运输有限公司",
            "91110000600037341L",
            "梅交罚〔2026〕1号",
            "2026-06-01",
        );
        peer_store.write_records(&ctx(), &[rec]).unwrap();
    })
    .await
    .unwrap();
    send(&app, form_post(&audit, &coord, "")).await;
    let (_, _, page) = get_with_cookie(&app, "/console/log-peers", &coord).await;
    assert!(page.contains("data-status=\"ok\"") && page.contains("比上次新增 1 条"), "{page}");

    // An entry changed behind the peer's back: a finding, kept until a clean audit.
    let (dir, pg_db) = (peer.dir.clone(), peer.pg_db.clone());
    tokio::task::spawn_blocking(move || {
        let (from, to) = ("record.published", "record.corrected");
        match pg_db {
            None => xinjiao_store_sqlite::testing::rewrite_log_entry(&dir.join("db.sqlite3"), 0, from, to),
            Some(name) => {
                let url = format!("{}/{name}", pg_admin_url().rsplit_once('/').unwrap().0);
                xinjiao_store_postgres::testing::rewrite_log_entry(&url, 0, from, to)
            }
        }
    })
    .await
    .unwrap();
    for _ in 0..2 {
        send(&app, form_post(&audit, &coord, "")).await;
        let (_, _, page) = get_with_cookie(&app, "/console/log-peers", &coord).await;
        assert!(page.contains("data-status=\"finding\"") && page.contains("audit.rewritten_entry"), "{page}");
        assert!(page.contains("个平台的日志异常"), "the console's badge: {page}");
    }
    let store = app.store.clone().unwrap();
    let events = tokio::task::spawn_blocking(move || store.events(50).unwrap()).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "log_peer.finding").count(), 2);
    assert_eq!(events.iter().filter(|e| e.action == "log_peer.added").count(), 1);
}

/// The full credit report is the subject's own: from its account, never
/// without its session (nor with a staff member's); issued as `full`, by the
/// subject, and listed on its account page.
async fn subjects_issue_their_full_report_and_nobody_else_does(app: App) {
    let uscc = "91350100M000100Y43";
    let id = public_penalty(&app, "河源市顺达运输有限公司", uscc, "河交罚〔2026〕77号");
    let anonymous = Request::post("/account/report")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("as_of="))
        .unwrap();
    let (s, h, _) = send(&app, anonymous).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/account/login"));
    let staff = login_as(&app, "admin").await;
    let (s, h, _) = send(&app, form_post("/account/report", &staff, "as_of=")).await;
    assert_eq!(
        (s, h[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/account/login"),
        "staff are not the subject"
    );
    assert_eq!(app.db(|s| s.subject_reports(uscc, 10)).unwrap().len(), 0);

    let subject = claimed_subject(&app, id, uscc).await;
    let (s, h, pdf) = send(&app, form_post("/account/report", &subject, "as_of=")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.starts_with("%PDF-"));
    let number = h["x-xinjiao-report-number"].to_str().unwrap().to_string();
    let issued = app.db(|s| s.report(&number)).unwrap().unwrap();
    assert_eq!((issued.edition.as_str(), issued.issued_by.as_str()), ("full", "subject:91350100M000100Y43"));
    let (_, _, page) = get_with_cookie(&app, "/account", &subject).await;
    assert!(page.contains(&format!("/verify?number={number}")) && page.contains("完整版"), "listed on the account");
    let (s, _, _) = send(&app, form_post("/account/report", &subject, "as_of=not-a-day")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// The public list of matters that accept a commitment, a matter's
/// education material, and the subject's acknowledgement of it (once per
/// version, only from its own session), shown on its account.
async fn integrity_education_is_read_and_acknowledged(app: App) {
    let (s, page) = get(&app, "/commitments").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("道路货物运输经营许可")
            && page.contains("容缺办理型")
            && page.contains("/commitments/education/EDU-FREIGHT"),
        "{page}"
    );
    assert!(page.contains("须先阅读确认"), "{page}");
    let (s, page) = get(&app, "/commitments/education/EDU-FREIGHT").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("道路运输经营者诚信经营须知") && page.contains("/account/login"), "{page}");
    assert_eq!(get(&app, "/commitments/education/EDU-NONE").await.0, StatusCode::NOT_FOUND);

    let anonymous = Request::post("/account/education/EDU-FREIGHT").body(Body::empty()).unwrap();
    let (s, h, _) = send(&app, anonymous).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/account/login"));
    let staff = login_as(&app, "coord").await;
    let (s, h, _) = send(&app, form_post("/account/education/EDU-FREIGHT", &staff, "")).await;
    assert_eq!(
        (s, h[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/account/login"),
        "staff are not the subject"
    );

    let uscc = "91350100M000100Y43";
    let id = public_penalty(&app, "河源市顺达运输有限公司", uscc, "河交罚〔2026〕78号");
    let subject = claimed_subject(&app, id, uscc).await;
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains("诚信教育") && mine.contains("尚未确认"), "{mine}");
    for _ in 0..2 {
        let (s, h, _) = send(&app, form_post("/account/education/EDU-FREIGHT", &subject, "")).await;
        assert_eq!(
            (s, h[header::LOCATION].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/commitments/education/EDU-FREIGHT")
        );
    }
    let (_, _, page) = get_with_cookie(&app, "/commitments/education/EDU-FREIGHT", &subject).await;
    assert!(page.contains("id=\"acknowledged\""), "{page}");
    let sid = app.db(|s| s.subject_by_key(uscc)).unwrap().unwrap().id;
    let acks = app.db(|s| s.acknowledgements(sid)).unwrap();
    assert_eq!(
        acks.iter().map(|(c, v, _)| (c.as_str(), *v)).collect::<Vec<_>>(),
        [("EDU-FREIGHT", 1)],
        "once per version"
    );
    let (_, _, mine) = get_with_cookie(&app, "/account", &subject).await;
    assert!(mine.contains("已于"), "{mine}");

    // Signing: the text rendered for the subject with the matter's consequences;
    // a box to tick; the text kept as rendered by the server; withdrawn before the decision.
    let form = "/account/commitments/new?kind=deferred-materials&matter=YS-HY-01";
    let (s, _, page) = get_with_cookie(&app, form, &subject).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(
        page.contains("容缺办理信用承诺书")
            && page.contains("河源市顺达运输有限公司")
            && page.contains("撤销已作出的许可决定"),
        "{page}"
    );
    let (s, _, page) =
        get_with_cookie(&app, "/account/commitments/new?kind=deferred-materials&matter=YS-CY-02", &subject).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不接受容缺办理型"), "{page}");
    let (s, _, page) =
        get_with_cookie(&app, "/account/commitments/new?kind=certificate&matter=YS-CY-02", &subject).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("道路运输驾驶员诚信从业须知"), "education first: {page}");
    let body = "kind=deferred-materials&matter=YS-HY-01";
    assert_eq!(
        send(&app, form_post("/account/commitments/new", &subject, body)).await.0,
        StatusCode::BAD_REQUEST,
        "unticked"
    );
    let (s, h, _) = send(&app, form_post("/account/commitments/new", &staff, &format!("{body}&agree=on"))).await;
    assert_eq!(
        (s, h[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/account/login"),
        "staff cannot sign for it"
    );
    let (s, _, _) = send(&app, form_post("/account/commitments/new", &subject, &format!("{body}&agree=on"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = send(&app, form_post("/account/commitments/new", &subject, "kind=public&agree=on")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let mine = app
        .db(|s| s.commitments(&xinjiao_store::CommitmentFilter { subject_id: Some(sid), ..Default::default() }, 10))
        .unwrap();
    assert_eq!(mine.len(), 2);
    let (public, deferred) = (&mine[0], &mine[1]);
    assert_eq!(
        (deferred.kind.as_str(), deferred.state.as_str(), deferred.template_version),
        ("deferred-materials", "signed", 1)
    );
    assert!(
        deferred.text.contains("河源市顺达运输有限公司") && deferred.text.contains("车辆技术等级评定证明"),
        "{}",
        deferred.text
    );
    assert_eq!(deferred.signed_by, format!("subject:{uscc}"));
    assert_eq!((public.kind.as_str(), public.state.as_str(), public.public), ("public", "in_force", true));
    let (_, _, page) = get_with_cookie(&app, "/account", &subject).await;
    assert!(page.contains("容缺办理型") && page.contains("已签署，待办结") && page.contains("履行中"), "{page}");
    let withdraw = format!("/account/commitments/{}/withdraw", deferred.id);
    assert_eq!(send(&app, form_post(&withdraw, &subject, "")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(app.db(|s| s.commitment(deferred.id)).unwrap().unwrap().state.as_str(), "withdrawn");
    assert_eq!(send(&app, form_post(&withdraw, &subject, "")).await.0, StatusCode::BAD_REQUEST, "once");
    // Another subject may not withdraw it.
    let other_uscc = "91110108551385082Q";
    let other_id = public_penalty(&app, "龙川县顺达货运有限公司", other_uscc, "河交罚〔2026〕79号");
    let other = claimed_subject(&app, other_id, other_uscc).await;
    let theirs = format!("/account/commitments/{}/withdraw", public.id);
    assert_eq!(send(&app, form_post(&theirs, &other, "")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.db(|s| s.commitment(public.id)).unwrap().unwrap().state.as_str(), "in_force");
}

/// A penalty of `name` (`uscc`) made public now: its record id (for
/// `claimed_subject`).
fn public_penalty(app: &App, name: &str, uscc: &str, decision_no: &str) -> i64 {
    let w = WriteContext::new("seed", Timestamp::from_second(1_795_000_000).unwrap(), "上传");
    let rec = xinjiao_store::suite::penalty(name, uscc, decision_no, "2026-11-02");
    let id = app.db(|s| s.write_records(&w, &[rec])).unwrap()[0].record_id();
    app.db(|s| xinjiao_store::refresh_windows(s)).unwrap();
    id
}

/// A JSON request, with a cookie or a bearer token.
fn json_req(method: &str, uri: &str, auth: Option<&str>, body: serde_json::Value) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
    match auth {
        Some(a) if a.starts_with("Bearer ") => r = r.header(header::AUTHORIZATION, a),
        Some(c) => r = r.header(header::COOKIE, c),
        None => {}
    }
    r.body(Body::from(body.to_string())).unwrap()
}

async fn send_on(router: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// A coordinator's console session on `router` (another day's).
async fn login_on(router: &Router, username: &str) -> String {
    let body = format!("username={username}&password={}&next=%2Fconsole", enc(PASSWORD));
    let req = Request::post("/console/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (s, h, _) = send_on(router, req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

/// The subject's road-transport score for 2026 as of `day`, from a new run.
async fn score_on(router: &Router, coord: &str, key: &str, day: &str) -> (f64, String) {
    let form = format!("scheme=road-transport&cycle=2026&as_of={day}");
    let (s, _, _) = send_on(router, form_post("/console/evaluations", coord, &form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, api) =
        send_on(router, Request::get(format!("/api/v1/subjects/{key}/evaluations")).body(Body::empty()).unwrap()).await;
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    let e = v["evaluations"].as_array().unwrap().iter().find(|e| e["cycle"] == 2026).unwrap().clone();
    (e["score"].as_f64().unwrap(), e.to_string())
}

/// Issue 17's acceptance: a subject signs commitments through the API;
/// staff decide and verify them (kept, kept late, not kept, false) on later
/// days; the public list, the account, the credit events in the evaluation
/// and the score show it; refusals for everyone else.
async fn commitments_are_signed_kept_missed_falsified_and_scored(app: App) {
    let uscc = "91350100M000100Y43";
    let id = public_penalty(&app, "河源市顺达运输有限公司", uscc, "河交罚〔2026〕79号");
    let subject = claimed_subject(&app, id, uscc).await;
    let coord = format!("Bearer {}", api_token(&app, "coord").await);
    let clerk = format!("Bearer {}", api_token(&app, "clerk").await);
    let deferred = serde_json::json!({"kind": "deferred-materials", "matter": "YS-HY-01", "agree": true});

    // Education first (the matter requires it), then four approval commitments and a public one.
    let (s, _, body) =
        send(&app, json_req("POST", "/api/v1/account/commitments", Some(&subject), deferred.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("commitment.refused") && body.contains("诚信"), "{body}");
    let (s, _, _) =
        send(&app, json_req("POST", "/api/v1/account/education/EDU-FREIGHT", Some(&subject), serde_json::json!({})))
            .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = send(&app, json_req("POST", "/api/v1/account/commitments", None, deferred.clone())).await;
    assert_eq!((s, body.contains("unauthorized")), (StatusCode::UNAUTHORIZED, true), "anonymous");
    let (s, _, _) = send(&app, json_req("POST", "/api/v1/account/commitments", Some(&coord), deferred.clone())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "staff do not sign for a subject");
    let no = serde_json::json!({"kind": "deferred-materials", "matter": "YS-HY-01", "agree": false});
    let (s, _, body) = send(&app, json_req("POST", "/api/v1/account/commitments", Some(&subject), no)).await;
    assert_eq!((s, body.contains("commitment.not_agreed")), (StatusCode::UNPROCESSABLE_ENTITY, true));
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (s, _, body) =
            send(&app, json_req("POST", "/api/v1/account/commitments", Some(&subject), deferred.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((v["state"].as_str(), v["signed_on"].as_str()), (Some("signed"), Some("2026-11-18")));
        assert!(v["text"].as_str().unwrap().contains("河源市顺达运输有限公司"));
        ids.push(v["id"].as_i64().unwrap());
    }
    let public = serde_json::json!({"kind": "public", "agree": true});
    let (s, _, body) = send(&app, json_req("POST", "/api/v1/account/commitments", Some(&subject), public)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let public_id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_i64().unwrap();
    let (kept, late, missed, falsified) = (ids[0], ids[1], ids[2], ids[3]);

    // Only the subject itself withdraws, or reads its own, or acknowledges education.
    let other_uscc = "91110108551385082Q";
    let other_record = public_penalty(&app, "龙川县顺达货运有限公司", other_uscc, "河交罚〔2026〕80号");
    let other = claimed_subject(&app, other_record, other_uscc).await;
    let withdrawal = format!("/api/v1/account/commitments/{kept}/withdrawal");
    for (who, status) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(coord.as_str()), StatusCode::UNAUTHORIZED),
        (Some(other.as_str()), StatusCode::FORBIDDEN),
    ] {
        let (s, _, body) = send(&app, json_req("POST", &withdrawal, who, serde_json::json!({}))).await;
        assert_eq!(s, status, "{who:?}: {body}");
    }
    assert_eq!(app.db(|s| s.commitment(kept)).unwrap().unwrap().state.as_str(), "signed", "nothing withdrawn");
    let (s, _, _) = send(&app, json_req("GET", "/api/v1/account/commitments", None, serde_json::json!({}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) =
        send(&app, json_req("POST", "/api/v1/account/education/EDU-DRIVER", Some(&coord), serde_json::json!({}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "staff do not acknowledge for a subject");
    let (_, _, body) = get_with_cookie(&app, "/api/v1/account/commitments", &other).await;
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"].as_array().unwrap().is_empty(),
        "only its own"
    );

    // Who may decide: not the subject, not anonymous, not a clerk of
    // another department (the matter's department is not this test's).
    let decide = |granted: bool| serde_json::json!({"granted": granted, "reason": "容缺受理，准予许可"});
    let uri = |id: i64, what: &str| format!("/api/v1/commitments/{id}/{what}");
    let (s, _, _) = send(&app, json_req("POST", &uri(kept, "decision"), None, decide(true))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = send(&app, json_req("POST", &uri(kept, "decision"), Some(&subject), decide(true))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a subject's session is not staff");
    let (s, _, body) = send(&app, json_req("POST", &uri(kept, "decision"), Some(&clerk), decide(true))).await;
    assert_eq!((s, body.contains("commitment.forbidden")), (StatusCode::FORBIDDEN, true), "{body}");
    let early = serde_json::json!({"granted": true, "on": "2026-11-17", "reason": "容缺受理"});
    let (s, _, body) = send(&app, json_req("POST", &uri(kept, "decision"), Some(&coord), early)).await;
    assert_eq!(
        (s, body.contains("commitment.day")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "before signing: {body}"
    );
    let mut due = String::new();
    for id in ids.iter().copied() {
        let (s, _, body) = send(&app, json_req("POST", &uri(id, "decision"), Some(&coord), decide(true))).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["state"].as_str(), Some("in_force"));
        due = v["due"].as_str().unwrap().to_string();
    }
    // 20 working days from 2026-11-18 by the embedded calendar.
    assert_eq!(due, "2026-12-16");
    let (s, _, body) = send(&app, json_req("POST", &uri(kept, "decision"), Some(&coord), decide(true))).await;
    assert_eq!((s, body.contains("commitment.state")), (StatusCode::CONFLICT, true), "decided once");
    let (s, _, body) = send(
        &app,
        json_req(
            "POST",
            &format!("/api/v1/account/commitments/{kept}/withdrawal"),
            Some(&subject),
            serde_json::json!({}),
        ),
    )
    .await;
    assert_eq!((s, body.contains("事项已办结")), (StatusCode::CONFLICT, true), "{body}");

    // The licence the unkept one obtained is named (once; only an existing licence of the subject).
    let licence = |no: &str| serde_json::json!({"decision_no": no});
    let (s, _, body) =
        send(&app, json_req("POST", &uri(missed, "licence"), Some(&coord), licence("龙交运许〔2024〕9号"))).await;
    assert_eq!((s, body.contains("commitment.licence")), (StatusCode::UNPROCESSABLE_ENTITY, true), "{body}");
    let (s, _, body) =
        send(&app, json_req("POST", &uri(missed, "licence"), Some(&clerk), licence("龙交运许〔2024〕1号"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    for who in [None, Some(subject.as_str())] {
        let (s, _, _) =
            send(&app, json_req("POST", &uri(missed, "licence"), who, licence("龙交运许〔2024〕1号"))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{who:?}");
        let (s, _, _) = send(
            &app,
            json_req("POST", &uri(missed, "licence-revocation"), who, serde_json::json!({"reason": "撤销"})),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{who:?}");
    }
    let (s, _, body) =
        send(&app, json_req("POST", &uri(missed, "licence"), Some(&coord), licence("龙交运许〔2024〕1号"))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let licence_id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["licence_record_id"].as_i64().unwrap();
    let (s, _, _) =
        send(&app, json_req("POST", &uri(missed, "licence"), Some(&coord), licence("龙交运许〔2024〕1号"))).await;
    assert_eq!(s, StatusCode::CONFLICT, "linked once");
    let revoke = serde_json::json!({"reason": "河交撤〔2026〕1号撤销许可决定"});
    let (s, _, body) =
        send(&app, json_req("POST", &uri(missed, "licence-revocation"), Some(&coord), revoke.clone())).await;
    assert_eq!((s, body.contains("commitment.state")), (StatusCode::CONFLICT, true), "not before the finding: {body}");

    // Before the deadline a commitment cannot be found not kept.
    let verify = |finding: &str, on: &str| serde_json::json!({"finding": finding, "on": on, "reason": "核查补交材料"});
    let (s, _, body) =
        send(&app, json_req("POST", &uri(missed, "verification"), Some(&coord), verify("not_kept", "2026-11-18")))
            .await;
    assert_eq!((s, body.contains("期限未到")), (StatusCode::CONFLICT, true), "{body}");

    // A later day: the evaluation before and after the findings.
    let later = router_on(&app, "2026-12-21");
    let coord_later = login_on(&later, "coord").await;
    let (before, _) = score_on(&later, &coord_later, uscc, "2026-12-21").await;
    let (s, _, body) =
        send_on(&later, json_req("POST", &uri(missed, "verification"), Some(&coord), verify("not_kept", "2026-12-22")))
            .await;
    assert_eq!(
        (s, body.contains("commitment.day")),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "not in the future: {body}"
    );
    for (id, finding, on, state) in [
        (kept, "kept", "2026-12-10", "kept"),
        (late, "kept", "2026-12-18", "kept_late"),
        (missed, "not_kept", "2026-12-17", "not_kept"),
        (falsified, "false", "2026-12-01", "false"),
    ] {
        let (s, _, body) =
            send_on(&later, json_req("POST", &uri(id, "verification"), Some(&coord), verify(finding, on))).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((v["state"].as_str(), v["concluded_on"].as_str()), (Some(state), Some(on)), "{body}");
    }

    // The unkept commitment's licence is revoked: a correction of the licence record.
    let (s, _, _) =
        send_on(&later, json_req("POST", &uri(missed, "licence-revocation"), Some(&clerk), revoke.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, body) =
        send_on(&later, json_req("POST", &uri(kept, "licence-revocation"), Some(&coord), revoke.clone())).await;
    assert_eq!(s, StatusCode::CONFLICT, "a kept commitment revokes nothing: {body}");
    let (s, _, body) =
        send_on(&later, json_req("POST", &uri(missed, "licence-revocation"), Some(&coord), revoke.clone())).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((v["licence_record_id"].as_i64(), v["state"].as_str()), (Some(licence_id), Some("corrected")));
    let detail = app.db(|s| s.record(licence_id)).unwrap().unwrap();
    assert_eq!(detail.current().fields["XK_ZT"], "无效");
    assert!(
        detail.events.iter().any(|e| e.reason.contains(&format!("因第 {missed} 号信用承诺未履行撤销许可"))),
        "the correction says why"
    );
    let (s, _, body) =
        send_on(&later, json_req("POST", &uri(missed, "licence-revocation"), Some(&coord), revoke)).await;
    assert_eq!((s, body.contains("已是无效状态")), (StatusCode::CONFLICT, true), "{body}");

    // The evaluation: +1 kept, -5 not kept, -10 false; kept late scores nothing.
    let (after, explanation) = score_on(&later, &coord_later, uscc, "2026-12-21").await;
    assert_eq!(after - before, -14.0, "{explanation}");
    let sid = app.db(|s| s.subject_by_key(uscc)).unwrap().unwrap().id;
    let schemes = xinjiao_core::evaluation::scheme::Scheme::embedded();
    let rt = schemes.iter().find(|s| s.code == "road-transport").unwrap();
    let runs = app.db(|s| s.evaluation_runs("road-transport")).unwrap();
    let inputs =
        app.db(|s| xinjiao_store::evaluation::evaluation_inputs(s, &schemes, rt, 2026, sid..sid + 1, &runs)).unwrap();
    let mut items: Vec<(String, String)> = inputs.events[&sid]
        .iter()
        .filter(|e| e.source.contains("信用承诺"))
        .map(|e| (e.source.clone(), e.item.clone()))
        .collect();
    items.sort();
    let mut expected = vec![
        (format!("第 {kept} 号信用承诺"), "COMMIT-KEPT".to_string()),
        (format!("第 {missed} 号信用承诺"), "COMMIT-BROKEN".to_string()),
        (format!("第 {falsified} 号信用承诺"), "COMMIT-FALSE".to_string()),
    ];
    expected.sort();
    assert_eq!(items, expected, "the credit events, none for the late one");
    let (_, profile) = get_on(&later, &format!("/subjects/{uscc}")).await;
    assert!(profile.contains("未履行信用承诺") || profile.contains("信用承诺不实"), "the profile's grade explains it");

    // The public list: the public commitment and every outcome, no non-public text.
    let (s, api) = get_on(&later, &format!("/api/v1/commitments?subject={uscc}")).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    let mut shown: Vec<(i64, String)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_i64().unwrap(), c["state"].as_str().unwrap().to_string()))
        .collect();
    shown.sort();
    let mut want = vec![
        (kept, "kept".to_string()),
        (late, "kept_late".to_string()),
        (missed, "not_kept".to_string()),
        (falsified, "false".to_string()),
        (public_id, "in_force".to_string()),
    ];
    want.sort();
    assert_eq!(shown, want);
    assert!(v["items"].as_array().unwrap().iter().all(|c| c["note"].is_null()), "no staff notes in public");
    let breach = v["items"].as_array().unwrap().iter().find(|c| c["id"] == missed).unwrap();
    assert!(breach["text"].is_null(), "a non-public commitment's text stays unpublished");
    let (_, page) = get_on(&later, "/commitments/public?breaches=1").await;
    assert!(page.contains("未履行") && page.contains("承诺不实") && page.contains("河源市顺达运输有限公司"), "{page}");
    let (_, page) = get_on(&later, &format!("/subjects/{uscc}")).await;
    assert!(page.contains("id=\"public-commitments\"") && page.contains("主动公示型"), "the profile's section");

    // The lists: one commitment found false puts the subject forward for the
    // transport list (criterion 5), with the finding as evidence.
    let (s, _, page) = send_on(
        &later,
        Request::get("/console/lists?list=transport").header(header::COOKIE, &coord_later).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("信用承诺经核查认定不实 1 次、未履行 1 次")
            && page.contains(&format!("第 {falsified} 号信用承诺")),
        "{page}"
    );
    // The account: every state; and the exclusion now refuses a new commitment.
    let (s, _, body) = get_with_cookie(&app, "/api/v1/account/commitments", &subject).await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut states: Vec<&str> = v["items"].as_array().unwrap().iter().map(|c| c["state"].as_str().unwrap()).collect();
    states.sort();
    assert_eq!(states, ["false", "in_force", "kept", "kept_late", "not_kept"]);
    assert_eq!(v["items"].as_array().unwrap().iter().find(|c| c["id"] == missed).unwrap()["note"], "核查补交材料");
    let (_, _, page) = get_with_cookie(&app, "/account", &subject).await;
    assert!(page.contains("逾期履行") && page.contains("承诺不实") && page.contains("按期履行"), "{page}");
    let (s, _, body) = send(&app, json_req("POST", "/api/v1/account/commitments", Some(&subject), deferred)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("未经信用修复"), "{body}");

    // Staff pages: broken ones listed; the dashboard counts them (December on the later day).
    let (s, _, page) = send_on(
        &later,
        Request::get("/console/commitments?view=broken")
            .header(header::COOKIE, &coord_later)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&format!("第 {missed} 号"))
            && page.contains(&format!("第 {falsified} 号"))
            && !page.contains(&format!("第 {kept} 号")),
        "{page}"
    );
    let (_, _, dash) = send_on(
        &later,
        Request::get("/console/dashboard").header(header::COOKIE, &coord_later).body(Body::empty()).unwrap(),
    )
    .await;
    assert!(dash.contains("data-tally=\"本月认定违背的信用承诺\">2<"), "{dash}");
    let events = app.db(|s| s.events(200)).unwrap();
    assert_eq!(events.iter().filter(|e| e.action.starts_with("commitment.")).count(), 5 + 4 + 4 + 1);
}

/// A window form: the subject's code, the matter/type, the ticks, the scan.
fn window_form(subject: &str, pick: &str, ticks: &[&str], scan: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----xinjiao-window-boundary";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        )
    };
    field("subject", subject);
    field("pick", pick);
    for t in ticks {
        field(t, "on");
    }
    if let Some((name, bytes)) = scan {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Staff record a commitment signed on paper: only for their department's
/// matters (a clerk of another is refused; the matters' departments are not
/// this test organisation's, so only a coordinator may), with a PDF, JPEG or
/// PNG scan kept with its digest; the applicant's education may be recorded
/// as read at the window; the text is the template's, as online.
async fn paper_commitments_are_recorded_at_the_window(app: App) {
    let uscc = "91350100M000100Y43";
    let post = |cookie: &str, form: (String, Vec<u8>)| {
        Request::post("/console/commitments/window")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, form.0)
            .body(Body::from(form.1))
            .unwrap()
    };
    let pdf: &[u8] = b"%PDF-1.4 signed on paper";
    let full =
        |scan: Option<(&str, &[u8])>| window_form(uscc, "YS-HY-01/deferred-materials", &["educated", "signed"], scan);
    let (s, h, _) = send(&app, post("", full(Some(("承诺书.pdf", pdf))))).await;
    assert_eq!(
        (s, h[header::LOCATION].to_str().unwrap().starts_with("/console/login")),
        (StatusCode::SEE_OTHER, true),
        "anonymous"
    );
    let clerk = login(&app).await;
    let (s, _, page) = send(&app, post(&clerk, full(Some(("承诺书.pdf", pdf))))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请选择本科室办理的事项"), "{page}");
    let coord = login_as(&app, "coord").await;
    let (s, _, page) = send(&app, post(&coord, full(Some(("承诺书.txt", b"not a scan"))))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("扫描件应为 PDF、JPG 或 PNG 文件"), "{page}");
    let (s, _, page) = send(&app, post(&coord, full(None))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请上传申请人签字的纸质承诺书扫描件"), "{page}");
    let unticked = window_form(uscc, "YS-HY-01/deferred-materials", &[], Some(("承诺书.pdf", pdf)));
    let (s, _, page) = send(&app, post(&coord, unticked)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请确认申请人已在纸质承诺书上签字"), "{page}");
    let unread = window_form(uscc, "YS-HY-01/deferred-materials", &["signed"], Some(("承诺书.pdf", pdf)));
    let (s, _, page) = send(&app, post(&coord, unread)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("道路运输经营者诚信经营须知"), "education required: {page}");
    let (s, _, page) = send(
        &app,
        post(
            &coord,
            window_form("91350100M000100Y99", "YS-HY-01/deferred-materials", &["signed"], Some(("a.pdf", pdf))),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("没有代码为“91350100M000100Y99”的主体"), "{page}");
    assert!(app.db(|s| s.commitments(&Default::default(), 10)).unwrap().is_empty(), "nothing written by a refusal");

    let (s, h, _) = send(&app, post(&coord, full(Some(("承诺书.pdf", pdf))))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let at = h[header::LOCATION].to_str().unwrap().to_string();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let c = app.db(|s| s.commitment(id)).unwrap().unwrap();
    assert_eq!((c.signed_via.as_str(), c.signed_by.as_str(), c.state.as_str()), ("window", "coord", "signed"));
    assert!(c.text.contains("河源市顺达运输有限公司") && c.text.contains("车辆技术等级评定证明"), "{}", c.text);
    let sid = app.db(|s| s.subject_by_key(uscc)).unwrap().unwrap().id;
    assert_eq!(app.db(|s| s.acknowledgements(sid)).unwrap().len(), 1, "education read at the window");
    let (s, _, page) = get_with_cookie(&app, &at, &coord).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("<title>信用承诺第 {id} 号 - 信交工作台</title>")), "{page}");
    assert!(page.contains("窗口纸质签署") && page.contains(&xinjiao_core::commitments::scan_digest(pdf)), "{page}");
    let (s, h, body) = get_with_cookie(&app, &format!("{at}/scan"), &coord).await;
    assert_eq!(
        (s, h[header::CONTENT_TYPE].to_str().unwrap(), body.as_bytes()),
        (StatusCode::OK, "application/pdf", pdf)
    );
    assert_eq!(get_with_cookie(&app, &format!("{at}/scan"), &clerk).await.0, StatusCode::FORBIDDEN);
    // The clerk of another department may not decide it either.
    let (s, _, page) =
        send(&app, form_post(&format!("{at}/decision"), &clerk, "granted=yes&on=2026-11-18&reason=x")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("只能处理本科室办理事项的承诺") || page.contains("只有信用工作协调员"), "{page}");
    assert_eq!(app.db(|s| s.commitment(id)).unwrap().unwrap().state.as_str(), "signed");
    // The console's forms: a licence is named only once the matter is granted.
    let no = format!("decision_no={}", enc("龙交运许〔2024〕1号"));
    for path in ["decision", "verification", "licence", "licence-revocation"] {
        let (s, h, _) = send(&app, form_post(&format!("{at}/{path}"), "", &no)).await;
        assert_eq!(
            (s, h[header::LOCATION].to_str().unwrap().starts_with("/console/login")),
            (StatusCode::SEE_OTHER, true),
            "{path}"
        );
    }
    let (s, _, page) = send(&app, form_post(&format!("{at}/licence"), &coord, &no)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("只有准予办理的承诺才能关联"), "{page}");
    let granted = format!("granted=yes&on=2026-11-18&reason={}", enc("容缺受理，准予许可"));
    let (s, _, _) = send(&app, form_post(&format!("{at}/decision"), &coord, &granted)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = send(&app, form_post(&format!("{at}/licence"), &coord, &no)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = get_with_cookie(&app, &at, &coord).await;
    assert!(
        page.contains("id=\"commitment-licence\"") && page.contains("龙交运许〔2024〕1号") && page.contains("履行中"),
        "{page}"
    );
    assert!(!page.contains("id=\"revocation-form\""), "nothing to revoke while in force");
}

/// A coordinator uploads an association's member file: every row checked
/// (check digit, a subject the platform knows, not twice, required
/// columns), the valid ones kept and public at once; a repeated upload adds
/// nothing; clerks are refused.
async fn associations_upload_their_members_commitments(app: App) {
    let csv = "会员统一社会信用代码,会员名称,签署日期\n\
91350100M000100Y43,河源市顺达运输有限公司,2026-11-10\n\
91110108551385082Q,龙川县顺达货运有限公司,2026-11-11\n\
91350100M000100Y44,错误校验位公司,2026-11-10\n\
91110000600037341L,未知运输有限公司,2026-11-10\n\
91350100M000100Y43,河源市顺达运输有限公司,2026-11-12\n\
,缺代码公司,2026-11-10\n\
91110108551385082Q,龙川县顺达货运有限公司,2026-11-19\n";
    let form = |association: &str, content: &[u8]| {
        let boundary = "----xinjiao-members";
        let mut body =
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"association\"\r\n\r\n{association}\r\n")
                .into_bytes();
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"会员.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
        body.extend(content);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    };
    let post = |cookie: &str, (ct, body): (String, Vec<u8>)| {
        Request::post("/console/commitments/associations")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let clerk = login(&app).await;
    assert_eq!(get_with_cookie(&app, "/console/commitments/associations", &clerk).await.0, StatusCode::FORBIDDEN);
    let (s, h, _) = send(&app, post("", form("河源市道路运输协会", csv.as_bytes()))).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap().starts_with("/console/login")), (StatusCode::SEE_OTHER, true));
    assert_eq!(send(&app, post(&clerk, form("河源市道路运输协会", csv.as_bytes()))).await.0, StatusCode::FORBIDDEN);
    let coord = login_as(&app, "coord").await;
    let (s, _, page) = send(&app, post(&coord, form("协会", csv.as_bytes()))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请填写行业协会的全称"), "{page}");
    assert!(app.db(|s| s.commitments(&Default::default(), 10)).unwrap().is_empty());

    let (s, _, page) = send(&app, post(&coord, form("河源市道路运输协会", csv.as_bytes()))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "rows were rejected");
    assert!(page.contains("共 7 行：新登记 <strong>2</strong> 位会员的承诺，0 位已有"), "{page}");
    for (row, says) in [
        (4, "「会员统一社会信用代码」91350100M000100Y44 的统一社会信用代码校验位错误"),
        (5, "平台上没有统一社会信用代码为 91110000600037341L 的主体"),
        (6, "会员 91350100M000100Y43 与第 2 行重复"),
        (7, "「会员统一社会信用代码」不能为空"),
        (8, "「签署日期」2026-11-19 晚于今天"),
    ] {
        assert!(page.contains(&format!("<td>第 {row} 行</td>")) && page.contains(says), "row {row}: {page}");
    }
    let all = app.db(|s| s.commitments(&Default::default(), 10)).unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|c| c.kind == "self-regulation"
        && c.signed_via == "association"
        && c.association.as_deref() == Some("河源市道路运输协会")
        && c.state.as_str() == "in_force"
        && c.text.contains("作为本行业协会会员")));
    let (s, _, page) = send(&app, post(&coord, form("河源市道路运输协会", csv.as_bytes()))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("新登记 <strong>0</strong> 位会员的承诺，2 位已有该协会的生效承诺"), "{page}");
    assert_eq!(app.db(|s| s.commitments(&Default::default(), 10)).unwrap().len(), 2, "nothing twice");
    let (_, public) = get(&app, "/commitments/public").await;
    assert!(public.contains("龙川县顺达货运有限公司") && public.contains("河源市道路运输协会组织"), "{public}");
    let (s, _, page) = send(&app, post(&coord, form("河源市道路运输协会", b"\xff\xfe not a table"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("文件未导入"), "{page}");
}
