//! The dashboard: one static page (HTML, CSS, JS embedded in the binary, no build step, no
//! CDN), served by the host on the admin listener. It holds no data itself: it asks for the
//! admin token, keeps it in `sessionStorage` (gone when the tab closes) and calls `/api/*`.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;

use crate::http::AdminState;

const INDEX: &str = include_str!("index.html");
const STYLE: &str = include_str!("style.css");
const APP: &str = include_str!("app.js");
const CHARTS: &str = include_str!("charts.js");

/// Strict CSP: same-origin scripts, styles and API calls only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `/` and `/dashboard/*`.
pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard/") }))
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/") }))
        .route(
            "/dashboard/",
            get(|| async { asset("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/dashboard/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route(
            "/dashboard/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP) }),
        )
        .route(
            "/dashboard/charts.js",
            get(|| async { asset("text/javascript; charset=utf-8", CHARTS) }),
        )
        // Browsers ask for it; answering keeps their consoles free of 404s.
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
