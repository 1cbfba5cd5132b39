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
        assert!(["jiff", "toml"].contains(&name), "core depends on {name}; keep it to pure crates");
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
