//! The command line, declared with clap. The doc comments here are the `--help` text;
//! checking the values is `config.rs`'s job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::format::{Output, Rdf};

/// labgraph — the référentiel of the Lab des transitions (IREV) as linked data.
///
/// Seminars, people, institutions, territories (EPCI, communes, QPV), transition themes,
/// resources and Politique de la ville actions, related to the UN Sustainable Development
/// Goals (ODD), in an embedded Oxigraph store. The first use of an empty store loads the
/// bundled ontology and data, so every command works at once.
///
/// Exit codes: 0 success, 1 failure, 2 bad usage.
#[derive(Debug, Parser)]
#[command(
    name = "labgraph",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct Global {
    /// Folder of the embedded store (created, and filled with the bundled data, on first use).
    #[arg(
        long,
        global = true,
        env = "LABGRAPH_STORE",
        default_value = "labgraph-store",
        value_name = "DIR"
    )]
    pub store: PathBuf,

    /// Base IRI under which instances are minted; relative IRIs in the bundled data, in
    /// imported files and in --graph resolve against it.
    #[arg(long, global = true, env = "LABGRAPH_BASE_IRI", value_name = "IRI")]
    pub base_iri: Option<String>,

    /// Print progress and timings on standard error (-vv for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the store over HTTP: SPARQL 1.1 endpoint, query page, graph store, named queries.
    ///
    /// Routes: /sparql (SPARQL 1.1 Protocol: query by GET or POST, update by POST; the query
    /// page for browsers; the Service Description), /store (Graph Store HTTP Protocol,
    /// ?default or ?graph=IRI), /queries (named queries as a REST API), /healthz, /metrics.
    /// The default graph of a query is the union of the named graphs unless the query (FROM)
    /// or the request (default-graph-uri, named-graph-uri) names its dataset.
    ///
    /// Reads are public. Writes (SPARQL Update, PUT/POST/DELETE on /store) need the admin
    /// bearer token from --admin-token-file or LABGRAPH_ADMIN_TOKEN; without one the server
    /// is read-only. SIGTERM or Ctrl-C stops it after the requests in flight.
    ///
    /// Example: labgraph serve --bind 127.0.0.1:7878
    Serve(ServeArgs),

    /// Import files — RDF, seminar records, spreadsheets of actions — each into its own
    /// named graph, checked by the SHACL shapes, in one atomic write.
    ///
    /// RDF: Turtle (.ttl), TriG (.trig), N-Triples (.nt), N-Quads (.nq), RDF/XML (.rdf,
    /// .owl, .xml) and JSON-LD (.jsonld, .json). Records: YAML (.yaml, .yml) or JSON
    /// without @context, written with the short keys of ontology/context.jsonld (name,
    /// startDate, organizer, speakerRole…; README, section Records). Spreadsheets of
    /// actions: .csv with the columns Titre, Description, Porteur, Territoires, Thèmes,
    /// Cibles ODD, Source (README, section Spreadsheets). The extension says which, or
    /// --format.
    ///
    /// Each file's triples go to the graph <BASE>graph/<file name without extension>, or to
    /// --graph. Named graphs inside a TriG, N-Quads or JSON-LD file keep their names.
    /// Re-importing a file replaces its graphs; a graph whose content would not change is
    /// left alone. A resource is described by one graph: a file describing one that
    /// another graph describes is refused, naming both (--shared allows it). Data that
    /// violates the shapes (with what it references in the store) is refused with the
    /// report. On any error nothing is written, and the message names the file, line and
    /// column. Each graph written is recorded as a version (source, SHA-256 of the file,
    /// RDFC-1.0 hash of the graph, time, triples): see history and rollback.
    ///
    /// Examples:
    ///
    ///   labgraph import --dry-run -v seminaire-lille-2023.yaml   (what would change)
    ///
    ///   labgraph import seminaire-lille-2023.yaml actions-2023.csv
    ///
    ///   labgraph import --graph graph/notes notes.ttl
    Import(ImportArgs),

    /// What a record must and should say about a kind of resource, from the SHACL shapes
    /// the import applies: each key, required, recommended or checked when given, the value
    /// it takes, and the shapes' messages in French and English.
    ///
    /// Kinds: seminar, session, talk, workshop, series, speaker-role, person, institution,
    /// place, document, action, theme, territory, recommendation (or a class name of the
    /// context).
    ///
    /// Example: labgraph explain seminar
    Explain(ExplainArgs),

    /// Write a commented record to fill in: a seminar (with a part of its programme and a
    /// speaker), a person or an institution. It passes the SHACL gate as written; replace
    /// the values marked « ← », then import it with --dry-run first.
    ///
    /// Examples:
    ///
    ///   labgraph new seminar -o seminaire-lille-2025.yaml
    ///
    ///   labgraph new institution > mel.yaml
    New(NewArgs),

    /// Find the IRI of an institution, a person, a territory, a theme, a series, a seminar
    /// or an SDG goal or target from words of its name, an acronym or a code, with why
    /// each matched (case, accents and punctuation do not count). Exit code 1 when
    /// nothing matches, with the closest spelling.
    ///
    /// Examples:
    ///
    ///   labgraph find institution "Région Hauts-de-France"
    ///
    ///   labgraph find territory Lens
    ///
    ///   labgraph find theme chaleur
    Find(FindArgs),

    /// Search the référentiel by words, as /search does: French and English words with
    /// accents, case, plurals and elisions ignored ("ilot" finds "îlots de chaleur"),
    /// identifiers whole; the best first, with the passage found. Exit code 1 when nothing
    /// matches.
    ///
    /// Examples:
    ///
    ///   labgraph search "îlots de chaleur"
    ///
    ///   labgraph search mobilité --type skos:Concept
    Search(SearchArgs),

    /// Suggest SDG targets for an action, each with why: the words found in the UN text
    /// of the target, the theme mapping that leads there (with its status), the similar
    /// actions linked to it. Never written: --turtle gives, for an action of the
    /// référentiel, the proposed links to import through the gate.
    ///
    /// Examples:
    ///
    ///   labgraph suggest --title "Végétaliser les cours d'école" --description "Désimperméabiliser et planter pour rafraîchir les quartiers"
    ///
    ///   labgraph suggest --action action/ilots-de-chaleur-adulm --turtle > propositions.ttl
    Suggest(SuggestArgs),

    /// Rebuild the text index from the store (it follows every write and rebuilds itself
    /// when it does not reflect the store it is opened with; this is for a doubt).
    Index,

    /// Write the files `serve` publishes — the dumps of the whole dataset and of each
    /// graph (gzipped N-Quads, Turtle and TriG, with their SHA-256), the DCAT-AP
    /// catalogue, the VoID description and the sitemap — into the store's folder
    /// (labgraph-publish/). `serve` writes them at start when they do not reflect the store,
    /// and again after every write; this is for a doubt, or to time them.
    Publish,

    /// List the recorded versions of the graphs (or of one), oldest first.
    ///
    /// Example: labgraph history graph/seminar-pma-artois-2022-12-01
    History(HistoryArgs),

    /// Give a graph back the content of its previous version; each rollback goes one
    /// version further back (re-import the file to undo one). The rollback goes through
    /// the SHACL gate like an import (--force to skip it) and is recorded as a version too.
    ///
    /// Example: labgraph rollback graph/seminar-pma-artois-2022-12-01
    Rollback(RollbackArgs),

    /// Export the store (TriG by default) or one graph (Turtle by default).
    ///
    /// Example: labgraph export --graph graph/sdg -o sdg.ttl
    Export(ExportArgs),

    /// Run a SPARQL query: a query text, a .rq file, or the name of a query of queries/.
    ///
    /// The default graph is the union of all named graphs. Results print as a table; use
    /// --format for JSON, CSV, TSV, XML (SELECT, ASK) or an RDF format (CONSTRUCT,
    /// DESCRIBE). Named queries take their variables as --param NAME=VALUE; --list shows
    /// them with their parameters.
    ///
    /// Examples:
    ///   labgraph query seminar-speakers
    ///   labgraph query goal-actions --param goal=http://metadata.un.org/sdg/11
    ///   labgraph query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --format csv
    Query(QueryArgs),

    /// List the named graphs with their triple counts and where they came from.
    Graphs,

    /// Check files against the SHACL shapes of ontology/, together with what they reference
    /// in the store, without writing anything. Exits 1 when a shape is violated.
    ///
    /// Example: labgraph validate new-seminar.ttl
    Validate(ValidateArgs),

    /// Write a consistent copy of the store into a new folder, which --store can open.
    ///
    /// Example: labgraph backup /var/backups/labgraph-2026-11-25
    Backup(BackupArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub sources: SourceArgs,

    /// Show what the import would change — per graph the triples added and removed (listed
    /// with --verbose), the resources created, the validation report — and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Skip the SHACL shapes; the versions record it (validated: no). Large N-Triples
    /// and N-Quads dumps into empty graphs then stream through the bulk loader.
    #[arg(long)]
    pub no_validate: bool,

    /// Let the files describe resources that another graph describes too (by default a
    /// resource is described by one graph, and an import that would describe it in a
    /// second one is refused, naming both).
    #[arg(long)]
    pub shared: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this graph (relative IRIs resolve against the base IRI).
    #[arg(value_name = "GRAPH")]
    pub graph: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The kind of resource (seminar, person, institution…).
    #[arg(value_name = "KIND")]
    pub kind: String,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the record describes.
    #[arg(value_enum, value_name = "KIND")]
    pub kind: NewKind,

    /// Write it to this file (never overwritten) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The records `new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewKind {
    Seminar,
    Person,
    Institution,
    Action,
}

#[derive(Debug, Args)]
pub struct FindArgs {
    /// What to look for.
    #[arg(value_enum, value_name = "KIND")]
    pub kind: FindKind,

    /// Words of its name, an acronym, an identifier (SIREN, INSEE or QPV code) or a
    /// notation (11.6).
    #[arg(value_name = "TEXT")]
    pub text: String,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The words to look for.
    #[arg(value_name = "TEXT")]
    pub text: String,

    /// Only resources of this class (an IRI or a prefixed name: lg:Seminar,
    /// schema:Person, skos:Concept); repeatable: any of them.
    #[arg(long = "type", value_name = "CLASS")]
    pub types: Vec<String>,

    /// Only the texts in this language, and its labels first.
    #[arg(long, value_parser = ["fr", "en"])]
    pub lang: Option<String>,

    /// How many results.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The action's title.
    #[arg(long, default_value = "")]
    pub title: String,

    /// What the action does.
    #[arg(long, default_value = "")]
    pub description: String,

    /// A theme of the action (theme/sante or its IRI); repeatable.
    #[arg(long = "theme", value_name = "THEME")]
    pub themes: Vec<String>,

    /// An action of the référentiel: its title, description and themes are read from the
    /// store, and it is left out of the similar actions.
    #[arg(long, value_name = "IRI")]
    pub action: Option<String>,

    /// How many targets.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=50))]
    pub limit: u16,

    /// Print the proposed links of the first three new targets as Turtle (with --action),
    /// to import through the gate.
    #[arg(long, requires = "action")]
    pub turtle: bool,
}

/// The kinds of resources `find` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FindKind {
    Institution,
    Person,
    Territory,
    Theme,
    Series,
    Seminar,
    Sdg,
}

impl FindKind {
    /// Its name in the plural, in French and English.
    pub fn plural(self) -> &'static str {
        match self {
            FindKind::Institution => "institutions",
            FindKind::Person => "personnes / people",
            FindKind::Territory => "territoires / territories",
            FindKind::Theme => "thèmes / themes",
            FindKind::Series => "séries / series",
            FindKind::Seminar => "séminaires / seminars",
            FindKind::Sdg => "objectifs et cibles ODD / SDG goals and targets",
        }
    }
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The graph to restore (relative IRIs resolve against the base IRI).
    #[arg(value_name = "GRAPH")]
    pub graph: String,

    /// Restore it even if the SHACL shapes refuse the result (a reference from another
    /// graph to what the rollback removes); the version records that it was not checked.
    #[arg(long)]
    pub force: bool,
}

/// The files an import or a validation reads, and where their triples go.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Files to read; '-' reads standard input (then --format is required).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Format of the files, when their extension does not say it.
    #[arg(long, value_parser = crate::import::formats::parser())]
    pub format: Option<crate::source::Format>,

    /// Named graph for the triples (only with a single file); relative IRIs resolve
    /// against the base IRI.
    #[arg(long, value_name = "IRI")]
    pub graph: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export only this named graph (relative IRIs resolve against the base IRI).
    #[arg(long, value_name = "IRI")]
    pub graph: Option<String>,

    /// Output format; by default the extension of --output, else TriG for the store and
    /// Turtle for a graph.
    #[arg(long, value_enum)]
    pub format: Option<Rdf>,

    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// A SPARQL query, a path to a .rq file, or the name of a query of queries/.
    #[arg(required_unless_present = "list", value_name = "QUERY")]
    pub query: Option<String>,

    /// A value for a variable of the query, as NAME=VALUE (repeatable). Relative IRIs
    /// resolve against the base IRI.
    #[arg(short, long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<Output>,

    /// List the named queries and their parameters.
    #[arg(long, conflicts_with = "query")]
    pub list: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (0.0.0.0:7878 to listen on every interface).
    #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR")]
    pub bind: std::net::SocketAddr,

    /// File holding the admin bearer token that allows writes (at least 16 characters).
    /// LABGRAPH_ADMIN_TOKEN may hold the token instead. Without either, the server is
    /// read-only.
    #[arg(long, value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,

    /// Time budget of one query, in seconds; a query still running is cancelled (503).
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout: f64,

    /// Most rows (solutions, or triples of a graph) one response may hold; a larger
    /// result is an explicit error (422), never a silent truncation.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_results: usize,

    /// Most triples one Graph Store read answers (the dataset at /store, a graph at its
    /// URL): the bundled dataset alone is 190,000; more is a 422 naming `labgraph export`.
    #[arg(long, default_value_t = 500_000, value_name = "N")]
    pub max_graph_triples: usize,

    /// Queries evaluated at once; more get 503 with Retry-After.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_concurrent_queries: usize,

    /// Connections served at once, each on its own thread; further clients wait to be
    /// accepted. A connection idle for 30 s is closed.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub max_connections: usize,

    /// Recent results kept in memory (0 turns the cache off); every write clears it.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub cache_entries: usize,

    /// Memory the result cache may use, in MiB; one result may take an eighth of it.
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub cache_mib: usize,

    /// Largest Graph Store Protocol upload, in MiB (413 beyond).
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    pub max_upload_mib: usize,

    /// Most triples one Graph Store Protocol write may hold (413 beyond): with the
    /// SHACL gate, a write's memory grows with its triples (BENCHMARKS.md). Larger graphs
    /// go through `labgraph import`.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_upload_triples: usize,

    /// Request logs as text or as JSON lines (one object per request).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// How request logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Folder to create for the copy; it must not exist yet.
    #[arg(value_name = "DIR")]
    pub target: PathBuf,
}
