//! Records: what an administrator writes to describe a seminar (or anything else of the
//! model) without writing Turtle. A record is JSON-LD — in YAML (YAML-LD) or JSON — with
//! no `@context` of its own: the project's context (`ontology/context.jsonld`) applies,
//! so the mapping from keys to IRIs is declarative and documented in one place.
//!
//! Before the JSON-LD processor sees it, a record is checked where JSON-LD would be
//! silently lenient: every key must be a term of the context, a JSON-LD keyword, a
//! prefixed name (`schema:alternateName`) or an absolute IRI; every type too; every
//! value of a date, time or number term must be in its ISO or numeric form. Each finding
//! names the file, the line and column, and the path of the field in the record.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{Error, Result};

/// A YAML or JSON value with the position of every value and key.
#[derive(Debug, Clone)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    List(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML or JSON value")
            }
            fn visit_unit<E>(self) -> std::result::Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> std::result::Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Node, E> {
                serde_json::Number::from_f64(v)
                    .map(Node::Number)
                    .ok_or_else(|| E::custom("a number that JSON cannot hold (NaN or infinite)"))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Node, E> {
                Ok(Node::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Node, E> {
                Ok(Node::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// What the context says about its terms.
pub(super) struct Context {
    /// The `@context` object itself, added to every record.
    pub(super) object: serde_json::Value,
    /// Every term (including prefixes).
    terms: BTreeSet<String>,
    /// Prefixes: terms whose value is an IRI ending in `/` or `#`.
    pub(super) prefixes: BTreeSet<String>,
    /// The datatype a term's values are given (`xsd:date`…), when it has one.
    datatypes: BTreeMap<String, String>,
    /// Terms whose value is a map from language tags to text (`names: {fr: …, en: …}`).
    language_maps: BTreeSet<String>,
}

pub(super) fn context() -> &'static Context {
    static CONTEXT: OnceLock<Context> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let document: serde_json::Value = serde_json::from_str(crate::bundled::context())
            .expect("the bundled context is JSON (checked by the tests)");
        let object = document["@context"].clone();
        let mut terms = BTreeSet::new();
        let mut prefixes = BTreeSet::new();
        let mut datatypes = BTreeMap::new();
        let mut language_maps = BTreeSet::new();
        if let Some(map) = object.as_object() {
            for (term, definition) in map {
                if term.starts_with('@') {
                    continue;
                }
                terms.insert(term.clone());
                match definition {
                    serde_json::Value::String(iri) if iri.ends_with('/') || iri.ends_with('#') => {
                        prefixes.insert(term.clone());
                    }
                    serde_json::Value::Object(d) => {
                        if let Some(serde_json::Value::String(t)) = d.get("@type")
                            && t.starts_with("xsd:")
                        {
                            datatypes.insert(term.clone(), t.clone());
                        }
                        if d.get("@container").and_then(|c| c.as_str()) == Some("@language") {
                            language_maps.insert(term.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
        Context {
            object,
            terms,
            prefixes,
            datatypes,
            language_maps,
        }
    })
}

/// JSON-LD keywords a record may use.
const KEYWORDS: &[&str] = &[
    "@id",
    "@type",
    "@value",
    "@language",
    "@graph",
    "@list",
    "@set",
    "@reverse",
    "@index",
    "@direction",
    "@included",
    "@nest",
];

/// Whether a JSON or YAML document is a record: it has no `@context` of its own.
pub fn is_record(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => !map.contains_key("@context"),
        Ok(serde_json::Value::Array(_)) => true,
        // Not JSON: YAML, whose top level is looked at after parsing.
        _ => true,
    }
}

/// Reads a record (YAML or JSON) and gives it back as JSON-LD with the project's context,
/// after checking its keys, types and typed values. A YAML document with its own
/// `@context` is passed on as JSON-LD, unchecked.
pub fn to_jsonld(bytes: &[u8], source_name: &str) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = position_of(bytes, e.valid_up_to());
        Error::Syntax {
            source_name: source_name.to_owned(),
            position: Some((line, column)),
            message:
                "the file is not UTF-8 text (save it as UTF-8) / le fichier n'est pas en UTF-8"
                    .into(),
        }
    })?;
    // JSON is YAML too, but YAML forgives what JSON does not (`{"name": }` is a null
    // there): a JSON record must be JSON.
    if text.trim_start().starts_with(['{', '['])
        && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text)
    {
        return Err(Error::Syntax {
            source_name: source_name.to_owned(),
            position: Some((e.line() as u64, e.column() as u64)),
            message: format!("malformed JSON: {}", without_position(&e.to_string())),
        });
    }
    let root: Spanned<Node> = serde_saphyr::from_str(text).map_err(|e| Error::Syntax {
        source_name: source_name.to_owned(),
        position: e
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| (l.line(), l.column())),
        message: first_line(&e.to_string()),
    })?;
    let mut findings = Vec::new();
    let mut document = match &root.value {
        Node::Map(entries) if entries.iter().any(|(k, _)| k.value == "@context") => {
            return Ok(serde_json::to_vec(&plain(&root.value)).expect("JSON values serialise"));
        }
        Node::Map(_) => {
            check(&root, "", None, &mut findings);
            plain(&root.value)
        }
        Node::List(_) => {
            check(&root, "", None, &mut findings);
            serde_json::json!({ "@graph": plain(&root.value) })
        }
        Node::Null => {
            return Err(Error::Syntax {
                source_name: source_name.to_owned(),
                position: None,
                message: "the file is empty: there is nothing to import".into(),
            });
        }
        _ => {
            return Err(Error::Syntax {
                source_name: source_name.to_owned(),
                position: Some((root.referenced.line(), root.referenced.column())),
                message: "a record is a map of fields (or a list of them), not a single value"
                    .into(),
            });
        }
    };
    if let Some(first) = findings.first() {
        let (line, column, message) = first.clone();
        let more = match findings.len() {
            1 => String::new(),
            n => {
                let rest: Vec<String> = findings[1..]
                    .iter()
                    .map(|(l, c, m)| format!("\n  {source_name}:{l}:{c}: {m}"))
                    .collect();
                format!("\n({} more / {} autres){}", n - 1, n - 1, rest.concat())
            }
        };
        return Err(Error::Syntax {
            source_name: source_name.to_owned(),
            position: Some((line, column)),
            message: format!("{message}{more}"),
        });
    }
    if let serde_json::Value::Object(map) = &mut document {
        // The context first: Oxigraph's streaming JSON-LD parser reads it before the rest.
        let mut with_context = serde_json::Map::new();
        with_context.insert("@context".into(), context().object.clone());
        with_context.extend(std::mem::take(map));
        document = serde_json::Value::Object(with_context);
    }
    Ok(serde_json::to_vec(&document).expect("JSON values serialise"))
}

type Finding = (u64, u64, String);

/// Checks a value: the keys of maps, the types, and the values of typed terms. `term` is
/// the key the value sits under.
fn check(node: &Spanned<Node>, path: &str, term: Option<&str>, findings: &mut Vec<Finding>) {
    let at = |s: &Spanned<Node>| (s.referenced.line(), s.referenced.column());
    match &node.value {
        // Keys of a language map are language tags: `names: {fr: …, en: …}`.
        Node::Map(_) if term.is_some_and(|t| context().language_maps.contains(t)) => {}
        Node::Map(entries) => {
            for (key, value) in entries {
                let here = format!("{path}/{}", key.value);
                let (line, column) = (key.referenced.line(), key.referenced.column());
                if !known_key(&key.value) {
                    let hint = suggestion(&key.value)
                        .map(|s| format!("; did you mean '{s}'? / vouliez-vous dire « {s} » ?"))
                        .unwrap_or_default();
                    findings.push((
                        line,
                        column,
                        format!(
                            "{here}: unknown key '{}' — not a term of ontology/context.jsonld, a JSON-LD keyword, a prefixed name or an absolute IRI / clé inconnue{hint}",
                            key.value
                        ),
                    ));
                    continue;
                }
                check(value, &here, Some(&key.value), findings);
            }
        }
        Node::List(items) => {
            for (i, item) in items.iter().enumerate() {
                check(item, &format!("{path}/{i}"), term, findings);
            }
        }
        Node::String(value) => {
            let (line, column) = at(node);
            match term {
                Some("type" | "@type") if !known_type(value) => findings.push((
                    line,
                    column,
                    format!(
                        "{path}: unknown type '{value}' — write a type of ontology/context.jsonld (Seminar, Person, Organization…) or a prefixed name (schema:CreativeWork) / type inconnu"
                    ),
                )),
                Some(t) => {
                    if let Some(datatype) = context().datatypes.get(t)
                        && let Some(problem) = typed_value_problem(value, datatype) {
                            findings.push((line, column, format!("{path}: {problem}")));
                        }
                }
                None => {}
            }
        }
        Node::Number(number) => {
            if let Some(datatype) = term.and_then(|t| context().datatypes.get(t))
                && !matches!(
                    datatype.as_str(),
                    "xsd:integer" | "xsd:nonNegativeInteger" | "xsd:decimal" | "xsd:double"
                )
            {
                let (line, column) = at(node);
                if let Some(problem) = typed_value_problem(&number.to_string(), datatype) {
                    findings.push((line, column, format!("{path}: {problem}")));
                }
            }
        }
        Node::Null | Node::Bool(_) => {}
    }
}

fn known_key(key: &str) -> bool {
    let context = context();
    if key.starts_with('@') {
        return KEYWORDS.contains(&key);
    }
    context.terms.contains(key) || prefixed(key) || absolute(key)
}

/// An absolute IRI, which JSON-LD takes as it is.
fn absolute(name: &str) -> bool {
    name.contains("://") || name.starts_with("urn:")
}

fn known_type(value: &str) -> bool {
    context().terms.contains(value) || prefixed(value) || absolute(value)
}

/// A prefixed name with one of the context's prefixes (`schema:alternateName`).
fn prefixed(name: &str) -> bool {
    name.split_once(':').is_some_and(|(prefix, local)| {
        !local.starts_with("//") && context().prefixes.contains(prefix)
    })
}

/// What is wrong with a value given to a term typed `datatype`, if anything.
fn typed_value_problem(value: &str, datatype: &str) -> Option<String> {
    use oxsdatatypes::{Date, DateTime, GYear, GYearMonth, Integer};
    let valid = match datatype {
        "xsd:date" => Date::from_str(value).is_ok(),
        "xsd:dateTime" => DateTime::from_str(value).is_ok(),
        "xsd:gYear" => GYear::from_str(value).is_ok(),
        "xsd:gYearMonth" => GYearMonth::from_str(value).is_ok(),
        "xsd:integer" | "xsd:nonNegativeInteger" => Integer::from_str(value).is_ok(),
        _ => true,
    };
    if valid {
        return None;
    }
    Some(match datatype {
        "xsd:date" => match french_date(value) {
            Some(iso) => format!(
                "'{value}' is not an ISO date: write {iso} / « {value} » n'est pas une date ISO : écrire {iso}"
            ),
            None => format!(
                "'{value}' is not an ISO date (YYYY-MM-DD, e.g. 2022-11-25) / « {value} » n'est pas une date ISO (AAAA-MM-JJ)"
            ),
        },
        "xsd:dateTime" => format!(
            "'{value}' is not an ISO date and time (e.g. 2022-11-25T09:30:00+01:00) / n'est pas une date et heure ISO"
        ),
        other => format!("'{value}' is not a valid {other} / n'est pas un {other} valide"),
    })
}

/// "Vendredi 25 novembre 2022" → "2022-11-25": the date as a French page writes it.
fn french_date(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "janvier",
        "fevrier",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "aout",
        "septembre",
        "octobre",
        "novembre",
        "decembre",
    ];
    let folded = crate::text::normalise(text);
    let words: Vec<&str> = folded.split(' ').collect();
    let month = words.iter().position(|w| MONTHS.contains(w))?;
    let day: u32 = words
        .get(month.checked_sub(1)?)?
        .trim_end_matches("er")
        .parse()
        .ok()?;
    let year: u32 = words.get(month + 1)?.parse().ok()?;
    let number = MONTHS.iter().position(|m| *m == words[month])? + 1;
    let iso = format!("{year:04}-{number:02}-{day:02}");
    oxsdatatypes::Date::from_str(&iso).ok().map(|_| iso)
}

/// The closest term of the context to an unknown key, when it is close enough to be a typo.
fn suggestion(key: &str) -> Option<&'static str> {
    crate::text::closest(key, context().terms.iter().map(String::as_str))
}

/// A JSON Schema (2020-12) of records, made from the context, for editors: every key a
/// term, a keyword or a prefixed name; the values of dated and numbered terms in their
/// form. `ontology/record.schema.json` is this schema (a test keeps them equal).
pub fn json_schema() -> serde_json::Value {
    use serde_json::json;
    let context = context();
    let mut properties = serde_json::Map::new();
    for term in &context.terms {
        if context.language_maps.contains(term) {
            properties.insert(
                term.clone(),
                json!({ "type": "object", "additionalProperties": { "type": ["string", "array"] }, "description": "texts by language tag, e.g. {fr: …, en: …}" }),
            );
            continue;
        }
        let value = match context.datatypes.get(term).map(String::as_str) {
            Some("xsd:date") => {
                json!({ "$ref": "#/$defs/values", "format": "date", "description": "ISO date, e.g. 2022-11-25" })
            }
            Some("xsd:dateTime") => {
                json!({ "$ref": "#/$defs/values", "format": "date-time", "description": "ISO date and time, e.g. 2022-11-25T09:30:00+01:00" })
            }
            Some("xsd:integer" | "xsd:nonNegativeInteger") => {
                json!({ "$ref": "#/$defs/values", "description": "an integer" })
            }
            Some(other) => {
                json!({ "$ref": "#/$defs/values", "description": format!("a {other} value") })
            }
            None => json!({ "$ref": "#/$defs/values" }),
        };
        properties.insert(term.clone(), value);
    }
    for keyword in KEYWORDS {
        properties.insert((*keyword).to_owned(), json!({ "$ref": "#/$defs/values" }));
    }
    let prefixes: Vec<&str> = context.prefixes.iter().map(String::as_str).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://w3id.org/labgraph/record.schema.json",
        "title": "labgraph record",
        "description": "A record of labgraph: JSON-LD (in YAML or JSON) without @context, read with the terms of ontology/context.jsonld. Generated from the context; see the README, section Records.",
        "oneOf": [
            { "$ref": "#/$defs/node" },
            { "type": "array", "items": { "$ref": "#/$defs/node" } }
        ],
        "$defs": {
            "node": {
                "type": "object",
                "properties": properties,
                "patternProperties": {
                    format!("^({}):[^/]", prefixes.join("|")): { "$ref": "#/$defs/values" }
                },
                "additionalProperties": false
            },
            "value": {
                "anyOf": [
                    { "type": ["string", "number", "boolean", "null"] },
                    { "$ref": "#/$defs/node" }
                ]
            },
            "values": {
                "anyOf": [
                    { "$ref": "#/$defs/value" },
                    { "type": "array", "items": { "$ref": "#/$defs/value" } }
                ]
            }
        }
    })
}

/// The value without positions, as JSON.
fn plain(node: &Node) -> serde_json::Value {
    match node {
        Node::Null => serde_json::Value::Null,
        Node::Bool(b) => serde_json::Value::Bool(*b),
        Node::Number(n) => serde_json::Value::Number(n.clone()),
        Node::String(s) => serde_json::Value::String(s.clone()),
        Node::List(items) => items.iter().map(|i| plain(&i.value)).collect(),
        Node::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.value.clone(), plain(&v.value)))
                .collect(),
        ),
    }
}

/// 1-based line and column of a byte offset.
fn position_of(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line as u64, column as u64)
}

/// serde_json ends its messages with " at line L column C", already in our prefix.
fn without_position(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(m, _)| m)
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_dates_get_their_iso_form() {
        assert_eq!(
            french_date("Vendredi 25 novembre 2022").as_deref(),
            Some("2022-11-25")
        );
        assert_eq!(
            french_date("1er décembre 2022").as_deref(),
            Some("2022-12-01")
        );
        assert_eq!(french_date("31 février 2022"), None);
        assert_eq!(french_date("demain"), None);
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(suggestion("organiser"), Some("organizer"));
        assert_eq!(suggestion("startdate"), Some("startDate"));
        assert_eq!(suggestion("zzzzzzzz"), None);
    }

    #[test]
    fn records_are_checked_with_positions() {
        let yaml = "id: seminar/x\ntype: [Seminar, Event]\nname: Essai\nstartDate: Vendredi 25 novembre 2022\norganiser: org/irev\n";
        let error = to_jsonld(yaml.as_bytes(), "x.yaml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("x.yaml:4:"), "{error}");
        assert!(error.contains("2022-11-25"), "{error}");
        assert!(
            error.contains("x.yaml:5:1") && error.contains("organizer"),
            "{error}"
        );
        let good = "id: seminar/x\ntype: [Seminar, Event]\nname: Essai\nstartDate: '2022-11-25'\n";
        let json: serde_json::Value =
            serde_json::from_slice(&to_jsonld(good.as_bytes(), "x.yaml").unwrap()).unwrap();
        assert_eq!(json["startDate"], "2022-11-25");
        assert!(json["@context"]["lg"].is_string());
        let error = to_jsonld(b"id: x\ntype: Seminaire\n", "x.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("x.yaml:2:") && error.contains("Seminaire"),
            "{error}"
        );
        let error = to_jsonld(b"id: [x\n", "x.yaml").unwrap_err().to_string();
        assert!(error.starts_with("x.yaml:"), "{error}");
    }
}
