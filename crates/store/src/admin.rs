//! The platform's staff: administrator roles, disabled accounts, organizer membership and the
//! audit log.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{Organizer, User};
use ticketbooth_domain::portal::{AuditEntry, AuditRecord};

/// What became of a change of role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    Changed,
    /// It was so already.
    Unchanged,
    /// Refused: the platform would be left without an administrator.
    LastAdmin,
}

/// Which audit lines to read: newest first, older than `before` (the previous page's last id).
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    pub since: Option<DateTime<Utc>>,
    /// Actions starting with this (`application.`, `user.disable`).
    pub action: Option<&'a str>,
    /// Lines whose actor or target holds this.
    pub who: Option<&'a str>,
    pub before: Option<i64>,
    pub limit: u32,
}

/// The platform's staff tools.
#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    /// Grants or revokes the administrator role; never takes it from the last administrator.
    async fn set_admin(&self, user_id: i64, admin: bool, audit: &AuditEntry) -> StoreResult<RoleChange>;
    /// Disables an account (its sessions, codes and tokens end) or enables it again; false when
    /// it was so already.
    async fn set_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// The administrators whose accounts are enabled.
    async fn list_admins(&self) -> StoreResult<Vec<User>>;
    /// Users whose address or name holds `query` (all when empty), by id.
    async fn search_users(&self, query: &str, limit: u32) -> StoreResult<Vec<User>>;
    /// Every organizer, by name.
    async fn list_organizers(&self) -> StoreResult<Vec<Organizer>>;
    /// The organizers a user belongs to.
    async fn organizers_of(&self, user_id: i64) -> StoreResult<Vec<Organizer>>;
    /// An organizer's members.
    async fn organizer_members(&self, organizer_id: i64) -> StoreResult<Vec<User>>;
    /// Adds or removes a member; false when nothing changed.
    async fn set_membership(
        &self,
        organizer_id: i64,
        user_id: i64,
        member: bool,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Records an action that changes nothing else in the store (a reset link mailed).
    async fn record(&self, audit: &AuditEntry) -> StoreResult<()>;
    /// Audit lines, newest first.
    async fn audit_log(&self, filter: AuditFilter<'_>) -> StoreResult<Vec<AuditRecord>>;
}
