//! The route table: every route the server answers, in one screen. The router, the
//! metrics labels and the access log (a route's path is its label), the home page and
//! the query page's menu, the Service Description's endpoint, and the 404 and 405
//! answers all read [`ROUTES`]; adding a route is one entry here and its handler.
//!
//! Around the routes, the middleware every response passes through: CORS for reads, the
//! security headers, compression, and the request metrics.

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::routing::{MethodRouter, get};
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate as _};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{
    ApiError, CACHE_HEADER, Shared, admin, catalog, feeds, gsp, health, metrics, named, openapi,
    page, reconcile, resource, search, sparql, suggest,
};

/// A route: its path (in axum's syntax, also its label in metrics and logs), the methods
/// it takes, a one-line description in French and English, whether the pages' menu
/// links to it, and its handlers.
pub(super) struct Route {
    pub(super) path: &'static str,
    pub(super) methods: &'static [Method],
    pub(super) fr: &'static str,
    pub(super) en: &'static str,
    pub(super) menu: bool,
    pub(super) handlers: fn() -> MethodRouter<Shared>,
}

const READ: &[Method] = &[Method::GET, Method::HEAD];
/// The methods of the Graph Store Protocol.
pub(super) const GRAPH_STORE: &[Method] = &[
    Method::GET,
    Method::HEAD,
    Method::PUT,
    Method::POST,
    Method::DELETE,
];

/// The SPARQL endpoint (Protocol, Update, Service Description, query page).
pub(super) const SPARQL: &str = "/sparql";

/// The import page for administrators.
pub(super) const ADMIN_IMPORT: &str = "/admin/import";

/// Every route, in the order the home page lists them.
#[rustfmt::skip]
pub(super) const ROUTES: &[Route] = &[
    Route { path: "/", methods: READ, menu: true,
        fr: "Accueil", en: "home: what this server offers",
        handlers: || get(page::home) },
    Route { path: SPARQL, methods: &[Method::GET, Method::HEAD, Method::POST, Method::OPTIONS], menu: true,
        fr: "Interroger en SPARQL", en: "query page and SPARQL 1.1 endpoint (Protocol, Update)",
        handlers: || get(sparql::get).post(sparql::post).options(preflight) },
    Route { path: "/queries", methods: READ, menu: true,
        fr: "Requêtes nommées", en: "named queries as a REST API (JSON)",
        handlers: || get(named::list_named) },
    Route { path: "/queries/{name}", methods: READ, menu: false,
        fr: "Une requête nommée, ses paramètres dans l'adresse", en: "a named query, its typed parameters in the query string",
        handlers: || get(named::named) },
    Route { path: "/store", methods: GRAPH_STORE, menu: true,
        fr: "Données complètes", en: "the whole dataset (N-Quads); Graph Store Protocol (?default, ?graph=IRI)",
        handlers: || on_every(GRAPH_STORE, gsp::handle) },
    Route { path: "/id/{*path}", methods: GRAPH_STORE, menu: false,
        fr: "Chaque ressource à son adresse (page, Turtle, JSON-LD…) ; un graphe à la sienne", en: "every resource at its IRI's path, by content negotiation; a graph at its own URL (Graph Store Protocol, direct identification)",
        handlers: || on_every(GRAPH_STORE, resource::handle) },
    Route { path: "/resource", methods: READ, menu: false,
        fr: "La page d'une ressource décrite hors de l'espace de noms (cible ODD de l'ONU…), ?iri=", en: "the page of a resource described outside the base IRI (a UN SDG target…), by ?iri=",
        handlers: || get(resource::external) },
    Route { path: "/search", methods: READ, menu: true,
        fr: "Rechercher par mots (?q=, filtres type, theme, territory, goal, lang)", en: "full-text search: JSON for programs, a page for browsers",
        handlers: || get(search::search) },
    Route { path: "/reconcile", methods: &[Method::GET, Method::HEAD, Method::POST], menu: true,
        fr: "Réconciliation (API W3C, OpenRefine) : institutions, personnes, territoires, thèmes, ODD", en: "reconciliation service (W3C Entity Reconciliation API 0.2, as OpenRefine speaks it)",
        handlers: || get(reconcile::get).post(reconcile::post) },
    Route { path: "/reconcile/suggest/{kind}", methods: READ, menu: false,
        fr: "Réconciliation : suggestions (entité, type, propriété)", en: "reconciliation: suggest services (entity, type, property)",
        handlers: || get(reconcile::suggest) },
    Route { path: "/reconcile/preview", methods: READ, menu: false,
        fr: "Réconciliation : aperçu d'une ressource", en: "reconciliation: preview of a resource",
        handlers: || get(reconcile::preview) },
    Route { path: "/reconcile/properties", methods: READ, menu: false,
        fr: "Réconciliation : propriétés de l'extension de données", en: "reconciliation: properties of data extension",
        handlers: || get(reconcile::properties) },
    Route { path: "/suggest", methods: &[Method::POST], menu: false,
        fr: "Cibles ODD suggérées pour une action, avec leurs raisons (POST JSON)", en: "SDG targets suggested for an action, with their reasons (POST JSON; ?format=turtle: the proposed links)",
        handlers: || axum::routing::post(suggest::post) },
    Route { path: "/openapi.json", methods: READ, menu: false,
        fr: "L'API du référentiel en OpenAPI 3.1", en: "the API as an OpenAPI 3.1 document, generated from the named queries",
        handlers: || get(openapi::document) },
    Route { path: "/api", methods: READ, menu: true,
        fr: "L'API du référentiel : requêtes nommées, recherche, réconciliation, suggestion", en: "the API, as a page: named queries, search, reconciliation, suggestion",
        handlers: || get(openapi::page) },
    Route { path: "/lists/{name}", methods: READ, menu: false,
        fr: "Les listes : séminaires, institutions, territoires, thèmes, ODD", en: "index pages: seminars, institutions, territories, themes, SDGs (HTML, paged)",
        handlers: || get(resource::list) },
    Route { path: "/catalog.ttl", methods: READ, menu: true,
        fr: "Catalogue DCAT-AP des jeux de données (à donner à data.gouv.fr ; aussi .jsonld, .rdf)", en: "the DCAT-AP 3 catalogue of the datasets, as data.gouv.fr harvests it (also .jsonld, .rdf)",
        handlers: || get(catalog::catalog_ttl) },
    Route { path: "/catalog.jsonld", methods: READ, menu: false,
        fr: "Catalogue DCAT-AP en JSON-LD", en: "the DCAT-AP catalogue in JSON-LD",
        handlers: || get(catalog::catalog_jsonld) },
    Route { path: "/catalog.rdf", methods: READ, menu: false,
        fr: "Catalogue DCAT-AP en RDF/XML", en: "the DCAT-AP catalogue in RDF/XML",
        handlers: || get(catalog::catalog_rdf) },
    Route { path: "/.well-known/void", methods: READ, menu: true,
        fr: "Description VoID du jeu de données (volumes, partitions, liens, fichiers)", en: "the VoID description of the dataset: sizes, partitions, linksets, dumps",
        handlers: || get(catalog::void) },
    Route { path: "/dumps/{*path}", methods: READ, menu: false,
        fr: "Fichiers complets : tout le jeu de données et chaque graphe, N-Quads, Turtle, TriG (gzip)", en: "dumps: the whole dataset and each graph, gzipped N-Quads, Turtle and TriG (ranges, SHA-256)",
        handlers: || get(catalog::dump) },
    Route { path: "/feeds/{*path}", methods: READ, menu: false,
        fr: "Agendas iCalendar des séminaires (tous, par territoire, thème ou ODD) et nouveautés (Atom)", en: "iCalendar feeds of the seminars (all, by territory, theme or SDG goal) and an Atom feed of what is new",
        handlers: || get(feeds::feed) },
    Route { path: "/sitemap.xml", methods: READ, menu: false,
        fr: "Plan du site pour les moteurs de recherche", en: "the sitemap of the pages, for crawlers",
        handlers: || get(catalog::sitemap) },
    Route { path: "/sitemaps/{name}", methods: READ, menu: false,
        fr: "Une partie du plan du site", en: "one file of the sitemap index",
        handlers: || get(catalog::sitemap_part) },
    Route { path: "/robots.txt", methods: READ, menu: false,
        fr: "Règles pour les robots d'indexation", en: "rules for crawlers",
        handlers: || get(catalog::robots) },
    Route { path: ADMIN_IMPORT, methods: &[Method::GET, Method::HEAD, Method::POST], menu: true,
        fr: "Importer un fichier (administrateurs)", en: "import a file: dry run, then confirm (administrators, admin token)",
        handlers: || get(admin::import_page).post(admin::import_page) },
    Route { path: "/assets/{file}", methods: READ, menu: false,
        fr: "Le script et le style de la page", en: "the query page's script and style",
        handlers: || get(page::asset) },
    Route { path: "/healthz", methods: READ, menu: false,
        fr: "État", en: "health (JSON)",
        handlers: || get(health::healthz) },
    Route { path: "/metrics", methods: READ, menu: false,
        fr: "Métriques", en: "metrics (OpenMetrics)",
        handlers: || get(metrics::render) },
];

impl Route {
    /// The route's path as people read it: `/id/…` for `/id/{*path}`.
    pub(super) fn shown(&self) -> String {
        match self.path.find('{') {
            Some(i) => format!("{}…", &self.path[..i]),
            None => self.path.to_owned(),
        }
    }

    /// Whether a link can point at the route as it stands (a GET with no parameter).
    pub(super) fn linkable(&self) -> bool {
        !self.path.contains('{') && self.methods.contains(&Method::GET)
    }
}

/// Methods, as `Allow` lists them.
fn allow(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The same handler for each of `methods`.
fn on_every<H, T>(methods: &[Method], handler: H) -> MethodRouter<Shared>
where
    H: axum::handler::Handler<T, Shared>,
    T: 'static,
{
    methods.iter().fold(MethodRouter::new(), |router, method| {
        let filter =
            axum::routing::MethodFilter::try_from(method.clone()).expect("a method axum routes");
        router.on(filter, handler.clone())
    })
}

/// The route a path matched, as axum names it (`MatchedPath`).
pub(super) fn find(matched: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.path == matched)
}

/// The application: every route of [`ROUTES`] with its middleware.
pub(super) fn router(state: Shared) -> Router {
    // CORS for reads: any origin may query; writes need the Authorization header, which
    // is not allowed cross-origin, so browsers on other sites cannot write.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::ACCEPT,
            header::CACHE_CONTROL,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([header::ETAG, header::RETRY_AFTER, CACHE_HEADER])
        .max_age(Duration::from_secs(86_400))
        // Any origin gets the same answer, preflight or not: nothing varies by `Origin`.
        .vary([]);
    ROUTES
        .iter()
        .fold(Router::new(), |router, route| {
            router.route(
                route.path,
                (route.handlers)().fallback(move || async move {
                    method_not_allowed(&route.shown(), route.methods)
                }),
            )
        })
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::observe,
        ))
        // On every response: no content sniffing, no referrer sent on, and, unless the
        // response is a page with its own policy, a policy that allows nothing (a result
        // opened in a browser runs no script and cannot be framed).
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        // The fastest level, as nginx's default (`gzip_comp_level 1`): pages and results
        // are made per request, and brotli's or gzip's default levels cost more time than
        // they save on a page of 80 kB (4 ms of a page's 20, measured).
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .quality(CompressionLevel::Fastest)
                // The dumps are gzipped files, served by ranges: sent as they are.
                .compress_when(
                    DefaultPredicate::new().and(NotForContentType::const_new("application/gzip")),
                ),
        )
        .layer(cors)
        .with_state(state)
}

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "cette adresse n'existe pas",
        "no such resource",
        format!(
            "{} — see / for what this server offers ({})",
            request.uri().path(),
            ROUTES
                .iter()
                .filter(|route| route.path != "/")
                .map(Route::shown)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// 405 for a method that `what` does not take, with the `Allow` header.
pub(super) fn method_not_allowed(what: &str, methods: &[Method]) -> ApiError {
    let allow = allow(methods);
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "méthode non prise en charge",
        "method not allowed",
        format!("{what} takes {allow}"),
    )
    .with_header(
        header::ALLOW,
        HeaderValue::from_str(&allow).expect("method names are header values"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt as _;

    /// Each route takes exactly the methods its entry lists (every other one gets 405
    /// with `Allow`), and every path is distinct. OPTIONS is left out: the CORS layer
    /// answers it on every path, before any route.
    #[tokio::test]
    async fn the_table_and_the_router_agree() {
        let store = crate::store::GraphStore::in_memory(
            crate::iri::BaseIri::parse(crate::vocab::DEFAULT_BASE_IRI).unwrap(),
        )
        .unwrap();
        let app = super::super::app(store, super::super::Options::default()).unwrap();
        let all = [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ];
        for route in ROUTES {
            assert_eq!(find(route.path).map(|r| r.path), Some(route.path));
            let uri = route
                .path
                .replace("{*path}", "graph/x")
                .replace("{name}", "nope")
                .replace("{file}", "nope");
            for method in &all {
                let request = axum::http::Request::builder()
                    .method(method.clone())
                    .uri(&uri)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let response = app.clone().oneshot(request).await.unwrap();
                let refused = response.status() == StatusCode::METHOD_NOT_ALLOWED;
                assert_eq!(
                    refused,
                    !route.methods.contains(method),
                    "{method} {uri}: {}",
                    response.status()
                );
                if refused {
                    assert_eq!(
                        response.headers()[header::ALLOW],
                        allow(route.methods).as_str()
                    );
                }
            }
        }
    }
}
