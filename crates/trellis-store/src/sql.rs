//! Statements built at run time with [`sqlx::QueryBuilder`] (multi-row inserts, `IN` lists,
//! optional filters), on either database.
//!
//! `QueryBuilder<Any>` writes `?` for every bound value: sqlx's `AnyArguments` does not know the
//! database while the text is built (launchbadge/sqlx#3000, open in 0.9). SQLite reads `?`;
//! PostgreSQL wants `$1, $2, …`, so [`build`] numbers them there. The text holds fragments
//! written in this crate only (every value is bound) and none of them has a `?` of its own;
//! [`number`] counts the placeholders against the bound values all the same and refuses a
//! statement where they differ, rather than send a wrong one.

use crate::{DbKind, Error, Result};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Execute, QueryBuilder};

/// The most values one statement may bind: SQLite's `SQLITE_MAX_VARIABLE_NUMBER` (32,766 since
/// 3.32, the bundled library's default), PostgreSQL's 65,535 (a 16-bit count in the protocol).
pub fn max_binds(kind: DbKind) -> usize {
    match kind {
        DbKind::Sqlite => 32_766,
        DbKind::Postgres => 65_535,
    }
}

/// How many rows of `width` bound values fit in one statement.
pub fn rows_per_statement(kind: DbKind, width: usize) -> usize {
    (max_binds(kind) / width.max(1)).max(1)
}

/// The executable query of a builder, with its placeholders spelled for `kind`.
pub fn build(kind: DbKind, mut qb: QueryBuilder<Any>) -> Result<Query<'static, Any, AnyArguments>> {
    let text = qb.sql().as_str().to_owned();
    let args = qb
        .build()
        .take_arguments()
        .map_err(Error::Build)?
        .unwrap_or_default();
    let text = match kind {
        DbKind::Sqlite => text,
        DbKind::Postgres => number(&text, sqlx::Arguments::len(&args))?,
    };
    // Built from this crate's fragments and `?` placeholders only; every value is bound.
    Ok(sqlx::query_with(sqlx::AssertSqlSafe(text), args))
}

/// `?` → `$1, $2, …` outside quoted literals and identifiers; `binds` is how many there must be.
pub fn number(text: &str, binds: usize) -> Result<String> {
    let mut out = String::with_capacity(text.len() + binds * 5);
    let mut n = 0usize;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
                continue;
            }
            (None, _) => {}
        }
        out.push(c);
    }
    if n != binds || quote.is_some() {
        return Err(Error::Build(
            format!("a built statement has {n} placeholders for {binds} values").into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn placeholders_are_numbered_outside_quotes_only() {
        assert_eq!(
            number("INSERT INTO t (a, b) VALUES (?, 'x?'), (?, \"c?\")", 2).unwrap(),
            "INSERT INTO t (a, b) VALUES ($1, 'x?'), ($2, \"c?\")"
        );
        assert_eq!(
            number("SELECT 1 WHERE a = ? AND b = 'it''s?' AND c = ?", 2).unwrap(),
            "SELECT 1 WHERE a = $1 AND b = 'it''s?' AND c = $2"
        );
        assert!(number("SELECT ?", 2).is_err());
        assert!(number("SELECT '?", 0).is_err());
    }
}
