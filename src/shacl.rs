//! SHACL validation with rudof's `shacl` crate (SHACL Core, native in-memory engine).
//!
//! The engine validates an in-memory graph: the caller hands it the triples to check
//! (a file's, together with what they reference in the store). The findings keep the
//! shapes' French and English messages so that an administrator can read the report.

use std::collections::HashSet;
use std::fmt;

use oxigraph::io::RdfParser;
use oxigraph::model::{TermRef, Triple};
use shacl::ir::IRSchema;
use shacl::rdf::ShaclParser;
use shacl::types::Severity;
use shacl::validator::processor::{GraphValidation, ShaclProcessor};
use shacl::validator::store::Graph;
use shacl::validator::{ShaclConfig, ShaclValidationMode};

use rudof_rdf::rdf_impl::OxigraphInMemory;

use crate::error::{Error, Result};

/// Compiled SHACL shapes.
pub struct Shapes {
    schema: IRSchema,
    /// Each shape's own messages, French then English: the engine writes its own English
    /// text for some components (`sh:uniqueLang`: "Unique lang failed…") where the shape
    /// has a message for the administrator.
    messages: std::collections::HashMap<String, (Option<String>, Option<String>)>,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Violation,
    Warning,
    Info,
}

/// One result of a validation report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub level: Level,
    /// The resource that fails (IRI in N-Triples form, or a blank node).
    pub focus: String,
    /// The property path, when the shape is a property shape.
    pub path: Option<String>,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// The shape's message in French, and in English.
    pub message_fr: Option<String>,
    pub message_en: Option<String>,
    /// The SHACL constraint component that failed (`sh:MinCountConstraintComponent`…).
    pub component: String,
    /// The shape that holds the constraint.
    pub shape: Option<String>,
    /// The files that describe the focus resource, when an import knows them: with the
    /// line and column of the key or statement, when known (`seminar.yaml:12:5`).
    pub sources: Vec<String>,
    /// A blank node focus, as a person finds it: its path from a named resource ("the
    /// lg:speakerRole of <seminar/x/ouverture> « Ouverture »").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub described: Option<String>,
}

/// A validation report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub conforms: bool,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Number of findings at a level.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }

    /// Keeps only the findings about what a write touches: a focus node or a value among
    /// `mentioned` (see [`mention`]). What was already wrong elsewhere in the store is
    /// not the write's doing.
    pub fn only_about(&mut self, mentioned: &HashSet<String>) {
        self.findings.retain(|f| {
            mentioned.contains(&f.focus) || f.value.as_ref().is_some_and(|v| mentioned.contains(v))
        });
        self.conforms = self.count(Level::Violation) == 0;
    }

    /// Every finding, with its French and English message.
    pub fn text(&self) -> String {
        self.findings.iter().map(ToString::to_string).collect()
    }
}

/// Adds a node (IRI or blank node) to a set of mentioned nodes, in the form the findings
/// name them; literals are not nodes and are skipped.
pub fn mention(term: TermRef<'_>, mentioned: &mut HashSet<String>) {
    match term {
        TermRef::NamedNode(n) => {
            mentioned.insert(n.as_str().to_owned());
        }
        TermRef::BlankNode(b) => {
            mentioned.insert(format!("_:{}", b.as_str()));
        }
        _ => {}
    }
}

impl Shapes {
    /// The shapes of `ontology/shapes.ttl`, embedded in the binary.
    pub fn bundled() -> Result<Self> {
        Self::from_turtle(crate::bundled::shapes())
    }

    /// Compiles shapes written in Turtle.
    pub fn from_turtle(turtle: &str) -> Result<Self> {
        let triples = RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
            .for_slice(turtle)
            .map(|q| q.map(Triple::from))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Shacl(format!("the shapes do not parse: {e}")))?;
        let mut messages: std::collections::HashMap<String, (Option<String>, Option<String>)> =
            std::collections::HashMap::new();
        for t in &triples {
            if t.predicate.as_str() != "http://www.w3.org/ns/shacl#message" {
                continue;
            }
            let (
                oxigraph::model::NamedOrBlankNode::NamedNode(shape),
                oxigraph::model::Term::Literal(text),
            ) = (&t.subject, &t.object)
            else {
                continue;
            };
            let entry = messages.entry(shape.as_str().to_owned()).or_default();
            match text.language() {
                Some("fr") => entry.0 = Some(text.value().to_owned()),
                Some("en") => entry.1 = Some(text.value().to_owned()),
                _ => {}
            }
        }
        let ast = ShaclParser::new(in_memory(triples)?)
            .parse()
            .map_err(|e| Error::Shacl(format!("the shapes are not valid SHACL: {e}")))?;
        let schema = IRSchema::try_from(&ast)
            .map_err(|e| Error::Shacl(format!("the shapes do not compile: {e}")))?;
        Ok(Self { schema, messages })
    }

    /// Validates a graph against the shapes.
    ///
    /// Besides the shapes, every literal typed with an XML Schema datatype must have a
    /// lexical form of that type: SHACL says `sh:datatype` fails on an ill-formed literal,
    /// which rudof's engine does not check, and no shape should have to repeat it.
    pub fn validate(&self, triples: impl IntoIterator<Item = Triple>) -> Result<Report> {
        let triples: Vec<Triple> = triples.into_iter().collect();
        let ill_formed: Vec<Finding> = triples.iter().filter_map(ill_formed).collect();
        let mut processor = GraphValidation::new(Graph::from(in_memory(triples)?));
        let report = processor
            .validate(
                &self.schema,
                &ShaclValidationMode::Native,
                &ShaclConfig::default(),
            )
            .map_err(|e| Error::Shacl(e.to_string()))?;
        let mut findings: Vec<Finding> = report
            .results()
            .iter()
            .map(|r| {
                let shape = r.source().map(|s| s.to_string());
                let own = shape.as_ref().and_then(|s| self.messages.get(s));
                // The result's message in that language, else the shape's own, else the
                // engine's untagged text.
                let message = |lang: &str| {
                    r.message()
                        .iter()
                        .find(|(l, _)| l.as_ref().is_some_and(|l| l.as_str() == lang))
                        .map(|(_, m)| m.clone())
                        .or_else(|| {
                            own.and_then(
                                |(fr, en)| if lang == "fr" { fr.clone() } else { en.clone() },
                            )
                        })
                        .or_else(|| {
                            r.message()
                                .iter()
                                .find(|(l, _)| l.is_none())
                                .map(|(_, m)| m.clone())
                        })
                };
                Finding {
                    level: match r.severity() {
                        Severity::Violation => Level::Violation,
                        Severity::Warning => Level::Warning,
                        _ => Level::Info,
                    },
                    focus: r.focus_node().to_string(),
                    path: r.path().map(|p| p.to_string()),
                    value: r.value().map(|v| v.to_string()),
                    message_fr: message("fr"),
                    message_en: message("en"),
                    component: r.constraint_component().to_string(),
                    shape,
                    sources: Vec::new(),
                    described: None,
                }
            })
            .collect();
        findings.extend(ill_formed);
        findings.sort_by(|a, b| (a.level, &a.focus, &a.path).cmp(&(b.level, &b.focus, &b.path)));
        Ok(Report {
            conforms: !findings.iter().any(|f| f.level == Level::Violation),
            findings,
        })
    }
}

/// A finding for a triple whose object is a literal ill-formed for its XML Schema
/// datatype (`"abc"^^xsd:date`).
fn ill_formed(triple: &Triple) -> Option<Finding> {
    use oxsdatatypes::{
        Boolean, Date, DateTime, Decimal, Double, Duration, Float, GDay, GMonth, GMonthDay, GYear,
        GYearMonth, Integer, Time,
    };
    use std::str::FromStr;
    let oxigraph::model::Term::Literal(literal) = &triple.object else {
        return None;
    };
    let local = literal
        .datatype()
        .as_str()
        .strip_prefix("http://www.w3.org/2001/XMLSchema#")?;
    let value = literal.value();
    let integer = |check: fn(i128) -> bool| {
        Integer::from_str(value).is_ok() && value.trim().parse::<i128>().is_ok_and(check)
    };
    let valid = match local {
        "boolean" => Boolean::from_str(value).is_ok(),
        "date" => Date::from_str(value).is_ok(),
        "dateTime" | "dateTimeStamp" => DateTime::from_str(value).is_ok(),
        "time" => Time::from_str(value).is_ok(),
        "duration" | "dayTimeDuration" | "yearMonthDuration" => Duration::from_str(value).is_ok(),
        "gYear" => GYear::from_str(value).is_ok(),
        "gYearMonth" => GYearMonth::from_str(value).is_ok(),
        "gMonth" => GMonth::from_str(value).is_ok(),
        "gMonthDay" => GMonthDay::from_str(value).is_ok(),
        "gDay" => GDay::from_str(value).is_ok(),
        "decimal" => Decimal::from_str(value).is_ok(),
        "double" => Double::from_str(value).is_ok(),
        "float" => Float::from_str(value).is_ok(),
        "integer" => Integer::from_str(value).is_ok(),
        "long" => integer(|n| i64::try_from(n).is_ok()),
        "int" => integer(|n| i32::try_from(n).is_ok()),
        "short" => integer(|n| i16::try_from(n).is_ok()),
        "byte" => integer(|n| i8::try_from(n).is_ok()),
        "nonNegativeInteger" => integer(|n| n >= 0),
        "unsignedLong" => integer(|n| u64::try_from(n).is_ok()),
        "unsignedInt" => integer(|n| u32::try_from(n).is_ok()),
        "unsignedShort" => integer(|n| u16::try_from(n).is_ok()),
        "unsignedByte" => integer(|n| u8::try_from(n).is_ok()),
        "positiveInteger" => integer(|n| n > 0),
        "nonPositiveInteger" => integer(|n| n <= 0),
        "negativeInteger" => integer(|n| n < 0),
        _ => true,
    };
    (!valid).then(|| Finding {
        level: Level::Violation,
        // Named as rudof's findings name their focus: an IRI without its brackets.
        focus: match &triple.subject {
            oxigraph::model::NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
            other => other.to_string(),
        },
        path: Some(triple.predicate.to_string()),
        value: Some(literal.to_string()),
        message_fr: Some(format!(
            "« {value} » n'est pas une valeur de type xsd:{local} (date : AAAA-MM-JJ)"
        )),
        message_en: Some(format!(
            "\"{value}\" is not a valid xsd:{local} value (a date is YYYY-MM-DD)"
        )),
        component: "sh:DatatypeConstraintComponent".into(),
        shape: None,
        sources: Vec::new(),
        described: None,
    })
}

fn in_memory(triples: impl IntoIterator<Item = Triple>) -> Result<OxigraphInMemory> {
    let mut graph = OxigraphInMemory::new();
    for t in triples {
        graph
            .add_triple_ref(t.subject.as_ref(), t.predicate.as_ref(), t.object.as_ref())
            .map_err(|e| Error::Shacl(e.to_string()))?;
    }
    Ok(graph)
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Violation => "violation",
            Level::Warning => "warning",
            Level::Info => "info",
        };
        match &self.described {
            Some(described) => write!(f, "{level}: {described}")?,
            None => write!(f, "{level}: {}", self.focus)?,
        }
        if !self.sources.is_empty() {
            write!(f, " [{}]", self.sources.join(", "))?;
        }
        if let Some(path) = &self.path {
            write!(f, " {path}")?;
        }
        if let Some(value) = &self.value {
            write!(f, " = {value}")?;
        }
        writeln!(f)?;
        match (&self.message_fr, &self.message_en) {
            (Some(fr), Some(en)) if fr != en => writeln!(f, "  fr: {fr}\n  en: {en}")?,
            (Some(m), _) | (None, Some(m)) => writeln!(f, "  {m}")?,
            (None, None) => writeln!(f, "  ({})", self.component)?,
        }
        Ok(())
    }
}
