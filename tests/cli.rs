//! The command line through the real binary: every command, bad input (store unchanged,
//! message with position), re-import (graph replaced, not duplicated), exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A temporary store, opened by every command run on it.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("labgraph").unwrap();
        cmd.env_remove("LABGRAPH_BASE_IRI")
            .env_remove("LABGRAPH_STORE")
            .arg("--store")
            .arg(self.store());
        cmd
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The whole store as sorted N-Quads lines.
    fn dump(&self) -> Vec<String> {
        let out = self
            .cmd()
            .args(["export", "--format", "nquads"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    }

    /// The store without the import records: the data itself.
    fn dump_data(&self) -> Vec<String> {
        self.dump()
            .into_iter()
            .filter(|l| !l.ends_with("<https://w3id.org/labgraph/id/graph/imports> ."))
            .collect()
    }

    fn count(&self, graph: &str) -> usize {
        self.count_query(&format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        ))
    }

    /// The number a one-row, one-column query gives.
    fn count_query(&self, query: &str) -> usize {
        let out = self
            .cmd()
            .args(["query", query, "--format", "csv"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

#[test]
fn a_fresh_store_answers_a_named_query_at_once() {
    let s = Sandbox::new();
    s.cmd()
        .args(["query", "seminar-speakers"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Morgane Petit"))
        .stdout(predicate::str::contains("rows"));
    assert!(s.store().is_dir(), "the default store is a folder on disk");
}

#[test]
fn help_teaches_and_bad_usage_exits_2() {
    Command::cargo_bin("labgraph")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("import").and(predicate::str::contains("Exit codes")));
    let s = Sandbox::new();
    s.cmd().arg("--no-such-flag").assert().code(2);
    s.cmd().args(["import"]).assert().code(2);
    s.cmd()
        .args(["query", "no-such-query"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("seminar-speakers"));
    s.cmd()
        .args([
            "query",
            "seminars-on-territory",
            "--param",
            "from=1er décembre",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("from"));
    s.cmd()
        .args(["--base-iri", "not an iri", "graphs"])
        .assert()
        .code(2);
}

#[test]
fn import_then_reimport_replaces_the_graph() {
    let s = Sandbox::new();
    let file = s.write(
        "essai.ttl",
        &std::fs::read_to_string(fixture("extra-seminar.ttl")).unwrap(),
    );
    s.cmd()
        .arg("import")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("<graph/essai>: 7 triples"));
    let graph = "https://w3id.org/labgraph/id/graph/essai";
    assert_eq!(s.count(graph), 7);
    // The same file again: still 7 triples, not 14.
    s.cmd().arg("import").arg(&file).assert().success();
    assert_eq!(s.count(graph), 7);
    // A changed file replaces the graph: the name triple is gone, not duplicated.
    let changed = std::fs::read_to_string(&file).unwrap().replace(
        "schema:name \"Séminaire d'essai du Lab des transitions\"@fr ;",
        "schema:name \"Séminaire d'essai, version 2\"@fr ;",
    );
    std::fs::write(&file, changed).unwrap();
    s.cmd().arg("import").arg(&file).assert().success();
    assert_eq!(s.count(graph), 7);
    s.cmd()
        .args([
            "query",
            "SELECT ?n WHERE { <seminar/essai-2023-03-09> schema:name ?n }",
            "--format",
            "tsv",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("version 2")
                .and(predicate::str::contains("Lab des transitions\"").not()),
        );
    s.cmd().arg("graphs").assert().success().stdout(
        predicate::str::contains("<graph/essai>").and(predicate::str::contains("essai.ttl")),
    );
}

#[test]
fn a_malformed_file_is_refused_with_its_position_and_nothing_is_written() {
    let s = Sandbox::new();
    let before = s.dump();
    let good = fixture("extra-seminar.ttl");
    let bad = fixture("malformed.ttl");
    s.cmd()
        .arg("import")
        .arg(&good)
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("malformed.ttl:4:"))
        .stderr(predicate::str::contains("backtrace").not());
    assert_eq!(s.dump(), before, "the store is exactly as before");
}

#[test]
fn every_rdf_format_imports_and_stdin_needs_a_format() {
    let s = Sandbox::new();
    let files = [
        (
            "a.nt",
            "<https://ex.org/a> <http://schema.org/name> \"a\" .\n",
        ),
        (
            "b.nq",
            "<https://ex.org/b> <http://schema.org/name> \"b\" <https://ex.org/g/b> .\n",
        ),
        (
            "c.trig",
            "<https://ex.org/c> <http://schema.org/name> \"c\" .\n",
        ),
        (
            "d.rdf",
            r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="http://schema.org/"><rdf:Description rdf:about="https://ex.org/d"><s:name>d</s:name></rdf:Description></rdf:RDF>"#,
        ),
        (
            "e.jsonld",
            r#"{"@id": "https://ex.org/e", "http://schema.org/name": "e"}"#,
        ),
    ];
    let paths: Vec<PathBuf> = files.iter().map(|(n, t)| s.write(n, t)).collect();
    s.cmd().arg("import").args(&paths).assert().success();
    for graph in ["graph/a", "graph/c", "graph/d", "graph/e"] {
        assert_eq!(
            s.count(&format!("https://w3id.org/labgraph/id/{graph}")),
            1,
            "{graph}"
        );
    }
    assert_eq!(
        s.count("https://ex.org/g/b"),
        1,
        "named graphs of a quad file keep their names"
    );
    s.cmd()
        .args(["import", "-"])
        .write_stdin("<https://ex.org/f> <http://schema.org/name> \"f\" .")
        .assert()
        .code(2);
    s.cmd()
        .args([
            "import",
            "-",
            "--format",
            "ntriples",
            "--graph",
            "graph/stdin",
        ])
        .write_stdin("<https://ex.org/f> <http://schema.org/name> \"f\" .")
        .assert()
        .success();
    assert_eq!(s.count("https://w3id.org/labgraph/id/graph/stdin"), 1);
    s.cmd()
        .arg("import")
        .arg(s.write("x.txt", "a,b"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format"));
    s.cmd()
        .arg("import")
        .arg(s.write("empty.ttl", ""))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("empty"));
}

#[test]
fn export_writes_what_import_reads() {
    let s = Sandbox::new();
    let out = s.path("sdg.ttl");
    s.cmd()
        .args(["export", "--graph", "graph/sdg", "-o"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("Villes et communautés durables") || text.contains("sdg:11"),
        "the SDG graph is exported"
    );
    // Round trip into a second store: same triple count. That store has the bundled
    // SDG graph too, so the copy describes the same concepts in a second graph: asked for.
    let other = Sandbox::new();
    other
        .cmd()
        .args(["import", "--shared"])
        .arg(&out)
        .arg("--graph")
        .arg("graph/sdg-copy")
        .assert()
        .success();
    assert_eq!(
        other.count("https://w3id.org/labgraph/id/graph/sdg-copy"),
        s.count("https://w3id.org/labgraph/id/graph/sdg")
    );
    s.cmd()
        .args(["export", "--format", "turtle"])
        .assert()
        .code(2);
    s.cmd()
        .args(["export", "--graph", "graph/none"])
        .assert()
        .code(2);
    let trig = s.path("all.trig");
    s.cmd().args(["export", "-o"]).arg(&trig).assert().success();
    assert!(std::fs::metadata(&trig).unwrap().len() > 100_000);
}

#[test]
fn query_results_come_in_every_format() {
    let s = Sandbox::new();
    let q = "SELECT ?g WHERE { <http://metadata.un.org/sdg/11> skos:prefLabel ?g FILTER(lang(?g) = 'fr') }";
    for (format, needle) in [
        ("json", "\"bindings\""),
        ("csv", "g\r\n"),
        ("tsv", "?g\n"),
        ("xml", "<sparql"),
        ("table", "1 row"),
    ] {
        s.cmd()
            .args(["query", q, "--format", format])
            .assert()
            .success()
            .stdout(predicate::str::contains(needle));
    }
    s.cmd()
        .args([
            "query",
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3",
            "--format",
            "ntriples",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(" .\n"));
    s.cmd()
        .args(["query", q, "--format", "turtle"])
        .assert()
        .code(2);
    s.cmd()
        .args([
            "query",
            "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        ])
        .assert()
        .code(1);
    s.cmd()
        .args(["query", "SELEC nothing"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("parse"));
    let rq = s.write(
        "count.rq",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s a lg:Seminar }",
    );
    s.cmd()
        .arg("query")
        .arg(&rq)
        .assert()
        .success()
        .stdout(predicate::str::contains("?n"));
    s.cmd()
        .args(["query", "--list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("agglomeration-qpv"));
}

#[test]
fn validate_reports_in_french_and_english_and_writes_nothing() {
    let s = Sandbox::new();
    s.cmd()
        .arg("validate")
        .arg(fixture("extra-seminar.ttl"))
        .assert()
        .success();
    let broken = s.write(
        "broken.ttl",
        "@prefix lg: <https://w3id.org/labgraph/def#> .\n@prefix schema: <http://schema.org/> .\n<seminar/x> a lg:Seminar, schema:Event .\n",
    );
    let before = s.dump();
    s.cmd()
        .arg("validate")
        .arg(&broken)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("fr:").and(predicate::str::contains("en:")))
        .stdout(predicate::str::contains("seminar/x"));
    assert_eq!(s.dump(), before);
    s.cmd()
        .arg("validate")
        .arg(fixture("malformed.ttl"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(":4:"));
}

#[test]
fn a_backup_opens_as_a_store() {
    let s = Sandbox::new();
    let backup = s.path("backup");
    s.cmd().arg("backup").arg(&backup).assert().success();
    let copy = Command::cargo_bin("labgraph")
        .unwrap()
        .arg("--store")
        .arg(&backup)
        .args(["export", "--format", "nquads"])
        .output()
        .unwrap();
    let mut lines: Vec<String> = String::from_utf8(copy.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    assert_eq!(lines, s.dump());
    s.cmd()
        .arg("backup")
        .arg(&backup)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
}

#[test]
fn base_iri_changes_where_instances_are_minted() {
    let s = Sandbox::new();
    s.cmd()
        .args(["--base-iri", "https://lab.example.org/id/", "query"])
        .arg("SELECT ?s WHERE { ?s a lg:Seminar } ORDER BY ?s")
        .args(["--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "https://lab.example.org/id/seminar/pma-artois-2022-12-01",
        ));
}

/// The history table as text.
fn history(s: &Sandbox, graph: &str) -> String {
    let out = s.cmd().args(["history", graph]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_unchanged_source_changes_nothing_and_says_so() {
    let s = Sandbox::new();
    let file = s.write(
        "essai.ttl",
        &std::fs::read_to_string(fixture("extra-seminar.ttl")).unwrap(),
    );
    s.cmd().arg("import").arg(&file).assert().success();
    let after_first = s.dump();
    // The same triples, reordered and with other prefixes: the same graph, so no write.
    let reordered: String = {
        let text = std::fs::read_to_string(&file).unwrap();
        let (prefixes, body): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|l| l.starts_with("@prefix"));
        prefixes
            .iter()
            .rev()
            .chain(&body)
            .map(|l| format!("{l}\n"))
            .collect()
    };
    std::fs::write(&file, reordered).unwrap();
    s.cmd()
        .arg("import")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "<graph/essai>: inchangé, rien n'a été écrit / unchanged, nothing written",
        ))
        .stdout(predicate::str::contains("recorded as").not());
    assert_eq!(s.dump(), after_first, "not even a provenance record");
    let table = history(&s, "graph/essai");
    assert!(
        table.contains("essai.ttl") && table.contains("oui / yes"),
        "{table}"
    );
    assert!(
        table.contains("1 version(s)") || table.contains("2 version(s)"),
        "{table}"
    );
}

#[test]
fn an_import_that_violates_the_shapes_is_refused_with_the_report() {
    let s = Sandbox::new();
    let before = s.dump();
    // A seminar without a name nor a date, organised by an institution that does not exist.
    let broken = s.write(
        "broken.ttl",
        "@prefix lg: <https://w3id.org/labgraph/def#> .\n@prefix schema: <http://schema.org/> .\n<seminar/x> a lg:Seminar, schema:Event ; schema:organizer <org/nowhere> .\n",
    );
    s.cmd()
        .arg("import")
        .arg(&broken)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("seminar/x"))
        .stderr(predicate::str::contains("fr:").and(predicate::str::contains("en:")))
        .stderr(
            predicate::str::contains("refusé").and(predicate::str::contains("nothing was written")),
        );
    assert_eq!(s.dump(), before, "the store is exactly as before");
    // Replacing a graph so that resources still referenced elsewhere disappear: the
    // references break, and the gate sees it though the new file itself is fine.
    let institutions = s.write(
        "institutions.ttl",
        "<org/autre> <http://schema.org/name> \"Autre\"@fr .\n",
    );
    s.cmd()
        .arg("import")
        .arg(&institutions)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("org/irev"));
    assert_eq!(s.dump(), before, "the store is exactly as before");
    // The administrator may skip the shapes, and the record says so.
    s.cmd()
        .args(["import", "--no-validate"])
        .arg(&broken)
        .assert()
        .success();
    assert!(history(&s, "graph/broken").contains("non / no"));
}

#[test]
fn a_dry_run_shows_the_change_and_writes_nothing() {
    let s = Sandbox::new();
    let file = s.write(
        "essai.ttl",
        &std::fs::read_to_string(fixture("extra-seminar.ttl")).unwrap(),
    );
    s.cmd().arg("import").arg(&file).assert().success();
    let changed = std::fs::read_to_string(&file).unwrap().replace(
        "schema:name \"Séminaire d'essai du Lab des transitions\"@fr ;",
        "schema:name \"Séminaire d'essai, version 2\"@fr ;\n    schema:about <theme/sante> ;",
    );
    std::fs::write(&file, changed).unwrap();
    let before = s.dump();
    s.cmd()
        .args(["import", "--dry-run", "--verbose"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("<graph/essai> (").and(predicate::str::contains("+2 −1 triples (7 → 8)")))
        .stdout(predicate::str::contains("  - <https://w3id.org/labgraph/id/seminar/essai-2023-03-09> <http://schema.org/name> \"Séminaire d'essai du Lab des transitions\"@fr ."))
        .stdout(predicate::str::contains("  + <https://w3id.org/labgraph/id/seminar/essai-2023-03-09> <http://schema.org/name> \"Séminaire d'essai, version 2\"@fr ."))
        .stdout(predicate::str::contains("ressources créées / resources created: 0"))
        .stdout(predicate::str::contains("validation : 0 violation(s)"))
        .stdout(predicate::str::contains("dry run: nothing was written"));
    assert_eq!(s.dump(), before);
    // A new file: its resources are new; a broken one: the report, exit 1, still nothing.
    let other = s.write(
        "autre.ttl",
        "@prefix schema: <http://schema.org/> .\n<person/nouvelle-personne> a schema:Person ; schema:name \"Nouvelle Personne\" .\n",
    );
    s.cmd()
        .args(["import", "--dry-run"])
        .arg(&other)
        .assert()
        .stdout(predicate::str::contains(
            "resources created: 1\n  <person/nouvelle-personne>",
        ));
    let broken = s.write(
        "broken.ttl",
        "@prefix lg: <https://w3id.org/labgraph/def#> .\n@prefix schema: <http://schema.org/> .\n<seminar/x> a lg:Seminar, schema:Event .\n",
    );
    s.cmd()
        .args(["import", "--dry-run"])
        .arg(&broken)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("violation"));
    assert_eq!(s.dump(), before);
}

#[test]
fn rollback_restores_the_previous_version_and_can_be_undone() {
    let s = Sandbox::new();
    s.cmd().arg("graphs").assert().success();
    let initial = s.dump_data();
    let file = s.write(
        "essai.ttl",
        &std::fs::read_to_string(fixture("extra-seminar.ttl")).unwrap(),
    );
    s.cmd().arg("import").arg(&file).assert().success();
    let first = s.dump_data();
    let changed = std::fs::read_to_string(&file)
        .unwrap()
        .replace("d'essai du Lab", "d'essai (2) du Lab");
    std::fs::write(&file, changed).unwrap();
    s.cmd().arg("import").arg(&file).assert().success();
    let second = s.dump_data();
    assert_ne!(first, second);
    s.cmd()
        .args(["rollback", "graph/essai"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("<graph/essai>").and(predicate::str::contains("essai.ttl")),
        );
    assert_eq!(s.dump_data(), first, "back to the first version");
    // Once more: back before the first import, when the graph did not exist.
    s.cmd().args(["rollback", "graph/essai"]).assert().success();
    assert_eq!(s.dump_data(), initial);
    // Refused, not misused: exit code 1.
    s.cmd()
        .args(["rollback", "graph/essai"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no earlier version"));
    // Every step is a version: the empty graph, two imports, two rollbacks.
    let table = history(&s, "graph/essai");
    assert!(table.contains("5 version(s)"), "{table}");
    assert!(table.contains("labgraph rollback"), "{table}");
    // Importing the file again brings the second version back.
    s.cmd().arg("import").arg(&file).assert().success();
    assert_eq!(s.dump_data(), second);
    // A graph that labgraph never wrote has no version to go back to.
    s.cmd()
        .args(["rollback", "graph/nothing-here"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("graph/nothing-here"));
}

#[test]
fn a_rollback_that_would_break_another_graph_is_refused_unless_forced() {
    let s = Sandbox::new();
    let org = |id: &str, name: &str| {
        format!(
            "<https://w3id.org/labgraph/id/org/{id}> a <http://schema.org/Organization> , <http://www.w3.org/ns/org#Organization> ;\n\
             <http://schema.org/name> \"{name}\"@fr ;\n\
             <http://purl.org/dc/terms/source> <https://example.org/annuaire> .\n"
        )
    };
    // The institutions' graph, first with one institution, then with two.
    let institutions = s.write("institutions-essai.ttl", &org("essai-a", "Institution A"));
    s.cmd().arg("import").arg(&institutions).assert().success();
    std::fs::write(
        &institutions,
        format!(
            "{}{}",
            org("essai-a", "Institution A"),
            org("essai-b", "Institution B")
        ),
    )
    .unwrap();
    s.cmd().arg("import").arg(&institutions).assert().success();
    // Another graph names the second institution as a person's affiliation.
    let people = s.write(
        "personnes-essai.ttl",
        "<https://w3id.org/labgraph/id/person/essai-p> a <http://schema.org/Person> ;\n\
         <http://schema.org/name> \"Personne Essai\" ;\n\
         <http://schema.org/affiliation> <https://w3id.org/labgraph/id/org/essai-b> ;\n\
         <http://purl.org/dc/terms/source> <https://example.org/annuaire> .\n",
    );
    s.cmd().arg("import").arg(&people).assert().success();
    let before = s.dump_data();
    // Going back to one institution would leave the affiliation dangling: refused by the
    // gate, with the report, and nothing written.
    s.cmd()
        .args(["rollback", "graph/institutions-essai"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("affiliation").and(predicate::str::contains("person/essai-p")),
        );
    assert_eq!(s.dump_data(), before);
    // Forced, it is done, and its version says it was not checked.
    s.cmd()
        .args(["rollback", "--force", "graph/institutions-essai"])
        .assert()
        .success();
    assert_ne!(s.dump_data(), before);
    let table = history(&s, "graph/institutions-essai");
    assert!(table.contains("labgraph rollback"), "{table}");
}

#[test]
fn files_that_are_not_utf8_or_too_large_are_refused_and_nothing_is_written() {
    let s = Sandbox::new();
    let before = s.dump();
    // "Séminaire" in Latin-1: the byte 0xE9 is not UTF-8.
    let latin1 = s.path("latin1.ttl");
    std::fs::write(
        &latin1,
        b"@prefix schema: <http://schema.org/> .\n<seminar/x> schema:name \"S\xe9minaire\" .\n",
    )
    .unwrap();
    s.cmd()
        .arg("import")
        .arg(&latin1)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("latin1.ttl:2:").and(predicate::str::contains("UTF-8")));
    // A file of several gigabytes (sparse: it takes no room on disk).
    let huge = s.path("huge.ttl");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    s.cmd().arg("import").arg(&huge).assert().code(2).stderr(
        predicate::str::contains("huge.ttl").and(predicate::str::contains("--no-validate")),
    );
    // Streamed through the bulk loader, its first byte is already an error.
    let huge_nt = s.path("huge.nt");
    std::fs::rename(&huge, &huge_nt).unwrap();
    s.cmd()
        .args(["import", "--no-validate"])
        .arg(&huge_nt)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("huge.nt:1:1"));
    assert_eq!(s.dump(), before, "the store is exactly as before");
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_seed_seminar_as_a_record_is_the_bundled_graph() {
    // The record of the seed's seminar, in YAML and in JSON, gives exactly the graph of the
    // bundled Turtle: importing it over the bundled data finds nothing to change.
    let s = Sandbox::new();
    let before = s.dump();
    let yaml = repo("records/seminar-pma-artois-2022-12-01.yaml");
    s.cmd()
        .arg("import")
        .arg(&yaml)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "<graph/seminar-pma-artois-2022-12-01>: inchangé",
        ));
    let value: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&yaml).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("seminar-pma-artois-2022-12-01.json");
    std::fs::write(&json, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    s.cmd()
        .arg("import")
        .arg(&json)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "<graph/seminar-pma-artois-2022-12-01>: inchangé",
        ));
    assert_eq!(s.dump(), before);
}

#[test]
fn bad_records_are_refused_with_their_position_and_nothing_is_written() {
    let s = Sandbox::new();
    let before = s.dump();
    let record = |name: &str, text: &str| s.write(name, text);
    let good = "id: seminar/essai-2023-03-09\ntype: [Seminar, Event]\nname: Séminaire d'essai\nstartDate: '2023-03-09'\norganizer: org/irev\nsuperEvent: series/lab-des-transitions\nsource: https://example.org/essai\n";
    let cases: Vec<(PathBuf, i32, Vec<&str>)> = vec![
        // Malformed YAML: the parser's position.
        (
            record("a.yaml", "id: seminar/x\nname: [unclosed\n"),
            1,
            vec!["a.yaml:"],
        ),
        // Malformed JSON.
        (
            record("b.json", "{\"id\": \"seminar/x\",\n \"name\": }\n"),
            1,
            vec!["b.json:"],
        ),
        // An unknown key, with a suggestion.
        (
            record("c.yaml", &good.replace("organizer:", "organiser:")),
            1,
            vec!["c.yaml:5:1", "/organiser", "organizer"],
        ),
        // A date as a page writes it.
        (
            record(
                "d.yaml",
                &good.replace("'2023-03-09'", "Vendredi 25 novembre 2022"),
            ),
            1,
            vec!["d.yaml:4:", "2022-11-25"],
        ),
        // A missing required field: the gate names the seminar and the property.
        (
            record("e.yaml", &good.replace("name: Séminaire d'essai\n", "")),
            1,
            vec![
                "seminar/essai-2023-03-09",
                // The resource's `id` (the name it lacks has no line).
                "e.yaml:1:1]",
                "schema.org/name",
                "refusé",
            ],
        ),
        // An SDG code that does not exist.
        (
            record(
                "f.yaml",
                "id: action/essai\ntype: Action\nname: Action d'essai\ncontributesTo: sdg:99.9\n",
            ),
            1,
            vec!["action/essai", "refusé"],
        ),
        // Not UTF-8.
        (
            {
                let path = s.path("g.yaml");
                std::fs::write(&path, b"id: seminar/x\nname: S\xe9minaire\n").unwrap();
                path
            },
            1,
            vec!["g.yaml:2:", "UTF-8"],
        ),
        // Empty.
        (
            record("h.yaml", "# nothing yet\n"),
            1,
            vec!["h.yaml", "empty"],
        ),
    ];
    for (path, code, expected) in cases {
        let output = s.cmd().arg("import").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{}: {stderr}",
            path.display()
        );
        for text in expected {
            assert!(
                stderr.contains(text),
                "{}: no '{text}' in:\n{stderr}",
                path.display()
            );
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(s.dump(), before, "the store is exactly as before");
    // The good one imports.
    s.cmd()
        .arg("import")
        .arg(record("essai.yaml", good))
        .assert()
        .success()
        .stdout(predicate::str::contains("<graph/essai>: 7 triples"));
}

#[test]
fn people_and_institutions_written_another_way_are_matched_not_duplicated() {
    let s = Sandbox::new();
    let action = |lead: &str| {
        format!(
            "id: action/essai\ntype: Action\nname: Action d'essai\ndescription: Une action pour l'essai.\nledBy: {lead}\nsource: https://example.org/essai\n"
        )
    };
    for (lead, iri, by) in [
        (
            "{type: Organization, name: PMA}",
            "org/pma",
            "sigle / acronym",
        ),
        (
            "{type: Organization, name: \"Pôle Métropolitain de l'Artois\"}",
            "org/pma",
            "nom / name",
        ),
        (
            "{type: Organization, name: Cerdd}",
            "org/cerdd",
            "sigle / acronym",
        ),
        // A confirmed SIREN (dct:identifier): the Pôle's is only an unconfirmed
        // adms:identifier since issue 12, and reconciliation matches confirmed ones only.
        (
            "{type: Organization, identifier: '200072460'}",
            "org/cabbalr",
            "identifiant / identifier",
        ),
    ] {
        let file = s.write("essai.yaml", &action(lead));
        s.cmd()
            .args(["import", "--dry-run"])
            .arg(&file)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "→ <https://w3id.org/labgraph/id/{iri}> ({by})"
            )));
    }
    // Imported: the action is led by the existing institution, and no new one appears.
    let file = s.write("essai.yaml", &action("{type: Organization, name: PMA}"));
    let organisations = |s: &Sandbox| {
        s.count_query("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a schema:Organization }")
    };
    let before = organisations(&s);
    s.cmd().arg("import").arg(&file).assert().success();
    assert_eq!(organisations(&s), before);
    assert_eq!(
        s.count_query("SELECT (COUNT(*) AS ?n) WHERE { <action/essai> lg:ledBy <org/pma> }"),
        1
    );
    // A speaker whose family name is in capitals is the person the store knows.
    let talk = s.write(
        "personne.yaml",
        "id: person/essai\ntype: Person\nname: {\"@value\": Essai}\n\"schema:knows\": {type: Person, givenName: Alain, familyName: BAVAY}\n",
    );
    s.cmd()
        .args(["import", "--dry-run", "--no-validate"])
        .arg(&talk)
        .assert()
        .stdout(predicate::str::contains(
            "→ <https://w3id.org/labgraph/id/person/alain-bavay>",
        ));
    // Two people of one name: the import is refused, with both candidates.
    let twins = s.write(
        "homonymes.ttl",
        "@prefix schema: <http://schema.org/> .\n<person/jean-dupont-1> a schema:Person ; schema:name \"Jean Dupont\" .\n<person/jean-dupont-2> a schema:Person ; schema:name \"Jean Dupont\" .\n",
    );
    s.cmd()
        .args(["import", "--no-validate"])
        .arg(&twins)
        .assert()
        .success();
    let before = s.dump();
    let ambiguous = s.write(
        "ambigu.yaml",
        "id: person/essai-2\ntype: Person\nname: {\"@value\": Essai}\n\"schema:knows\": {type: Person, name: Jean DUPONT}\n",
    );
    s.cmd()
        .arg("import")
        .arg(&ambiguous)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("person/jean-dupont-1")
                .and(predicate::str::contains("person/jean-dupont-2")),
        );
    assert_eq!(s.dump(), before);
    // Nobody of that name: created under a minted IRI.
    let new = s.write(
        "nouveau.yaml",
        "id: person/essai-3\ntype: Person\nname: {\"@value\": Essai}\n\"schema:knows\": {type: Person, name: Zoé Nouvelle}\n",
    );
    s.cmd()
        .args(["import", "--dry-run", "--no-validate"])
        .arg(&new)
        .assert()
        .stdout(predicate::str::contains(
            "créé / created: <https://w3id.org/labgraph/id/person/zoe-nouvelle>",
        ));
}

#[test]
fn a_spreadsheet_of_actions_imports_with_french_headers() {
    let s = Sandbox::new();
    let csv = s.write(
        "actions-2023.csv",
        "Titre;Description;Porteur;Territoires;Thèmes;Cibles ODD;Source\n\
         Jardins partagés des Provinces;Des jardins au pied des immeubles.;Pôle Métropolitain de l'Artois;200072460;alimentation;2.1, 11.7;https://example.org/jardins\n\
         Îlots de fraîcheur;Des cours d'école végétalisées.;org/aula;62498;ilots-de-chaleur;13.1;https://example.org/ilots\n",
    );
    s.cmd()
        .arg("import")
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("<graph/actions-2023>"))
        .stderr(predicate::str::contains(
            "→ <https://w3id.org/labgraph/id/org/pma>",
        ));
    assert_eq!(
        s.count_query(
            "SELECT (COUNT(*) AS ?n) WHERE { <action/jardins-partages-des-provinces> lg:ledBy <org/pma> ; \
             dct:spatial <territory/epci/200072460> ; lg:contributesTo sdg:2.1, sdg:11.7 ; dct:subject <theme/alimentation> }"
        ),
        1
    );
    // Bad rows: an unknown SDG code, an unknown column, an empty lead; the store is as before.
    let before = s.dump();
    for (text, expected) in [
        (
            "titre,porteur,source,odd\nA,PMA,https://example.org/a,99.9\n",
            vec!["refusé", "sdg/99.9"],
        ),
        (
            "titre,porteur,source,couleur\nA,PMA,https://example.org/a,bleu\n",
            vec!["bad.csv:1:4", "couleur"],
        ),
        (
            "titre,porteur,source\nA,,https://example.org/a\n",
            vec!["bad.csv:2:2"],
        ),
        ("titre,porteur,source\nA,PMA\n", vec!["bad.csv:2"]),
    ] {
        let file = s.write("bad.csv", text);
        let output = s.cmd().arg("import").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{text}: {stderr}");
        for e in expected {
            assert!(stderr.contains(e), "{text}: no '{e}' in {stderr}");
        }
    }
    assert_eq!(s.dump(), before);
}

#[test]
fn no_import_can_write_the_provenance_graph() {
    let s = Sandbox::new();
    let before = s.dump();
    let data = s.write("notes.ttl", "<urn:s> <urn:p> \"x\" .\n");
    // By --graph, in memory or dry run.
    for extra in [&[][..], &["--dry-run"][..], &["--no-validate"][..]] {
        s.cmd()
            .arg("import")
            .args(extra)
            .args(["--graph", "graph/imports"])
            .arg(&data)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("managed by labgraph"));
    }
    // By a graph name inside a TriG or N-Quads file.
    let trig = s.write(
        "sneaky.trig",
        "<https://w3id.org/labgraph/id/graph/imports> { <urn:s> <urn:p> \"x\" . }\n",
    );
    let nquads = s.write(
        "sneaky.nq",
        "<urn:s> <urn:p> \"x\" <https://w3id.org/labgraph/id/graph/imports> .\n",
    );
    for file in [&trig, &nquads] {
        s.cmd()
            .arg("import")
            .arg(file)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("managed by labgraph"));
    }
    assert_eq!(s.dump(), before, "the store changed");
    // Rollback still finds every bundled graph's source.
    s.cmd().args(["history", "graph/themes"]).assert().success();
}

#[test]
fn inputs_beyond_the_bounds_are_refused_with_their_position() {
    let s = Sandbox::new();
    let before = s.dump();
    let laughs = s.write(
        "laughs.rdf",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY a \"aaaaaaaaaa\">\n <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"urn:s\"><rdf:value>&b;</rdf:value></rdf:Description></rdf:RDF>\n",
    );
    s.cmd()
        .arg("import")
        .arg(&laughs)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("laughs.rdf:3:2").and(predicate::str::contains("entity")));
    let nested = s.write(
        "nested.ttl",
        &format!(
            "<urn:s> <urn:p>\n  {}1{} .\n",
            "[ <urn:p> ".repeat(100_000),
            " ]".repeat(100_000)
        ),
    );
    s.cmd()
        .arg("import")
        .arg(&nested)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nested.ttl:2:").and(predicate::str::contains("64")));
    // A device has no size to check first: it is read up to the bound, then refused.
    s.cmd()
        .args([
            "import",
            "--format",
            "ntriples",
            "--graph",
            "graph/zero",
            "/dev/zero",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("too large"));
    s.cmd()
        .args([
            "import",
            "--format",
            "ntriples",
            "--graph",
            "graph/stdin",
            "-",
        ])
        .write_stdin(vec![b'\n'; (256 << 20) + 1])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("standard input").and(predicate::str::contains("too large")),
        );
    assert_eq!(s.dump(), before, "the store changed");
}

#[test]
fn a_graph_of_many_blank_nodes_is_versioned_without_canonicalisation() {
    let s = Sandbox::new();
    // A chain of 1,000 blank nodes took 56 s to canonicalise.
    let chain: String = (0..1_000)
        .map(|i| format!("_:b{i} <urn:next> _:b{} .\n", i + 1))
        .collect();
    let file = s.write("chain.nt", &chain);
    s.cmd().arg("import").arg(&file).assert().success();
    // (The table's header names the prefix once.)
    let history = history(&s, "graph/chain");
    assert_eq!(history.matches("nc-").count(), 2, "{history}");
    // The same file again: the deterministic form recognises it.
    s.cmd()
        .arg("import")
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("unchanged"));
    // A small graph keeps its canonical hash.
    assert_eq!(self::history(&s, "graph/themes").matches("nc-").count(), 1);
    // Ten blank nodes all linked to one another: a "poison graph" for RDFC-1.0, which
    // ran minutes at ten. Its canonicalisation is given up at its budget.
    let clique: String = (0..10)
        .flat_map(|i| {
            (0..10)
                .filter(move |j| *j != i)
                .map(move |j| format!("_:b{i} <urn:p> _:b{j} .\n"))
        })
        .collect();
    let file = s.write("clique.nt", &clique);
    s.cmd().arg("import").arg(&file).assert().success();
    assert_eq!(self::history(&s, "graph/clique").matches("nc-").count(), 2);
}

#[test]
fn a_bulk_load_killed_at_any_moment_leaves_its_graph_with_its_version_or_absent() {
    use std::io::Write as _;
    let s = Sandbox::new();
    // 32 MiB and more of N-Triples with --no-validate take the bulk path.
    let path = s.path("big.nt");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut lines = 0usize;
    while file.get_ref().metadata().unwrap().len() < 34 << 20 || !lines.is_multiple_of(1000) {
        writeln!(
            file,
            "<https://ex.org/r{lines}> <https://ex.org/p> \"a value long enough to fill the file {lines}\" ."
        )
        .unwrap();
        lines += 1;
        if lines.is_multiple_of(1000) {
            file.flush().unwrap();
        }
    }
    file.flush().unwrap();
    drop(file);
    s.cmd().arg("graphs").assert().success();
    // The versions of graph/big that hold triples (the empty state it replaced is
    // recorded too).
    let versions = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/labgraph/id/graph/imports> { ?v <http://www.w3.org/ns/prov#specializationOf> <https://w3id.org/labgraph/id/graph/big> ; <http://rdfs.org/ns/void#triples> ?t FILTER(?t > 0) } }";
    let mut outcomes = Vec::new();
    for delay_ms in [300, 800, 1_500, 2_500, 4_000, 6_000, u64::MAX] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_labgraph"))
            .arg("--store")
            .arg(s.store())
            .args(["import", "--no-validate"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The last run is not killed: it must load and record the graph.
        let finished = if delay_ms == u64::MAX {
            child.wait().unwrap().success()
        } else {
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            let finished = child.try_wait().unwrap().is_some();
            let _ = child.kill();
            let _ = child.wait();
            finished
        };
        // Reopening the store repairs it: no leftover sorted files, and the graph has
        // all its triples and one version, or neither.
        let triples = s.count("https://w3id.org/labgraph/id/graph/big");
        let recorded = s.count_query(versions);
        let leftovers: Vec<_> = std::fs::read_dir(s.store())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("bulk-"))
            .collect();
        assert!(leftovers.is_empty(), "after {delay_ms} ms: {leftovers:?}");
        assert!(
            (triples == 0 && recorded == 0) || (triples == lines && recorded == 1),
            "killed after {delay_ms} ms (finished: {finished}): {triples} triples, {recorded} version(s)"
        );
        outcomes.push(triples > 0);
        if triples > 0 {
            break;
        }
    }
    assert!(
        outcomes.iter().any(|loaded| *loaded),
        "no run got to the end: {outcomes:?}"
    );
}

#[test]
fn the_same_resources_under_another_file_name_are_refused_unless_shared() {
    let s = Sandbox::new();
    let text = std::fs::read_to_string(fixture("extra-seminar.ttl")).unwrap();
    let first = s.write("essai.ttl", &text);
    s.cmd().arg("import").arg(&first).assert().success();
    let before = s.dump_data();
    // The same record under another name would describe the seminar in a second graph.
    let copy = s.write("essai-copie.ttl", &text);
    for dry_run in [true, false] {
        let mut command = s.cmd();
        command.arg("import");
        if dry_run {
            command.arg("--dry-run");
        }
        command.arg(&copy).assert().code(1).stderr(
            predicate::str::contains("one resource, one graph")
                .and(predicate::str::contains("graph/essai>"))
                .and(predicate::str::contains("essai-copie.ttl"))
                .and(predicate::str::contains("--shared")),
        );
        assert_eq!(s.dump_data(), before);
    }
    // Re-importing into the graph that describes it is the way to change it.
    s.cmd().arg("import").arg(&first).assert().success();
    // Asked for, both graphs describe it.
    s.cmd()
        .args(["import", "--shared"])
        .arg(&copy)
        .assert()
        .success();
    assert_ne!(s.dump_data(), before);
}

#[test]
fn find_answers_with_iris_and_why_they_matched() {
    let s = Sandbox::new();
    for (kind, text, iri, why) in [
        (
            "institution",
            "Région Hauts-de-France",
            "<org/region-hauts-de-france>",
            "exact name",
        ),
        ("institution", "pma", "<org/pma>", "exact code"),
        (
            "institution",
            "pole METROPOLITAIN artois",
            "<org/pma>",
            "every word",
        ),
        (
            "territory",
            "62498",
            "<territory/commune/62498>",
            "exact code",
        ),
        ("theme", "chaleur", "<theme/ilots-de-chaleur>", "every word"),
        ("sdg", "11.6", "sdg:11.6", "exact code"),
    ] {
        s.cmd()
            .args(["find", kind, text])
            .assert()
            .success()
            .stdout(predicate::str::contains(iri).and(predicate::str::contains(why)));
    }
    // The best match first: the commune named Lens before the communes "…-lès-Lens".
    let out = s
        .cmd()
        .args(["find", "territory", "Lens"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("<territory/commune/62498>"), "{text}");
    // Nothing: exit code 1, the closest spelling when there is one.
    s.cmd()
        .args(["find", "institution", "Region Hauts-de-Frnace"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("nothing matches")
                .and(predicate::str::contains("Région Hauts-de-France")),
        );
    s.cmd().args(["find", "planet", "Mars"]).assert().code(2);
}

#[test]
fn new_records_pass_the_gate_as_written() {
    let s = Sandbox::new();
    for kind in ["seminar", "person", "institution", "action"] {
        let path = s.path(&format!("nouveau-{kind}.yaml"));
        s.cmd()
            .args(["new", kind, "-o"])
            .arg(&path)
            .assert()
            .success();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("←"), "{kind}: what to replace is marked");
        // As written, the dry run finds nothing to say.
        s.cmd()
            .args(["import", "--dry-run"])
            .arg(&path)
            .assert()
            .success()
            .stdout(predicate::str::contains("0 violation(s), 0 warning(s)"));
        // Never over a file.
        s.cmd()
            .args(["new", kind, "-o"])
            .arg(&path)
            .assert()
            .code(2);
    }
    // To standard output too.
    s.cmd()
        .args(["new", "person"])
        .assert()
        .success()
        .stdout(predicate::str::contains("person/prenom-nom"));
}

#[test]
fn explain_reads_what_a_record_needs_from_the_shapes() {
    let s = Sandbox::new();
    s.cmd()
        .args(["explain", "seminar"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("name: obligatoire / required")
                .and(predicate::str::contains("source: obligatoire / required"))
                .and(predicate::str::contains(
                    "location: recommandé / recommended",
                ))
                .and(predicate::str::contains(
                    "A seminar should state its venue (schema:location).",
                )),
        );
    s.cmd()
        .args(["explain", "person"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("source: obligatoire / required").and(
                predicate::str::contains("affiliation: recommandé / recommended"),
            ),
        );
    s.cmd()
        .args(["explain", "spaceship"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("seminar, session"));
}

#[test]
fn findings_speak_the_shapes_words_not_the_engines() {
    let s = Sandbox::new();
    // Two French names: the engine's own text was "Unique lang failed for lang fr…".
    let record = s.write(
        "deux-noms.yaml",
        "id: seminar/essai-deux-noms\ntype: [Seminar, Event]\nname: Premier nom\nnames: {fr: Second nom}\nsource: https://www.irev.fr/\n",
    );
    s.cmd()
        .args(["import", "--dry-run"])
        .arg(&record)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("au plus un par langue")
                .and(predicate::str::contains("at most one per language"))
                .and(predicate::str::contains("Unique lang failed").not()),
        );
}
