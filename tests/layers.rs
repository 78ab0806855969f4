//! The architecture holds: each layer imports only what docs/ARCHITECTURE.md allows, outside
//! crates stay in the layer that owns them, and no modules import each other in a circle.
//! The sources are read with a Rust parser (see `layers/graph.rs`), so grouped imports,
//! `super::` paths, inline paths, macro arguments and test modules all count; the rules are
//! in `layers/rules.rs`, and `the_checker_catches_each_kind_of_forbidden_import` proves each
//! one fails on a crate built to break it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers may fail loudly

#[path = "layers/graph.rs"]
mod graph;
#[path = "layers/rules.rs"]
mod rules;
#[path = "layers/source.rs"]
mod source;

use std::collections::{BTreeMap, BTreeSet};

use graph::{Graph, Target};
use rstest::rstest;

fn crate_graph() -> Graph {
    Graph::build(&source::files(), &source::externals()).unwrap()
}

fn assert_none(what: &str, found: Vec<String>) {
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[test]
fn the_checker_reads_the_whole_crate() {
    let g = crate_graph();
    let files: BTreeSet<&str> = g.modules.iter().map(|m| m.file.as_str()).collect();
    let on_disk = source::files();
    let unread: Vec<&String> = on_disk
        .keys()
        .filter(|f| !files.contains(f.as_str()))
        .collect();
    assert!(
        unread.is_empty(),
        "files no `mod` reaches (the checker would skip them): {unread:?}"
    );
    assert!(
        g.modules.iter().any(|m| m.test),
        "no test module found: the checker skips them"
    );
}

#[test]
fn each_layer_imports_only_what_it_may() {
    assert_none(
        "a layer names one it may not",
        rules::layer_violations(&crate_graph()),
    );
}

#[test]
fn outside_crates_stay_in_the_layer_that_owns_them() {
    assert_none(
        "an outside crate used outside its layer",
        rules::external_violations(&crate_graph()),
    );
}

#[test]
fn the_core_is_pure() {
    assert_none(
        "the pure core does IO or reads the clock",
        rules::purity_violations(&crate_graph()),
    );
}

#[test]
fn the_console_holds_only_the_store_handle() {
    assert_none(
        "the console bypasses workflow",
        rules::console_store_violations(&crate_graph()),
    );
}

#[test]
// Outside src/store the workflow holds a narrow handle (`Db`, `Write`, `Tx`), never a
// rusqlite type, also not through a re-export.
fn no_rusqlite_outside_the_store() {
    assert_none(
        "rusqlite outside src/store",
        rules::sqlite_violations(&crate_graph()),
    );
}

#[test]
// `domain` must not name `config` (the reminder rules' value types live in `domain`).
fn pending_core_edges() {
    assert_none(
        "edges layers-core removes",
        rules::pending_core_violations(&crate_graph()),
    );
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let g = crate_graph();
    let found: Vec<String> = rules::cycles(&g)
        .iter()
        .map(|c| rules::describe_cycle(&g, c))
        .collect();
    assert_none("import circles", found);
}

// --- the checker itself, on small crates built to break one rule each ---------------------

/// A clean little crate with the crate's layer names; each case adds one file's text.
fn toy_crate(extra: &[(&str, &str)]) -> Graph {
    let mut files: BTreeMap<String, String> = [
        (
            "src/lib.rs",
            "pub mod cli;\npub mod domain;\npub mod phi;\npub mod store;\npub mod tui;\n",
        ),
        ("src/domain/mod.rs", "pub mod inner;\n"),
        ("src/domain/inner.rs", "pub struct Thing;\n"),
        ("src/phi/mod.rs", "mod a;\nmod b;\n"),
        ("src/phi/a.rs", "pub struct A;\n"),
        ("src/phi/b.rs", "pub struct B;\n"),
        ("src/store/mod.rs", "pub struct Store;\npub mod rows;\n"),
        ("src/store/rows.rs", "pub fn all() {}\n"),
        ("src/tui/mod.rs", "pub struct App;\n"),
        ("src/cli/mod.rs", "pub fn run() {}\n"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (file, text) in extra {
        files.entry(file.to_string()).or_default().push_str(text);
    }
    let externals = ["std", "rusqlite", "ratatui", "chrono"]
        .map(String::from)
        .into();
    Graph::build(&files, &externals).unwrap()
}

type Check = fn(&Graph) -> Vec<String>;

fn all_checks(g: &Graph) -> Vec<String> {
    let checks: [Check; 6] = [
        rules::layer_violations,
        rules::external_violations,
        rules::purity_violations,
        rules::console_store_violations,
        rules::sqlite_violations,
        |g| {
            rules::cycles(g)
                .iter()
                .map(|c| rules::describe_cycle(g, c))
                .collect()
        },
    ];
    checks.iter().flat_map(|c| c(g)).collect()
}

#[test]
fn the_toy_crate_is_clean() {
    assert_none(
        "the toy crate breaks a rule before any case",
        all_checks(&toy_crate(&[])),
    );
}

#[rstest]
#[case::grouped_import(
    "src/domain/mod.rs",
    "use crate::{store::{rows, Store}, phi};\n",
    "crate::store"
)]
#[case::nested_group_in_a_function(
    "src/store/rows.rs",
    "fn f() { use crate::{tui::{App}}; }\n",
    "crate::tui::App"
)]
#[case::super_super(
    "src/domain/inner.rs",
    "use super::super::cli::run;\n",
    "crate::cli::run"
)]
#[case::inline_path_without_use(
    "src/phi/a.rs",
    "fn f() { crate::store::rows::all(); }\n",
    "crate::store::rows::all"
)]
#[case::path_inside_a_macro(
    "src/domain/inner.rs",
    "fn f() -> String { format!(\"{:?}\", crate::tui::App) }\n",
    "crate::tui::App"
)]
#[case::tui_to_cli("src/tui/mod.rs", "use crate::cli;\n", "crate::cli")]
#[case::renamed_import(
    "src/store/mod.rs",
    "use crate::tui as console;\nfn f(_: console::App) {}\n",
    "crate::tui"
)]
#[case::test_module(
    "src/store/rows.rs",
    "#[cfg(test)]\nmod tests {\n    use crate::tui::App;\n}\n",
    "crate::tui::App"
)]
#[case::code_after_a_test_module(
    "src/domain/inner.rs",
    "#[cfg(test)]\nmod tests {}\npub fn later() { crate::cli::run() }\n",
    "crate::cli::run"
)]
fn the_checker_catches_each_kind_of_forbidden_import(
    #[case] file: &str,
    #[case] text: &str,
    #[case] names: &str,
) {
    let found = rules::layer_violations(&toy_crate(&[(file, text)]));
    assert!(
        found
            .iter()
            .any(|v| v.starts_with(&format!("{file}:")) && v.contains(names)),
        "{file} naming {names} was not caught; found: {found:?}"
    );
}

#[rstest]
#[case::direct("src/tui/mod.rs", "fn f(_: rusqlite::Connection) {}\n")]
#[case::through_a_store_reexport("src/tui/mod.rs", "fn f(_: &crate::store::Conn) {}\n")]
#[case::in_a_test_module(
    "src/domain/inner.rs",
    "#[cfg(test)]\nmod tests { use rusqlite::Connection; }\n"
)]
fn the_checker_catches_rusqlite_outside_the_store(#[case] file: &str, #[case] text: &str) {
    let reexport = (
        "src/store/mod.rs",
        "pub use rusqlite::Connection as Conn;\n",
    );
    let g = toy_crate(&[reexport, (file, text)]);
    let found = rules::sqlite_violations(&g);
    assert!(
        found.iter().any(|v| v.starts_with(&format!("{file}:"))),
        "not caught: {found:?}"
    );
    assert!(
        rules::sqlite_violations(&toy_crate(&[reexport])).is_empty(),
        "the store's own use of rusqlite is not a violation"
    );
}

#[test]
fn the_checker_catches_an_impure_core_and_a_terminal_outside_the_console() {
    let g = toy_crate(&[
        ("src/phi/b.rs", "fn f() { let _ = std::fs::read(\"x\"); }\n"),
        (
            "src/domain/inner.rs",
            "use chrono::Utc;\nfn g() { let _ = Utc::now(); }\n",
        ),
        ("src/store/rows.rs", "use ratatui::Frame;\n"),
    ]);
    let impure = rules::purity_violations(&g);
    assert!(
        impure
            .iter()
            .any(|v| v.starts_with("src/phi/b.rs:2") && v.contains("std::fs")),
        "{impure:?}"
    );
    assert!(
        impure
            .iter()
            .any(|v| v.starts_with("src/domain/inner.rs:3") && v.contains("Utc::now")),
        "{impure:?}"
    );
    let terminal = rules::external_violations(&g);
    assert!(
        terminal
            .iter()
            .any(|v| v.starts_with("src/store/rows.rs:2")),
        "{terminal:?}"
    );
}

#[test]
fn the_checker_catches_a_circle_between_files_of_one_room() {
    let g = toy_crate(&[
        ("src/phi/a.rs", "use super::b::B;\n"),
        ("src/phi/b.rs", "fn f() -> super::a::A { super::a::A }\n"),
    ]);
    let found = rules::cycles(&g);
    let names: Vec<Vec<String>> = found
        .iter()
        .map(|c| c.iter().map(|m| m.join("::")).collect())
        .collect();
    assert_eq!(
        names,
        vec![vec!["phi::a".to_string(), "phi::b".to_string()]]
    );
    // A circle through the parent's re-export counts too.
    let g = toy_crate(&[
        ("src/phi/mod.rs", "pub use a::A;\n"),
        ("src/phi/a.rs", "use super::b::B;\n"),
        ("src/phi/b.rs", "use super::A;\n"),
    ]);
    assert_eq!(
        rules::cycles(&g).len(),
        1,
        "a circle through a re-export was missed"
    );
}

#[test]
#[ignore = "prints the layer matrix"]
fn print_matrix() {
    let g = crate_graph();
    let mut m: BTreeMap<(String, String, bool), Vec<String>> = BTreeMap::new();
    for r in &g.refs {
        let to = match g.canonical(&r.target) {
            Target::Crate(p) => rules::layer(&p).to_string(),
            Target::External(p) => format!("ext:{}", p[0]),
        };
        let from = rules::layer(&r.from).to_string();
        if from != to {
            m.entry((from, to, r.test)).or_default().push(format!(
                "{}:{} {}",
                r.file,
                r.line,
                r.target.display()
            ));
        }
    }
    for ((f, t, test), v) in m {
        println!(
            "{f} -> {t}{} ({}) e.g. {}",
            if test { " [test]" } else { "" },
            v.len(),
            v[0]
        );
    }
    println!("modules: {}", g.modules.len());
}
