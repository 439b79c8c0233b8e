//! The shape of the house, checked: the top-level modules of `src/` depend on each other
//! without a cycle, no source file is longer than 600 lines, and one place commits a
//! write transaction.
//!
//! `cargo test --release --test architecture -- --nocapture` prints the dependency order,
//! lowest layer first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under a folder.
fn sources(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to (`src/store/commit.rs` → `store`); `lib.rs` and
/// `main.rs` belong to none.
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).unwrap();
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (name != "lib" && name != "main").then_some(name)
}

/// The code of a file without its comments (doc links name modules they do not use).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names with `crate::`.
fn named_modules(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or("")
                .split(',')
                .map(|n| n.trim().split("::").next().unwrap_or("").trim())
                .collect(),
            None => vec![
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or(""),
            ],
        };
        named.extend(
            names
                .into_iter()
                .filter(|n| modules.contains(*n))
                .map(str::to_owned),
        );
    }
    named
}

/// The dependency graph of the top-level modules.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let files = sources(&src());
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        for used in named_modules(&code(file), &modules) {
            if used != module {
                graph.get_mut(&module).unwrap().insert(used);
            }
        }
    }
    graph
}

/// Layers of a dependency graph (each module above everything it uses), or the modules
/// left in a cycle.
fn layers(
    graph: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<Vec<String>>, BTreeMap<String, BTreeSet<String>>> {
    let mut left = graph.clone();
    let mut layers = Vec::new();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, uses)| uses.iter().all(|u| !left.contains_key(u)))
            .map(|(m, _)| m.clone())
            .collect();
        if ready.is_empty() {
            return Err(left);
        }
        for m in &ready {
            left.remove(m);
        }
        layers.push(ready);
    }
    Ok(layers)
}

#[test]
fn the_modules_depend_on_each_other_without_a_cycle() {
    let graph = dependencies();
    match layers(&graph) {
        Ok(layers) => {
            println!("dependency order, lowest layer first:");
            for (i, layer) in layers.iter().enumerate() {
                println!("  {i}: {}", layer.join(", "));
            }
            println!("what each module uses:");
            for (module, uses) in &graph {
                let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
                println!("  {module} → {}", uses.join(", "));
            }
        }
        Err(cycle) => panic!("these modules depend on each other in a cycle: {cycle:#?}"),
    }
    // The store is below the pipeline and the interfaces, and names neither.
    for lower in ["store", "source", "versions", "shacl", "iri"] {
        for upper in ["import", "commands", "cli", "config", "serve", "http"] {
            assert!(
                !graph[lower].contains(upper),
                "{lower} must not use {upper}: {:?}",
                graph[lower]
            );
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(m, uses)| (m.to_owned(), uses.into_iter().map(str::to_owned).collect()))
    .collect();
    let cycle = layers(&graph).unwrap_err();
    assert_eq!(cycle.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
}

#[test]
fn no_source_file_is_longer_than_600_lines() {
    let long: Vec<String> = sources(&src())
        .into_iter()
        .map(|f| (std::fs::read_to_string(&f).unwrap().lines().count(), f))
        .filter(|(n, _)| *n > 600)
        .map(|(n, f)| format!("{}: {n} lines", f.display()))
        .collect();
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn one_place_commits_a_write() {
    let commit = src().join("store").join("commit.rs");
    let path = code(&commit);
    // The one transaction, and the bulk loader's commit beside it.
    assert_eq!(path.matches("start_transaction(").count(), 1);
    assert_eq!(path.matches(".commit()").count(), 2);
    // The text index commits its own (tantivy) index, after the store's commit, as its
    // observer: not a write of the store.
    let index = src().join("search");
    for file in sources(&src()).into_iter().filter(|f| *f != commit) {
        let code = code(&file);
        let calls: &[&str] = if file.starts_with(&index) {
            &["start_transaction("]
        } else {
            &["start_transaction(", ".commit()"]
        };
        for call in calls.iter().copied() {
            assert!(
                !code.contains(call),
                "{} calls {call}: every write goes through store/commit.rs",
                file.display()
            );
        }
    }
}
