//! The provider's layers (the table in `server/src/lib.rs`): every `crate::` and `super::` path
//! in `server/src` — in `use` items, in code and inside macro calls — may lead only to a module
//! of a lower layer than its own module's, and only `storage` may name sqlx (beyond
//! `sqlx::Error`, which errors carry). `main.rs` is the top and is not checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// Every top-level module of `server/src` with its layer. A module may use the modules of lower
/// layers only: not a higher one, and not another module of its own layer.
const LAYERS: &[(&str, u32)] = &[
    // Start and stop; test support.
    ("server", 9),
    ("testing", 9),
    ("http", 8),
    ("auth", 7),
    ("rules", 6),
    ("ops", 6),
    ("state", 5),
    ("storage", 4),
    // Leaves.
    ("config", 3),
    ("error", 2),
    ("secrets", 1),
    ("tls", 1),
    ("conn", 1),
    ("mail", 1),
    ("files", 0),
    ("ids", 0),
    ("rate_limit", 0),
    ("notify", 0),
];

/// The modules that may name sqlx beyond `sqlx::Error`: SQL lives there and nowhere else.
const SQL_MODULES: &[&str] = &["storage"];

fn layer(module: &str) -> Option<u32> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
}

/// One path found in a module, resolved: from which top-level module to what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Reference {
    /// To another top-level module of the crate.
    Module { from: String, to: String },
    /// To sqlx, naming `item` (its second segment).
    Sqlx { from: String, item: String },
}

/// Collects the references of one file, whose module path (from the crate root) is `module`.
struct Collector {
    /// The module being read: the file's path, then any inline `mod` around the current item.
    module: Vec<String>,
    found: BTreeSet<Reference>,
}

impl Collector {
    /// Records the path `segments` (as written, e.g. `["super", "super", "state", "X"]`).
    fn path(&mut self, segments: &[String]) {
        let Some(from) = self.module.first().cloned() else {
            return;
        };
        match segments.first().map(String::as_str) {
            Some("crate") => {
                if let Some(to) = segments.get(1) {
                    self.module_reference(from, to.clone());
                }
            }
            Some("super") => {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                let mut resolved: Vec<String> = self.module.clone();
                resolved.truncate(resolved.len().saturating_sub(supers));
                resolved.extend(segments[supers..].iter().cloned());
                if let Some(to) = resolved.first() {
                    self.module_reference(from, to.clone());
                }
            }
            Some("sqlx") => {
                let item = segments.get(1).cloned().unwrap_or_default();
                self.found.insert(Reference::Sqlx { from, item });
            }
            _ => {}
        }
    }

    fn module_reference(&mut self, from: String, to: String) {
        if from != to {
            self.found.insert(Reference::Module { from, to });
        }
    }

    /// Paths inside a macro call are tokens, not syntax: `crate :: x`, `super :: x`,
    /// `sqlx :: x` sequences are read from them.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut index = 0;
        while index < trees.len() {
            match &trees[index] {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) => {
                    let mut segments = vec![ident.to_string()];
                    let mut next = index + 1;
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(seg)),
                    ) = (trees.get(next), trees.get(next + 1), trees.get(next + 2))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(seg.to_string());
                        next += 3;
                    }
                    if segments.len() > 1 {
                        self.path(&segments);
                        index = next;
                        continue;
                    }
                }
                _ => {}
            }
            index += 1;
        }
    }
}

/// Flattens a `use` tree into its paths.
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let mut path = prefix.clone();
            path.push(name.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Rename(rename) => {
            let mut path = prefix.clone();
            path.push(rename.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for path in paths {
            self.path(&path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.path(&segments);
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        visit::visit_item_mod(self, item);
        self.module.pop();
    }
}

/// The references of one file's source.
fn references(module: &[String], source: &str) -> BTreeSet<Reference> {
    let file = syn::parse_file(source).unwrap_or_else(|e| panic!("{module:?}: {e}"));
    let mut collector = Collector {
        module: module.to_vec(),
        found: BTreeSet::new(),
    };
    collector.visit_file(&file);
    collector.found
}

/// What is wrong with a reference, if anything.
fn violation(reference: &Reference) -> Option<String> {
    match reference {
        Reference::Module { from, to } => {
            let (Some(own), Some(target)) = (layer(from), layer(to)) else {
                return Some(format!(
                    "{from} → {to}: a module missing from the table of layers"
                ));
            };
            (target >= own).then(|| {
                format!("{from} (layer {own}) imports {to} (layer {target}): imports run down only")
            })
        }
        Reference::Sqlx { from, item } => (!SQL_MODULES.contains(&from.as_str())
            && item != "Error")
            .then(|| format!("{from} names sqlx::{item}: SQL lives in storage only")),
    }
}

/// Every `.rs` file under `dir`, with its module path.
fn modules(src: &Path, dir: &Path, out: &mut Vec<(Vec<String>, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            modules(src, &path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(src).unwrap().with_extension("");
        let mut module: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|last| last == "mod") {
            module.pop();
        }
        if module == ["lib"] || module == ["main"] {
            continue;
        }
        out.push((module, path));
    }
}

#[test]
fn imports_run_down_only_and_sql_stays_in_storage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    modules(&src, &src, &mut files);
    let tops: BTreeSet<String> = files.iter().map(|(module, _)| module[0].clone()).collect();
    let table: BTreeSet<String> = LAYERS.iter().map(|(name, _)| name.to_string()).collect();
    assert_eq!(
        tops, table,
        "the table of layers must list every module of server/src"
    );

    let mut problems = Vec::new();
    let mut edges = 0;
    for (module, path) in &files {
        let source = std::fs::read_to_string(path).unwrap();
        for reference in references(module, &source) {
            edges += 1;
            if let Some(problem) = violation(&reference) {
                problems.push(format!("{}: {problem}", path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check saw the crate's imports (a broken walk would pass with none).
    assert!(edges > 50, "only {edges} references found");
}

#[test]
fn the_check_catches_what_it_must() {
    let module = |path: &str| path.split("::").map(str::to_owned).collect::<Vec<_>>();
    let problems = |path: &str, source: &str| -> Vec<String> {
        references(&module(path), source)
            .iter()
            .filter_map(violation)
            .collect()
    };
    // Upward, through `use`, a path in code, a macro call and `super::` out of the module.
    assert_eq!(problems("storage::tokens", "use crate::rules::x;").len(), 1);
    assert_eq!(
        problems("state", "fn f() { let _ = crate::http::router; }").len(),
        1
    );
    assert_eq!(
        problems(
            "rules",
            r#"fn f() { tracing::info!("{}", crate::auth::X); }"#
        )
        .len(),
        1
    );
    assert_eq!(
        problems("storage::tokens", "use super::super::state::ServerState;").len(),
        1
    );
    // Sideways, within one layer.
    assert_eq!(problems("rules::issuance", "use crate::ops::x;").len(), 1);
    // SQL outside storage; sqlx::Error is fine.
    assert_eq!(
        problems("rules", "fn f() { sqlx::query(\"SELECT 1\"); }").len(),
        1
    );
    assert!(problems("ops", "fn f() -> sqlx::Error { todo!() }").is_empty());
    // Down, within a module, and `super::` that stays inside: fine.
    assert!(
        problems(
            "http::bank",
            "use super::ok; use crate::{auth::BankKey, rules}; mod t { use super::*; }"
        )
        .is_empty()
    );
}
