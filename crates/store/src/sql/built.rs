//! Statements written with `QueryBuilder` (lists of ids, multi-row inserts, optional filters).
//!
//! Generic code cannot run them: the built arguments' type is opaque there, so `sqlx` cannot prove
//! they live as long as the borrow of the builder that runs them. With a concrete database it can,
//! so each database runs them here; callers pass a closure that writes the statement and binds
//! owned values. Each takes the store's [`Statements`], whose choice of kept or unnamed statements
//! applies here too.

use super::Statements;
use crate::StoreResult;
use sqlx::{Database, FromRow, Postgres, QueryBuilder, Sqlite};
use std::future::Future;

/// Runs statements written with [`QueryBuilder`].
pub(crate) trait BuiltStatements: Database {
    /// The rows of the statement `build` writes.
    fn fetch_built<'c, R>(
        sql: Statements,
        conn: &'c mut Self::Connection,
        build: impl for<'a> FnOnce(&mut QueryBuilder<'a, Self>) + Send + 'c,
    ) -> impl Future<Output = StoreResult<Vec<R>>> + Send + 'c
    where
        R: for<'r> FromRow<'r, Self::Row> + Send + Unpin + 'c;

    /// Runs the statement `build` writes and returns how many rows it changed.
    fn execute_built<'c>(
        sql: Statements,
        conn: &'c mut Self::Connection,
        build: impl for<'a> FnOnce(&mut QueryBuilder<'a, Self>) + Send + 'c,
    ) -> impl Future<Output = StoreResult<u64>> + Send + 'c;
}

impl BuiltStatements for Sqlite {
    async fn fetch_built<'c, R>(
        sql: Statements,
        conn: &'c mut Self::Connection,
        build: impl for<'a> FnOnce(&mut QueryBuilder<'a, Self>) + Send + 'c,
    ) -> StoreResult<Vec<R>>
    where
        R: for<'r> FromRow<'r, Self::Row> + Send + Unpin + 'c,
    {
        let mut qb = QueryBuilder::new("");
        build(&mut qb);
        Ok(qb.build_query_as().persistent(sql.keep()).fetch_all(conn).await?)
    }

    async fn execute_built<'c>(
        sql: Statements,
        conn: &'c mut Self::Connection,
        build: impl for<'a> FnOnce(&mut QueryBuilder<'a, Self>) + Send + 'c,
    ) -> StoreResult<u64> {
        let mut qb = QueryBuilder::new("");
        build(&mut qb);
        Ok(qb.build().persistent(sql.keep()).execute(conn).await?.rows_affected())
    }
}

impl BuiltStatements for Postgres {
    async fn fetch_built<'c, R>(
        sql: Statements,
        conn: &'c mut Self::Connection,
        build: impl for<'a> FnOnce(&mut QueryBuilder<'a, Self>) + Send + 'c,
    ) -> StoreResult<Vec<R>>
    where
        R: for<'r> FromRow<'r, Self::Row> + Send + Unpin + 'c,
    {
        let mut qb = QueryBuilder::new("");
        build(&mut qb);
        Ok(qb.build_query_as().persistent(sql.keep()).fetch_all(conn).await?)
    }

    async fn execute_built<'c>(
        sql: Statements,
        conn: &'c mut Self::Connection,
        build: impl for<'a> FnOnce(&mut QueryBuilder<'a, Self>) + Send + 'c,
    ) -> StoreResult<u64> {
        let mut qb = QueryBuilder::new("");
        build(&mut qb);
        Ok(qb.build().persistent(sql.keep()).execute(conn).await?.rows_affected())
    }
}
