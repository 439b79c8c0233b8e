//! The index pages: the home page leads to the seminars (latest first), the institutions,
//! the territories, the themes and the 17 SDGs, each a list paged on the server. Each list
//! is a query of `queries/internal/list-*.rq`, shown like a section of a domain view.

use oxigraph::sparql::CancellationToken;
use serde::Serialize;

use super::domain::{self, Cell};
use crate::error::Result;
use crate::store::GraphStore;

/// Rows per page of a list.
pub const LIST_PAGE: usize = 50;

/// A list: its name in URLs, its titles, and its query.
#[derive(Debug, Serialize)]
pub struct List {
    pub name: &'static str,
    pub fr: &'static str,
    pub en: &'static str,
    #[serde(skip)]
    query: &'static str,
}

#[rustfmt::skip]
pub const LISTS: &[List] = &[
    List { name: "seminars", fr: "Séminaires", en: "seminars, latest first",
        query: include_str!("../../queries/internal/list-seminars.rq") },
    List { name: "institutions", fr: "Institutions", en: "institutions",
        query: include_str!("../../queries/internal/list-institutions.rq") },
    List { name: "territories", fr: "Territoires", en: "territories: region, departments, EPCI, communes, QPV",
        query: include_str!("../../queries/internal/list-territories.rq") },
    List { name: "themes", fr: "Thèmes de la transition", en: "transition themes",
        query: include_str!("../../queries/internal/list-themes.rq") },
    List { name: "sdg", fr: "Objectifs de développement durable", en: "the 17 Sustainable Development Goals",
        query: include_str!("../../queries/internal/list-sdg.rq") },
];

impl List {
    /// Its query.
    pub fn query(&self) -> &'static str {
        self.query
    }
}

/// The list called `name`.
pub fn find(name: &str) -> Option<&'static List> {
    LISTS.iter().find(|l| l.name == name)
}

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct ListPage {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows in the whole list.
    pub total: usize,
}

/// Page `page` (from 1) of `list`: its rows, and how many there are in all (the rest are
/// counted, not kept).
pub fn page(
    store: &GraphStore,
    list: &List,
    page: usize,
    cancel: &CancellationToken,
) -> Result<ListPage> {
    let (variables, rows) = domain::answer(store, list.query, Vec::new(), cancel)?;
    let skip = (page - 1) * LIST_PAGE;
    let mut kept = Vec::with_capacity(LIST_PAGE);
    let mut total = 0;
    for row in rows {
        let row = row?;
        if total >= skip && kept.len() < LIST_PAGE {
            kept.push(row);
        }
        total += 1;
    }
    let labels = domain::labels_of(store, [(variables.as_slice(), kept.as_slice())].into_iter())?;
    let (columns, rows) = domain::table(None, &variables, kept, None, store.base(), &labels);
    Ok(ListPage {
        columns,
        rows,
        total,
    })
}
