//! A TMF hub listener that prints every event it receives, one JSON line each.
//!
//! Run: `cargo run -p simulator --example listener -- 127.0.0.1:9000`, then register
//! `http://127.0.0.1:9000/listener` as a hub callback.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".to_string());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    eprintln!(
        "listening for events on http://{}/listener",
        listener.local_addr()?
    );
    let app = Router::new().route(
        "/listener",
        post(|body: String| async move {
            println!("{body}");
            StatusCode::NO_CONTENT
        }),
    );
    axum::serve(listener, app).await
}
