//! Triples as JSON-LD compacted with the project's context (`ontology/context.jsonld`):
//! the keys and values a partner reads in the records (`name`, `startDate`,
//! `names: {"en": …}`), not IRIs. Compaction is the JSON-LD 1.1 algorithm cut down to what
//! a resource's description holds (node objects, one level, no lists), over the kinds of
//! term definitions the context has: plain terms, `@type` `@id`, `@vocab` or a datatype,
//! `@language` (a tag or null), `@container` `@set` or `@language`. What no term fits is
//! written with a prefixed name and a value object, so nothing is lost: the output reads
//! back to the same triples (tested against Oxigraph's JSON-LD parser). The general crate
//! (`json-ld` 0.21) took 5.9 s to compact the seminar's description with this context.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{NamedOrBlankNode, Term, Triple};
use serde_json::{Map, Value, json};

/// How a term reads its values.
#[derive(Debug, PartialEq)]
enum Coercion {
    /// Values as written: strings in the default language, value objects otherwise.
    None,
    /// Strings are IRIs.
    Id,
    /// Strings are terms, else IRIs.
    Vocab,
    /// Strings are literals of this datatype.
    Datatype(String),
}

#[derive(Debug, PartialEq)]
enum Language {
    /// The context's default language.
    Inherit,
    /// No language (`"@language": null`).
    None,
    Tag(String),
}

#[derive(Debug)]
struct Definition {
    term: String,
    iri: String,
    coercion: Coercion,
    language: Language,
    /// `@container: @language`: a map from language to text.
    by_language: bool,
    /// `@container: @set`: always an array.
    set: bool,
}

struct Compactor {
    /// The context as written (the document's `@context`).
    context: Value,
    definitions: Vec<Definition>,
    /// Prefixes: name and namespace.
    prefixes: Vec<(String, String)>,
    default_language: Option<String>,
}

static COMPACTOR: LazyLock<Compactor> = LazyLock::new(|| {
    let document: Value = serde_json::from_str(include_str!("../ontology/context.jsonld"))
        .expect("the bundled context is JSON");
    Compactor::new(document["@context"].clone())
});

impl Compactor {
    fn new(context: Value) -> Self {
        let entries = context.as_object().cloned().unwrap_or_default();
        let prefixes: Vec<(String, String)> = entries
            .iter()
            .filter_map(|(name, value)| {
                let iri = value.as_str()?;
                (iri.ends_with('/') || iri.ends_with('#')).then(|| (name.clone(), iri.to_owned()))
            })
            .collect();
        let expand = |value: &str| -> String {
            match value.split_once(':') {
                Some((prefix, local)) if !local.starts_with("//") => prefixes
                    .iter()
                    .find(|(name, _)| name == prefix)
                    .map_or_else(|| value.to_owned(), |(_, ns)| format!("{ns}{local}")),
                _ => value.to_owned(),
            }
        };
        let mut definitions = Vec::new();
        for (term, value) in &entries {
            if term.starts_with('@') {
                continue;
            }
            let definition = match value {
                Value::String(iri) if !iri.starts_with('@') => Definition {
                    term: term.clone(),
                    iri: expand(iri),
                    coercion: Coercion::None,
                    language: Language::Inherit,
                    by_language: false,
                    set: false,
                },
                Value::Object(object) => {
                    let Some(iri) = object.get("@id").and_then(Value::as_str) else {
                        continue;
                    };
                    let coercion = match object.get("@type").and_then(Value::as_str) {
                        None => Coercion::None,
                        Some("@id") => Coercion::Id,
                        Some("@vocab") => Coercion::Vocab,
                        Some(datatype) => Coercion::Datatype(expand(datatype)),
                    };
                    let language = match object.get("@language") {
                        None => Language::Inherit,
                        Some(Value::Null) => Language::None,
                        Some(tag) => Language::Tag(tag.as_str().unwrap_or_default().to_owned()),
                    };
                    let container = object.get("@container").and_then(Value::as_str);
                    Definition {
                        term: term.clone(),
                        iri: expand(iri),
                        coercion,
                        language,
                        by_language: container == Some("@language"),
                        set: container == Some("@set"),
                    }
                }
                _ => continue,
            };
            definitions.push(definition);
        }
        let default_language = entries
            .get("@language")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Self {
            context,
            definitions,
            prefixes,
            default_language,
        }
    }

    /// A prefixed name for `iri`, if a prefix fits.
    fn prefixed(&self, iri: &str) -> Option<String> {
        self.prefixes.iter().find_map(|(name, namespace)| {
            iri.strip_prefix(namespace.as_str())
                .filter(|local| !local.is_empty() && !local.starts_with("//"))
                .map(|local| format!("{name}:{local}"))
        })
    }

    /// `iri` as a class or a `@vocab` value: a term that is exactly it, else a prefixed
    /// name, else the IRI.
    fn vocab(&self, iri: &str) -> String {
        self.definitions
            .iter()
            .find(|d| {
                d.iri == iri
                    && d.coercion == Coercion::None
                    && d.language == Language::Inherit
                    && !d.by_language
                    && !d.set
            })
            .map(|d| d.term.clone())
            .or_else(|| self.prefixed(iri))
            .unwrap_or_else(|| iri.to_owned())
    }

    /// The key and the compacted value of one statement: the first term of the
    /// predicate that reads the object back exactly; else a prefixed name (or the IRI)
    /// and a value object.
    fn entry(&self, predicate: &str, object: &Term) -> (String, Option<String>, Value) {
        let id = |term: &Term| match term {
            Term::NamedNode(n) => Some(n.as_str().to_owned()),
            Term::BlankNode(b) => Some(format!("_:{}", b.as_str())),
            _ => None,
        };
        // First a term that reads the value as a plain string (or a language map's
        // entry), then one that takes it as a value object.
        for lenient in [false, true] {
            for d in self.definitions.iter().filter(|d| d.iri == predicate) {
                match (object, &d.coercion) {
                    (Term::NamedNode(_) | Term::BlankNode(_), Coercion::Id) if !d.by_language => {
                        return (
                            d.term.clone(),
                            None,
                            Value::String(id(object).unwrap_or_default()),
                        );
                    }
                    (Term::NamedNode(n), Coercion::Vocab) if !d.by_language => {
                        // A term's IRI reads as the term, else a prefixed name or the IRI.
                        return (d.term.clone(), None, Value::String(self.vocab(n.as_str())));
                    }
                    (Term::NamedNode(_) | Term::BlankNode(_), Coercion::None)
                        if lenient && !d.by_language && d.language == Language::Inherit =>
                    {
                        return (d.term.clone(), None, self.value_object(object));
                    }
                    (Term::Literal(l), Coercion::Datatype(datatype))
                        if l.datatype().as_str() == datatype && !d.by_language =>
                    {
                        return (d.term.clone(), None, Value::String(l.value().to_owned()));
                    }
                    (Term::Literal(l), Coercion::None) => match (l.language(), &d.language) {
                        (Some(tag), _) if d.by_language => {
                            return (
                                d.term.clone(),
                                Some(tag.to_owned()),
                                Value::String(l.value().to_owned()),
                            );
                        }
                        (_, _) if d.by_language => {}
                        (Some(tag), Language::Tag(own)) if own.eq_ignore_ascii_case(tag) => {
                            return (d.term.clone(), None, Value::String(l.value().to_owned()));
                        }
                        (Some(tag), Language::Inherit)
                            if self
                                .default_language
                                .as_deref()
                                .is_some_and(|default| default.eq_ignore_ascii_case(tag)) =>
                        {
                            return (d.term.clone(), None, Value::String(l.value().to_owned()));
                        }
                        (None, Language::None) if l.datatype() == xsd::STRING => {
                            return (d.term.clone(), None, Value::String(l.value().to_owned()));
                        }
                        // A value object keeps its own language or datatype under any term.
                        (_, Language::Inherit) if lenient => {
                            return (d.term.clone(), None, self.value_object(object));
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
        let key = self
            .prefixed(predicate)
            .filter(|name| !self.definitions.iter().any(|d| d.term == *name))
            .unwrap_or_else(|| predicate.to_owned());
        (key, None, self.value_object(object))
    }

    /// A value object: what the object is, whatever the term says.
    fn value_object(&self, object: &Term) -> Value {
        match object {
            Term::NamedNode(n) => json!({ "@id": n.as_str() }),
            Term::BlankNode(b) => json!({ "@id": format!("_:{}", b.as_str()) }),
            Term::Literal(l) => match l.language() {
                Some(tag) => json!({ "@value": l.value(), "@language": tag }),
                None if l.datatype() == xsd::STRING => json!({ "@value": l.value() }),
                None => json!({ "@value": l.value(), "@type": l.datatype().as_str() }),
            },
            // RDF 1.2 triple terms have no JSON-LD 1.1 form: their N-Triples text.
            Term::Triple(_) => json!({ "@value": object.to_string() }),
        }
    }

    fn set(&self, key: &str) -> bool {
        self.definitions.iter().any(|d| d.term == key && d.set)
    }
}

/// The short key a record writes for the property `iri` (`name` for `schema:name`), or
/// the class `iri` (`Seminar` for `lg:Seminar`), if the context has one.
pub fn term(iri: &str) -> Option<String> {
    COMPACTOR
        .definitions
        .iter()
        .filter(|d| d.iri == iri && !d.by_language)
        .min_by_key(|d| d.term.len())
        .map(|d| d.term.clone())
}

/// The IRI of a short key or class name of the context (`Seminar` → `lg:Seminar`'s IRI).
pub fn expand(term: &str) -> Option<String> {
    COMPACTOR
        .definitions
        .iter()
        .find(|d| d.term == term)
        .map(|d| d.iri.clone())
}

/// `triples` as one JSON-LD document compacted with the project's context: a `@graph` of
/// node objects, one per subject, in the order the subjects come.
pub fn compact(triples: &[Triple]) -> Value {
    let compactor = &*COMPACTOR;
    // Per subject: its types, and per key its values (or, for a language map, per
    // language).
    type Node = (Vec<Value>, BTreeMap<String, Entry>);
    enum Entry {
        Values(Vec<Value>),
        ByLanguage(BTreeMap<String, Vec<Value>>),
    }
    let mut nodes: Vec<(String, Node)> = Vec::new();
    for t in triples {
        let subject = match &t.subject {
            NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
            NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
        };
        let index = match nodes.iter().position(|(s, _)| *s == subject) {
            Some(i) => i,
            None => {
                nodes.push((subject, (Vec::new(), BTreeMap::new())));
                nodes.len() - 1
            }
        };
        let (types, entries) = &mut nodes[index].1;
        if t.predicate == rdf::TYPE
            && let Term::NamedNode(class) = &t.object
        {
            let class = Value::String(compactor.vocab(class.as_str()));
            if !types.contains(&class) {
                types.push(class);
            }
            continue;
        }
        let (key, language, value) = compactor.entry(t.predicate.as_str(), &t.object);
        match (
            entries.entry(key).or_insert_with(|| match language {
                Some(_) => Entry::ByLanguage(BTreeMap::new()),
                None => Entry::Values(Vec::new()),
            }),
            language,
        ) {
            (Entry::ByLanguage(map), Some(tag)) => map.entry(tag).or_default().push(value),
            (Entry::Values(values), _) => values.push(value),
            // One key is a language map or a list of values, never both: a term of the
            // context is one or the other.
            (Entry::ByLanguage(_), None) => {}
        }
    }
    let one_or_many = |mut values: Vec<Value>, set: bool| {
        if values.len() == 1 && !set {
            values.remove(0)
        } else {
            Value::Array(values)
        }
    };
    let graph: Vec<Value> = nodes
        .into_iter()
        .map(|(subject, (types, entries))| {
            let mut node = Map::new();
            node.insert("id".into(), Value::String(subject));
            if !types.is_empty() {
                node.insert("type".into(), one_or_many(types, false));
            }
            for (key, entry) in entries {
                let value = match entry {
                    Entry::Values(values) => one_or_many(values, compactor.set(&key)),
                    Entry::ByLanguage(map) => Value::Object(
                        map.into_iter()
                            .map(|(tag, values)| (tag, one_or_many(values, false)))
                            .collect(),
                    ),
                };
                node.insert(key, value);
            }
            Value::Object(node)
        })
        .collect();
    json!({ "@context": compactor.context, "@graph": graph })
}

#[cfg(test)]
mod tests {
    use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
    use oxigraph::model::Triple;

    use super::compact;

    fn triples(turtle: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(turtle.as_bytes())
            .map(|q| q.map(Triple::from).unwrap())
            .collect()
    }

    /// Every kind of value the context types, and what no term fits, read back the same.
    #[test]
    fn what_is_compacted_reads_back_to_the_same_triples() {
        let turtle = r#"
            @prefix schema: <http://schema.org/> .
            @prefix lg: <https://w3id.org/labgraph/def#> .
            @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
            <https://w3id.org/labgraph/id/seminar/x> a lg:Seminar, schema:Event, <http://example.org/Other> ;
                schema:name "Séminaire"@fr, "Seminar"@en, "Seminar"@de, "sans langue" ;
                schema:startDate "2022-12-01"^^xsd:date, "2022-12-01T10:00:00Z"^^xsd:dateTime ;
                schema:organizer <https://w3id.org/labgraph/id/org/irev> ;
                schema:location [ schema:name "Lieu"@fr ] ;
                <http://example.org/unknown> "x", 3 ;
                lg:status lg:stated .
        "#;
        let input = triples(turtle);
        let document = compact(&input);
        let text = serde_json::to_string(&document).unwrap();
        let output: Vec<Triple> = RdfParser::from_format(RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        })
        .for_slice(text.as_bytes())
        .map(|q| q.map(Triple::from).unwrap())
        .collect();
        let named = |ts: &[Triple]| {
            let mut lines: Vec<String> = ts
                .iter()
                .filter(|t| {
                    !t.subject.is_blank_node()
                        && !matches!(t.object, oxigraph::model::Term::BlankNode(_))
                })
                .map(ToString::to_string)
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(input.len(), output.len(), "{text}");
        assert_eq!(named(&input), named(&output), "{text}");
        // The keys a partner reads: terms, a language map, a prefixed name for the rest.
        let node = &document["@graph"][0];
        assert_eq!(node["name"][0], "Séminaire", "{text}");
        assert_eq!(node["name"][1]["@value"], "sans langue", "{text}");
        assert_eq!(node["names"]["en"], "Seminar", "{text}");
        assert_eq!(node["startDate"], "2022-12-01", "{text}");
        assert_eq!(node["status"], "stated", "{text}");
        assert!(text.contains("http://example.org/unknown"), "{text}");
    }
}
