//! The house rules of `server/src`, read from the source: no module imports
//! one of a higher layer (the table below), and no two files import each
//! other, directly or around a circle. A new arrow upwards or a new circle
//! fails here, with the file and the line that made it.
//!
//! Only `crate::`, `super::` and `self::` paths in code are read (comments
//! and `#[cfg(test)]` modules are skipped); a `mod.rs` declaring or
//! re-exporting its own children is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, lowest first. A module may import its own layer's module (itself)
/// and anything below; a path not listed takes the layer of its longest
/// listed prefix. `fuzzing` (the fuzz targets' harness) and the crate root
/// (`lib.rs`, which wires everything) are outside the rules.
const LAYERS: &[(&str, u8)] = &[
    // Plain values, time and words: depend on nothing.
    ("clock", 0),
    ("error", 0),
    ("address", 0),
    ("config", 0),
    ("admin::words", 0),
    ("metrics", 0),
    // The recurrence engine; the settings the administration writes.
    ("recurrence", 1),
    ("admin::config", 1),
    // Storage, what people read, the administration's grammar and checks.
    ("db", 2),
    ("present", 2),
    ("admin::parse", 2),
    ("admin::logging", 2),
    ("admin::checks", 2),
    // Outside services and accounts; the HTTPS listener.
    ("callbridge", 3),
    ("auth", 3),
    ("admin::https", 3),
    // Invitations.
    ("mail", 4),
    // The meeting service.
    ("meetings", 5),
    // The service's administration and background jobs.
    ("admin", 6),
    ("jobs", 6),
    // The HTTP face: pages, plain routes, the REST API.
    ("web", 7),
    // The web bridges' links: their relayed requests are answered like the
    // web app's (they reuse `web::join`).
    ("c2w", 8),
    // The demo's wiring of simulators.
    ("demo", 9),
];

const OUTSIDE: &[&str] = &["fuzzing"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `src/...` as messages name a file.
fn rel_to_server(p: &Path) -> PathBuf {
    Path::new("src").join(p.strip_prefix(src()).unwrap())
}

/// Every `.rs` file under `src`, as (module path, file).
fn files() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut all = Vec::new();
    walk(&src(), &mut all);
    let mut out: Vec<(String, PathBuf)> = all
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(src()).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|l| l == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                return None;
            }
            // Test modules and test directories are not the house.
            if parts.iter().any(|p| p == "tests" || p == "fuzzing") {
                return None;
            }
            Some((parts.join("::"), rel_to_server(&p)))
        })
        .collect();
    out.sort();
    out
}

/// The code of a file without comments and without its `#[cfg(test)]`
/// modules, line by line (1-based numbers kept).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut skip_depth: Option<i32> = None;
    let mut pending_cfg_test = false;
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("").to_string();
        let trimmed = code.trim();
        if let Some(depth) = skip_depth.as_mut() {
            *depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
            if *depth <= 0 {
                skip_depth = None;
            }
            continue;
        }
        if trimmed == "#[cfg(test)]" {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test {
            pending_cfg_test = false;
            if trimmed.starts_with("mod ") && trimmed.ends_with('{') {
                skip_depth = Some(1);
                continue;
            }
            if trimmed.starts_with("mod ") || trimmed.starts_with("use ") {
                continue;
            }
        }
        out.push((i + 1, code));
    }
    out
}

/// The paths a line names: `crate::a::b`, `super::x`, `self::y`, and each
/// item of a `crate::{a, b::c}` group.
fn paths_in(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for root in ["crate::", "super::", "self::"] {
        let mut rest = line;
        while let Some(i) = rest.find(root) {
            let before = rest[..i].chars().last();
            let after = &rest[i + root.len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let base = root.trim_end_matches("::");
            out.extend(expand(base, after));
        }
    }
    out
}

fn ident_path(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect::<String>()
        .trim_end_matches(':')
        .to_string()
}

fn expand(base: &str, after: &str) -> Vec<String> {
    let path = ident_path(after);
    let rest = &after[path.len()..];
    let prefix = if path.is_empty() {
        base.to_string()
    } else {
        format!("{base}::{path}")
    };
    let group = rest
        .strip_prefix("::{")
        .or_else(|| (path.is_empty()).then(|| after.strip_prefix('{')).flatten());
    match group {
        Some(g) => {
            let mut depth = 0;
            let mut items = Vec::new();
            let mut cur = String::new();
            for c in g.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(std::mem::take(&mut cur));
                        continue;
                    }
                    _ => {}
                }
                cur.push(c);
            }
            items.push(cur);
            items
                .iter()
                .map(|i| ident_path(i.trim()))
                .filter(|i| !i.is_empty() && i != "self")
                .map(|i| format!("{prefix}::{i}"))
                .collect()
        }
        None => vec![prefix],
    }
}

/// `path`, written in file module `from`, as an absolute module path below
/// the crate root.
fn absolute(path: &str, from: &str) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = if from.is_empty() {
        Vec::new()
    } else {
        from.split("::").collect()
    };
    match segs.first().copied() {
        Some("crate") => {
            base.clear();
            segs.remove(0);
        }
        // `self` is the module itself; each `super` its parent (for a/b.rs
        // and for a/b/mod.rs alike, the module `a`).
        Some("self") => {
            segs.remove(0);
        }
        Some("super") => {
            while segs.first() == Some(&"super") {
                segs.remove(0);
                base.pop()?;
            }
        }
        _ => return None,
    }
    base.extend(segs);
    Some(base.join("::"))
}

/// The most specific file module that `path` lies in.
fn file_of(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let segs: Vec<&str> = path.split("::").collect();
    (1..=segs.len())
        .rev()
        .map(|n| segs[..n].join("::"))
        .find(|p| modules.contains(p))
}

fn layer_key(module: &str) -> Option<(&'static str, u8)> {
    LAYERS
        .iter()
        .filter(|(k, _)| module == *k || module.starts_with(&format!("{k}::")))
        .max_by_key(|(k, _)| k.len())
        .copied()
}

struct Import {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

fn imports() -> Vec<Import> {
    let files = files();
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut out = Vec::new();
    for (module, file) in &files {
        let is_mod = file.file_name().is_some_and(|n| n == "mod.rs");
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        for (line, code) in code_lines(&text) {
            for p in paths_in(&code) {
                let Some(abs) = absolute(&p, module) else {
                    continue;
                };
                let Some(to) = file_of(&abs, &modules) else {
                    continue;
                };
                // A module's own file, and a mod.rs naming its children.
                if &to == module || (is_mod && to.starts_with(&format!("{module}::"))) {
                    continue;
                }
                out.push(Import {
                    from: module.clone(),
                    to,
                    file: file.clone(),
                    line,
                });
            }
        }
    }
    out
}

#[test]
fn every_module_has_a_layer() {
    for (module, file) in files() {
        if OUTSIDE.iter().any(|o| module.starts_with(o)) {
            continue;
        }
        assert!(
            layer_key(&module).is_some(),
            "{} ({module}) is in no layer: add it to LAYERS in {}",
            file.display(),
            file!()
        );
    }
}

#[test]
fn no_import_goes_up_a_layer() {
    let mut wrong = Vec::new();
    for i in imports() {
        let (Some((from_key, from_layer)), Some((to_key, to_layer))) =
            (layer_key(&i.from), layer_key(&i.to))
        else {
            continue;
        };
        if to_layer > from_layer || (to_layer == from_layer && to_key != from_key) {
            wrong.push(format!(
                "{}:{}: {} (layer {from_layer}) imports {} (layer {to_layer})",
                i.file.display(),
                i.line,
                i.from,
                i.to
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wherefrom: BTreeMap<(String, String), String> = BTreeMap::new();
    for i in imports() {
        graph
            .entry(i.from.clone())
            .or_default()
            .insert(i.to.clone());
        wherefrom
            .entry((i.from.clone(), i.to.clone()))
            .or_insert_with(|| format!("{}:{}", i.file.display(), i.line));
    }
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|s| s == m).unwrap();
                    let mut circle = stack[start..].to_vec();
                    circle.push(m.clone());
                    return Some(circle);
                }
                0 => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            if let Some(circle) = visit(n, &graph, &mut state, &mut Vec::new()) {
                let steps: Vec<String> = circle
                    .windows(2)
                    .map(|w| {
                        format!(
                            "  {} -> {} ({})",
                            w[0],
                            w[1],
                            wherefrom[&(w[0].clone(), w[1].clone())]
                        )
                    })
                    .collect();
                panic!("an import circle:\n{}", steps.join("\n"));
            }
        }
    }
}

#[test]
fn the_reader_sees_imports() {
    // The checks above are only as good as this reading of `use` lines.
    assert_eq!(
        paths_in("use crate::{db::series::{apply, load_series}, clock::Clock};"),
        vec!["crate::db::series", "crate::clock::Clock"]
    );
    assert_eq!(
        paths_in("    let x = super::validate::time(&d);"),
        vec!["super::validate::time"]
    );
    assert_eq!(
        absolute("super::protocol::RelayError", "c2w::relay").as_deref(),
        Some("c2w::protocol::RelayError")
    );
    assert_eq!(
        absolute("super::Meetings", "meetings::create").as_deref(),
        Some("meetings::Meetings")
    );
    assert_eq!(
        absolute("self::x::Y", "meetings").as_deref(),
        Some("meetings::x::Y")
    );
    let code = code_lines("use a;\n#[cfg(test)]\nmod tests {\n    use crate::web;\n}\nuse b;\n");
    assert_eq!(
        code.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![1, 6],
        "test modules are skipped"
    );
    assert!(imports()
        .iter()
        .any(|i| i.from == "meetings::create" && i.to == "callbridge"));
}
