//! Same answers on both backends: the demo data is loaded into SQLite and into
//! PostgreSQL through the CLI, then every public API response is requested from
//! both and compared byte for byte. Needs `XINJIAO_TEST_POSTGRES_URL` (set by
//! `./scripts/test`).

use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use xinjiao_store::{AuditStore, RecordStore, Store};

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
        rules: xinjiao_web::Rules::embedded().shared(),
        clock: Arc::new(|| jiff::Timestamp::from_second(1_795_000_000).unwrap()),
        demo: true,
        test_clock: false,
        secure_cookies: false,
        public_url: "https://xinyong.example.test".into(),
        rates_cache: Default::default(),
        workplace: Default::default(),
        login_throttle: Default::default(),
        signer: xinjiao_web::kernel::signing::test_signer("https://xinyong.example.test"),
        key_history: Default::default(),
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
    // Records whose disclosure window has ended answer 404 on both (the demo spans years).
    assert!(uris.len() > 1500 && n_ok > 1000, "{} requests, {n_ok} answered 200", uris.len());
    drop((a, b, lite, pg));
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn xinjiao(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xinjiao")).args(args).output().unwrap()
}

fn new_pg_db(name: &str) -> String {
    let admin = pg_admin_url();
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

fn drop_pg_db(name: &str) {
    let mut c = postgres::Client::connect(&pg_admin_url(), postgres::NoTls).unwrap();
    let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// Every row of every table of an installation, as dumped.
fn full_dump(store: &dyn Store) -> Vec<(&'static str, Vec<Vec<xinjiao_store::DumpValue>>)> {
    xinjiao_store::DUMP_TABLES
        .iter()
        .map(|(t, _, _)| {
            let mut rows: Vec<Vec<xinjiao_store::DumpValue>> = Vec::new();
            let n_key = xinjiao_store::dump_table(t).unwrap().2;
            loop {
                let after = rows.last().map(|r| &r[..n_key]);
                let batch = store.dump_rows(t, after, 333).unwrap();
                if batch.is_empty() {
                    break;
                }
                rows.extend(batch);
            }
            (*t, rows)
        })
        .collect()
}

#[test]
fn round_trip_sqlite_postgres_sqlite_loses_nothing() {
    let dir = std::env::temp_dir().join(format!("xinjiao-roundtrip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let first = format!("sqlite://{}", dir.join("first.sqlite3").display());
    let back = format!("sqlite://{}", dir.join("back.sqlite3").display());
    let pg_name = format!("xj_roundtrip_{}", std::process::id());
    let pg = new_pg_db(&pg_name);

    // An installation with history: demo data, accounts, a token, and a file
    // that changes records (new versions) and renames a subject.
    load_demo(&first);
    let out = Command::new(env!("CARGO_BIN_EXE_xinjiao"))
        .args(["user", "add", "wang", "--name", "王报送", "--db", &first])
        .env("XINJIAO_PASSWORD", "a-long-password")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(xinjiao(&["user", "token", "wang", "--name", "执法系统", "--db", &first]).status.success());
    let csv = dir.join("changes.csv");
    let out =
        xinjiao(&["demo", "--csv", csv.to_str().unwrap(), "--records", "40", "--subjects", "300", "--seed", "11"]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&csv).unwrap().replace("元,", "元（经复核）,");
    std::fs::write(&csv, text).unwrap();
    let out = xinjiao(&["import", "penalties", csv.to_str().unwrap(), "--db", &first]);
    assert!(out.status.code() == Some(0) || out.status.code() == Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    {
        // Monitoring travels too: a warning acknowledged, a day, channels, a message.
        use xinjiao_store::{Channel, EvaluationStore, MonitoringStore, NewMessage, OrganisationStore};
        let s = xinjiao_store_sqlite::SqliteStore::open(dir.join("first.sqlite3")).unwrap();
        let ctx =
            xinjiao_store::WriteContext::new("system", jiff::Timestamp::from_second(1_795_000_000).unwrap(), "测试")
                .overseeing(true);
        let dept = s.departments().unwrap()[0].id;
        let raised = xinjiao_core::monitoring::warnings::Raised {
            rule: "penalties".into(),
            subject_id: s.max_subject_id().unwrap(),
            occasion: "record:1".into(),
            department_id: Some(dept),
            detail: "12 个月内受到行政处罚 3 次".into(),
        };
        let day = "2026-11-18".parse().unwrap();
        assert_eq!(s.save_warnings(&ctx, day, &[raised]).unwrap(), 1);
        let id = s.warnings(&Default::default(), 1).unwrap()[0].id;
        s.acknowledge_warning(&ctx, id).unwrap();
        s.finish_monitoring_day(
            &ctx,
            xinjiao_store::MonitoringDay { day, evaluated_at: ctx.at, raised: 1, rules_version: 1 },
        )
        .unwrap();
        s.set_channels(&ctx, dept, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "a@example.cn").unwrap();
        let m = NewMessage {
            dedupe_key: "k".into(),
            channel: Channel::Email,
            department_id: Some(dept),
            title: "t".into(),
            body: "b".into(),
        };
        s.enqueue(&ctx, &[m]).unwrap();
    }

    let out = xinjiao(&["copy", "--from", &first, "--to", &pg]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = xinjiao(&["copy", "--from", &pg, "--to", &back]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A second copy into a non-empty target is refused and changes nothing.
    let out = xinjiao(&["copy", "--from", &first, "--to", &back]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("不是空的"));

    let a = xinjiao_store_sqlite::SqliteStore::open(dir.join("first.sqlite3")).unwrap();
    let b = xinjiao_store_postgres::PgStore::open(&pg).unwrap();
    let c = xinjiao_store_sqlite::SqliteStore::open(dir.join("back.sqlite3")).unwrap();
    let (da, db, dc) = (full_dump(&a), full_dump(&b), full_dump(&c));
    let count =
        |d: &[(&str, Vec<Vec<xinjiao_store::DumpValue>>)], t: &str| d.iter().find(|x| x.0 == t).unwrap().1.len();
    assert!(count(&da, "record_versions") > count(&da, "records"), "the installation has history");
    assert!(count(&da, "events") > 1500 && count(&da, "api_tokens") == 1 && count(&da, "users") == 7);
    for t in ["warnings", "monitoring_days", "reminder_channels", "outbox"] {
        assert_eq!(count(&da, t), 1, "{t}");
    }
    for t in ["divisions", "departments", "declarations", "responsibilities", "documents", "submissions"] {
        assert!(count(&da, t) > 0, "the demo fills {t}");
    }
    for ((ta, ra), ((_, rb), (_, rc))) in da.iter().zip(db.iter().zip(dc.iter())) {
        assert_eq!(ra.len(), rb.len(), "{ta}: rows in PostgreSQL");
        assert_eq!(ra, rb, "{ta}: SQLite → PostgreSQL");
        assert_eq!(ra, rc, "{ta}: SQLite → PostgreSQL → SQLite");
    }
    // The three rates (counted from the derived day counts, rebuilt on restore) agree.
    let rates = |db: &str| {
        let out = xinjiao(&["rates", "--db", db, "--from", "2024-01", "--to", "2026-12"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let first_rates = rates(&first);
    assert!(first_rates.lines().count() > 50, "{first_rates}");
    assert_eq!(first_rates, rates(&pg));
    assert_eq!(first_rates, rates(&back));
    // The copies work as installations: search, profiles, ids continue.
    for s in [&a as &dyn Store, &b, &c] {
        assert_eq!(
            s.search_subjects("顺达", xinjiao_store::PageRequest::new(1, 50)).unwrap(),
            a.search_subjects("顺达", xinjiao_store::PageRequest::new(1, 50)).unwrap()
        );
    }
    let ctx = xinjiao_store::WriteContext::new("t", jiff::Timestamp::UNIX_EPOCH, "t");
    let next = b.append_event(&ctx, "test.event", None, None, "{}").unwrap();
    assert_eq!(next, count(&da, "events") as i64 + 1, "identity continues after the restored ids");
    drop((a, b, c));
    drop_pg_db(&pg_name);
    let _ = std::fs::remove_dir_all(&dir);
}
