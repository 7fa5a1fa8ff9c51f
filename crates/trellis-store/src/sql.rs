//! Multi-row inserts with numbered placeholders (`$1`, read the same by SQLite and PostgreSQL).

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

/// A bound value.
#[derive(Debug, Clone)]
pub enum Val {
    I(i64),
    NI(Option<i64>),
    S(String),
    N(Option<String>),
}

pub struct Insert {
    sql: String,
    vals: Vec<Val>,
    width: usize,
}

impl Insert {
    pub fn new(head: &str, width: usize) -> Insert {
        Insert {
            sql: head.to_owned(),
            vals: Vec::new(),
            width,
        }
    }

    pub fn row(&mut self, vals: Vec<Val>) {
        debug_assert_eq!(vals.len(), self.width);
        if !self.vals.is_empty() {
            self.sql.push_str(", ");
        }
        self.sql.push('(');
        for i in 0..vals.len() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push_str(&format!("${}", self.vals.len() + i + 1));
        }
        self.sql.push(')');
        self.vals.extend(vals);
    }

    pub fn finish(&mut self, tail: &str) -> &Self {
        self.sql.push_str(tail);
        self
    }

    /// The query, borrowing the statement text.
    pub fn query(&self) -> Query<'static, Any, AnyArguments> {
        // The text is built here from placeholders only; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql.clone()));
        for v in &self.vals {
            q = match v {
                Val::I(i) => q.bind(*i),
                Val::NI(i) => q.bind(*i),
                Val::S(s) => q.bind(s.clone()),
                Val::N(s) => q.bind(s.clone()),
            };
        }
        q
    }
}
