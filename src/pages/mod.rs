//! Resource pages in HTML, French first: the generic view of every statement of a
//! resource (so that a new class shows without new code), the links that point at it a
//! page at a time, its provenance, and the schema.org part of its data as embedded JSON-LD.
//! Rendered on the server from the templates of `templates/` by minijinja, which escapes
//! every value it inserts into HTML; the embedded JSON-LD escapes `<` itself.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use minijinja::Environment;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::iri::BaseIri;
use crate::store::{Description, INCOMING_PAGE, Label, VersionInfo};
use crate::vocab::schema;

pub mod domain;
pub mod lists;
pub use domain::Section;
pub use lists::{LIST_PAGE, List, ListPage};

/// The languages of labels, in order of preference.
pub const LANGUAGES: [&str; 2] = ["fr", "en"];

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, text) in [
        ("macros.html", include_str!("../../templates/macros.html")),
        (
            "resource.html",
            include_str!("../../templates/resource.html"),
        ),
        (
            "not-found.html",
            include_str!("../../templates/not-found.html"),
        ),
        ("list.html", include_str!("../../templates/list.html")),
        ("import.html", include_str!("../../templates/import.html")),
        ("search.html", include_str!("../../templates/search.html")),
        ("preview.html", include_str!("../../templates/preview.html")),
        ("api.html", include_str!("../../templates/api.html")),
    ] {
        let text = if name == "macros.html" {
            text.to_owned()
        } else {
            format!("{{% from \"macros.html\" import link, value, header, footer %}}{text}")
        };
        env.add_template_owned(name, text)
            .expect("the bundled templates parse");
    }
    env
});

/// A link as a page shows it: its text (a label, or the IRI), the label's language, and
/// where it leads (the resource's page on this server for an IRI under the base).
#[derive(Debug, Serialize)]
struct Link {
    kind: &'static str,
    text: String,
    language: String,
    href: Option<String>,
    datatype: Option<String>,
    anchor: Option<String>,
}

#[derive(Debug, Serialize)]
struct Group {
    property: Link,
    values: Vec<Link>,
}

#[derive(Debug, Serialize)]
struct Nested {
    id: String,
    anchor: String,
    properties: Vec<Group>,
}

#[derive(Debug, Serialize)]
struct GraphLine {
    graph: Link,
    source: Option<String>,
    time: Option<String>,
    validated: Option<bool>,
}

/// A format a resource is offered in: its name, media type and URL.
#[derive(Debug, Clone, Serialize)]
pub struct Alternate {
    pub name: &'static str,
    pub media_type: &'static str,
    pub href: String,
}

/// What a page needs besides the description.
pub struct Context<'a> {
    pub base: &'a BaseIri,
    pub labels: &'a BTreeMap<NamedNode, Label>,
    /// The latest version of each graph that holds the resource's statements.
    pub versions: &'a [VersionInfo],
    /// The page's own URL on this server (its path), and its alternates.
    pub path: &'a str,
    /// The prefix of the URLs of its pages of links (a page number is added).
    pub pager: &'a str,
    pub alternates: &'a [Alternate],
    /// The absolute URL of this server as clients reach it (for the canonical link).
    pub origin: &'a str,
    pub license: Option<&'a str>,
    /// The domain view: the named queries that ask about this resource's class.
    pub sections: &'a [Section],
}

/// The path of a resource's page on this server, for an IRI under the base IRI.
pub fn local_path(base: &BaseIri, iri: &str) -> Option<String> {
    iri.strip_prefix(base.as_str())
        .filter(|rest| !rest.is_empty())
        .map(|rest| format!("/id/{rest}"))
}

/// The page of an IRI outside the base IRI that the store describes (an SDG target, a
/// term of the ontology): `/resource?iri=…`.
pub fn external_path(iri: &str) -> String {
    format!(
        "/resource?iri={}",
        form_urlencoded::byte_serialize(iri.as_bytes()).collect::<String>()
    )
}

/// Where a link to `iri` leads: its page on this server when it is under the base IRI,
/// or when the store describes it (`described`: the store holds a label for it); else
/// the IRI itself.
pub fn href(base: &BaseIri, iri: &str, described: bool) -> String {
    local_path(base, iri).unwrap_or_else(|| {
        if described {
            external_path(iri)
        } else {
            iri.to_owned()
        }
    })
}

/// The query page with `query` in its editor, run at once.
pub fn query_page(query: &str) -> String {
    format!(
        "/sparql#query={}&run",
        form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    )
}

fn link(iri: &NamedNode, cx: &Context<'_>) -> Link {
    let (text, language) = match cx.labels.get(iri) {
        Some(label) => (label.text.clone(), label.language.clone()),
        None => (short(iri.as_str(), cx.base), String::new()),
    };
    Link {
        kind: "iri",
        text,
        language,
        href: Some(href(cx.base, iri.as_str(), cx.labels.contains_key(iri))),
        datatype: None,
        anchor: None,
    }
}

/// An IRI shortened with the known prefixes, or relative to the base.
fn short(iri: &str, base: &BaseIri) -> String {
    if let Some(rest) = iri.strip_prefix(base.as_str()) {
        return rest.to_owned();
    }
    crate::vocab::PREFIXES
        .iter()
        .find_map(|(prefix, namespace)| {
            iri.strip_prefix(namespace)
                .filter(|local| !local.is_empty() && !local.contains(['/', '#']))
                .map(|local| format!("{prefix}:{local}"))
        })
        .unwrap_or_else(|| iri.to_owned())
}

fn value(term: &Term, cx: &Context<'_>) -> Link {
    match term {
        Term::NamedNode(n) => link(n, cx),
        Term::BlankNode(b) => Link {
            kind: "blank",
            text: b.as_str().to_owned(),
            language: String::new(),
            href: None,
            datatype: None,
            anchor: Some(format!("b-{}", b.as_str())),
        },
        Term::Literal(l) => Link {
            kind: "literal",
            text: l.value().to_owned(),
            language: l.language().unwrap_or_default().to_owned(),
            href: None,
            datatype: (l.language().is_none() && l.datatype() != xsd::STRING)
                .then(|| short(l.datatype().as_str(), cx.base)),
            anchor: None,
        },
        // An RDF 1.2 triple term, shown as written.
        Term::Triple(_) => Link {
            kind: "literal",
            text: term.to_string(),
            language: String::new(),
            href: None,
            datatype: None,
            anchor: None,
        },
    }
}

/// Statements grouped by property, in the order they came (the store's order).
fn groups<'t>(
    triples: impl Iterator<Item = &'t Triple>,
    cx: &Context<'_>,
    incoming: bool,
) -> Vec<Group> {
    let mut groups: Vec<(NamedNode, Vec<Link>)> = Vec::new();
    for t in triples {
        let shown = if incoming {
            match &t.subject {
                NamedOrBlankNode::NamedNode(n) => link(n, cx),
                // A blank node that points here is not on this page: no anchor to go to.
                NamedOrBlankNode::BlankNode(b) => Link {
                    anchor: None,
                    ..value(&Term::BlankNode(b.clone()), cx)
                },
            }
        } else {
            value(&t.object, cx)
        };
        match groups.iter_mut().find(|(p, _)| *p == t.predicate) {
            Some((_, values)) => values.push(shown),
            None => groups.push((t.predicate.clone(), vec![shown])),
        }
    }
    groups
        .into_iter()
        .map(|(p, values)| Group {
            property: link(&p, cx),
            values,
        })
        .collect()
}

/// The properties a page sums up under its title, in this order, when the resource has
/// them: what it is, when, where, by whom, for whom.
const SUMMARY: [&str; 14] = [
    "http://schema.org/description",
    "http://www.w3.org/2004/02/skos/core#definition",
    "http://schema.org/startDate",
    "http://schema.org/endDate",
    "http://schema.org/location",
    "http://schema.org/organizer",
    "http://schema.org/superEvent",
    "http://schema.org/jobTitle",
    "http://schema.org/affiliation",
    "http://schema.org/areaServed",
    "http://schema.org/containedInPlace",
    "https://w3id.org/labgraph/def#ledBy",
    "http://purl.org/dc/terms/spatial",
    "http://schema.org/author",
];

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// An `xsd:date` (or the date of an `xsd:dateTime`) as French writes it: `1er décembre
/// 2022`.
fn french_date(value: &str) -> Option<String> {
    let date = value.get(..10)?;
    let mut parts = date.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let month = MONTHS.get(month.parse::<usize>().ok()?.checked_sub(1)?)?;
    let day: u32 = day.parse().ok()?;
    let day = if day == 1 {
        "1er".to_owned()
    } else {
        day.to_string()
    };
    Some(format!("{day} {month} {year}"))
}

/// The summary of a resource: the properties of [`SUMMARY`] it has, dates in French.
fn summary(description: &Description, cx: &Context<'_>) -> Vec<Group> {
    let subject = NamedOrBlankNode::NamedNode(description.subject.clone());
    SUMMARY
        .iter()
        .filter_map(|property| {
            let values: Vec<Link> = description
                .outgoing
                .iter()
                .filter(|t| t.subject == subject && t.predicate.as_str() == *property)
                // French first: a text in another language is left to the description.
                .filter(|t| match &t.object {
                    Term::Literal(l) => l.language().is_none_or(|l| l == "fr"),
                    _ => true,
                })
                .map(|t| match &t.object {
                    Term::Literal(l)
                        if l.datatype() == xsd::DATE || l.datatype() == xsd::DATE_TIME =>
                    {
                        Link {
                            text: french_date(l.value()).unwrap_or_else(|| l.value().to_owned()),
                            datatype: None,
                            ..value(&t.object, cx)
                        }
                    }
                    object => value(object, cx),
                })
                .collect();
            let first = description
                .outgoing
                .iter()
                .find(|t| t.predicate.as_str() == *property)?;
            (!values.is_empty()).then(|| Group {
                property: link(&first.predicate, cx),
                values,
            })
        })
        .collect()
}

/// The schema.org part of a description as JSON-LD, safe inside a `<script>` element.
fn embedded_jsonld(description: &Description) -> Result<Option<String>> {
    let schema_part: Vec<&Triple> = description
        .outgoing
        .iter()
        .filter(|t| {
            t.subject == NamedOrBlankNode::NamedNode(description.subject.clone())
                && (t.predicate.as_str().starts_with(schema::NAMESPACE)
                    || (t.predicate == rdf::TYPE
                        && matches!(&t.object, Term::NamedNode(c) if c.as_str().starts_with(schema::NAMESPACE))))
                && !matches!(t.object, Term::BlankNode(_))
        })
        .collect();
    if schema_part.is_empty() {
        return Ok(None);
    }
    let mut serializer = RdfSerializer::from_format(RdfFormat::JsonLd {
        profile: oxigraph::io::JsonLdProfileSet::empty(),
    })
    .with_prefix("schema", schema::NAMESPACE)
    .map_err(|e| Error::Render(e.to_string()))?
    .for_writer(Vec::new());
    for t in schema_part {
        serializer
            .serialize_triple(t.as_ref())
            .map_err(|e| Error::Render(e.to_string()))?;
    }
    let bytes = serializer
        .finish()
        .map_err(|e| Error::Render(e.to_string()))?;
    let json = String::from_utf8(bytes).map_err(|e| Error::Render(e.to_string()))?;
    // No `</script>`, no `<!--` inside the element: `<` is written as its JSON escape.
    Ok(Some(json.replace('<', "\\u003c")))
}

/// The page of a resource.
pub fn resource(description: &Description, cx: &Context<'_>) -> Result<String> {
    let subject = NamedOrBlankNode::NamedNode(description.subject.clone());
    let own = description.outgoing.iter().filter(|t| t.subject == subject);
    let type_iris: Vec<&NamedNode> = own
        .clone()
        .filter(|t| t.predicate == rdf::TYPE)
        .filter_map(|t| match &t.object {
            Term::NamedNode(n) => Some(n),
            _ => None,
        })
        .collect();
    let mut types: Vec<Link> = type_iris.iter().map(|n| link(n, cx)).collect();
    // Two classes of the same label (schema:Organization, org:Organization) are told apart
    // by their prefixed names.
    let texts: Vec<String> = types.iter().map(|t| t.text.clone()).collect();
    for (t, iri) in types.iter_mut().zip(&type_iris) {
        if texts.iter().filter(|x| **x == t.text).count() > 1 {
            t.text = format!("{} ({})", t.text, short(iri.as_str(), cx.base));
        }
    }
    let properties = groups(own.filter(|t| t.predicate != rdf::TYPE), cx, false);
    let mut nested: Vec<Nested> = Vec::new();
    for t in description.outgoing.iter().filter(|t| t.subject != subject) {
        let NamedOrBlankNode::BlankNode(b) = &t.subject else {
            continue;
        };
        if nested.iter().any(|n| n.id == b.as_str()) {
            continue;
        }
        let of_node = description
            .outgoing
            .iter()
            .filter(|x| x.subject == t.subject);
        nested.push(Nested {
            id: b.as_str().to_owned(),
            anchor: format!("b-{}", b.as_str()),
            properties: groups(of_node, cx, false),
        });
    }
    let title = match cx.labels.get(&description.subject) {
        Some(label) => label.clone(),
        None => Label {
            text: short(description.subject.as_str(), cx.base),
            language: String::new(),
        },
    };
    let pages = description.incoming_total.div_ceil(INCOMING_PAGE).max(1);
    let page_link = |page: usize| format!("{}{page}", cx.pager);
    let graphs: Vec<GraphLine> = description
        .graphs
        .iter()
        .map(|g| {
            let version = cx.versions.iter().rev().find(|v| v.graph == *g);
            GraphLine {
                graph: link(g, cx),
                source: version.and_then(|v| v.source.clone()),
                time: version.and_then(|v| v.time.as_ref().map(ToString::to_string)),
                validated: version.and_then(|v| v.validated),
            }
        })
        .collect();
    let canonical = format!("{}{}", cx.origin, cx.path);
    let cite = format!(
        "« {} », référentiel du Lab des transitions (IREV), labgraph, {}.",
        title.text,
        description.subject.as_str()
    );
    let query_link = query_page(&format!("DESCRIBE <{}>", description.subject.as_str()));
    let context = minijinja::context! {
        title => minijinja::context! { text => title.text, language => title.language },
        iri => description.subject.as_str(),
        canonical,
        alternates => cx.alternates,
        jsonld => embedded_jsonld(description)?,
        types,
        summary => summary(description, cx),
        sections => cx.sections,
        properties,
        nested,
        incoming => groups(description.incoming.iter(), cx, true),
        incoming_total => description.incoming_total,
        page => description.page,
        pages,
        previous => (description.page > 1).then(|| page_link(description.page - 1)),
        next => description.has_next().then(|| page_link(description.page + 1)),
        graphs,
        cite,
        query_link,
        license => cx.license,
        version => env!("CARGO_PKG_VERSION"),
    };
    render("resource.html", context)
}

/// The page of an IRI the store does not describe.
pub fn not_found(iri: &str) -> Result<String> {
    render(
        "not-found.html",
        minijinja::context! { iri, version => env!("CARGO_PKG_VERSION") },
    )
}

/// A page of a list: `path` is the list's URL on this server, `origin` this server's.
pub fn list(
    list: &List,
    page: usize,
    content: &ListPage,
    path: &str,
    origin: &str,
    license: Option<&str>,
) -> Result<String> {
    let pages = content.total.div_ceil(LIST_PAGE).max(1);
    let page_link = |page: usize| format!("{path}?page={page}");
    render(
        "list.html",
        minijinja::context! {
            list,
            page,
            pages,
            total => content.total,
            columns => content.columns,
            rows => content.rows,
            previous => (page > 1).then(|| page_link(page - 1)),
            next => (page < pages).then(|| page_link(page + 1)),
            canonical => format!("{origin}{path}{}", if page > 1 { format!("?page={page}") } else { String::new() }),
            query_link => query_page(list.query()),
            version => env!("CARGO_PKG_VERSION"),
            license,
        },
    )
}

/// The API page: the OpenAPI document's operations.
pub fn api_page(context: minijinja::Value) -> Result<String> {
    render("api.html", context)
}

/// The preview of a resource in OpenRefine's reconciliation pane.
pub fn preview_page(context: minijinja::Value) -> Result<String> {
    render("preview.html", context)
}

/// The page of a search's results.
pub fn search_page(context: minijinja::Value) -> Result<String> {
    render("search.html", context)
}

/// The import page for administrators, at one of its steps (`form`, `preview`, `done`).
pub fn import_page(context: minijinja::Value) -> Result<String> {
    render("import.html", context)
}

fn render(name: &str, context: minijinja::Value) -> Result<String> {
    TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| Error::Render(format!("{name}: {e}")))
}
