//! Synthetic graphs of the same shape as the bundled one, at any size, for benchmarks:
//! seminars of the Lab des transitions series with their sessions, talks and workshops,
//! speakers and their roles, institutions, QPV, resources, and actions with qualified
//! links to SDG targets.
//!
//! Generated resources link to the bundled ones (the series, the EPCI territories and
//! communes, the themes, the SDG targets, the IREV), so the named queries have real work
//! to do on a generated graph loaded beside the bundled data. The output is N-Triples,
//! deterministic for a given size.

use std::io::Write;

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};

use labgraph::config::BaseIri;
use labgraph::vocab::{DCAT, DCT, ORG, PROV, SCHEMA, SDG, SKOS};

/// Bundled resources the generated ones point to.
const EPCI: [&str; 3] = [
    "territory/epci/200072460",
    "territory/epci/246200364",
    "territory/epci/246200299",
];
const COMMUNES: [&str; 6] = [
    "territory/commune/62119",
    "territory/commune/62178",
    "territory/commune/62498",
    "territory/commune/62528",
    "territory/commune/62510",
    "territory/commune/62427",
];
const THEMES: [&str; 8] = [
    "theme/sante",
    "theme/mobilite",
    "theme/alimentation",
    "theme/air",
    "theme/eau",
    "theme/climat",
    "theme/energie",
    "theme/dechets",
];
const TARGETS: [&str; 12] = [
    "2.1", "3.4", "3.9", "6.1", "7.1", "11.2", "11.3", "11.6", "11.7", "12.5", "13.1", "16.7",
];

/// Triples one generated seminar contributes, on average (measured by a test).
pub const TRIPLES_PER_SEMINAR: usize = 305;

/// Writes about `triples` triples of N-Triples; returns how many were written.
pub fn generate(triples: usize, base: &BaseIri, out: impl Write) -> std::io::Result<usize> {
    let seminars = triples.div_ceil(TRIPLES_PER_SEMINAR).max(1);
    let mut g = Generator {
        base,
        out: RdfSerializer::from_format(RdfFormat::NTriples).for_writer(out),
        written: 0,
        blank: 0,
    };
    for i in 0..seminars {
        g.seminar(i)?;
    }
    g.out.finish()?;
    Ok(g.written)
}

struct Generator<'a, W: Write> {
    base: &'a BaseIri,
    out: oxigraph::io::WriterQuadSerializer<W>,
    written: usize,
    blank: u64,
}

fn iri(namespace: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{namespace}{local}"))
}

fn fr(text: String) -> Term {
    Literal::new_language_tagged_literal_unchecked(text, "fr").into()
}

fn plain(text: String) -> Term {
    Literal::from(text).into()
}

fn typed(value: String, datatype: oxigraph::model::NamedNodeRef<'_>) -> Term {
    Literal::new_typed_literal(value, datatype).into()
}

impl<W: Write> Generator<'_, W> {
    fn local(&self, path: &str) -> NamedNode {
        self.base.local(path)
    }

    fn emit(
        &mut self,
        s: impl Into<NamedOrBlankNode>,
        p: NamedNode,
        o: impl Into<Term>,
    ) -> std::io::Result<()> {
        self.written += 1;
        self.out.serialize_triple(&Triple::new(s, p, o))
    }

    fn fresh(&mut self) -> BlankNode {
        self.blank += 1;
        BlankNode::new_from_unique_id(u128::from(self.blank))
    }

    fn event(
        &mut self,
        node: &NamedNode,
        class: &str,
        name: String,
        date: &str,
        parent: &NamedNode,
        position: usize,
    ) -> std::io::Result<()> {
        self.emit(
            node.clone(),
            rdf::TYPE.into(),
            iri(labgraph::vocab::LG, class),
        )?;
        self.emit(node.clone(), rdf::TYPE.into(), iri(SCHEMA, "Event"))?;
        self.emit(node.clone(), iri(SCHEMA, "name"), fr(name))?;
        self.emit(
            node.clone(),
            iri(SCHEMA, "startDate"),
            typed(date.into(), xsd::DATE),
        )?;
        self.emit(node.clone(), iri(SCHEMA, "superEvent"), parent.clone())?;
        self.emit(parent.clone(), iri(SCHEMA, "subEvent"), node.clone())?;
        self.emit(
            node.clone(),
            iri(SCHEMA, "position"),
            Literal::from(position as i64),
        )
    }

    fn seminar(&mut self, i: usize) -> std::io::Result<()> {
        let date = format!(
            "{}-{:02}-{:02}",
            2023 + (i / 336) % 8,
            1 + (i / 28) % 12,
            1 + i % 28
        );
        let source = iri("https://example.org/seminaires/", &i.to_string());
        let seminar = self.local(&format!("seminar/gen-{i}"));
        let series = self.local("series/lab-des-transitions");
        let organizer = self.local(&format!("org/gen-{}", i % 50));
        let territory = self.local(EPCI[i % 3]);
        let theme = self.local(THEMES[i % 8]);
        self.emit(
            seminar.clone(),
            rdf::TYPE.into(),
            iri(labgraph::vocab::LG, "Seminar"),
        )?;
        self.emit(seminar.clone(), rdf::TYPE.into(), iri(SCHEMA, "Event"))?;
        self.emit(
            seminar.clone(),
            iri(SCHEMA, "name"),
            fr(format!(
                "Séminaire territorial n° {i} du Lab des transitions"
            )),
        )?;
        self.emit(
            seminar.clone(),
            iri(SCHEMA, "startDate"),
            typed(date.clone(), xsd::DATE),
        )?;
        self.emit(seminar.clone(), iri(SCHEMA, "organizer"), organizer.clone())?;
        self.emit(seminar.clone(), iri(SCHEMA, "superEvent"), series.clone())?;
        self.emit(series, iri(SCHEMA, "subEvent"), seminar.clone())?;
        self.emit(
            seminar.clone(),
            iri(labgraph::vocab::LG, "territory"),
            territory.clone(),
        )?;
        self.emit(seminar.clone(), iri(SCHEMA, "about"), theme.clone())?;
        self.emit(seminar.clone(), iri(DCT, "source"), source.clone())?;
        if i < 50 {
            self.organization(&organizer, i, &territory)?;
        }

        // Two half-days, two talks in each, and three workshops in the afternoon.
        let mut speaker = 0;
        for (h, half) in ["matinee", "apres-midi"].iter().enumerate() {
            let session = self.local(&format!("seminar/gen-{i}/{half}"));
            self.event(
                &session,
                "Session",
                format!("Demi-journée {half} du séminaire {i}"),
                &date,
                &seminar,
                h + 1,
            )?;
            for t in 0..2 {
                let talk = self.local(&format!("seminar/gen-{i}/{half}-talk-{t}"));
                self.event(
                    &talk,
                    "Talk",
                    format!("Intervention {t} ({half}) sur les îlots de chaleur et la santé"),
                    &date,
                    &session,
                    t + 1,
                )?;
                self.emit(talk.clone(), iri(SCHEMA, "about"), theme.clone())?;
                self.speaker(i, speaker, &talk, &seminar, &organizer)?;
                self.resource(i, speaker, &talk, &organizer, &theme, &source)?;
                speaker += 1;
            }
        }
        for w in 0..3 {
            let letter = ["a", "b", "c"][w];
            let workshop = self.local(&format!("seminar/gen-{i}/atelier-{letter}"));
            self.event(
                &workshop,
                "Workshop",
                format!("Atelier {} du séminaire {i}", letter.to_uppercase()),
                &date,
                &seminar,
                3 + w,
            )?;
            self.emit(
                workshop.clone(),
                iri(labgraph::vocab::LG, "guidingQuestion"),
                fr(format!(
                    "Comment articuler la Politique de la ville et la transition ({w}) ?"
                )),
            )?;
            self.emit(
                workshop.clone(),
                iri(SCHEMA, "about"),
                self.local(THEMES[(i + w) % 8]),
            )?;
            self.speaker(i, speaker, &workshop, &seminar, &organizer)?;
            speaker += 1;
            let recommendation =
                self.local(&format!("seminar/gen-{i}/atelier-{letter}/recommendation"));
            self.emit(
                recommendation.clone(),
                rdf::TYPE.into(),
                iri(labgraph::vocab::LG, "Recommendation"),
            )?;
            self.emit(
                recommendation.clone(),
                iri(SCHEMA, "name"),
                fr(format!(
                    "Recommandations de l'atelier {letter} du séminaire {i}"
                )),
            )?;
            self.emit(
                recommendation.clone(),
                iri(SCHEMA, "description"),
                fr("Une ou deux recommandations pour les contrats de ville.".into()),
            )?;
            self.emit(
                recommendation.clone(),
                iri(DCT, "subject"),
                self.local(THEMES[(i + w) % 8]),
            )?;
            self.emit(
                recommendation.clone(),
                iri(labgraph::vocab::LG, "recommendationStatus"),
                iri(labgraph::vocab::LG, "expected"),
            )?;
            self.emit(
                workshop,
                iri(labgraph::vocab::LG, "recommendation"),
                recommendation,
            )?;
        }

        // A QPV and two actions on the seminar's territory.
        let qpv = self.local(&format!("territory/qpv/QN9{:04}G", i % 10_000));
        if i < 10_000 {
            self.emit(
                qpv.clone(),
                iri(DCT, "source"),
                iri("https://example.org/", "labgraph-synthetic-generator"),
            )?;
            self.emit(
                qpv.clone(),
                rdf::TYPE.into(),
                iri(labgraph::vocab::LG, "QPV"),
            )?;
            self.emit(
                qpv.clone(),
                iri(SCHEMA, "name"),
                fr(format!("Quartier généré {i}")),
            )?;
            self.emit(
                qpv.clone(),
                iri(DCT, "identifier"),
                plain(format!("QN9{:04}G", i % 10_000)),
            )?;
            self.emit(
                qpv.clone(),
                iri(labgraph::vocab::LG, "qpvGeography"),
                plain("2024".into()),
            )?;
            self.emit(
                qpv.clone(),
                iri(SCHEMA, "containedInPlace"),
                self.local(COMMUNES[i % 6]),
            )?;
        }
        for a in 0..2 {
            let action = self.local(&format!("action/gen-{i}-{a}"));
            self.emit(
                action.clone(),
                rdf::TYPE.into(),
                iri(labgraph::vocab::LG, "Action"),
            )?;
            self.emit(
                action.clone(),
                iri(SCHEMA, "name"),
                fr(format!("Action {a} issue du séminaire {i}")),
            )?;
            self.emit(
                action.clone(),
                iri(SCHEMA, "description"),
                fr("Action de la Politique de la ville en faveur de la transition.".into()),
            )?;
            self.emit(
                action.clone(),
                iri(labgraph::vocab::LG, "ledBy"),
                organizer.clone(),
            )?;
            self.emit(
                action.clone(),
                iri(DCT, "spatial"),
                if a == 0 {
                    territory.clone()
                } else {
                    qpv.clone()
                },
            )?;
            self.emit(action.clone(), iri(DCT, "subject"), theme.clone())?;
            self.emit(
                action.clone(),
                iri(labgraph::vocab::LG, "presentedAt"),
                seminar.clone(),
            )?;
            self.emit(action.clone(), iri(DCT, "source"), source.clone())?;
            for k in 0..2 {
                let target = iri(SDG, TARGETS[(i + a * 5 + k * 7) % TARGETS.len()]);
                self.emit(
                    action.clone(),
                    iri(labgraph::vocab::LG, "contributesTo"),
                    target.clone(),
                )?;
                let link = self.fresh();
                self.emit(
                    action.clone(),
                    iri(labgraph::vocab::LG, "qualifiedContribution"),
                    link.clone(),
                )?;
                self.emit(
                    link.clone(),
                    rdf::TYPE.into(),
                    iri(labgraph::vocab::LG, "ContributionLink"),
                )?;
                self.emit(link.clone(), iri(labgraph::vocab::LG, "sdgConcept"), target)?;
                self.emit(
                    link.clone(),
                    iri(PROV, "wasAttributedTo"),
                    self.local("agent/labgraph-editors"),
                )?;
                self.emit(
                    link.clone(),
                    iri(PROV, "generatedAtTime"),
                    typed("2026-11-25T00:00:00Z".into(), xsd::DATE_TIME),
                )?;
                self.emit(
                    link.clone(),
                    iri(labgraph::vocab::LG, "assertionMethod"),
                    iri(
                        labgraph::vocab::LG,
                        if k == 0 { "manual" } else { "suggested" },
                    ),
                )?;
                // A link made by hand states what its source states; a suggested one is
                // a proposal.
                self.emit(
                    link.clone(),
                    iri(labgraph::vocab::LG, "status"),
                    iri(
                        labgraph::vocab::LG,
                        if k == 0 { "stated" } else { "proposed" },
                    ),
                )?;
                self.emit(link, iri(DCT, "source"), source.clone())?;
            }
        }
        Ok(())
    }

    fn speaker(
        &mut self,
        i: usize,
        j: usize,
        event: &NamedNode,
        seminar: &NamedNode,
        org: &NamedNode,
    ) -> std::io::Result<()> {
        let person = self.local(&format!("person/gen-{i}-{j}"));
        self.emit(person.clone(), rdf::TYPE.into(), iri(SCHEMA, "Person"))?;
        let source = iri("https://example.org/seminaires/", &i.to_string());
        self.emit(person.clone(), iri(DCT, "source"), source)?;
        self.emit(
            person.clone(),
            iri(SCHEMA, "name"),
            plain(format!("Prénom{j} Nom{i}")),
        )?;
        self.emit(
            person.clone(),
            iri(SCHEMA, "givenName"),
            plain(format!("Prénom{j}")),
        )?;
        self.emit(
            person.clone(),
            iri(SCHEMA, "familyName"),
            plain(format!("Nom{i}")),
        )?;
        self.emit(
            person.clone(),
            iri(SCHEMA, "jobTitle"),
            fr("Chargée de mission transitions".into()),
        )?;
        self.emit(person.clone(), iri(SCHEMA, "affiliation"), org.clone())?;
        self.emit(event.clone(), iri(SCHEMA, "performer"), person.clone())?;
        self.emit(seminar.clone(), iri(SCHEMA, "performer"), person.clone())?;
        let role = self.fresh();
        self.emit(
            event.clone(),
            iri(labgraph::vocab::LG, "speakerRole"),
            role.clone(),
        )?;
        self.emit(
            role.clone(),
            rdf::TYPE.into(),
            iri(labgraph::vocab::LG, "SpeakerRole"),
        )?;
        self.emit(role.clone(), iri(PROV, "agent"), person)?;
        self.emit(
            role.clone(),
            iri(labgraph::vocab::LG, "statedJobTitle"),
            fr("Chargée de mission transitions".into()),
        )?;
        self.emit(role, iri(labgraph::vocab::LG, "onBehalfOf"), org.clone())
    }

    fn resource(
        &mut self,
        i: usize,
        j: usize,
        event: &NamedNode,
        author: &NamedNode,
        theme: &NamedNode,
        source: &NamedNode,
    ) -> std::io::Result<()> {
        let resource = self.local(&format!("resource/gen-{i}-{j}"));
        self.emit(
            resource.clone(),
            rdf::TYPE.into(),
            iri(SCHEMA, "PresentationDigitalDocument"),
        )?;
        self.emit(
            resource.clone(),
            iri(SCHEMA, "name"),
            fr(format!("Diaporama {j} du séminaire {i}")),
        )?;
        self.emit(
            resource.clone(),
            iri(SCHEMA, "description"),
            fr("Support d'intervention sur la surchauffe urbaine.".into()),
        )?;
        self.emit(resource.clone(), iri(SCHEMA, "author"), author.clone())?;
        self.emit(resource.clone(), iri(SCHEMA, "isPartOf"), event.clone())?;
        self.emit(resource.clone(), iri(SCHEMA, "about"), theme.clone())?;
        self.emit(
            resource.clone(),
            iri(SCHEMA, "contentSize"),
            plain("1.24 Mo".into()),
        )?;
        self.emit(
            resource.clone(),
            iri(DCAT, "byteSize"),
            typed("1300234".into(), xsd::NON_NEGATIVE_INTEGER),
        )?;
        self.emit(
            resource.clone(),
            iri(SCHEMA, "inLanguage"),
            plain("fr".into()),
        )?;
        self.emit(resource, iri(DCT, "source"), source.clone())
    }

    fn organization(
        &mut self,
        org: &NamedNode,
        k: usize,
        territory: &NamedNode,
    ) -> std::io::Result<()> {
        self.emit(org.clone(), rdf::TYPE.into(), iri(SCHEMA, "Organization"))?;
        let source = iri("https://example.org/institutions/", &k.to_string());
        self.emit(org.clone(), iri(DCT, "source"), source)?;
        self.emit(org.clone(), rdf::TYPE.into(), iri(ORG, "Organization"))?;
        self.emit(
            org.clone(),
            iri(SCHEMA, "name"),
            fr(format!("Institution générée {k}")),
        )?;
        self.emit(org.clone(), iri(SKOS, "altLabel"), plain(format!("IG{k}")))?;
        self.emit(
            org.clone(),
            iri(DCT, "identifier"),
            plain(format!("9{k:08}")),
        )?;
        self.emit(org.clone(), iri(ORG, "memberOf"), self.local("org/pma"))?;
        self.emit(org.clone(), iri(SCHEMA, "areaServed"), territory.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_follows_the_request_and_output_is_deterministic() {
        let base = BaseIri::parse(labgraph::vocab::DEFAULT_BASE_IRI).unwrap();
        let mut a = Vec::new();
        let n = generate(10_000, &base, &mut a).unwrap();
        assert!(
            (9_000..=11_500).contains(&n),
            "{n} triples for 10,000 asked"
        );
        let mut b = Vec::new();
        generate(10_000, &base, &mut b).unwrap();
        assert_eq!(a, b);
        let per_seminar = n / 10_000usize.div_ceil(TRIPLES_PER_SEMINAR);
        assert!(
            per_seminar.abs_diff(TRIPLES_PER_SEMINAR) < 20,
            "{per_seminar} per seminar"
        );
    }
}
