//! Same answers on both backends: the demo data is loaded into SQLite and into
//! PostgreSQL through the CLI, then every public API response is requested from
//! both and compared byte for byte. Needs `XINJIAO_TEST_POSTGRES_URL` (set by
//! `./scripts/test`).

use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use xinjiao_store::Store;

fn pg_admin_url() -> String {
    std::env::var("XINJIAO_TEST_POSTGRES_URL")
        .expect("XINJIAO_TEST_POSTGRES_URL is not set: run ./scripts/test (it starts a throwaway PostgreSQL cluster)")
}

fn load_demo(db: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinjiao"))
        .args(["demo", "--db", db, "--subjects", "300", "--records", "1500", "--seed", "11"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn router(store: Arc<dyn Store>) -> axum::Router {
    xinjiao_web::router(xinjiao_web::AppState {
        store,
        clock: Arc::new(|| jiff::Timestamp::from_second(1_795_000_000).unwrap()),
        demo: true,
        secure_cookies: false,
    })
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[test]
fn public_api_answers_are_identical_on_sqlite_and_postgres() {
    let dir = std::env::temp_dir().join(format!("xinjiao-backends-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite_path = dir.join("demo.sqlite3");
    let admin = pg_admin_url();
    let name = format!("xj_compare_{}", std::process::id());
    {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    }
    let pg_url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let lite_url = format!("sqlite://{}", sqlite_path.display());
    load_demo(&lite_url);
    load_demo(&pg_url);

    let lite: Arc<dyn Store> = Arc::new(xinjiao_store_sqlite::SqliteStore::open(&sqlite_path).unwrap());
    let pg: Arc<dyn Store> = Arc::new(xinjiao_store_postgres::PgStore::open(&pg_url).unwrap());
    let (a, b) = (router(lite.clone()), router(pg.clone()));

    let mut uris: Vec<String> = Vec::new();
    for q in ["顺达", "河源", "运输有限", "东源县", "汽车", "公司", "A", "MA", "不存在的名字", "陈", "%", "_"]
    {
        for page in 1..=3 {
            uris.push(format!("/api/v1/subjects?q={}&per_page=7&page={page}", xinjiao_web::views::urlencode(q)));
        }
    }
    for f in [
        "",
        "kind=penalty",
        "kind=license",
        "from=2025-01-01&to=2025-06-30",
        "kind=penalty&from=2026-01-01",
        "to=2024-12-31",
        "from=2027-01-01",
        "kind=fine",
        "from=2025-02-30",
    ] {
        for page in [1, 2, 9, 40] {
            uris.push(format!("/api/v1/records?{f}&per_page=25&page={page}"));
        }
    }
    for auth in lite.authorities().unwrap() {
        uris.push(format!("/api/v1/records?authority={}&per_page=50", auth.code));
    }
    let mut page = 1;
    loop {
        let subjects = lite.search_subjects("县", xinjiao_store::PageRequest::new(page, 100)).unwrap();
        for s in &subjects.items {
            uris.push(format!("/api/v1/subjects/{}", s.key));
            uris.push(format!("/api/v1/records?subject={}", s.key));
        }
        if page >= subjects.n_pages() {
            break;
        }
        page += 1;
    }
    let n_records = lite.totals().unwrap();
    for id in 1..=(n_records.n_licenses + n_records.n_penalties + 2) {
        uris.push(format!("/api/v1/records/{id}"));
    }
    uris.push("/api/v1/subjects/NOPE".into());
    assert_eq!(lite.totals().unwrap(), pg.totals().unwrap());
    assert_eq!(lite.authorities().unwrap(), pg.authorities().unwrap());
    // The blocking PostgreSQL client must not run on an async worker thread:
    // store calls above run outside the runtime, handlers use spawn_blocking.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let n_ok = rt.block_on(async {
        let mut n_ok = 0;
        for uri in &uris {
            let (sa, ba) = get(&a, uri).await;
            let (sb, bb) = get(&b, uri).await;
            assert_eq!(sa, sb, "status of {uri}");
            assert_eq!(ba, bb, "body of {uri}");
            if sa == StatusCode::OK {
                n_ok += 1;
            }
        }
        n_ok
    });
    drop(rt);
    assert!(uris.len() > 1500 && n_ok > 1500, "{} requests, {n_ok} answered 200", uris.len());
    drop((a, b, lite, pg));
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    let _ = std::fs::remove_dir_all(&dir);
}
