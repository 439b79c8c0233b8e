//! Embeds the content folders (`ontology/`, `data/`, `queries/`) in the binary, so that a
//! fresh store can be filled and every named query run from any working directory.
//!
//! Writes `$OUT_DIR/bundled.rs`: sorted tables of `(path, contents)` built with
//! `include_str!`, which the library includes in `bundled.rs`.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut out = String::new();
    for (table, dir, extensions) in [
        ("ONTOLOGY", "ontology", &["ttl", "jsonld"][..]),
        ("DATA", "data", &["ttl"][..]),
        ("QUERIES", "queries", &["rq"][..]),
        ("FEEDS", "queries/feeds", &["rq"][..]),
    ] {
        let folder = Path::new(&root).join(dir);
        println!("cargo:rerun-if-changed={}", folder.display());
        let mut files: Vec<_> = fs::read_dir(&folder)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
        });
        files.sort();
        writeln!(out, "pub static {table}: &[(&str, &str)] = &[").unwrap();
        for path in files {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path.file_name().unwrap().to_string_lossy();
            writeln!(
                out,
                "    ({:?}, include_str!({:?})),",
                format!("{dir}/{name}"),
                path.display()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
