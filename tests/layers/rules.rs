//! The rules docs/ARCHITECTURE.md states, checked against a [`Graph`]: which layer may name
//! which, which outside crate belongs to which layer, and no circle of imports between
//! modules. Each check returns its violations as `file:line: what` lines, so that a test can
//! feed it a made-up crate and see it fail.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{Graph, ModPath, Reference, Target};

/// The top-level module a path is in: `tui`, `store`, `main` (the binary), `lib` (the root).
pub fn layer(path: &[String]) -> &str {
    path.first().map_or("lib", String::as_str)
}

/// The crate's layers each layer may name (beside itself and the crate root), in production
/// and test code alike. A layer missing here may name nothing of the crate.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("phi", &["domain"]),
    ("store", &["domain"]),
    ("provider", &["domain", "config"]),
    (
        "workflow",
        &[
            "domain", "phi", "store", "provider", "clock", "config", "paths", "files",
        ],
    ),
    ("app_context", &["clock", "config", "paths"]),
    // The console reaches data only through workflow (run on its worker); from `store` it
    // may hold the opaque handle (checked by `console_holds_only_the_store_handle`).
    // It may name the pure core (`domain`, `phi`) for its types and for checks that must run
    // on every keystroke (the live PHI gate), never anything that does IO.
    (
        "tui",
        &[
            "app_context",
            "domain",
            "phi",
            "workflow",
            "config",
            "clock",
            "store",
        ],
    ),
    // `cli/runtime.rs` and `cli/import.rs` still build the gate and the providers from the
    // configuration (phi, provider): issue 7 item 1 wants that behind workflow.
    (
        "cli",
        &[
            "app_context",
            "domain",
            "workflow",
            "store",
            "config",
            "paths",
            "files",
            "clock",
            "phi",
            "provider",
            "tui",
        ],
    ),
    ("config", &["domain", "files"]),
    ("clock", &[]),
    ("paths", &[]),
    ("logging", &[]),
    ("files", &[]),
    (TESTING, &[]),
];

/// The test-support module (`src/testing.rs`, `#[cfg(test)]`): any layer's test code may name
/// it; it may name no layer.
const TESTING: &str = "testing";

/// Layers whose edges the core refactoring (branch layers-core) is removing: `domain` naming
/// `config` (the reminder rules' value types move into `domain`). Checked by the ignored
/// test `pending_core_edges` until that branch merges.
pub const PENDING_CORE: &[(&str, &str)] = &[("domain", "config")];

/// Which outside crates (or paths in them) belong to exactly one layer.
const OWNED_EXTERNALS: &[(&str, &[&str])] = &[
    ("reqwest", &["provider"]),
    ("ratatui", &["tui"]),
    ("crossterm", &["tui"]),
    ("signal_hook", &["tui"]),
    ("clap", &["cli", "main"]),
    ("rpassword", &["cli"]),
];

/// What the pure core (`domain`, `phi`) never names in production code: IO, the clock,
/// threads and runtimes. (Its tests may read a file of cases or an env var for a tool.)
const IMPURE: &[&str] = &[
    "rusqlite",
    "reqwest",
    "ratatui",
    "crossterm",
    "tokio",
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "std::thread",
    "std::time::SystemTime",
    "std::time::Instant",
    "chrono::Utc::now",
    "chrono::Local",
];

/// The targets a reference really names, re-exports followed.
fn resolved(g: &Graph, r: &Reference) -> Target {
    g.canonical(&r.target)
}

fn at(r: &Reference) -> String {
    format!("{}:{}", r.file, r.line)
}

fn list(table: &[(&str, &'static [&'static str])], key: &str) -> Option<&'static [&'static str]> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// A layer naming a layer it may not, in production or test code alike.
pub fn layer_violations(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for r in &g.refs {
        let Target::Crate(to) = resolved(g, r) else {
            continue;
        };
        let (from, to) = (layer(&r.from), layer(&to).to_string());
        if from == to || to == "lib" || from == "main" || from == "lib" {
            continue;
        }
        if PENDING_CORE.contains(&(from, to.as_str())) {
            continue;
        }
        // `testing` is test support (compiled for tests only) that names no layer itself:
        // every layer's tests may use it.
        if r.test && to == TESTING {
            continue;
        }
        let may = list(MAY_IMPORT, from).unwrap_or(&[]);
        if !may.contains(&to.as_str()) {
            let kind = if r.test { "test code in " } else { "" };
            out.push(format!(
                "{}: {kind}{from} names {} ({to})",
                at(r),
                r.target.display()
            ));
        }
    }
    out
}

/// The edges listed in [`PENDING_CORE`] that still exist.
pub fn pending_core_violations(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for r in &g.refs {
        let Target::Crate(to) = resolved(g, r) else {
            continue;
        };
        if PENDING_CORE.contains(&(layer(&r.from), layer(&to))) {
            out.push(format!(
                "{}: {} names {}",
                at(r),
                layer(&r.from),
                r.target.display()
            ));
        }
    }
    out
}

/// An outside crate used by a layer that does not own it.
pub fn external_violations(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for r in &g.refs {
        let Target::External(p) = resolved(g, r) else {
            continue;
        };
        let Some(owners) = list(OWNED_EXTERNALS, &p[0]) else {
            continue;
        };
        let from = layer(&r.from);
        if !owners.contains(&from) {
            out.push(format!(
                "{}: {from} names {} (only {owners:?} may)",
                at(r),
                p.join("::")
            ));
        }
    }
    out
}

/// `rusqlite` (directly, through a re-export like `store::Conn`, or `rusqlite_migration`)
/// named outside `src/store/`.
pub fn sqlite_violations(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for r in &g.refs {
        let Target::External(p) = resolved(g, r) else {
            continue;
        };
        if p[0].starts_with("rusqlite") && layer(&r.from) != "store" {
            out.push(format!(
                "{}: {} names {} (as {})",
                at(r),
                layer(&r.from),
                p.join("::"),
                r.target.display()
            ));
        }
    }
    out
}

/// The pure core doing IO, reading the clock, or naming any layer of the shell.
pub fn purity_violations(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for r in &g.refs {
        if r.test || !matches!(layer(&r.from), "domain" | "phi") {
            continue;
        }
        let Target::External(p) = resolved(g, r) else {
            continue;
        };
        let path = p.join("::");
        if let Some(bad) = IMPURE
            .iter()
            .find(|bad| path == **bad || path.starts_with(&format!("{bad}::")))
        {
            out.push(format!("{}: the pure core names {path} ({bad})", at(r)));
        }
    }
    out
}

/// The console naming anything of `store` but the opaque handle and its error.
pub fn console_store_violations(g: &Graph) -> Vec<String> {
    let handle = [
        vec!["store".to_string(), "Store".into()],
        vec!["store".into(), "StoreError".into()],
        // The same error where it is defined (`store` re-exports it).
        vec!["store".into(), "error".into(), "StoreError".into()],
    ];
    let mut out = Vec::new();
    for r in g.refs.iter().filter(|r| !r.test && layer(&r.from) == "tui") {
        let Target::Crate(to) = resolved(g, r) else {
            continue;
        };
        if layer(&to) == "store" && !handle.iter().any(|h| to.starts_with(h)) {
            out.push(format!(
                "{}: the console names {} (only store::Store)",
                at(r),
                r.target.display()
            ));
        }
    }
    out
}

/// Circles of imports between modules (files or inline modules) in production code. A module
/// may use its own descendants (a `mod.rs` re-exports and wires its children); every other
/// edge counts, so `a -> b -> a` between siblings, or a child reaching a sibling through
/// their parent's re-export, is a circle.
pub fn cycles(g: &Graph) -> Vec<Vec<ModPath>> {
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for r in g.refs.iter().filter(|r| !r.test) {
        let Target::Crate(to) = resolved(g, r) else {
            continue;
        };
        let to = g.module_of(&to);
        if to.starts_with(&r.from) || to.is_empty() || r.from.first().is_some_and(|m| m == "main") {
            continue;
        }
        edges.entry(r.from.clone()).or_default().insert(to);
    }
    strongly_connected(&edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect()
}

/// Tarjan's algorithm, iterative enough for a few hundred modules.
fn strongly_connected(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct State<'e> {
        edges: &'e BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'e ModPath, usize>,
        low: BTreeMap<&'e ModPath, usize>,
        stack: Vec<&'e ModPath>,
        on_stack: BTreeSet<&'e ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'e>(s: &mut State<'e>, v: &'e ModPath) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            comp.sort();
            s.out.push(comp);
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// A circle as `a -> b -> a` lines with one reference per edge, to find it in the sources.
pub fn describe_cycle(g: &Graph, cycle: &[ModPath]) -> String {
    let members: BTreeSet<&ModPath> = cycle.iter().collect();
    let mut lines = vec![format!(
        "circle: {}",
        cycle
            .iter()
            .map(|m| m.join("::"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let mut seen = BTreeSet::new();
    for r in g
        .refs
        .iter()
        .filter(|r| !r.test && members.contains(&r.from))
    {
        let Target::Crate(to) = resolved(g, r) else {
            continue;
        };
        let to = g.module_of(&to);
        if members.contains(&to)
            && to != r.from
            && !to.starts_with(&r.from)
            && seen.insert((r.from.clone(), to.clone()))
        {
            lines.push(format!(
                "  {}: {} -> {}",
                at(r),
                r.from.join("::"),
                to.join("::")
            ));
        }
    }
    lines.join("\n")
}
