//! The module graph of the library points one way: no module reaches, through `crate::`
//! paths, a module that reaches it back. A circle means two concerns cannot be understood,
//! tested or moved apart; ARCHITECTURE.md says which way each layer points.
//!
//! Read from the source text: every `crate::a::b` path (in `use` lines, grouped ones included,
//! and inline) outside test code is an arrow from its file's module to the longest module that
//! the path names. `mod` declarations are not arrows.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`http::error`) → its source file, for every file of the library.
fn modules() -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut todo = vec![PathBuf::from("src")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix("src").unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            match parts.last().map(String::as_str) {
                // The binary is not part of the library's graph; lib.rs is the root.
                Some("main") if parts.len() == 1 => continue,
                Some("lib") if parts.len() == 1 => parts.clear(),
                Some("mod") => {
                    parts.pop();
                }
                // Unit tests in files of their own.
                Some("tests") => continue,
                _ => {}
            }
            out.insert(parts.join("::"), path);
        }
    }
    // Declared `#[cfg(test)]` in lib.rs.
    out.remove("proptests");
    out
}

/// The source without its test code: from a `#[cfg(test)]` on, a file has only tests.
fn without_tests(source: &str) -> &str {
    source.find("#[cfg(test)]").map_or(source, |i| &source[..i])
}

fn ident_end(s: &str) -> usize {
    s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

/// The paths a `crate::` at the start of `s` names (`a::b`, or each of `a::{b, c::d}`).
fn paths_after(s: &str, prefix: &str, out: &mut Vec<String>) {
    let mut path = prefix.to_owned();
    let mut rest = s;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            // The group's items, each a path of its own, up to the matching brace.
            let mut depth = 1;
            let mut item_start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' | ',' if depth == 1 => {
                        paths_after(group[item_start..i].trim(), &path, out);
                        item_start = i + 1;
                        if c == '}' {
                            return;
                        }
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            return;
        }
        let end = ident_end(rest);
        if end == 0 {
            break;
        }
        if !path.is_empty() {
            path.push_str("::");
        }
        path.push_str(&rest[..end]);
        match rest[end..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    out.push(path);
}

/// The code without its line comments: a doc link (``[`crate::a`]``) is not an import.
fn without_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            // Not inside a string on that line (an URL in a literal).
            Some(i) if line[..i].matches('"').count() % 2 == 0 => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a file's non-test code names.
fn arrows(module: &str, source: &str, known: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    let code = without_comments(without_tests(source));
    let mut paths = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        // `jitsi_oidc_bridge::crate::` does not occur; an identifier ending in `crate` would.
        if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        paths_after(&code[i + 7..], "", &mut paths);
    }
    let mut out = BTreeSet::new();
    for path in paths {
        // The longest module the path names (the rest are items in it).
        let mut target = path.as_str();
        while !known.contains_key(target) {
            match target.rfind("::") {
                Some(i) => target = &target[..i],
                None => {
                    target = "";
                    break;
                }
            }
        }
        if target != module && !target.is_empty() {
            out.insert(target.to_owned());
        }
    }
    out
}

/// Strongly connected components with more than one module (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let known = modules();
    known
        .iter()
        .map(|(module, path)| {
            let source = std::fs::read_to_string(path).unwrap();
            (module.clone(), arrows(module, &source, &known))
        })
        .collect()
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    assert!(graph.len() > 30, "the modules were not found: {graph:?}");
    let found = circles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let ties: Vec<String> = c
                .iter()
                .flat_map(|m| {
                    graph[m]
                        .iter()
                        .filter(|t| c.contains(t))
                        .map(move |t| format!("{m} -> {t}"))
                })
                .collect();
            format!("{} modules: {}", c.len(), ties.join(", "))
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circles:\n{}",
        described.join("\n")
    );
}

/// The layers, from the bottom: a module may use its own layer and those below, never one
/// above. Each module is placed by the longest prefix listed; a new module must be placed
/// here, so that where it belongs is decided once, in review (ARCHITECTURE.md explains each).
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["", "clock", "lang", "telemetry", "metrics"]),
    (
        "core",
        &[
            "jitsi",
            "policy",
            "session::seal",
            "session::compact",
            "session::replay",
            "session",
        ],
    ),
    ("configuration", &["config"]),
    (
        "adapters",
        &["keycloak", "session::pending", "http::server"],
    ),
    ("state", &["shared", "error", "login::retry"]),
    ("login", &["login"]),
    ("web", &["http", "app"]),
    ("commands", &["cli"]),
];

fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, (name, prefixes))| prefixes.iter().map(move |p| (*p, i, *name)))
        .filter(|(p, _, _)| {
            module == *p || (!p.is_empty() && module.starts_with(&format!("{p}::")))
        })
        .max_by_key(|(p, _, _)| p.len())
        .map(|(_, i, name)| (i, name))
}

#[test]
fn every_import_points_down_the_layers() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (module, targets) in &graph {
        let Some((from, from_name)) = layer_of(module) else {
            wrong.push(format!("{module}: in no layer (add it to LAYERS)"));
            continue;
        };
        for target in targets {
            let Some((to, to_name)) = layer_of(target) else {
                continue;
            };
            if to > from {
                wrong.push(format!("{module} ({from_name}) -> {target} ({to_name})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point up the layers:\n{}",
        wrong.join("\n")
    );
}

/// The login flow and the core hold no HTTP types: they can be read, tested and reused
/// (the CLI commands use them) without a request in sight.
#[test]
fn the_login_and_the_core_use_no_http_types() {
    let known = modules();
    let mut wrong = Vec::new();
    for (module, path) in &known {
        let Some((_, layer)) = layer_of(module) else {
            continue;
        };
        if !matches!(layer, "core" | "login" | "state") || module == "shared" {
            continue;
        }
        let source = std::fs::read_to_string(path).unwrap();
        let code = without_comments(without_tests(&source));
        for name in ["axum", "hyper", "tower", "http::"] {
            let uses = code.match_indices(name).any(|(i, _)| {
                !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if uses {
                wrong.push(format!("{module} uses {name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    let known: BTreeMap<String, PathBuf> = ["a", "a::b", "c", "d::e", "t"]
        .iter()
        .map(|m| (m.to_string(), Path::new("x").to_owned()))
        .collect();
    let source = "use crate::a::{b::Thing, self};\nuse crate::{c::X, d::e::{f, g}};\n\
                  /// Not an import: [`crate::t`].\n\
                  fn f() { crate::a::b::call(); }\n#[cfg(test)]\nmod tests { use crate::t; }";
    let seen = arrows("z", source, &known);
    assert_eq!(
        seen,
        ["a", "a::b", "c", "d::e"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(circles(&graph), [["a", "b"]]);
}
