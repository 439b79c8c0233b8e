//! labgraph publishes the référentiel of the *Lab des transitions* of the IREV (the
//! Politique de la ville resource centre of Hauts-de-France) as linked data: seminars,
//! people, institutions, territories, transition themes, resources and Politique de la
//! ville actions, related to the UN Sustainable Development Goals, in an embedded
//! Oxigraph store.
//!
//! The library holds all the logic; `main.rs` only parses the command line and maps
//! errors to exit codes, so tests call the library without a process.

pub mod bounds;
pub mod bundled;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod feeds;
pub mod format;
pub mod http;
pub mod import;
pub(crate) mod iri;
pub mod jsonld;
pub mod pages;
pub mod publish;
pub mod queries;
pub(crate) mod render;
pub mod results;
pub mod search;
pub mod shacl;
pub mod source;
pub mod store;
pub(crate) mod text;
pub(crate) mod versions;
pub mod vocab;

pub use error::{Error, Result};
pub use iri::BaseIri;
