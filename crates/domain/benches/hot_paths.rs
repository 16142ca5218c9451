//! Micro-benchmarks of the work every token request and every bearer check does:
//! `cargo bench -p ticketbooth-domain`.

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use ticketbooth_domain::password;
use ticketbooth_domain::redirect;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{looks_like_secret, Secret, SecretHash};
use ticketbooth_domain::token::TokenResponse;

fn hot_paths(c: &mut Criterion) {
    c.bench_function("token generation (32 random bytes, hex)", |b| b.iter(Secret::generate));
    let token = Secret::generate();
    c.bench_function("token hashing (SHA-256 of 64 hex)", |b| b.iter(|| SecretHash::of(black_box(token.expose()))));
    c.bench_function("token shape check", |b| b.iter(|| looks_like_secret(black_box(token.expose()))));
    c.bench_function("scope parsing (3 scopes)", |b| b.iter(|| ScopeSet::parse(black_box("public organizer openid"))));
    let registered: Vec<String> = (0..5).map(|i| format!("https://client{i}.example/oauth/callback")).collect();
    c.bench_function("redirect URI matching (5 registered)", |b| {
        b.iter(|| redirect::resolve(black_box(Some("https://client4.example/oauth/callback")), &registered))
    });
    let scopes = ScopeSet::parse("public").unwrap();
    let refresh = Secret::generate();
    c.bench_function("token response rendering (JSON)", |b| {
        b.iter(|| serde_json::to_vec(&TokenResponse::new(&token, Some(&refresh), scopes, Utc::now())))
    });
}

/// Sign-in's Argon2id verification, with the thread's working memory kept from the one before
/// (a busy password queue) and given back before each (a quiet one: the memory is mapped again).
fn password_verification(c: &mut Criterion) {
    let stored = password::hash("correct horse battery staple").expect("hash");
    let mut group = c.benchmark_group("password verification");
    group.sample_size(10);
    group.bench_function("working memory kept", |b| {
        b.iter(|| password::verify("correct horse battery staple", &stored))
    });
    group.bench_function("working memory mapped again", |b| {
        b.iter(|| {
            password::release_memory();
            password::verify("correct horse battery staple", &stored)
        })
    });
    group.finish();
}

criterion_group!(benches, hot_paths, password_verification);
criterion_main!(benches);
