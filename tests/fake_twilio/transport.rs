//! HTTP for the fakes (Twilio here, FHIR in `import_fhir_server.rs`): hyper's HTTP/1.1 server on a free loopback port, on its own thread with
//! its own tokio runtime (so it keeps answering while a test blocks, and works from sync and
//! async tests alike). Each request becomes a [`Request`] (method, path, query, form,
//! authorization); the handler returns an [`Action`], which the transport performs: answer,
//! answer late, or close the connection without answering. Nothing here knows Twilio.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One request as the handler sees it.
pub struct Request {
    pub method: String,
    /// The request target as sent: path and query, undecoded.
    pub target: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    /// The form-encoded body's pairs.
    pub form: Vec<(String, String)>,
}

/// An answer: status, JSON body, extra headers.
pub struct Response {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// What to do with a request.
pub enum Action {
    Respond(Response),
    /// Close the connection without answering (the client sees it cut mid-request).
    Drop,
    /// Answer after this long (for client timeouts).
    Delay(Duration, Response),
}

/// Turns a request into an action; called on the server's thread.
pub type Handler = Arc<dyn Fn(Request) -> Action + Send + Sync>;

/// The running server; dropping it stops it (open connections are cut).
pub struct Server {
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handler: Handler) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("fake-http".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake server runtime");
                rt.block_on(accept_until(listener, handler, rx));
            })
            .expect("spawn fake server thread");
        Self {
            base_url: format!("http://{addr}"),
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_until(
    listener: std::net::TcpListener,
    handler: Handler,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = TcpListener::from_std(listener).expect("listener");
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let handler = Arc::clone(&handler);
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(Arc::clone(&handler), req));
                    // An error here is a connection the fake cut on purpose, or the client's.
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
}

/// Returned to hyper to close the connection without an answer.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection cut by the fake")
    }
}

impl std::error::Error for Cut {}

async fn answer(
    handler: Handler,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Cut> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Cut)?.to_bytes();
    let request = Request {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map_or_else(String::new, |pq| pq.as_str().to_string()),
        path: parts.uri.path().to_string(),
        query: decode(parts.uri.query().unwrap_or("").as_bytes()),
        authorization: parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        form: decode(&body),
    };
    let response = match handler(request) {
        Action::Drop => return Err(Cut),
        Action::Delay(d, r) => {
            tokio::time::sleep(d).await;
            r
        }
        Action::Respond(r) => r,
    };
    let mut out = hyper::Response::new(Full::new(Bytes::from(response.body)));
    *out.status_mut() = hyper::StatusCode::from_u16(response.status).expect("a valid status");
    let headers = out.headers_mut();
    // JSON unless the handler says otherwise (FHIR's `application/fhir+json`).
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (k, v) in &response.headers {
        headers.insert(
            HeaderName::try_from(k.as_str()).expect("a header name"),
            HeaderValue::try_from(v.as_str()).expect("a header value"),
        );
    }
    Ok(out)
}

fn decode(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}
