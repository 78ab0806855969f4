//! The architecture holds: each layer imports only what docs/ARCHITECTURE.md allows.
//! A cheap scan of the sources, so a violation fails CI instead of growing quietly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && !p.components().any(|c| c.as_os_str() == "tests")
        {
            out.push(p);
        }
    }
}

/// Lines of code outside `#[cfg(test)]` modules (tests may build fixtures with anything).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let cut = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..cut].lines().enumerate().map(|(i, l)| (i + 1, l))
}

fn violations(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in code_lines(&text) {
            let code = line.split("//").next().unwrap_or("");
            for bad in forbidden {
                if code.contains(bad) {
                    found.push(format!("{}:{n}: uses `{bad}`", f.display()));
                }
            }
        }
    }
    found
}

#[test]
fn the_core_is_pure() {
    let forbidden = [
        "crate::store",
        "crate::provider",
        "crate::workflow",
        "crate::tui",
        "crate::cli",
        "crate::clock",
        "rusqlite",
        "reqwest",
        "ratatui",
        "crossterm",
        "tokio",
        "std::fs",
        "std::net",
        "std::process",
        "Utc::now",
        "SystemTime",
    ];
    let mut v = violations("domain", &forbidden);
    v.extend(violations("phi", &forbidden));
    assert!(
        v.is_empty(),
        "the pure core does IO or reaches into the shell:\n{}",
        v.join("\n")
    );
}

#[test]
fn only_the_store_touches_sqlite_and_only_the_provider_touches_http() {
    for dir in ["domain", "phi", "provider", "workflow", "tui", "cli"] {
        let v = violations(dir, &["rusqlite"]);
        assert!(v.is_empty(), "rusqlite outside store:\n{}", v.join("\n"));
    }
    for dir in ["domain", "phi", "store", "workflow", "tui", "cli"] {
        let v = violations(dir, &["reqwest"]);
        assert!(v.is_empty(), "reqwest outside provider:\n{}", v.join("\n"));
    }
    for dir in ["domain", "phi", "store", "provider", "workflow", "cli"] {
        let v = violations(dir, &["ratatui", "crossterm"]);
        assert!(v.is_empty(), "terminal code outside tui:\n{}", v.join("\n"));
    }
}

#[test]
fn store_and_provider_do_not_reach_up() {
    for dir in ["store", "provider"] {
        let v = violations(dir, &["crate::workflow", "crate::tui", "crate::cli"]);
        assert!(v.is_empty(), "{dir} reaches up:\n{}", v.join("\n"));
    }
    let v = violations("store", &["crate::provider"]);
    assert!(v.is_empty(), "store calls the provider:\n{}", v.join("\n"));
}

#[test]
fn the_console_reaches_data_only_through_workflow() {
    // The worker may hold the opaque `Store` handle it passes to workflow functions, but the
    // console never runs a query or talks to a provider itself.
    let forbidden = [
        "store::appointments",
        "store::patients",
        "store::messages",
        "store::consent",
        "store::day",
        "store::audit",
        "store::settings",
        "store::templates",
        "store::reference",
        "crate::provider",
    ];
    let v = violations("tui", &forbidden);
    assert!(
        v.is_empty(),
        "the console bypasses workflow:\n{}",
        v.join("\n")
    );
}
