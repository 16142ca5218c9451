//! Writing audit lines, inside the transaction of the change they record.

use super::{Args, Backend, Column, Conn, Statements};
use crate::rows::ts;
use crate::StoreResult;
use chrono::Utc;
use sqlx::{Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::portal::AuditEntry;

/// Appends `entry` to the audit log.
pub(crate) async fn write_audit<B>(sql: Statements, conn: &mut Conn<B>, entry: &AuditEntry) -> StoreResult<()>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    Option<String>: Column<B::Db>,
{
    sql.query(
        "INSERT INTO audit_log (at, actor_id, actor, address, action, target, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ts(Utc::now()))
    .bind(entry.actor.user_id)
    .bind(entry.actor.name.as_str())
    .bind(entry.actor.address.as_str())
    .bind(entry.action)
    .bind(entry.target.as_str())
    .bind(entry.before.as_ref().map(|value| value.to_string()))
    .bind(entry.after.as_ref().map(|value| value.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
