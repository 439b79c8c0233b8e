//! The formats `import` and `validate` read: the RDF syntaxes, and the table of
//! converters from formats that are not RDF. A new converter is one line in
//! [`CONVERTERS`]; `--format`, the extension lookup and the messages read the table.

use std::path::Path;

use clap::ValueEnum as _;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use super::{actions, record};
use crate::error::{Error, Result};
use crate::format::Rdf;
use crate::source::{Converter, Format};

/// The converters, each to JSON-LD with the project's context.
pub static CONVERTERS: &[Converter] = &[
    Converter {
        name: "record",
        aliases: &["yaml"],
        extensions: &["yaml", "yml"],
        help: "A record: YAML or JSON with the project's JSON-LD context",
        to_jsonld: record::to_jsonld,
    },
    Converter {
        name: "actions-csv",
        aliases: &["csv"],
        extensions: &["csv"],
        help: "A spreadsheet of actions, one per row",
        to_jsonld: actions_to_jsonld,
    },
];

/// A spreadsheet of actions becomes a record, then JSON-LD.
fn actions_to_jsonld(bytes: &[u8], source_name: &str) -> Result<Vec<u8>> {
    record::to_jsonld(&actions::to_record(bytes, source_name)?, source_name)
}

/// The format a name gives (`--format`): an RDF syntax or a converter.
pub fn named(name: &str) -> Option<Format> {
    CONVERTERS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
        .map(Format::Converted)
        .or_else(|| Rdf::from_str(name, true).ok().map(Format::Rdf))
}

/// The format a file's extension gives.
pub fn for_path(path: &Path) -> Option<Format> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    CONVERTERS
        .iter()
        .find(|c| c.extensions.contains(&extension.as_str()))
        .map(Format::Converted)
        .or_else(|| Rdf::from_path(path).map(Format::Rdf))
}

/// The format of an input file: the explicit one, else its extension's.
pub fn of(path: &Path, explicit: Option<Format>) -> Result<Format> {
    explicit.or_else(|| for_path(path)).ok_or_else(|| {
        Error::Usage(format!(
            "cannot tell the RDF format of '{}' from its extension; use --format ({})",
            path.display(),
            names().join(", ")
        ))
    })
}

/// Every format name, the RDF syntaxes first.
pub fn names() -> Vec<String> {
    possible_values().map(|v| v.get_name().to_owned()).collect()
}

fn possible_values() -> impl Iterator<Item = PossibleValue> {
    Rdf::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .chain(CONVERTERS.iter().map(|c| {
            PossibleValue::new(c.name)
                .aliases(c.aliases.iter().copied())
                .help(c.help)
        }))
}

/// The parser of `--format` for `import` and `validate`.
pub fn parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(possible_values())
        .map(|name| named(&name).expect("the possible values are the table's"))
}
