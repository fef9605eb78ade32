//! Integration tests of the whapi-rs workspace, as one binary (one link).

mod calls;
mod client_wire;
mod ext_client;
mod generation;
mod inbox;
mod inbox_faults;
mod keep_alive;
mod media;
mod pagination;
mod sandbox;
mod schemas;
mod spec_file;
mod throttle;
mod tls;
mod toolchain;
mod webhook_receiver;
mod webhooks;

/// The token of [`whapi`]'s clients, for tests that check the header.
const TEST_TOKEN: &str = "t0k";

/// Fast retries, so tests do not sleep for long.
fn fast_retries() -> whapi_ext::RetryPolicy {
    whapi_ext::RetryPolicy::default().with_delays(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(5),
    )
}

/// A `Whapi` with the default configuration against an in-process mock.
fn whapi(server: &wiremock::MockServer) -> whapi_ext::Whapi {
    whapi_ext::Whapi::builder()
        .token(TEST_TOKEN)
        .base_url(server.uri())
        .build()
        .unwrap()
}

/// Serves `router` on a free loopback port; its address.
async fn serve(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}
