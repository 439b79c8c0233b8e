//! Versions of named graphs: their canonical form (RDFC-1.0), its hash, and the copies
//! kept so that `labgraph rollback` can restore a graph.
//!
//! A graph's canonical form is its triples with blank nodes relabelled by RDF
//! Canonicalization 1.0 (W3C, SHA-256), written one N-Triples line each, sorted by code
//! point; its hash is the SHA-256 of those lines. Two isomorphic graphs have the same
//! form, so re-importing an unchanged source is recognised whatever its blank node labels
//! or statement order, and a dry run compares two forms line by line.
//!
//! The content of every version an import writes or replaces is kept, gzipped and named
//! by its hash, in `labgraph-versions/` inside the store folder (RocksDB leaves files it
//! does not know alone); `labgraph backup` copies it with the store.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::graph::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxigraph::model::{Graph, Triple};

use crate::error::{Error, Result};
use crate::source::hex;
use sha2::{Digest, Sha256};

/// The folder, inside the store folder, that keeps the versions' contents.
pub const FOLDER: &str = "labgraph-versions";

/// A graph in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// The sorted canonical N-Triples lines, each without its final newline.
    pub lines: Vec<String>,
    /// Lowercase hexadecimal SHA-256 of the lines, each ended by a newline.
    pub hash: String,
}

/// Past this many blank nodes, a graph is not put in canonical form: RDFC-1.0's cost
/// grows faster than any bound with the blank nodes that look alike (a chain of 256
/// takes 1.5 s, of 1,000 56 s and 0.5 GB). Its form then labels blank nodes in a
/// deterministic order, and its hash starts with [`NON_CANONICAL`].
pub const MAX_CANONICAL_BLANK_NODES: usize = 256;

/// How long RDFC-1.0 may run on one graph. Fewer blank nodes are no guarantee: symmetric
/// "poison" graphs take exponential time (eight blank nodes all linked to one another
/// took 5 s, ten more than two minutes). Past this budget the form is the non-canonical
/// one, and the canonicalisation, which cannot be stopped, is left to end with the
/// process (only `import`, `validate` and `rollback` canonicalise: short-lived
/// commands).
pub const CANONICAL_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// The prefix of the hash of a form that is not canonical.
pub const NON_CANONICAL: &str = "nc-";

impl Canonical {
    /// The canonical form of a set of triples (repeated triples count once); past
    /// [`MAX_CANONICAL_BLANK_NODES`] blank nodes, a deterministic form that is not
    /// canonical (see [`Canonical::is_canonical`]).
    pub fn of(triples: impl IntoIterator<Item = Triple>) -> Self {
        let graph: Graph = triples.into_iter().collect();
        let mut blank = std::collections::HashSet::new();
        for t in graph.iter() {
            if let oxigraph::model::NamedOrBlankNodeRef::BlankNode(b) = t.subject {
                blank.insert(b.into_owned());
            }
            if let oxigraph::model::TermRef::BlankNode(b) = t.object {
                blank.insert(b.into_owned());
            }
        }
        let canonical_lines = if blank.is_empty() {
            Some(graph.iter().map(|t| format!("{t} .")).collect())
        } else if blank.len() <= MAX_CANONICAL_BLANK_NODES {
            within_budget(graph.clone())
        } else {
            None
        };
        let canonical = canonical_lines.is_some();
        let mut lines: Vec<String> = canonical_lines.unwrap_or_else(|| relabelled(&graph));
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        for line in &lines {
            hasher.update(line.as_bytes());
            hasher.update(b"\n");
        }
        let hash = hex(&hasher.finalize());
        Self {
            lines,
            hash: if canonical {
                hash
            } else {
                format!("{NON_CANONICAL}{hash}")
            },
        }
    }

    /// Whether the form is RDFC-1.0's (else blank nodes were too many, and two
    /// isomorphic graphs may have different forms).
    pub fn is_canonical(&self) -> bool {
        !self.hash.starts_with(NON_CANONICAL)
    }

    /// The triples of the form, parsed back.
    pub fn triples(&self) -> Result<Vec<Triple>> {
        let text = self.lines.join("\n");
        RdfParser::from_format(RdfFormat::NTriples)
            .for_slice(text.as_bytes())
            .map(|q| q.map(Triple::from))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::Store {
                path: PathBuf::from(FOLDER),
                message: format!("a kept version does not parse back: {e}"),
            })
    }

    /// What changes from `self` to `after`: the lines removed, and the lines added.
    pub fn diff<'a>(&'a self, after: &'a Canonical) -> (Vec<&'a str>, Vec<&'a str>) {
        let before: BTreeSet<&str> = self.lines.iter().map(String::as_str).collect();
        let now: BTreeSet<&str> = after.lines.iter().map(String::as_str).collect();
        (
            before.difference(&now).copied().collect(),
            now.difference(&before).copied().collect(),
        )
    }
}

/// The RDFC-1.0 lines of a graph, if they come within [`CANONICAL_BUDGET`].
fn within_budget(mut graph: Graph) -> Option<Vec<String>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("labgraph-canonical".into())
        .stack_size(crate::bounds::STACK_SIZE)
        .spawn(move || {
            graph.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
                hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
            });
            let _ = sender.send(graph.iter().map(|t| format!("{t} .")).collect());
        })
        .ok()?;
    let lines = receiver.recv_timeout(CANONICAL_BUDGET).ok();
    if lines.is_none() {
        tracing::warn!(
            "RDFC-1.0 did not finish within {CANONICAL_BUDGET:?}: this version gets a non-canonical hash"
        );
    }
    lines
}

/// N-Triples lines whose blank nodes are labelled `_:n0`, `_:n1`… in the order they
/// first appear once the triples are sorted with blank nodes masked: the same triples in
/// any order get the same lines, in linear time.
fn relabelled(graph: &Graph) -> Vec<String> {
    use oxigraph::model::{BlankNode, NamedOrBlankNodeRef, TermRef};
    let masked = |t: &oxigraph::model::TripleRef<'_>| {
        let subject = match t.subject {
            NamedOrBlankNodeRef::BlankNode(_) => "_:".to_owned(),
            s => s.to_string(),
        };
        let object = match t.object {
            TermRef::BlankNode(_) => "_:".to_owned(),
            o => o.to_string(),
        };
        (subject, t.predicate.to_string(), object)
    };
    let mut triples: Vec<_> = graph.iter().map(|t| (masked(&t), t)).collect();
    triples.sort_by(|a, b| a.0.cmp(&b.0));
    let mut labels = std::collections::HashMap::new();
    let mut label = |b: oxigraph::model::BlankNodeRef<'_>| {
        let next = labels.len();
        labels
            .entry(b.into_owned())
            .or_insert_with(|| BlankNode::new_unchecked(format!("n{next}")))
            .clone()
    };
    triples
        .into_iter()
        .map(|(_, t)| {
            let subject = match t.subject {
                NamedOrBlankNodeRef::BlankNode(b) => label(b).to_string(),
                s => s.to_string(),
            };
            let object = match t.object {
                TermRef::BlankNode(b) => label(b).to_string(),
                o => o.to_string(),
            };
            format!("{subject} {} {object} .", t.predicate)
        })
        .collect()
}

/// The kept contents of versions, in a folder of the store.
pub struct Kept {
    folder: PathBuf,
}

impl Kept {
    /// The versions kept beside the store at `store_path`. A store in memory has none.
    pub fn for_store(store_path: &Path) -> Option<Self> {
        store_path.is_dir().then(|| Self {
            folder: store_path.join(FOLDER),
        })
    }

    /// The folder of the kept contents.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    fn path(&self, hash: &str) -> PathBuf {
        self.folder.join(format!("{hash}.nt.gz"))
    }

    /// Keeps a version's content, unless it is already kept. The file is written aside
    /// and renamed, so a crash never leaves a partial version under its hash.
    pub fn keep(&self, canonical: &Canonical) -> Result<()> {
        let path = self.path(&canonical.hash);
        if path.exists() {
            return Ok(());
        }
        let io = |e| Error::Io {
            path: path.clone(),
            source: e,
        };
        std::fs::create_dir_all(&self.folder).map_err(io)?;
        let partial = path.with_extension("partial");
        let file = std::fs::File::create(&partial).map_err(io)?;
        let mut writer = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        for line in &canonical.lines {
            writer.write_all(line.as_bytes()).map_err(io)?;
            writer.write_all(b"\n").map_err(io)?;
        }
        writer.finish().and_then(|f| f.sync_all()).map_err(io)?;
        std::fs::rename(&partial, &path).map_err(io)
    }

    /// A kept version, checked against its hash.
    pub fn read(&self, hash: &str) -> Result<Canonical> {
        let path = self.path(hash);
        let file = std::fs::File::open(&path).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        let lines = BufReader::new(flate2::read::GzDecoder::new(file))
            .lines()
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })?;
        let triples = Canonical {
            lines,
            hash: hash.to_owned(),
        }
        .triples()?;
        let canonical = Canonical::of(triples);
        if canonical.hash != hash {
            return Err(Error::Store {
                path,
                message: "the kept version does not match its hash: it was altered".into(),
            });
        }
        Ok(canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sha256;

    fn parse(text: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(text.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect()
    }

    #[test]
    fn isomorphic_graphs_share_their_canonical_form() {
        let a = parse("<urn:s> <urn:p> _:x . _:x <urn:q> \"1\" . <urn:s> <urn:p> _:y .");
        let b = parse("<urn:s> <urn:p> _:b2 . <urn:s> <urn:p> _:b1 . _:b2 <urn:q> \"1\" .");
        assert_eq!(Canonical::of(a.clone()), Canonical::of(b));
        let c = parse("<urn:s> <urn:p> _:x . _:x <urn:q> \"2\" . <urn:s> <urn:p> _:y .");
        let (before, after) = (Canonical::of(a), Canonical::of(c));
        let (removed, added) = before.diff(&after);
        assert_eq!(
            (removed.len(), added.len()),
            (1, 1),
            "{removed:?} {added:?}"
        );
    }

    #[test]
    fn the_hash_is_sha256_of_the_sorted_lines() {
        let canonical = Canonical::of(parse("<urn:b> <urn:p> <urn:o> . <urn:a> <urn:p> \"é\" ."));
        assert_eq!(
            canonical.lines,
            ["<urn:a> <urn:p> \"é\" .", "<urn:b> <urn:p> <urn:o> ."]
        );
        assert_eq!(
            canonical.hash,
            sha256(b"<urn:a> <urn:p> \"\xc3\xa9\" .\n<urn:b> <urn:p> <urn:o> .\n")
        );
        // The empty graph's hash is SHA-256 of nothing.
        assert_eq!(
            Canonical::of(Vec::new()).hash,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn kept_versions_read_back_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let kept = Kept::for_store(dir.path()).unwrap();
        let canonical = Canonical::of(parse("<urn:s> <urn:p> _:x . _:x <urn:q> \"1\" ."));
        kept.keep(&canonical).unwrap();
        kept.keep(&canonical).unwrap();
        assert_eq!(kept.read(&canonical.hash).unwrap(), canonical);
        // A file altered on disk is refused.
        let other = Canonical::of(parse("<urn:s> <urn:p> <urn:o> ."));
        kept.keep(&other).unwrap();
        std::fs::copy(kept.path(&other.hash), kept.path(&canonical.hash)).unwrap();
        assert!(kept.read(&canonical.hash).is_err());
    }
}
