//! The import page for administrators (`/admin/import`): a file sent from a browser goes
//! through the pipeline of `labgraph import` — first a dry run that writes nothing and
//! shows what would change, the resources created, the reconciliation and the SHACL
//! report; then, once confirmed, the import itself, through the same gate.
//!
//! The page needs no script: two forms. The first sends the admin token (a password
//! field, in the body, never in the address) and the file; the dry run keeps the file on
//! the server for [`STAGED_MINUTES`] minutes under an unguessable name that the second
//! form sends back to confirm it, once. Every answer is `Cache-Control: no-store`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::body::read_body;
use super::{ApiError, Shared, auth, routes, run};
use crate::import::preview::{Preview, import_now, preview};

/// How long a dry run can be confirmed.
pub const STAGED_MINUTES: u64 = 30;
/// How many dry runs wait for their confirmation at most (the oldest goes first).
const STAGED_MAX: usize = 8;

/// A file whose dry run waits for its confirmation.
#[derive(Clone)]
pub(super) struct Staged {
    file: String,
    bytes: Arc<Vec<u8>>,
    graph: Option<String>,
    shared: bool,
    at: Instant,
}

/// The files whose dry run waits, by their name.
#[derive(Default)]
pub(super) struct StagedFiles(Mutex<HashMap<String, Staged>>);

impl StagedFiles {
    fn keep(&self, staged: Staged) -> String {
        // 128 bits from two hashers seeded by the operating system's randomness.
        let random = |n: usize| {
            std::collections::hash_map::RandomState::new().hash_one((
                n,
                staged.at,
                staged.bytes.len(),
            ))
        };
        let name = format!("{:016x}{:016x}", random(1), random(2));
        let mut files = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        files.retain(|_, s| s.at.elapsed() < Duration::from_secs(STAGED_MINUTES * 60));
        while files.len() >= STAGED_MAX {
            let oldest = files
                .iter()
                .min_by_key(|(_, s)| s.at)
                .map(|(k, _)| k.clone());
            files.remove(&oldest.expect("the map is not empty"));
        }
        files.insert(name.clone(), staged);
        name
    }

    fn take(&self, name: &str) -> Option<Staged> {
        let mut files = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        files
            .remove(name)
            .filter(|s| s.at.elapsed() < Duration::from_secs(STAGED_MINUTES * 60))
    }
}

/// What the form sends.
#[derive(Default)]
struct Form {
    token: Option<String>,
    file: Option<(String, Vec<u8>)>,
    graph: Option<String>,
    shared: bool,
    action: String,
    staged: Option<String>,
}

/// `GET /admin/import`: the form; `POST`: a dry run, or the confirmed import.
pub(super) async fn import_page(
    State(state): State<Shared>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    match method {
        Method::GET | Method::HEAD => page(StatusCode::OK, context! { step => "form" }),
        Method::POST => {
            let form = read_form(&state, &headers, body).await?;
            if form.action == "confirm" {
                confirm(&state, form).await
            } else {
                dry_run(&state, &headers, form).await
            }
        }
        _ => Err(routes::method_not_allowed(
            "the import page",
            &[Method::GET, Method::HEAD, Method::POST],
        )),
    }
}

async fn dry_run(state: &Shared, headers: &HeaderMap, form: Form) -> Result<Response, ApiError> {
    // The token of the form, or of an `Authorization` header (a script's).
    let mut presented = headers.clone();
    if let Some(token) = form.token.as_deref().filter(|t| !t.is_empty())
        && let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}"))
    {
        presented.insert(header::AUTHORIZATION, value);
    }
    if let Err(refused) = auth::authorize(state, &presented) {
        return error_page(refused, "", "");
    }
    let Some((file, bytes)) = form.file.filter(|(name, _)| !name.is_empty()) else {
        return error_page(
            ApiError::bad_request("choose a file to import / choisissez un fichier"),
            "",
            "",
        );
    };
    let staged = Staged {
        file,
        bytes: Arc::new(bytes),
        graph: form.graph.filter(|g| !g.trim().is_empty()),
        shared: form.shared,
        at: Instant::now(),
    };
    let kept = staged.clone();
    let outcome = run::read(state, None, move |store, _| {
        let source =
            crate::import::uploaded(&kept.file, kept.bytes, kept.graph.as_deref(), store.base())?;
        let graph = crate::render::short(&source.graph.clone().into(), store.base());
        Ok((graph, preview(store, vec![source], kept.shared)))
    })
    .await;
    let (graph, outcome) = match outcome {
        Ok(done) => done,
        Err(error) => return error_page(error.into(), &staged.file, ""),
    };
    let Preview {
        reconciled,
        plan,
        created,
        violations,
    } = match outcome {
        Ok(preview) => preview,
        Err(error) => return error_page(error.into(), &staged.file, &graph),
    };
    let file = staged.file.clone();
    let name = (violations == 0).then(|| state.staged.keep(staged));
    let base = state.store.base().clone();
    let created: Vec<_> = created
        .iter()
        .map(|r| context! { text => crate::render::short(&r.clone().into(), &base) })
        .collect();
    page(
        if violations == 0 {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        context! {
            step => "preview",
            file,
            graph,
            reconciled,
            plan,
            created,
            staged => name,
            minutes => STAGED_MINUTES,
            error_title => "Le fichier ne passe pas la validation : corrigez-le, puis réessayez. / The file fails validation: fix it, then try again.",
            error => (violations > 0).then(|| format!("{violations} violation(s)")),
        },
    )
}

async fn confirm(state: &Shared, form: Form) -> Result<Response, ApiError> {
    let Some(staged) = form
        .staged
        .as_deref()
        .and_then(|name| state.staged.take(name))
    else {
        return error_page(
            ApiError::new(
                StatusCode::GONE,
                "cet essai n'est plus valable : recommencez l'import",
                "this dry run is no longer valid: start the import again",
                format!("a dry run can be confirmed once, within {STAGED_MINUTES} minutes"),
            ),
            "",
            "",
        );
    };
    let file = staged.file.clone();
    let written = run::write(state, None, move |store, _| {
        let source = crate::import::uploaded(
            &staged.file,
            staged.bytes,
            staged.graph.as_deref(),
            store.base(),
        )?;
        let graph = source.graph.clone();
        let summary = import_now(store, vec![source], staged.shared)?;
        Ok((graph, summary))
    })
    .await;
    let (graph, summary) = match written {
        Ok(done) => done,
        Err(error) => return error_page(error.into(), &file, ""),
    };
    let base = state.store.base().clone();
    let described = described_in(state, &graph).await?;
    let seminar = described
        .iter()
        .find(|(_, seminar)| *seminar)
        .map(|(r, _)| r.clone());
    let created: Vec<_> = described
        .iter()
        .map(|(r, _)| {
            context! {
                text => crate::render::short(&r.clone().into(), &base),
                href => crate::pages::href(&base, r.as_str(), true),
            }
        })
        .collect();
    page(
        StatusCode::OK,
        context! {
            step => "done",
            file,
            graph => crate::render::short(&graph.clone().into(), &base),
            graph_href => crate::pages::href(&base, graph.as_str(), true),
            plan => summary,
            created,
            seminar_href => seminar.as_ref().map(|s| crate::pages::href(&base, s.as_str(), true)),
            // The named query of the seminar's speakers, bound, in the query page.
            speakers => match (&seminar, crate::queries::find("seminar-speakers")) {
                (Some(s), Ok(query)) => Some(crate::pages::query_page(&format!(
                    "{}\nVALUES ?seminar {{ <{}> }}\n",
                    query.text.trim_end(),
                    s.as_str()
                ))),
                _ => None,
            },
        },
    )
}

/// The named resources a graph describes, and whether each is a seminar.
async fn described_in(
    state: &Shared,
    graph: &oxigraph::model::NamedNode,
) -> Result<Vec<(oxigraph::model::NamedNode, bool)>, ApiError> {
    let graph = graph.clone();
    run::read(state, None, move |store, _| {
        let seminar = crate::vocab::lg::SEMINAR;
        let mut found: Vec<(oxigraph::model::NamedNode, bool)> = Vec::new();
        for triple in store.graph_triples(&graph)? {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(s) = &triple.subject {
                let is_seminar = triple.predicate == oxigraph::model::vocab::rdf::TYPE
                    && triple.object == oxigraph::model::Term::from(seminar.into_owned());
                match found.iter_mut().find(|(r, _)| r == s) {
                    Some(entry) => entry.1 |= is_seminar,
                    None => found.push((s.clone(), is_seminar)),
                }
            }
        }
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(b.0.as_str())));
        Ok(found)
    })
    .await
    .map_err(ApiError::from)
}

/// Reads the multipart form, within `--max-upload-mib`.
async fn read_form(state: &Shared, headers: &HeaderMap, body: Body) -> Result<Form, ApiError> {
    use axum::extract::FromRequest as _;
    let limit = state.options.max_upload_bytes;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = read_body(body, limit).await?;
    let request = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut multipart = axum::extract::Multipart::from_request(request, &())
        .await
        .map_err(|e| {
            ApiError::bad_request(format!(
                "the import page sends a multipart/form-data form: {e}"
            ))
        })?;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("the form is malformed: {e}"))
    };
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let value = field.bytes().await.map_err(malformed)?;
        let text = || String::from_utf8_lossy(&value).trim().to_owned();
        match name.as_str() {
            "token" => form.token = Some(text()),
            "file" => form.file = Some((file_name.unwrap_or_default(), value.to_vec())),
            "graph" => form.graph = Some(text()),
            "shared" => form.shared = !value.is_empty(),
            "action" => form.action = text(),
            "staged" => form.staged = Some(text()),
            _ => {}
        }
    }
    Ok(form)
}

fn error_page(error: ApiError, file: &str, graph: &str) -> Result<Response, ApiError> {
    let (title, detail) = error.texts();
    page(
        error.status(),
        context! {
            step => "error",
            file => if file.is_empty() { "—" } else { file },
            graph => if graph.is_empty() { "—" } else { graph },
            error_title => title,
            error => if detail.is_empty() { "—".to_owned() } else { detail.to_owned() },
        },
    )
}

fn page(status: StatusCode, context: minijinja::Value) -> Result<Response, ApiError> {
    let context = context! { version => env!("CARGO_PKG_VERSION"), ..context };
    let html = crate::pages::import_page(context).map_err(ApiError::from)?;
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The pages' policy, and never in a frame: a form that writes.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    Ok(response)
}
