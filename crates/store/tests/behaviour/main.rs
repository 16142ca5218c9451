//! The store's behaviour suite: every test runs on each backend available (SQLite always).

mod agents;
mod grant_reads;
mod identity;
mod modern_oauth;
mod portal;
mod self_service;
mod support;
mod ticketing;
mod webhooks;
