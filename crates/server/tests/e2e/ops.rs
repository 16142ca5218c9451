//! Operations endpoints: health, readiness and metrics.

use crate::harness::*;
use reqwest::StatusCode;

backend_test! {
    async fn health_and_readiness_answer_ok() {
        let app = TestApp::spawn().await;
        for path in ["/healthz", "/readyz"] {
            let response = app.http.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.json::<serde_json::Value>().await.unwrap()["status"], "ok");
        }
    }
}

fn metric_value(text: &str, line_prefix: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(line_prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

backend_test! {
    async fn metrics_count_requests_tokens_and_sign_in_failures() {
        let app = TestApp::spawn_with(|config| config.metrics_token = Some("scraper-token-0123456789".into())).await;
        app.create_user("metrics@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        for _ in 0..2 {
            let response = app
                .token(&[("grant_type", "client_credentials"), ("client_id", client.id()), ("client_secret", client.secret())])
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
        assert_eq!(app.sign_in("metrics@example.com", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.me("0".repeat(64).as_str()).await.status(), StatusCode::UNAUTHORIZED);

        let anonymous = app.http.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        let wrong = app.http.get(app.url("/metrics")).bearer_auth("scraper-token-0123456780").send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let response = app.http.get(app.url("/metrics")).bearer_auth("scraper-token-0123456789").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.unwrap();
        assert_eq!(metric_value(&text, "ticketbooth_tokens_issued_total{grant_type=\"client_credentials\"}"), 2.0, "{text}");
        assert_eq!(metric_value(&text, "ticketbooth_sign_in_failures_total"), 1.0, "{text}");
        assert_eq!(
            metric_value(&text, "ticketbooth_http_requests_total{method=\"POST\",route=\"/oauth/token\",status=\"200\"}"),
            2.0,
            "{text}"
        );
        assert_eq!(
            metric_value(&text, "ticketbooth_http_requests_total{method=\"GET\",route=\"/api/public/me\",status=\"401\"}"),
            1.0,
            "{text}"
        );
        assert!(text.contains("ticketbooth_http_request_duration_seconds_bucket{"), "{text}");
        assert!(text.contains("ticketbooth_db_pool_connections{state=\"idle\"}"), "{text}");
        assert!(text.contains("ticketbooth_mail_undelivered 0"), "{text}");
        assert!(text.contains("ticketbooth_webhook_deliveries_pending 0"), "{text}");
        assert!(!text.contains(client.secret()), "no secrets in metrics");
    }
}

backend_test! {
    async fn metrics_are_not_served_without_a_configured_token() {
        let app = TestApp::spawn().await;
        let response = app.http.get(app.url("/metrics")).bearer_auth("anything").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
