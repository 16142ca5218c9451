//! Administrator roles, disabled accounts, organizer membership and reading the audit log.

use super::audit::write_audit;
use super::columns::user_columns;
use super::portal::revoke_everything_of;
use super::{escape_like, Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore};
use crate::admin::{AuditFilter, RoleChange};
use crate::rows::{from_ts, ts, UserRow};
use crate::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::model::{Organizer, User};
use ticketbooth_domain::portal::{AuditEntry, AuditRecord};

type AuditRow = (i64, i64, Option<i64>, String, String, String, String, Option<String>, Option<String>);

fn audit_record(row: AuditRow) -> StoreResult<AuditRecord> {
    let (id, at, actor_id, actor, address, action, target, before, after) = row;
    let json = |text: Option<String>| {
        text.map(|text| serde_json::from_str(&text).map_err(|err| StoreError::Corrupt(format!("audit json: {err}"))))
            .transpose()
    };
    Ok(AuditRecord {
        id,
        at: from_ts(at),
        actor_id,
        actor,
        address,
        action,
        target,
        before: json(before)?,
        after: json(after)?,
    })
}

#[async_trait::async_trait]
impl<B> crate::AdminStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    bool: Column<B::Db>,
    String: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    Option<String>: Column<B::Db>,
    Option<Vec<u8>>: Column<B::Db>,
    for<'r> AuditRow: sqlx::FromRow<'r, Row<B>>,
    for<'r> (i64, String): sqlx::FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_admin(&self, user_id: i64, admin: bool, audit: &AuditEntry) -> StoreResult<RoleChange> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // Lock the administrators' rows first (PostgreSQL; SQLite has one writer), so two
        // revocations cannot each see the other as the one left.
        let admins: Vec<i64> = self
            .sql
            .query_scalar(&format!("SELECT id FROM users WHERE is_admin = $1 {}", B::LOCK_ROWS))
            .bind(true)
            .fetch_all(&mut *tx)
            .await?;
        if admins.contains(&user_id) == admin {
            return Ok(RoleChange::Unchanged);
        }
        if !admin && admins.len() <= 1 {
            return Ok(RoleChange::LastAdmin);
        }
        let changed = self
            .sql
            .query("UPDATE users SET is_admin = $1 WHERE id = $2")
            .bind(admin)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        write_audit::<B>(self.sql, &mut tx, audit).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(RoleChange::Changed)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        if disabled {
            if let Some(statement) = B::SERIALIZE_TOKEN_WRITES {
                self.sql.query(statement).execute(&mut *tx).await?;
            }
        }
        let statement = if disabled {
            "UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL"
        } else {
            "UPDATE users SET disabled_at = NULL WHERE id = $2 AND disabled_at IS NOT NULL AND $1 IS NOT NULL"
        };
        let changed =
            self.sql.query(statement).bind(ts(now)).bind(user_id).execute(&mut *tx).await?.rows_affected() > 0;
        if changed {
            if disabled {
                self.sql
                    .query("DELETE FROM browser_sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                revoke_everything_of::<B>(self.sql, &mut tx, "user_id", user_id, now).await?;
            }
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(changed)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_admins(&self) -> StoreResult<Vec<User>> {
        let rows: Vec<UserRow> = self
            .sql
            .query_as(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE is_admin = $1 AND disabled_at IS NULL ORDER BY id"
            ))
            .bind(true)
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn search_users(&self, query: &str, limit: u32) -> StoreResult<Vec<User>> {
        let pattern = format!("%{}%", escape_like(&query.trim().to_lowercase()));
        let rows: Vec<UserRow> = self.sql.query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE email LIKE $1 ESCAPE '!' OR lower(first_name || ' ' || last_name) LIKE $1 ESCAPE '!' ORDER BY id LIMIT $2"
        ))
        .bind(pattern)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.backend.read().await?)
        .await?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_organizers(&self) -> StoreResult<Vec<Organizer>> {
        let rows: Vec<(i64, String)> = self
            .sql
            .query_as("SELECT id, name FROM organizers ORDER BY name, id")
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows.into_iter().map(|(id, name)| Organizer { id, name }).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn organizers_of(&self, user_id: i64) -> StoreResult<Vec<Organizer>> {
        let rows: Vec<(i64, String)> = self
            .sql
            .query_as(
                "SELECT o.id, o.name FROM organizers o JOIN organizer_members m ON m.organizer_id = o.id \
             WHERE m.user_id = $1 ORDER BY o.name, o.id",
            )
            .bind(user_id)
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows.into_iter().map(|(id, name)| Organizer { id, name }).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn organizer_members(&self, organizer_id: i64) -> StoreResult<Vec<User>> {
        let rows: Vec<UserRow> = self
            .sql
            .query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id IN (SELECT user_id FROM organizer_members WHERE organizer_id = $1) ORDER BY email"
        ))
            .bind(organizer_id)
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_membership(
        &self,
        organizer_id: i64,
        user_id: i64,
        member: bool,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let statement = if member {
            "INSERT INTO organizer_members (organizer_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM organizer_members WHERE organizer_id = $1 AND user_id = $2"
        };
        let changed =
            self.sql.query(statement).bind(organizer_id).bind(user_id).execute(&mut *tx).await?.rows_affected() > 0;
        if changed {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(changed)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn record(&self, audit: &AuditEntry) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        write_audit::<B>(self.sql, &mut conn, audit).await?;
        conn.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn audit_log(&self, filter: AuditFilter<'_>) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = self
            .sql
            .query_as(
                "SELECT id, at, actor_id, actor, address, action, target, before, after FROM audit_log \
             WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR action LIKE $2 ESCAPE '!') \
               AND ($3 IS NULL OR lower(actor) LIKE $3 ESCAPE '!' OR target = $4) AND ($5 IS NULL OR id < $5) \
             ORDER BY id DESC LIMIT $6",
            )
            .bind(filter.since.map(ts))
            .bind(filter.action.map(|action| format!("{}%", escape_like(action))))
            .bind(filter.who.map(|who| format!("%{}%", escape_like(&who.to_lowercase()))))
            .bind(filter.who.map(str::to_owned))
            .bind(filter.before)
            .bind(i64::from(filter.limit))
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        rows.into_iter().map(audit_record).collect()
    }
}
