//! Tidy checks, run as an ordinary test: the invariants of ARCHITECTURE.md
//! that can be read off the source text.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

fn rel(p: &Path) -> String {
    p.strip_prefix(workspace()).unwrap().display().to_string()
}

#[test]
fn every_source_file_starts_with_a_module_doc() {
    let missing: Vec<String> = sources()
        .iter()
        .filter(|(p, text)| p.components().any(|c| c.as_os_str() == "src") && !text.starts_with("//!"))
        .map(|(p, _)| rel(p))
        .collect();
    assert!(missing.is_empty(), "files without a //! module doc: {missing:?}");
}

#[test]
fn no_leftover_debugging_or_placeholders() {
    // Built at run time so that this file does not match itself.
    let bad: Vec<String> = ["todo", "dbg", "unimplemented"].iter().map(|m| format!("{m}!(")).collect();
    for (p, text) in sources() {
        for (i, line) in text.lines().enumerate() {
            assert!(!bad.iter().any(|b| line.contains(b.as_str())), "{}:{}: {line}", rel(&p), i + 1);
            assert!(!line.ends_with(' ') && !line.ends_with('\t'), "{}:{}: trailing white space", rel(&p), i + 1);
        }
    }
}

#[test]
fn the_core_stays_pure() {
    for (p, text) in sources() {
        if !rel(&p).starts_with("crates/xinjiao-core/src") {
            continue;
        }
        for forbidden in ["std::fs", "std::net", "Timestamp::now", "SystemTime::now", "Zoned::now", "tokio", "std::env"]
        {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", rel(&p));
        }
    }
    let manifest = std::fs::read_to_string(workspace().join("crates/xinjiao-core/Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    for line in deps.lines().filter(|l| !l.trim().is_empty()) {
        let name = line.split(['.', '=', ' ']).next().unwrap();
        // sha2: the draws (issue 14) are specified in SHA-256; ed25519-dalek and
        // base64: signed notes (issue 15's receipts, issue 16's checkpoints) are
        // specified in Ed25519 and base64. All pure computation; keys come in as
        // values, never from a file or the system's randomness.
        assert!(
            ["jiff", "toml", "sha2", "ed25519-dalek", "base64"].contains(&name),
            "core depends on {name}; keep it to pure crates"
        );
    }
}

#[test]
fn the_clock_is_read_only_in_the_binary() {
    for (p, text) in sources() {
        let r = rel(&p);
        if r.starts_with("crates/xinjiao/src") || r.contains("/tests/") {
            continue;
        }
        assert!(!text.contains("Timestamp::now"), "{r} reads the clock");
    }
}

#[test]
fn sql_stays_in_the_store_crates() {
    for (p, text) in sources() {
        let r = rel(&p);
        if r.starts_with("crates/xinjiao-store") || r.contains("/tests/") {
            continue;
        }
        // Built at run time so that this file does not match itself.
        for kw in
            [concat!("SEL", "ECT "), concat!("INSERT", " INTO "), concat!("DELETE", " FROM "), concat!("UP", "DATE ")]
                .map(|k| format!("\"{k}"))
        {
            assert!(!text.contains(&kw), "{r} contains SQL ({kw})");
        }
    }
}

#[test]
fn both_backends_ship_the_same_migration_versions() {
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(workspace().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("crates/xinjiao-store-sqlite/migrations"), names("crates/xinjiao-store-postgres/migrations"));
}

/// The web crate's modules as a graph: each file (`kernel/auth`, `records/portal`,
/// `records` for `records/mod.rs`, `lib`) and the modules it names through
/// `crate::…`, `super::…` or, in a `mod.rs`, its children. Comments and the
/// unit tests at the end of a file (`#[cfg(test)]`) are skipped.
fn web_module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = workspace().join("crates/xinjiao-web/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let node = |p: &Path| -> String {
        let r = p.strip_prefix(&src).unwrap().with_extension("").display().to_string();
        r.strip_suffix("/mod").map(str::to_string).unwrap_or(r)
    };
    let nodes: std::collections::BTreeSet<String> = files.iter().map(|p| node(p)).collect();
    // `a::b` names module `a/b` when there is one, else `a` (an item of `a`).
    let resolve = |a: &str, b: &str| -> String {
        let ab = format!("{a}/{b}");
        if nodes.contains(&ab) { ab } else { a.to_string() }
    };
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut graph = std::collections::BTreeMap::new();
    for p in &files {
        let me = node(p);
        let folder = me.split('/').next().unwrap().to_string();
        let is_mod = p.ends_with("mod.rs");
        let mut out = std::collections::BTreeSet::new();
        let text = std::fs::read_to_string(p).unwrap();
        let (code, tests) = text.split_once("#[cfg(test)]").unwrap_or((&text, ""));
        // The unit tests must be the end of the file, so that no code hides after them.
        let mut depth = 0i32;
        let closed_at = tests.char_indices().find_map(|(i, c)| {
            depth += i32::from(c == '{') - i32::from(c == '}');
            (c == '}' && depth == 0).then_some(i)
        });
        assert!(
            closed_at.is_none_or(|i| tests[i + 1..].trim().is_empty()),
            "{}: code after the #[cfg(test)] module; keep unit tests at the end",
            rel(p)
        );
        for line in code.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let a = ident(rest);
                let b = rest.get(a.len() + 2..).map(ident).unwrap_or_default();
                out.insert(if nodes.contains(&a) || nodes.iter().any(|n| n.starts_with(&format!("{a}/"))) {
                    resolve(&a, &b)
                } else {
                    "lib".to_string()
                });
            }
            for (i, _) in line.match_indices("super::") {
                let a = ident(&line[i + "super::".len()..]);
                out.insert(if is_mod { "lib".to_string() } else { resolve(&folder, &a) });
            }
            if is_mod && let Some(child) = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod ")) {
                out.insert(format!("{me}/{}", ident(child)));
            }
        }
        out.remove(&me);
        graph.insert(me, out);
    }
    graph
}

/// ARCHITECTURE.md, "The web crate": a kernel that every capability module
/// uses and that uses none of them; capability modules that never import
/// each other; no circle among modules.
#[test]
fn web_capabilities_stay_apart_and_the_kernel_uses_none() {
    let graph = web_module_graph();
    let top = |n: &str| n.split('/').next().unwrap().to_string();
    for (from, to) in &graph {
        let home = top(from);
        if home == "lib" || home == "openapi" {
            continue;
        }
        for t in to {
            let there = top(t);
            if home == "kernel" {
                assert!(there == "kernel", "the kernel module {from} uses {t}; the kernel uses no capability");
            } else {
                assert!(
                    there == home || there == "kernel",
                    "the capability module {from} uses {t}; capabilities share only the kernel"
                );
            }
        }
    }
    // No circle: a depth-first search that meets a module on its own path.
    fn visit<'a>(
        n: &'a str,
        graph: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
    ) {
        if done.contains(n) {
            return;
        }
        assert!(!path.contains(&n), "import circle among web modules: {} -> {n}", path.join(" -> "));
        path.push(n);
        for t in graph.get(n).into_iter().flatten() {
            visit(t, graph, path, done);
        }
        path.pop();
        done.insert(n);
    }
    let mut done = std::collections::BTreeSet::new();
    for n in graph.keys() {
        visit(n, &graph, &mut Vec::new(), &mut done);
    }
    // The graph is what the checks above read: every capability is in it.
    for cap in ["records", "organisation", "reporting", "lifecycle", "accounts", "calendar", "kernel/state"] {
        assert!(graph.contains_key(cap), "{cap} is not a module of the web crate");
    }
}

/// Which capability owns each table: the backend module of that name is the
/// only one whose SQL writes it (ARCHITECTURE.md, "Capability map").
const TABLE_OWNERS: &[(&str, &[&str])] = &[
    ("records", &["subjects", "subjects_fts", "records", "record_versions", "record_day_counts", "submissions"]),
    ("lifecycle", &["objections", "objection_attachments", "repairs"]),
    ("organisation", &["divisions", "departments", "declarations", "responsibilities", "documents"]),
    ("accounts", &["users", "sessions", "api_tokens", "subject_accounts", "claim_codes", "subject_sessions"]),
    ("audit", &["events"]),
    ("calendar", &["calendar_years"]),
    ("evaluation", &["credit_events", "evaluation_runs", "evaluations", "result_objections"]),
    (
        "inspection",
        &["inspection_matters", "inspectors", "inspector_conflicts", "draws", "draw_results", "inspection_results"],
    ),
    ("monitoring", &["warnings", "monitoring_days", "reminder_channels", "outbox"]),
    ("lists", &["vehicles", "overload_detections", "list_entries", "list_objections", "check_partners"]),
    ("transparency", &["log_entries", "log_hashes", "log_checkpoints", "reports", "log_peers"]),
    ("commitments", &["commitments", "commitment_scans", "education_acks"]),
    ("installation", &["meta", "schema_migrations"]),
];

/// Every table the migrations create has an owner, and no backend module's SQL
/// writes (INSERT, UPDATE, DELETE) a table of another capability: another
/// capability's rows change through its module's functions, in the same
/// transaction. (Reads may join across capabilities.)
#[test]
fn each_capability_writes_only_its_own_tables() {
    let owner = |table: &str| TABLE_OWNERS.iter().find(|(_, ts)| ts.contains(&table)).map(|(c, _)| *c);
    for backend in ["sqlite", "postgres"] {
        let root = workspace().join(format!("crates/xinjiao-store-{backend}"));
        for entry in std::fs::read_dir(root.join("migrations")).unwrap() {
            let sql = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for (i, _) in sql.match_indices("CREATE ").filter(|(i, _)| sql[*i..].contains("TABLE")) {
                let words: Vec<&str> = sql[i..].split_whitespace().take(6).collect();
                if let Some(pos) = words.iter().position(|w| *w == "TABLE") {
                    let table = words[pos + 1].trim_start_matches("IF").trim_end_matches('(');
                    let table = if table.is_empty() { words[pos + 4] } else { table };
                    assert!(owner(table).is_some(), "{backend}: table {table} has no owner in TABLE_OWNERS");
                }
            }
        }
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        for p in files {
            let module = p.file_stem().unwrap().to_string_lossy().replace("migrate", "installation");
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            // Built at run time so that this file holds no SQL of its own.
            for verb in [
                concat!("INSERT", " INTO "),
                concat!("INSERT", " OR REPLACE INTO "),
                concat!("UP", "DATE "),
                concat!("DELETE", " FROM "),
            ] {
                for (i, _) in code.match_indices(verb) {
                    let table: String =
                        code[i + verb.len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if let Some(o) = owner(&table) {
                        assert_eq!(o, module, "{}: {verb}{table} — only the {o} module writes {table}", rel(&p));
                    }
                }
            }
        }
    }
}
