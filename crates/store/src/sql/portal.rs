//! Developers' requests and the applications that came of them. Each change and its audit line
//! are one transaction.

use super::audit::write_audit;
use super::columns::application_columns;
use super::usage::hour_of;
use super::{escape_like, Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore, Statements};
use crate::portal::{ApplicationEdit, ApplicationFilter, Approval, RequestFilter};
use crate::rows::{from_ts, scopes, ts, ApplicationRow};
use crate::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::model::{Application, IdTokenAlg};
use ticketbooth_domain::portal::{ApplicationDraft, ApplicationRequest, AuditEntry, RequestStatus, Usage};
use ticketbooth_domain::secret::SecretHash;

const REQUEST_COLUMNS: &str = "id, requester_id, application_id, name, description, website, redirect_uris, \
     confidential, scopes, organizer_id, purpose, status, granted_scopes, review_reason, reviewed_by, reviewed_at, \
     created_at";

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    requester_id: i64,
    application_id: Option<i64>,
    name: String,
    description: String,
    website: String,
    redirect_uris: String,
    confidential: bool,
    scopes: String,
    organizer_id: Option<i64>,
    purpose: String,
    status: String,
    granted_scopes: Option<String>,
    review_reason: Option<String>,
    reviewed_by: Option<i64>,
    reviewed_at: Option<i64>,
    created_at: i64,
}

impl RequestRow {
    fn into_domain(self) -> StoreResult<ApplicationRequest> {
        Ok(ApplicationRequest {
            id: self.id,
            requester_id: self.requester_id,
            application_id: self.application_id,
            draft: ApplicationDraft {
                name: self.name,
                description: self.description,
                website: self.website,
                redirect_uris: self.redirect_uris.lines().map(str::to_owned).collect(),
                confidential: self.confidential,
                scopes: scopes(&self.scopes)?,
                organizer_id: self.organizer_id,
                purpose: self.purpose,
            },
            status: RequestStatus::from_name(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("request status {:?}", self.status)))?,
            granted_scopes: self.granted_scopes.as_deref().map(scopes).transpose()?,
            review_reason: self.review_reason,
            reviewed_by: self.reviewed_by,
            reviewed_at: self.reviewed_at.map(from_ts),
            created_at: from_ts(self.created_at),
        })
    }
}

#[async_trait::async_trait]
impl<B> crate::PortalStore for SqlStore<B>
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
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_request(
        &self,
        requester_id: i64,
        application_id: Option<i64>,
        draft: &ApplicationDraft,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<ApplicationRequest> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let row: RequestRow = self
            .sql
            .query_as(&format!(
                "INSERT INTO application_requests (requester_id, application_id, name, description, website, \
             redirect_uris, confidential, scopes, organizer_id, purpose, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11) RETURNING {REQUEST_COLUMNS}"
            ))
            .bind(requester_id)
            .bind(application_id)
            .bind(&draft.name)
            .bind(&draft.description)
            .bind(&draft.website)
            .bind(draft.redirect_uris.join("\n"))
            .bind(draft.confidential)
            .bind(draft.scopes.to_string())
            .bind(draft.organizer_id)
            .bind(&draft.purpose)
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
        let request = row.into_domain()?;
        // The target names the request, which the caller could not know before the insert.
        let mut audit = audit.clone();
        audit.target = format!("request:{}", request.id);
        write_audit::<B>(self.sql, &mut tx, &audit).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(request)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_request(&self, id: i64) -> StoreResult<Option<ApplicationRequest>> {
        let row: Option<RequestRow> = self
            .sql
            .query_as(&format!("SELECT {REQUEST_COLUMNS} FROM application_requests WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(RequestRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_requests(&self, filter: RequestFilter) -> StoreResult<Vec<ApplicationRequest>> {
        // A NULL parameter leaves its condition out.
        let rows: Vec<RequestRow> = self
            .sql
            .query_as(&format!(
                "SELECT {REQUEST_COLUMNS} FROM application_requests \
             WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR requester_id = $2) \
               AND ($3 IS NULL OR application_id = $3) \
             ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, id DESC LIMIT 500"
            ))
            .bind(filter.status.map(|status| status.as_str().to_owned()))
            .bind(filter.requester_id)
            .bind(filter.application_id)
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        rows.into_iter().map(RequestRow::into_domain).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn approve_request(&self, approval: &Approval, audit: &AuditEntry) -> StoreResult<Option<Application>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // Taking the request is the guard: of two reviewers, one changes the row and the other
        // finds it no longer pending.
        let taken: Option<RequestRow> = self
            .sql
            .query_as(&format!(
                "UPDATE application_requests SET status = 'approved', granted_scopes = $1, reviewed_by = $2, \
             reviewed_at = $3 WHERE id = $4 AND status = 'pending' RETURNING {REQUEST_COLUMNS}"
            ))
            .bind(approval.scopes.to_string())
            .bind(approval.reviewer_id)
            .bind(ts(approval.now))
            .bind(approval.request_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(request) = taken.map(RequestRow::into_domain).transpose()? else { return Ok(None) };
        let draft = &request.draft;
        let row: ApplicationRow = match request.application_id {
            // A change: only scopes and organizer wait for review.
            Some(application_id) => self
                .sql
                .query_as(concat!(
                    "UPDATE applications SET scopes = $1, organizer_id = $2 WHERE id = $3 RETURNING ",
                    application_columns!()
                ))
                .bind(approval.scopes.to_string())
                .bind(draft.organizer_id)
                .bind(application_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?,
            None => {
                let row: ApplicationRow = self
                    .sql
                    .query_as(concat!(
                        "INSERT INTO applications (client_id, name, secret_hash, redirect_uris, scopes, organizer_id, \
                     id_token_alg, created_at, description, website, owner_id, secret_shown) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
                        application_columns!()
                    ))
                    .bind(&approval.client_id)
                    .bind(&draft.name)
                    .bind(approval.unseen_secret.as_ref().map(|hash| hash.as_bytes().to_vec()))
                    .bind(draft.redirect_uris.join("\n"))
                    .bind(approval.scopes.to_string())
                    .bind(draft.organizer_id)
                    .bind(IdTokenAlg::default().as_str())
                    .bind(ts(approval.now))
                    .bind(&draft.description)
                    .bind(&draft.website)
                    .bind(request.requester_id)
                    .bind(approval.unseen_secret.is_none())
                    .fetch_one(&mut *tx)
                    .await?;
                self.sql
                    .query("UPDATE application_requests SET application_id = $1 WHERE id = $2")
                    .bind(row.id)
                    .bind(request.id)
                    .execute(&mut *tx)
                    .await?;
                row
            }
        };
        write_audit::<B>(self.sql, &mut tx, audit).await?;
        tx.commit().await?;
        conn.commit().await?;
        row.into_domain().map(Some)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn reject_request(
        &self,
        id: i64,
        reviewer_id: Option<i64>,
        reason: &str,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let rejected = self
            .sql
            .query(
                "UPDATE application_requests SET status = 'rejected', review_reason = $1, reviewed_by = $2, \
             reviewed_at = $3 WHERE id = $4 AND status = 'pending'",
            )
            .bind(reason)
            .bind(reviewer_id)
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if rejected {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(rejected)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn withdraw_request(&self, id: i64, requester_id: i64, audit: &AuditEntry) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let withdrawn = self
            .sql
            .query("DELETE FROM application_requests WHERE id = $1 AND requester_id = $2 AND status = 'pending'")
            .bind(id)
            .bind(requester_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if withdrawn {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(withdrawn)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_applications(&self, filter: ApplicationFilter<'_>) -> StoreResult<Vec<Application>> {
        let pattern = filter.search.map(|search| format!("%{}%", escape_like(&search.trim().to_lowercase())));
        let rows: Vec<ApplicationRow> = self.sql.query_as(concat!(
            "SELECT ",
            application_columns!(),
            " FROM applications WHERE ($1 IS NULL OR owner_id = $1) \
              AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '!' OR lower(client_id) LIKE $2 ESCAPE '!') ORDER BY id DESC LIMIT $3"
        ))
        .bind(filter.owner_id)
        .bind(pattern)
        .bind(i64::from(filter.limit))
        .fetch_all(&mut *self.backend.read().await?)
        .await?;
        rows.into_iter().map(ApplicationRow::into_domain).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn reveal_secret(&self, application_id: i64, secret_hash: &SecretHash) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let revealed = self
            .sql
            .query(
                "UPDATE applications SET secret_hash = $1, secret_shown = $2 \
             WHERE id = $3 AND secret_shown = $4 AND secret_hash IS NOT NULL",
            )
            .bind(secret_hash.as_bytes().as_slice())
            .bind(true)
            .bind(application_id)
            .bind(false)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        conn.commit().await?;
        Ok(revealed > 0)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn rotate_secret(
        &self,
        application_id: i64,
        secret_hash: &SecretHash,
        previous_until: Option<DateTime<Utc>>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // The current secret becomes the previous one (if it is to keep working); a secret the
        // owner never saw has no grace period, and neither has one rotated out before.
        let rotated = self
            .sql
            .query(
                "UPDATE applications SET \
               previous_secret_hash = CASE WHEN $1 IS NULL OR secret_shown = $2 THEN NULL ELSE secret_hash END, \
               previous_secret_expires_at = CASE WHEN $1 IS NULL OR secret_shown = $2 THEN NULL ELSE $1 END, \
               secret_hash = $3, secret_shown = $4 \
             WHERE id = $5 AND secret_hash IS NOT NULL",
            )
            .bind(previous_until.map(ts))
            .bind(false)
            .bind(secret_hash.as_bytes().as_slice())
            .bind(true)
            .bind(application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if rotated {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(rotated)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_application(
        &self,
        application_id: i64,
        edit: &ApplicationEdit,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // COALESCE keeps what the edit leaves out; the organizer, which may be set to NULL, has
        // its own flag.
        let updated = self
            .sql
            .query(
                "UPDATE applications SET name = COALESCE($1, name), description = COALESCE($2, description), \
               website = COALESCE($3, website), redirect_uris = COALESCE($4, redirect_uris), \
               scopes = COALESCE($5, scopes), organizer_id = CASE WHEN $6 THEN $7 ELSE organizer_id END \
             WHERE id = $8",
            )
            .bind(edit.name.clone())
            .bind(edit.description.clone())
            .bind(edit.website.clone())
            .bind(edit.redirect_uris.as_ref().map(|uris| uris.join("\n")))
            .bind(edit.scopes.map(|scopes| scopes.to_string()))
            .bind(edit.organizer_id.is_some())
            .bind(edit.organizer_id.flatten())
            .bind(application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if updated {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(updated)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn suspend_application(
        &self,
        application_id: i64,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // As consent revocation does: hold token writes back until commit, so no code redemption
        // or refresh slips a token past the suspension.
        if let Some(statement) = B::SERIALIZE_TOKEN_WRITES {
            self.sql.query(statement).execute(&mut *tx).await?;
        }
        let suspended = self
            .sql
            .query("UPDATE applications SET suspended_at = COALESCE(suspended_at, $1) WHERE id = $2")
            .bind(ts(now))
            .bind(application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if suspended {
            revoke_everything_of::<B>(self.sql, &mut tx, "application_id", application_id, now).await?;
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(suspended)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn resume_application(&self, application_id: i64, audit: &AuditEntry) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let resumed = self
            .sql
            .query("UPDATE applications SET suspended_at = NULL WHERE id = $1")
            .bind(application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if resumed {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(resumed)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_application(&self, application_id: i64, audit: &AuditEntry) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // Tokens, codes, grants and requests go with it (ON DELETE CASCADE).
        let deleted = self
            .sql
            .query("DELETE FROM applications WHERE id = $1")
            .bind(application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if deleted {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(deleted)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn application_usage(&self, application_id: i64, now: DateTime<Utc>) -> StoreResult<Usage> {
        // This instance's tally first; other instances write theirs within a second of issuing.
        self.flush_usage().await?;
        let mut conn = self.backend.read().await?;
        let this_hour = hour_of(ts(now));
        let (last_day, last_30_days, last_issued_at): (Option<i64>, Option<i64>, Option<i64>) = self.sql.query_as(
            "SELECT CAST(SUM(CASE WHEN hour >= $2 THEN issued ELSE 0 END) AS BIGINT), CAST(SUM(issued) AS BIGINT), \
               MAX(last_issued_at) \
             FROM application_usage WHERE application_id = $1 AND hour >= $3",
        )
        .bind(application_id)
        // To the hour: this hour and the 23 (or 719) before it.
        .bind(this_hour - 23)
        .bind(this_hour - 30 * 24 + 1)
        .fetch_one(&mut *conn)
        .await?;
        let active_users: i64 = self
            .sql
            .query_scalar(
                "SELECT COUNT(*) FROM consents c JOIN users u ON u.id = c.user_id \
             WHERE c.application_id = $1 AND u.disabled_at IS NULL",
            )
            .bind(application_id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(Usage {
            issued_last_day: last_day.unwrap_or(0),
            issued_last_30_days: last_30_days.unwrap_or(0),
            last_issued_at: last_issued_at.map(from_ts),
            active_users,
        })
    }
}

/// Ends every unredeemed code and live token whose `column` (`application_id` or `user_id`) is
/// `id`: codes count as redeemed, tokens as revoked, as a revocation leaves them.
pub(crate) async fn revoke_everything_of<B>(
    sql: Statements,
    conn: &mut Conn<B>,
    column: &'static str,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<()>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    i64: Column<B::Db>,
{
    sql.query(&format!("UPDATE authorization_codes SET redeemed_at = $1 WHERE {column} = $2 AND redeemed_at IS NULL"))
        .bind(ts(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sql.query(&format!("UPDATE access_tokens SET revoked_at = $1 WHERE {column} = $2 AND revoked_at IS NULL"))
        .bind(ts(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
