//! What the store publishes as files: the dumps (the whole dataset and each named graph,
//! gzipped N-Quads and Turtle/TriG), the DCAT-AP catalogue, the VoID description and the
//! sitemap. They are written together, from one read of the store, into a folder of
//! their own (a *generation*), after each write — never on a request: serving them costs
//! a file read.
//!
//! A generation is written in a new folder beside the current one; its manifest (sizes,
//! SHA-256, media types, what it reflects) is written last, and the pointer to the
//! current generation is then replaced by a rename. A request made while a generation is
//! written gets the previous complete one, never half a file. The previous generation
//! stays on disk until the next replaces it (a request that took it just before the
//! switch still finds its files), and a download in progress keeps reading the file it
//! opened; a client resuming one by ranges names its ETag in `If-Range`, and gets the
//! whole new file if the dump has changed since (`http/catalog.rs`).
//!
//! The publication follows every commit of the store as an observer of the write path
//! (`store/commit.rs`): a write marks it stale, and a thread of its own writes the next
//! generation (again while writes keep coming: never more than one at a time). A store opened by a process that writes
//! no generation (a command-line import) is found stale at the next `serve`, which
//! writes one before it answers.
//!
//! The files name this server by a placeholder origin ([`ORIGIN`]), replaced by the
//! origin a client reached (the `Host` header) when served, like the SPARQL Service
//! Description's endpoint.

mod catalog;
mod dumps;
mod rdf;
mod sitemap;
mod void;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::{Change, GraphStore, Observer};

pub use sitemap::SITEMAP_LIMIT;

/// The folder of the generations, in the store's folder.
pub const FOLDER: &str = "labgraph-publish";
/// What a manifest's layout must say for a generation to be read back.
const LAYOUT: &str = "labgraph-publish 1";
/// The origin the generated files name this server by.
pub const ORIGIN: &str = "http://labgraph.origin.invalid";
/// The file that names the current generation, in [`FOLDER`].
const CURRENT: &str = "current";

/// What a generation holds, as written last in it (`manifest.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub layout: String,
    /// The store generation it reflects ([`GraphStore::generation`]), empty for a store
    /// no write of labgraph's made.
    pub generation: String,
    /// When the data last changed: the latest modification of a graph.
    pub modified: String,
    /// When this generation was written.
    pub written: String,
    /// Every file, by its path in the generation (`dumps/labgraph.nq.gz`, `catalog.ttl`).
    pub files: BTreeMap<String, FileInfo>,
    /// How many sitemap files (`sitemaps/N.xml`); more than one makes `sitemap.xml` an index.
    pub sitemaps: usize,
    /// How long the writing took, in seconds.
    pub seconds: f64,
}

/// A file of a generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileInfo {
    pub size: u64,
    /// SHA-256 of the bytes, in hex.
    pub sha256: String,
    /// The media type it is served as.
    pub media_type: String,
    /// When what it holds last changed (`xsd:dateTime`).
    pub modified: String,
    /// For a dump of one named graph: that graph.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<String>,
}

/// A complete generation on disk.
#[derive(Debug)]
pub struct Generation {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Generation {
    /// The path of one of its files, if it has it.
    pub fn file(&self, name: &str) -> Option<(PathBuf, &FileInfo)> {
        self.manifest
            .files
            .get(name)
            .map(|info| (self.dir.join(name), info))
    }
}

/// The publication of one store.
pub struct Publication {
    root: PathBuf,
    /// A folder made for a store without one (in memory), removed with it.
    temporary: bool,
    store: GraphStore,
    current: RwLock<Option<Arc<Generation>>>,
    worker: Mutex<Worker>,
    idle: Condvar,
    /// Held while a generation is written: one at a time (the writing thread, or a
    /// caller of [`Publication::write`]), so that none removes another's folder.
    writing: Mutex<()>,
}

#[derive(Default)]
struct Worker {
    /// Whether writes are followed: from the first generation asked for (a store that
    /// publishes nothing, a command-line import, does not write dumps at each write).
    active: bool,
    stale: bool,
    running: bool,
}

impl Publication {
    /// The publication attached to a store, attached (and subscribed to its writes) at
    /// the first call. Its current generation is read from disk if there is one.
    pub fn of(store: &GraphStore) -> Result<Arc<Self>> {
        if let Some(publication) = store.extension::<Self>() {
            return Ok(publication);
        }
        // Two first calls at once must not make two publications of one folder.
        static ATTACHING: Mutex<()> = Mutex::new(());
        let _attaching = ATTACHING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(publication) = store.extension::<Self>() {
            return Ok(publication);
        }
        let (root, temporary) = match store.folder() {
            Some(folder) => (folder.join(FOLDER), false),
            None => {
                static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let dir = std::env::temp_dir()
                    .join(format!("labgraph-publish-{}-{n}", std::process::id()));
                (dir, true)
            }
        };
        std::fs::create_dir_all(&root).map_err(|e| io(&root, e))?;
        let publication = Arc::new(Self {
            current: RwLock::new(read_current(&root)),
            root,
            temporary,
            store: store.handle()?,
            worker: Mutex::default(),
            idle: Condvar::new(),
            writing: Mutex::new(()),
        });
        store.subscribe(publication.clone());
        store.set_extension(publication.clone());
        Ok(publication)
    }

    /// Writes a generation now unless the current one reflects the store (benchmarks,
    /// tests); from now on, every write of the store is followed.
    pub fn ensure(self: &Arc<Self>) -> Result<Arc<Generation>> {
        self.worker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .active = true;
        let wanted = self.store.generation()?.unwrap_or_default();
        if let Some(current) = self.current()
            && current.manifest.generation == wanted
        {
            return Ok(current);
        }
        self.write()
    }

    /// Follows the store from now on, and writes a generation in the background unless
    /// the current one reflects the store (`serve` calls it at start: the files of a
    /// previous run are served until then).
    pub fn start(self: &Arc<Self>) -> Result<()> {
        let wanted = self.store.generation()?.unwrap_or_default();
        let current = self
            .current()
            .is_some_and(|c| c.manifest.generation == wanted);
        let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        worker.active = true;
        if !current {
            self.kick(&mut worker);
        }
        Ok(())
    }

    /// The generation to serve: the current one, even while the next is written (a
    /// request never waits for a write of the store); the first, written now, when there
    /// is none yet.
    pub fn serve(self: &Arc<Self>) -> Result<Arc<Generation>> {
        if let Some(current) = self.current() {
            return Ok(current);
        }
        {
            let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
            worker.active = true;
            self.kick(&mut worker);
        }
        self.settle();
        self.current().ok_or_else(|| {
            Error::Usage(
                "the dumps and the catalogue could not be written (see the server's log)".into(),
            )
        })
    }

    /// The current complete generation, if one was written.
    pub fn current(&self) -> Option<Arc<Generation>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Writes a generation from the store as it is, and makes it current. Each graph is
    /// read in one snapshot; a write of the store while it reads is not waited for: the
    /// generation records the store generation seen when it began, so it is found stale
    /// and written again (the observer has already asked for it). Under steady writes the
    /// files thus follow the store a generation behind, and are never withheld.
    pub fn write(&self) -> Result<Arc<Generation>> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let started = std::time::Instant::now();
        let seen = self.store.generation()?.unwrap_or_default();
        let name = format!(
            "g{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let dir = self.root.join(&name);
        let written = (|| {
            std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
            let mut manifest = write_files(&self.store, &dir)?;
            manifest.generation = seen.clone();
            manifest.seconds = started.elapsed().as_secs_f64();
            let text = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
            let path = dir.join("manifest.json");
            std::fs::write(&path, text).map_err(|e| io(&path, e))?;
            Ok(manifest)
        })();
        let manifest = match written {
            Ok(manifest) => manifest,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        // The pointer is replaced by a rename: readers see the old or the new, whole.
        let pointer = self.root.join(CURRENT);
        let partial = self.root.join(format!("{CURRENT}.partial"));
        std::fs::write(&partial, &name).map_err(|e| io(&partial, e))?;
        std::fs::rename(&partial, &pointer).map_err(|e| io(&pointer, e))?;
        let generation = Arc::new(Generation { dir, manifest });
        let previous = self
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(generation.clone());
        self.remove_old(&name, previous.as_deref());
        tracing::info!(
            "publication: dumps, catalogue, VoID and sitemap written in {:.1?}",
            started.elapsed()
        );
        Ok(generation)
    }

    /// Removes the generations older than the previous one.
    fn remove_old(&self, current: &str, previous: Option<&Generation>) {
        let keep = previous.and_then(|p| p.dir.file_name().map(|n| n.to_owned()));
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let is_generation = name.to_string_lossy().starts_with('g');
            if is_generation && name != *current && Some(&name) != keep.as_ref() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// Waits until no generation is being written or due (tests, benchmarks).
    pub fn settle(&self) {
        let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        while worker.running || worker.stale {
            worker = self
                .idle
                .wait(worker)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The loop of the writing thread: a generation while the store is stale.
    fn work(self: Arc<Self>) {
        loop {
            {
                let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
                if !worker.stale {
                    worker.running = false;
                    self.idle.notify_all();
                    return;
                }
                worker.stale = false;
            }
            if let Err(e) = self.write() {
                tracing::error!(
                    "publication: the dumps could not be written ({e}); the previous ones are served until the next write"
                );
            }
        }
    }
}

impl Publication {
    /// Marks the publication stale and starts the writing thread if it is not running.
    fn kick(self: &Arc<Self>, worker: &mut Worker) {
        worker.stale = true;
        if worker.running {
            return;
        }
        worker.running = true;
        let this = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("labgraph-publish".into())
            .spawn(move || this.work());
        if let Err(e) = spawned {
            worker.running = false;
            worker.stale = false;
            tracing::error!("publication: no thread to write the dumps ({e})");
            self.idle.notify_all();
        }
    }
}

impl Observer for Publication {
    fn committed(&self, store: &GraphStore, _: &Change) {
        let Some(this) = store.extension::<Self>() else {
            return;
        };
        let mut worker = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        if worker.active {
            this.kick(&mut worker);
        }
    }
}

impl Drop for Publication {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// The generation the pointer names, if complete and of this layout.
fn read_current(root: &Path) -> Option<Arc<Generation>> {
    let name = std::fs::read_to_string(root.join(CURRENT)).ok()?;
    let dir = root.join(name.trim());
    let text = std::fs::read(dir.join("manifest.json")).ok()?;
    let manifest: Manifest = serde_json::from_slice(&text).ok()?;
    (manifest.layout == LAYOUT).then(|| Arc::new(Generation { dir, manifest }))
}

/// Writes every file of a generation into `dir`; the manifest is the caller's to write.
fn write_files(store: &GraphStore, dir: &Path) -> Result<Manifest> {
    let modified = store.graph_modified()?;
    let latest = modified.values().max().cloned().unwrap_or_default();
    let mut files = BTreeMap::new();
    let stats = dumps::write(store, dir, &modified, &mut files)?;
    let described = catalog::Described {
        stats: &stats,
        files: &files,
        modified: &modified,
        latest: &latest,
    };
    let catalogue = catalog::triples(store, &described)?;
    let void = void::triples(store, &described)?;
    let mut written = Vec::new();
    for (stem, triples) in [("catalog", &catalogue), ("void", &void)] {
        for (extension, format) in rdf::FORMATS {
            let name = format!("{stem}.{extension}");
            let info = rdf::write(&dir.join(&name), triples, *format, &latest)?;
            written.push((name, info));
        }
    }
    let sitemaps = sitemap::write(store, dir, &stats, &latest, &mut written)?;
    files.extend(written);
    Ok(Manifest {
        layout: LAYOUT.into(),
        generation: String::new(),
        modified: latest,
        written: oxsdatatypes::DateTime::now().to_string(),
        files,
        sitemaps,
        seconds: 0.0,
    })
}

/// Seconds since the Unix epoch of an `xsd:dateTime` (`None` before it, or unreadable).
pub fn epoch_seconds(date_time: &str) -> Option<u64> {
    let time: oxsdatatypes::DateTime = date_time.parse().ok()?;
    let epoch: oxsdatatypes::DateTime = "1970-01-01T00:00:00Z".parse().ok()?;
    let seconds = time.checked_sub(epoch)?.as_seconds().to_string();
    seconds.split('.').next()?.parse().ok()
}

/// A short digest of a text (what an ETag adds for the origin written into a file).
pub fn short_digest(text: &str) -> String {
    use sha2::Digest as _;
    crate::source::hex(&sha2::Sha256::digest(text.as_bytes())[..8])
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
