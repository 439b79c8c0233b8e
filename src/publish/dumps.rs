//! The dumps, and what the catalogue, VoID and the sitemap need to know of the data, in
//! one read of the store: the whole dataset as gzipped N-Quads and TriG, each named graph
//! as gzipped N-Quads and Turtle, each file's size and SHA-256 taken as it is written.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use oxigraph::io::WriterQuadSerializer;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphName, NamedOrBlankNode, Quad, Term};
use sha2::{Digest, Sha256};

use super::{FileInfo, io};
use crate::error::{Error, Result};
use crate::source::hex;
use crate::store::GraphStore;
use crate::vocab::{self, local};

/// The whole dataset's dumps, by path in a generation.
pub const WHOLE_NQUADS: &str = "dumps/labgraph.nq.gz";
pub const WHOLE_TRIG: &str = "dumps/labgraph.trig.gz";
/// The UN SDG KOS's namespace: links there are a linkset of their own.
pub const SDG_NAMESPACE: &str = "http://metadata.un.org/sdg/";

/// The properties that say which territory a resource is about.
const SPATIAL: [&str; 3] = [
    "https://w3id.org/labgraph/def#territory",
    "http://purl.org/dc/terms/spatial",
    "http://schema.org/areaServed",
];

/// What one read of the data found.
#[derive(Debug, Default)]
pub struct Stats {
    /// Quads of the dump (every named graph, and the default graph).
    pub triples: u64,
    /// The named graphs, by IRI.
    pub graphs: BTreeMap<String, GraphStats>,
    /// Distinct subject IRIs under the base IRI.
    pub entities: u64,
    /// Distinct subjects (IRIs and blank nodes).
    pub subjects: u64,
    /// Triples per property.
    pub properties: BTreeMap<String, u64>,
    /// Distinct instances per class.
    pub classes: BTreeMap<String, u64>,
    /// Triples of the data (not the provenance, the ontology or the shapes) whose subject
    /// is under the base IRI and whose object is an IRI outside it and outside the
    /// vocabularies, by the target's namespace and the property (`rdf:type` aside).
    pub links: BTreeMap<(String, String), u64>,
    /// The resources under the base IRI that the data (not the provenance) describes,
    /// with when the latest graph describing them changed: the sitemap's pages.
    pub pages: BTreeMap<String, String>,
}

/// What one read found of one named graph.
#[derive(Debug, Default)]
pub struct GraphStats {
    pub triples: u64,
    /// The classes of its subjects, with how many times each is given.
    pub classes: BTreeMap<String, u64>,
    /// The earliest and latest dates it gives (`schema:startDate`, `schema:endDate`).
    pub first: Option<String>,
    pub last: Option<String>,
    /// The territories it speaks of (`lg:territory`, `dct:spatial`, `schema:areaServed`),
    /// with how many times each is named.
    pub spatial: BTreeMap<String, u64>,
    /// The name of its dumps (`dumps/graph/{stem}.nq.gz`).
    pub stem: String,
}

/// The dumps of one named graph, by path in a generation.
pub fn graph_dumps(stem: &str) -> [String; 2] {
    [
        format!("dumps/graph/{stem}.nq.gz"),
        format!("dumps/graph/{stem}.ttl.gz"),
    ]
}

/// Writes the dumps into `dir`, adds them to `files`, and says what it read.
pub fn write(
    store: &GraphStore,
    dir: &Path,
    modified: &BTreeMap<oxigraph::model::NamedNode, String>,
    files: &mut BTreeMap<String, FileInfo>,
) -> Result<Stats> {
    let base = store.base().as_str().to_owned();
    let imports = store.base().local(local::IMPORTS_GRAPH);
    // The graphs whose links are not the data's: the provenance, the ontology, the shapes.
    let not_data = [
        imports.clone(),
        store.base().local(local::ONTOLOGY_GRAPH),
        store.base().local(local::SHAPES_GRAPH),
    ];
    let modified: BTreeMap<&str, &str> = modified
        .iter()
        .map(|(g, t)| (g.as_str(), t.as_str()))
        .collect();
    let latest = modified.values().max().copied().unwrap_or_default();
    let graphs_dir = dir.join("dumps").join("graph");
    std::fs::create_dir_all(&graphs_dir).map_err(|e| io(&graphs_dir, e))?;

    let mut whole_nq = Dump::create(dir, WHOLE_NQUADS, RdfFormat::NQuads)?;
    let mut whole_trig = Dump::create(dir, WHOLE_TRIG, RdfFormat::TriG)?;
    let mut stats = Stats::default();
    let mut subjects: HashSet<String> = HashSet::new();
    let mut instances: HashSet<(String, String)> = HashSet::new();
    let mut current: Option<(String, Dump, Dump)> = None;
    let mut done: HashSet<String> = HashSet::new();
    let start_date = "http://schema.org/startDate";
    let end_date = "http://schema.org/endDate";
    for quad in store.dataset_quads()? {
        let quad = quad?;
        whole_nq.quad(&quad)?;
        whole_trig.quad(&quad)?;
        stats.triples += 1;
        let subject = quad.subject.to_string();
        if let NamedOrBlankNode::NamedNode(s) = &quad.subject
            && s.as_str().starts_with(&base)
            && subjects.insert(subject.clone())
        {
            stats.entities += 1;
        } else {
            subjects.insert(subject.clone());
        }
        *stats
            .properties
            .entry(quad.predicate.as_str().to_owned())
            .or_default() += 1;
        let GraphName::NamedNode(graph) = &quad.graph_name else {
            continue;
        };
        // The quads of a graph come together (read graph by graph).
        if current.as_ref().is_none_or(|(g, ..)| g != graph.as_str()) {
            if let Some((g, nq, ttl)) = current.take() {
                finish_graph(&g, nq, ttl, &modified, files)?;
                done.insert(g);
            }
            if done.contains(graph.as_str()) {
                return Err(Error::Usage(format!(
                    "the store gave the quads of <{graph}> apart; its dump could not be written"
                )));
            }
            let stem = stem(&base, graph.as_str());
            let [nq, ttl] = graph_dumps(&stem);
            stats.graphs.insert(
                graph.as_str().to_owned(),
                GraphStats {
                    stem,
                    ..GraphStats::default()
                },
            );
            current = Some((
                graph.as_str().to_owned(),
                Dump::create(dir, &nq, RdfFormat::NQuads)?,
                Dump::create(dir, &ttl, RdfFormat::Turtle)?,
            ));
        }
        let (_, nq, ttl) = current.as_mut().expect("opened above");
        nq.quad(&quad)?;
        ttl.triple(&quad)?;
        let graph_stats = stats
            .graphs
            .get_mut(graph.as_str())
            .expect("inserted with its dumps");
        graph_stats.triples += 1;
        if quad.predicate == rdf::TYPE
            && let Term::NamedNode(class) = &quad.object
        {
            *graph_stats
                .classes
                .entry(class.as_str().to_owned())
                .or_default() += 1;
            instances.insert((class.as_str().to_owned(), subject.clone()));
        }
        if (quad.predicate.as_str() == start_date || quad.predicate.as_str() == end_date)
            && let Term::Literal(date) = &quad.object
        {
            let day: String = date.value().chars().take(10).collect();
            if graph_stats.first.as_ref().is_none_or(|f| day < *f) {
                graph_stats.first = Some(day.clone());
            }
            if graph_stats.last.as_ref().is_none_or(|l| day > *l) {
                graph_stats.last = Some(day);
            }
        }
        if SPATIAL.contains(&quad.predicate.as_str())
            && let Term::NamedNode(place) = &quad.object
        {
            *graph_stats
                .spatial
                .entry(place.as_str().to_owned())
                .or_default() += 1;
        }
        if *graph == imports {
            continue;
        }
        if let NamedOrBlankNode::NamedNode(s) = &quad.subject
            && s.as_str().len() > base.len()
            && s.as_str().starts_with(&base)
        {
            let when = modified.get(graph.as_str()).copied().unwrap_or(latest);
            let page = stats.pages.entry(s.as_str().to_owned()).or_default();
            if when > page.as_str() {
                when.clone_into(page);
            }
        }
        // A link goes from labgraph's own resources (the UN's KOS, re-published under the
        // UN's IRIs, does not link to itself).
        if let Term::NamedNode(target) = &quad.object
            && quad.predicate != rdf::TYPE
            && !not_data.contains(graph)
            && matches!(&quad.subject, NamedOrBlankNode::NamedNode(s) if s.as_str().starts_with(&base))
            && let Some(namespace) = link_target(&base, target.as_str())
        {
            *stats
                .links
                .entry((namespace, quad.predicate.as_str().to_owned()))
                .or_default() += 1;
        }
    }
    if let Some((g, nq, ttl)) = current.take() {
        finish_graph(&g, nq, ttl, &modified, files)?;
    }
    stats.subjects = subjects.len() as u64;
    for (class, _) in instances {
        *stats.classes.entry(class).or_default() += 1;
    }
    for (name, dump) in [(WHOLE_NQUADS, whole_nq), (WHOLE_TRIG, whole_trig)] {
        files.insert(name.to_owned(), dump.finish(latest, None)?);
    }
    Ok(stats)
}

fn finish_graph(
    graph: &str,
    nq: Dump,
    ttl: Dump,
    modified: &BTreeMap<&str, &str>,
    files: &mut BTreeMap<String, FileInfo>,
) -> Result<()> {
    let when = modified.get(graph).copied().unwrap_or_default();
    for dump in [nq, ttl] {
        let name = dump.name.clone();
        files.insert(name, dump.finish(when, Some(graph))?);
    }
    Ok(())
}

/// The name of a graph's dumps: its path under `<base>graph/` when that is a plain name,
/// else a digest of its IRI (a graph named by a client of the Graph Store Protocol).
pub fn stem(base: &str, graph: &str) -> String {
    let plain = graph
        .strip_prefix(base)
        .and_then(|rest| rest.strip_prefix(local::GRAPH_PREFIX))
        .filter(|name| {
            !name.is_empty()
                && !name.starts_with('.')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    match plain {
        Some(name) => name.to_owned(),
        None => {
            let digest = Sha256::digest(graph.as_bytes());
            format!("iri-{}", &hex(&digest)[..16])
        }
    }
}

/// The dataset an external IRI belongs to, for the linksets: the UN SDG KOS, else its
/// scheme and host. `None` for the base IRI's own resources and the vocabularies' terms.
fn link_target(base: &str, iri: &str) -> Option<String> {
    if iri.starts_with(SDG_NAMESPACE) {
        return Some(SDG_NAMESPACE.to_owned());
    }
    if iri.starts_with(base)
        || vocab::PREFIXES
            .iter()
            .any(|(_, namespace)| !namespace.is_empty() && iri.starts_with(namespace))
    {
        return None;
    }
    let (scheme, rest) = iri.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    Some(format!("{scheme}://{host}/"))
}

/// A file being written, hashed and counted as its bytes go out.
struct Hashing {
    file: BufWriter<File>,
    hasher: Sha256,
    size: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// One gzipped dump being written.
struct Dump {
    name: String,
    path: std::path::PathBuf,
    serializer: WriterQuadSerializer<BufWriter<GzEncoder<Hashing>>>,
}

impl Dump {
    fn create(dir: &Path, name: &str, format: RdfFormat) -> Result<Self> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| io(&path, e))?;
        let hashing = Hashing {
            file: BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            size: 0,
        };
        let serializer = crate::store::prefixed(RdfSerializer::from_format(format)).for_writer(
            BufWriter::with_capacity(1 << 16, GzEncoder::new(hashing, Compression::default())),
        );
        Ok(Self {
            name: name.to_owned(),
            path,
            serializer,
        })
    }

    fn quad(&mut self, quad: &Quad) -> Result<()> {
        self.serializer
            .serialize_quad(quad)
            .map_err(|e| io(&self.path, e))
    }

    fn triple(&mut self, quad: &Quad) -> Result<()> {
        self.serializer
            .serialize_triple(oxigraph::model::TripleRef::new(
                quad.subject.as_ref(),
                quad.predicate.as_ref(),
                quad.object.as_ref(),
            ))
            .map_err(|e| io(&self.path, e))
    }

    fn finish(self, modified: &str, graph: Option<&str>) -> Result<FileInfo> {
        let path = self.path;
        let buffered = self.serializer.finish().map_err(|e| io(&path, e))?;
        let gz = buffered
            .into_inner()
            .map_err(|e| io(&path, e.into_error()))?;
        let mut hashing = gz.finish().map_err(|e| io(&path, e))?;
        hashing.file.flush().map_err(|e| io(&path, e))?;
        // The file's time is the data's: what `Last-Modified` says when it is served.
        if let Some(seconds) = super::epoch_seconds(modified) {
            let file = hashing.file.get_ref();
            let _ =
                file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds));
        }
        Ok(FileInfo {
            size: hashing.size,
            sha256: hex(&hashing.hasher.finalize()),
            media_type: "application/gzip".into(),
            modified: modified.to_owned(),
            graph: graph.map(str::to_owned),
        })
    }
}
