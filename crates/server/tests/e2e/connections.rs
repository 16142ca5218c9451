//! Slow and idle clients are cut off, and a shutdown ends in bounded time whatever they do.

use crate::harness::*;
use std::time::{Duration, Instant};
use ticketbooth_server::{AppState, ConnectionLimits, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMITS: ConnectionLimits = ConnectionLimits {
    header_read: Duration::from_millis(400),
    request: Duration::from_millis(600),
    idle: Duration::from_millis(1200),
    shutdown_grace: Duration::from_millis(500),
    concurrent_requests: 64,
};

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap()
}

/// Reads until the server closes the connection (or 5 s pass); returns what arrived and when.
async fn read_until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open: {}", String::from_utf8_lossy(&received)),
        }
    }
    (String::from_utf8_lossy(&received).into_owned(), started.elapsed())
}

backend_test! {
    async fn a_half_sent_header_is_cut_off_at_the_header_timeout() {
        let app = TestApp::spawn_with(|config| config.connection_limits = LIMITS).await;
        let mut stream = connect(&app).await;
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let (_, waited) = read_until_closed(&mut stream).await;
        assert!(waited < Duration::from_millis(1100), "{waited:?}");

        // A connection that never sends a byte is cut at the same limit.
        let mut silent = connect(&app).await;
        let (_, waited) = read_until_closed(&mut silent).await;
        assert!(waited < Duration::from_millis(1100), "{waited:?}");
    }
}

backend_test! {
    async fn a_kept_alive_connection_may_idle_past_the_header_timeout_but_not_past_the_idle_timeout() {
        let app = TestApp::spawn_with(|config| config.connection_limits = LIMITS).await;
        let mut stream = connect(&app).await;
        let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        stream.write_all(request).await.unwrap();
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        // Longer than the header timeout, shorter than the idle timeout: still open.
        tokio::time::sleep(Duration::from_millis(700)).await;
        stream.write_all(request).await.unwrap();
        let n = stream.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "the second request is answered");
        let (_, waited) = read_until_closed(&mut stream).await;
        assert!(waited >= Duration::from_millis(1000) && waited < Duration::from_millis(2500), "{waited:?}");
    }
}

backend_test! {
    async fn a_half_sent_body_gets_408_at_the_request_timeout() {
        let app = TestApp::spawn_with(|config| config.connection_limits = LIMITS).await;
        let mut stream = connect(&app).await;
        stream
            .write_all(
                b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                  Content-Length: 100\r\n\r\ngrant_type=",
            )
            .await
            .unwrap();
        let (response, waited) = read_until_closed(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 408"), "{response}");
        assert!(waited < Duration::from_millis(2000), "{waited:?}");
    }
}

backend_test! {
    async fn shutdown_ends_within_the_grace_time_while_a_client_holds_a_request_open() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, _) = Backend::current().fresh_store(dir.path()).await;
        install_signing_keys(&store).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut config = ServerConfig::new(&format!("http://{address}"));
        // The request timeout alone would hold the request for a minute.
        config.connection_limits = ConnectionLimits { request: Duration::from_secs(60), ..LIMITS };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(ticketbooth_server::serve(listener, AppState::new(store, config), async {
            let _ = stopped.await;
        }));
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let asked = Instant::now();
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(3), server).await.expect("shutdown is bounded").unwrap().unwrap();
        assert!(asked.elapsed() >= Duration::from_millis(400), "the grace time was given: {:?}", asked.elapsed());
        let (_, waited) = read_until_closed(&mut stream).await;
        assert!(waited < Duration::from_millis(500), "the connection was dropped: {waited:?}");
    }
}

backend_test! {
    /// A request received in full is carried out even when its client goes away before the answer:
    /// the sign-up below hashes its password (the slow part) and then stores the account, and its
    /// client closes the connection as soon as the request is sent. Cut off halfway, a store
    /// operation could leave a pooled connection inside a transaction.
    async fn a_request_whose_client_goes_away_is_still_carried_out() {
        let app = TestApp::spawn().await;
        let page = app.http.get(app.url("/account/new")).send().await.unwrap();
        let cookies: Vec<String> = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect();
        let mut form = hidden_inputs(&page.text().await.unwrap());
        for (name, value) in [("email", "gone@example.com"), ("password", PASSWORD), ("first_name", "Gone"), ("last_name", "Away")] {
            form.insert(name.into(), value.into());
        }
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
        let request = format!(
            "POST /account/new HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nCookie: {}\r\n\r\n{body}",
            app.base.trim_start_matches("http://"),
            body.len(),
            cookies.join("; "),
        );
        let mut stream = connect(&app).await;
        stream.write_all(request.as_bytes()).await.unwrap();
        drop(stream);
        let deadline = Instant::now() + Duration::from_secs(10);
        while app.store.find_user_by_email("gone@example.com").await.unwrap().is_none() {
            assert!(Instant::now() < deadline, "the sign-up was dropped with its connection");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
