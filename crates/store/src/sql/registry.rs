//! Resource servers and self-arriving clients (metadata documents, registrations).

use super::audit::write_audit;
use super::columns::application_columns;
use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore};
use crate::rows::{from_ts, scopes, ts, ApplicationRow};
use crate::StoreResult;
use chrono::Utc;
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::model::{Application, ClientOrigin, NewApplication, Review};
use ticketbooth_domain::portal::AuditEntry;
use ticketbooth_domain::resource::{NewResource, Resource};

macro_rules! resource_columns {
    () => {
        "id, identifier, name, scopes, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct ResourceRow {
    id: i64,
    identifier: String,
    name: String,
    scopes: String,
    created_at: i64,
}

impl ResourceRow {
    fn into_domain(self) -> StoreResult<Resource> {
        Ok(Resource {
            id: self.id,
            identifier: self.identifier,
            name: self.name,
            scopes: scopes(&self.scopes)?,
            created_at: from_ts(self.created_at),
        })
    }
}

#[async_trait::async_trait]
impl<B> crate::RegistryStore for SqlStore<B>
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
    async fn create_resource(&self, resource: NewResource) -> StoreResult<Resource> {
        let mut conn = self.backend.write().await?;
        let row: ResourceRow = self
            .sql
            .query_as(concat!(
                "INSERT INTO resources (identifier, name, scopes, created_at) VALUES ($1, $2, $3, $4) RETURNING ",
                resource_columns!()
            ))
            .bind(&resource.identifier)
            .bind(&resource.name)
            .bind(resource.scopes.to_string())
            .bind(ts(Utc::now()))
            .fetch_one(&mut *conn)
            .await?;
        conn.commit().await?;
        row.into_domain()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_resource(&self, identifier: &str) -> StoreResult<Option<Resource>> {
        let row: Option<ResourceRow> = self
            .sql
            .query_as(concat!("SELECT ", resource_columns!(), " FROM resources WHERE identifier = $1"))
            .bind(identifier)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(ResourceRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_resources(&self) -> StoreResult<Vec<Resource>> {
        let rows: Vec<ResourceRow> = self
            .sql
            .query_as(concat!("SELECT ", resource_columns!(), " FROM resources ORDER BY id"))
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        rows.into_iter().map(ResourceRow::into_domain).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn save_document_client(&self, app: NewApplication) -> StoreResult<Application> {
        // One statement, so two instances fetching the same new document at once store one row.
        let mut conn = self.backend.write().await?;
        let row: ApplicationRow = self
            .sql
            .query_as(concat!(
                "INSERT INTO applications (client_id, name, secret_hash, redirect_uris, scopes, id_token_alg, \
             created_at, description, website, secret_shown, origin, review, metadata_expires_at) \
             VALUES ($1, $2, NULL, $3, $4, $5, $6, '', $7, TRUE, $8, $9, $10) \
             ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, website = excluded.website, \
             redirect_uris = excluded.redirect_uris, scopes = excluded.scopes, \
             metadata_expires_at = excluded.metadata_expires_at \
             WHERE applications.origin = excluded.origin RETURNING ",
                application_columns!()
            ))
            .bind(&app.client_id)
            .bind(&app.name)
            .bind(app.redirect_uris.join("\n"))
            .bind(app.scopes.to_string())
            .bind(app.id_token_alg.as_str())
            .bind(ts(Utc::now()))
            .bind(&app.website)
            .bind(ClientOrigin::MetadataDocument.as_str())
            .bind(app.review.as_str())
            .bind(app.metadata_expires_at.map(ts))
            .fetch_one(&mut *conn)
            .await?;
        conn.commit().await?;
        row.into_domain()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_registered_client(
        &self,
        application_id: i64,
        app: NewApplication,
    ) -> StoreResult<Option<Application>> {
        let mut conn = self.backend.write().await?;
        let row: Option<ApplicationRow> = self
            .sql
            .query_as(concat!(
                "UPDATE applications SET name = $1, website = $2, redirect_uris = $3, scopes = $4, id_token_alg = $5, \
             jwks = $6 WHERE id = $7 AND origin = 'registration' RETURNING ",
                application_columns!()
            ))
            .bind(&app.name)
            .bind(&app.website)
            .bind(app.redirect_uris.join("\n"))
            .bind(app.scopes.to_string())
            .bind(app.id_token_alg.as_str())
            .bind(app.jwks.clone())
            .bind(application_id)
            .fetch_optional(&mut *conn)
            .await?;
        conn.commit().await?;
        row.map(ApplicationRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn clients_in_review(&self) -> StoreResult<Vec<Application>> {
        let rows: Vec<ApplicationRow> = self
            .sql
            .query_as(concat!(
                "SELECT ",
                application_columns!(),
                " FROM applications WHERE review = 'pending' ORDER BY id"
            ))
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        rows.into_iter().map(ApplicationRow::into_domain).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn decide_client(&self, application_id: i64, decision: Review, audit: &AuditEntry) -> StoreResult<bool> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let decided = self
            .sql
            .query("UPDATE applications SET review = $1 WHERE id = $2 AND review = 'pending'")
            .bind(decision.as_str())
            .bind(application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if decided {
            write_audit::<B>(self.sql, &mut tx, audit).await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(decided)
    }
}
