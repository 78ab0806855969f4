//! The crate's module tree and every path each module names, read with `syn` (a real Rust
//! parser) so that grouped and nested `use` trees, renames, globs, `super::super` paths,
//! paths written inline without a `use`, paths inside macro calls and `#[cfg(test)]` code all
//! count, which a text scan would miss or get wrong.
//!
//! Modules are found the way rustc finds them: from `src/lib.rs` (and `src/main.rs`, whose
//! `frontdesk::` paths name the library) through every `mod` item, inline or in a file
//! (`name.rs` or `name/mod.rs`, or a `#[path]`). A module, or any item, under `#[cfg(test)]`,
//! `#[test]` or a test attribute is test code; so is everything below it.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::visit::Visit;

/// A module path inside the crate: `["tui", "screens", "day"]`; the crate root is `[]`; the
/// binary's `main.rs` is `["main"]`.
pub type ModPath = Vec<String>;

/// One module: its path, the file it lives in, whether it is test code.
#[derive(Clone, Debug)]
pub struct Module {
    pub path: ModPath,
    pub file: String,
    pub test: bool,
}

/// What a path names: something in this crate (segments after `crate::`) or in another crate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Crate(Vec<String>),
    External(Vec<String>),
}

impl Target {
    /// `crate::store::Store`, `rusqlite::Connection`.
    pub fn display(&self) -> String {
        match self {
            Target::Crate(p) if p.is_empty() => "crate".to_string(),
            Target::Crate(p) => format!("crate::{}", p.join("::")),
            Target::External(p) => p.join("::"),
        }
    }
}

/// One path named in the sources.
#[derive(Clone, Debug)]
pub struct Reference {
    pub file: String,
    pub line: usize,
    /// The module whose code names it.
    pub from: ModPath,
    /// Inside test code.
    pub test: bool,
    pub target: Target,
}

/// The module tree and its references.
#[derive(Debug, Default)]
pub struct Graph {
    pub modules: Vec<Module>,
    pub refs: Vec<Reference>,
    /// `pub use` items: (module, the name it exports) → what that name is.
    pub reexports: BTreeMap<(ModPath, String), Target>,
}

impl Graph {
    /// Read `files` (path → text, paths like `src/tui/app.rs`) starting at `src/lib.rs` and
    /// `src/main.rs`. `externals` are the names of other crates (std, core and dependencies);
    /// a path starting with anything else that is neither in scope nor a module is a local
    /// name (a type, a variant) and ignored.
    pub fn build(
        files: &BTreeMap<String, String>,
        externals: &BTreeSet<String>,
    ) -> Result<Graph, String> {
        let mut g = Graph::default();
        for (root, path) in [
            ("src/lib.rs", Vec::new()),
            ("src/main.rs", vec!["main".into()]),
        ] {
            if files.contains_key(root) {
                let walker = Walker { files, externals };
                let at = Place {
                    file: root,
                    module: path,
                    dir: "src".into(),
                    test: false,
                };
                walker.file(&mut g, at, &Aliases::new())?;
            }
        }
        Ok(g)
    }

    /// The module (by the longest known prefix) a crate path lands in.
    pub fn module_of(&self, path: &[String]) -> ModPath {
        let known: BTreeSet<&ModPath> = self.modules.iter().map(|m| &m.path).collect();
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| known.contains(p))
            .unwrap_or_default()
    }

    /// What a path really names once `pub use` re-exports are followed:
    /// `crate::store::Conn` → `rusqlite::Connection`.
    pub fn canonical(&self, target: &Target) -> Target {
        let mut t = target.clone();
        for _ in 0..16 {
            let Target::Crate(p) = &t else { return t };
            let hop = (1..=p.len()).rev().find_map(|n| {
                let key = (p[..n - 1].to_vec(), p[n - 1].clone());
                self.reexports
                    .get(&key)
                    .map(|to| (to.clone(), p[n..].to_vec()))
            });
            let Some((mut to, rest)) = hop else { return t };
            match &mut to {
                Target::Crate(q) | Target::External(q) => q.extend(rest),
            }
            if to == t {
                return t;
            }
            t = to;
        }
        t
    }
}

/// Names brought into scope by `use`: the last segment (or the rename) → what it names.
type Aliases = BTreeMap<String, Target>;

struct Walker<'a> {
    files: &'a BTreeMap<String, String>,
    externals: &'a BTreeSet<String>,
}

/// One module's scope while its items are read.
struct Scope<'s> {
    file: &'s str,
    module: ModPath,
    test: bool,
    children: BTreeSet<String>,
    aliases: Aliases,
}

/// Where a module is: its file, its path, the folder its child files live in, whether it is
/// test code.
struct Place<'p> {
    file: &'p str,
    module: ModPath,
    dir: String,
    test: bool,
}

impl Walker<'_> {
    fn file(&self, g: &mut Graph, at: Place, parent_aliases: &Aliases) -> Result<(), String> {
        let text = self
            .files
            .get(at.file)
            .ok_or_else(|| format!("module {} has no file {}", at.module.join("::"), at.file))?;
        let ast = syn::parse_file(text).map_err(|e| format!("{}: {e}", at.file))?;
        self.module(g, at, &ast.items, parent_aliases)
    }

    /// Read one module's items: its `use`s, its paths, then its child modules.
    fn module(
        &self,
        g: &mut Graph,
        at: Place,
        items: &[syn::Item],
        parent_aliases: &Aliases,
    ) -> Result<(), String> {
        g.modules.push(Module {
            path: at.module.clone(),
            file: at.file.to_string(),
            test: at.test,
        });
        let children = items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Mod(m) => Some(m.ident.to_string()),
                _ => None,
            })
            .collect();
        let mut scope = Scope {
            file: at.file,
            module: at.module.clone(),
            test: at.test,
            children,
            aliases: Aliases::new(),
        };
        self.uses(g, &mut scope, items, parent_aliases);
        for item in items {
            if matches!(item, syn::Item::Mod(_) | syn::Item::Use(_)) {
                continue;
            }
            let mut v = PathVisitor {
                walker: self,
                scope: &scope,
                test: at.test || is_test(item_attrs(item)),
                found: Vec::new(),
            };
            v.visit_item(item);
            g.refs.extend(v.found);
        }
        for item in items {
            if let syn::Item::Mod(m) = item {
                self.child(g, &scope, &at.dir, m)?;
            }
        }
        Ok(())
    }

    /// A child module, inline or in its own file.
    fn child(
        &self,
        g: &mut Graph,
        scope: &Scope,
        dir: &str,
        m: &syn::ItemMod,
    ) -> Result<(), String> {
        let name = m.ident.to_string();
        let mut module = scope.module.clone();
        module.push(name.clone());
        let test = scope.test || is_test(&m.attrs);
        if let Some((_, items)) = &m.content {
            let dir = format!("{dir}/{name}");
            let at = Place {
                file: scope.file,
                module,
                dir,
                test,
            };
            return self.module(g, at, items, &scope.aliases);
        }
        let file_dir = scope.file.rsplit_once('/').map_or("", |(d, _)| d);
        let candidates = match path_attr(&m.attrs) {
            Some(p) => vec![format!("{file_dir}/{p}")],
            None => vec![format!("{dir}/{name}.rs"), format!("{dir}/{name}/mod.rs")],
        };
        let found = candidates
            .iter()
            .find(|c| self.files.contains_key(c.as_str()))
            .ok_or_else(|| {
                format!(
                    "{}: no file for `mod {name}` (looked for {candidates:?})",
                    scope.file
                )
            })?;
        let dir = match found.strip_suffix("/mod.rs") {
            Some(d) => d.to_string(),
            None => found.trim_end_matches(".rs").to_string(),
        };
        self.file(
            g,
            Place {
                file: found,
                module,
                dir,
                test,
            },
            &scope.aliases,
        )
    }

    /// Every `use` in the module's scope (also inside function bodies): references, and the
    /// names they bring in. `use super::*` also brings in what the parent's `use`s did.
    fn uses(&self, g: &mut Graph, scope: &mut Scope, items: &[syn::Item], parent: &Aliases) {
        let mut collect = UseCollector::default();
        for item in items {
            let test = scope.test || is_test(item_attrs(item));
            match item {
                syn::Item::Use(u) => collect.uses.push((u.clone(), test)),
                syn::Item::Mod(_) => {}
                other => {
                    collect.test = test;
                    collect.visit_item(other);
                }
            }
        }
        for (u, test) in collect.uses {
            let exported = !matches!(u.vis, syn::Visibility::Inherited);
            let mut flat = Vec::new();
            flatten(&u.tree, Vec::new(), &mut flat);
            for (segments, alias, line) in flat {
                let glob = alias.as_deref() == Some("*");
                let Some(target) = self.resolve(scope, &segments) else {
                    continue;
                };
                if glob && segments.first().is_some_and(|s| s == "super") {
                    for (k, v) in parent {
                        scope.aliases.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                if let Some(name) = alias.filter(|a| a != "*" && a != "_") {
                    if exported {
                        g.reexports
                            .insert((scope.module.clone(), name.clone()), target.clone());
                    }
                    scope.aliases.insert(name, target.clone());
                }
                g.refs.push(Reference {
                    file: scope.file.to_string(),
                    line,
                    from: scope.module.clone(),
                    test,
                    target,
                });
            }
        }
    }

    /// What `segments` names from inside `scope`, if anything outside the local code.
    fn resolve(&self, scope: &Scope, segments: &[String]) -> Option<Target> {
        let first = segments.first()?.as_str();
        let rest = || segments[1..].to_vec();
        match first {
            "crate" | "frontdesk" | "$crate" => Some(Target::Crate(rest())),
            "self" => Some(Target::Crate([scope.module.clone(), rest()].concat())),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let keep = scope.module.len().checked_sub(ups)?;
                let base = scope.module[..keep].to_vec();
                Some(Target::Crate([base, segments[ups..].to_vec()].concat()))
            }
            _ => {
                if let Some(t) = scope.aliases.get(first) {
                    let mut t = t.clone();
                    match &mut t {
                        Target::Crate(p) | Target::External(p) => p.extend(rest()),
                    }
                    Some(t)
                } else if scope.children.contains(first) {
                    Some(Target::Crate(
                        [scope.module.clone(), segments.to_vec()].concat(),
                    ))
                } else if self.externals.contains(first) {
                    Some(Target::External(segments.to_vec()))
                } else {
                    None
                }
            }
        }
    }
}

/// `use` items anywhere below a module item (function bodies, impls), not in child modules.
#[derive(Default)]
struct UseCollector {
    uses: Vec<(syn::ItemUse, bool)>,
    test: bool,
}

impl<'ast> Visit<'ast> for UseCollector {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.uses.push((u.clone(), self.test));
    }
    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {}
}

/// A `use` tree as flat paths, each with the name it brings in (`*` for a glob, `_` for
/// none) and its line.
fn flatten(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>, usize)>,
) {
    let with = |ident: &syn::Ident| {
        let mut p = prefix.clone();
        p.push(ident.to_string());
        p
    };
    match tree {
        syn::UseTree::Path(p) => flatten(&p.tree, with(&p.ident), out),
        syn::UseTree::Name(n) if n.ident == "self" => {
            let name = prefix.last().cloned();
            out.push((prefix.clone(), name, line(n.ident.span())));
        }
        syn::UseTree::Name(n) => out.push((
            with(&n.ident),
            Some(n.ident.to_string()),
            line(n.ident.span()),
        )),
        syn::UseTree::Rename(r) => {
            let path = if r.ident == "self" {
                prefix.clone()
            } else {
                with(&r.ident)
            };
            out.push((path, Some(r.rename.to_string()), line(r.ident.span())));
        }
        syn::UseTree::Glob(g) => out.push((
            prefix.clone(),
            Some("*".into()),
            line(g.star_token.spans[0]),
        )),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten(t, prefix.clone(), out);
            }
        }
    }
}

/// Every path in one item (types, expressions, patterns, macro calls and their tokens).
struct PathVisitor<'w, 's> {
    walker: &'w Walker<'w>,
    scope: &'s Scope<'s>,
    test: bool,
    found: Vec<Reference>,
}

impl PathVisitor<'_, '_> {
    fn record(&mut self, segments: &[String], span: Span) {
        if segments.is_empty() {
            return;
        }
        if let Some(target) = self.walker.resolve(self.scope, segments) {
            self.found.push(Reference {
                file: self.scope.file.to_string(),
                line: line(span),
                from: self.scope.module.clone(),
                test: self.test,
                target,
            });
        }
    }

    /// Paths inside a macro call's tokens (`format!("{}", crate::x::y())`, `matches!(m,
    /// Msg::A)`): runs of `ident :: ident …` of two segments or more.
    fn tokens(&mut self, tokens: TokenStream) {
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        let colon =
            |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == ':');
        let mut i = 0;
        while i < tts.len() {
            let TokenTree::Ident(id) = &tts[i] else {
                if let TokenTree::Group(g) = &tts[i] {
                    self.tokens(g.stream());
                }
                i += 1;
                continue;
            };
            let dollar = i > 0 && matches!(&tts[i - 1], TokenTree::Punct(p) if p.as_char() == '$');
            let first = id.to_string();
            let mut segments = vec![if dollar && first == "crate" {
                "$crate".to_string()
            } else {
                first
            }];
            let mut j = i + 1;
            while colon(tts.get(j)) && colon(tts.get(j + 1)) {
                let Some(TokenTree::Ident(next)) = tts.get(j + 2) else {
                    break;
                };
                segments.push(next.to_string());
                j += 3;
            }
            if segments.len() >= 2 {
                self.record(&segments, id.span());
            }
            i = j;
        }
    }
}

impl<'ast> Visit<'ast> for PathVisitor<'_, '_> {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(first) = p.segments.first() {
            self.record(&segments, first.ident.span());
        }
        syn::visit::visit_path(self, p);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        self.tokens(m.tokens.clone());
    }
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
    // `pub(crate)`, `pub(super)`: who may see an item, not something it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {}
    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {}
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let outer = self.test;
        self.test |= is_test(&f.attrs);
        syn::visit::visit_item_fn(self, f);
        self.test = outer;
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let outer = self.test;
        self.test |= is_test(&f.attrs);
        syn::visit::visit_impl_item_fn(self, f);
        self.test = outer;
    }
}

fn line(span: Span) -> usize {
    span.start().line
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `#[cfg(test)]` (also inside `all(..)`, not under `not(..)`), `#[test]`, `#[tokio::test]`,
/// `#[rstest]`.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        let last = path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if path.is_ident("cfg") {
            let text = a
                .meta
                .require_list()
                .map(|l| l.tokens.to_string())
                .unwrap_or_default();
            return mentions_test(&text);
        }
        last == "test" || last == "rstest"
    })
}

/// Whether a `cfg(..)` predicate turns on for tests: `test`, `all(test, …)`, `any(test, …)`,
/// but not `not(test)`.
fn mentions_test(predicate: &str) -> bool {
    let words: Vec<&str> = predicate
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .enumerate()
        .any(|(i, w)| *w == "test" && (i == 0 || words[i - 1] != "not"))
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.path().is_ident("path"))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
}
