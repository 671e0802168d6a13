//! The crate's modules import only from their own layer or earlier ones
//! (see "Architecture" in `container/src/lib.rs`). This test reads every
//! `crate::` path in the library's source, outside comments, and fails on
//! an import from a later layer, or on a module the table does not place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, in order; must match the table in `container/src/lib.rs`.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "base",
        &[
            "macros", "key", "lifetime", "node", "error", "erased", "suggest", "lint", "actor",
            "slot",
        ],
    ),
    (
        "registration",
        &[
            "inject",
            "factory",
            "builder",
            "decorate",
            "module",
            "injectable",
            "keyed",
            "with_args",
        ],
    ),
    ("plan", &["plan"]),
    ("validation", &["validate"]),
    (
        "runtime",
        &[
            "pool",
            "owner",
            "census",
            "resolve",
            "resolver",
            "scope",
            "handles",
            "create_with",
            "keyed_resolve",
            "container",
            "trace",
        ],
    ),
    ("async", &["asynch"]),
    ("diagnostics", &["diagnostics"]),
    ("testing", &["testing"]),
    ("integrations", &["axum"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("container/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("container/src is readable") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`asynch/resolve.rs` -> `asynch`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The names `lib.rs` re-exports at the crate root, with their module.
fn root_reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut map = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.trim_end_matches(';').split_once("::") else {
            continue;
        };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.trim();
            let exported = name.rsplit(" as ").next().unwrap_or(name).trim();
            let exported = exported.rsplit("::").next().unwrap_or(exported);
            if !exported.is_empty() {
                map.insert(exported.to_owned(), module.to_owned());
            }
        }
    }
    map
}

/// The first path segments after every `crate::` in `code`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // e.g. `$crate::` in a macro, or part of another word
        }
        if let Some(list) = rest.strip_prefix('{') {
            // The first segment of every item at the group's top level.
            let (mut depth, mut item_start) = (0usize, true);
            for (i, c) in list.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        let seg: String = list[i..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        out.push(seg);
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let seg: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(seg);
        }
    }
    out
}

/// The code of a line, without its `//` comment (doc comments included).
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

#[test]
fn modules_import_only_from_their_own_layer_or_earlier() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let reexports = root_reexports();
    let mut violations = Vec::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let module = module_of(file);
        if module == "lib" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            unplaced.push(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        // A use statement may span several lines: join them first.
        let code: Vec<&str> = text.lines().map(code_of).collect();
        let joined = code.join("\n");
        for seg in crate_paths(&joined) {
            let target = match reexports.get(&seg) {
                Some(m) => m.clone(),
                None => seg.clone(),
            };
            let target = target.split("::").next().unwrap().to_owned();
            if target == "tenure_derive" {
                continue;
            }
            match layer_of(&target) {
                Some(l) if l > own => violations.push(format!(
                    "{} (layer {}) imports `crate::{seg}` from `{target}` (layer {})",
                    file.strip_prefix(src()).unwrap().display(),
                    LAYERS[own].0,
                    LAYERS[l].0
                )),
                Some(_) => {}
                None => unplaced.push(format!("{target} (named by {})", file.display())),
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "modules missing from the layer table (add them here and in lib.rs's docs): {unplaced:?}"
    );
    assert!(
        violations.is_empty(),
        "imports from a later layer:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_and_inline_paths() {
    assert_eq!(
        crate_paths("use crate::{key::Key, node::{Node, Role}};\nlet x = crate::plan::f();"),
        ["key", "node", "plan"]
    );
    assert!(crate_paths("$crate::macros::x!()").is_empty());
    assert_eq!(code_of("let a = 1; // crate::plan"), "let a = 1; ");
}

#[test]
fn the_table_matches_the_crate_docs() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for (i, (name, modules)) in LAYERS.iter().enumerate() {
        let row = lib
            .lines()
            .find(|l| l.starts_with(&format!("//! | {}. ", i + 1)))
            .unwrap_or_else(|| panic!("lib.rs has no row for layer {}", i + 1));
        for m in *modules {
            assert!(
                row.contains(&format!("`{m}`")),
                "layer {name}: `{m}` missing from {row}"
            );
        }
    }
}
