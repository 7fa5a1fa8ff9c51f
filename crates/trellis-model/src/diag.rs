//! Diagnostics: validation is data, not an error (`Vec<Diagnostic>`), so the canvas and the CLI
//! can show every problem at once.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a diagnostic is. Errors make a document unusable for simulation and publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The closed set of diagnostic codes (`journey.md`'s table plus Trellis' own warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Code {
    #[serde(rename = "E_SCHEMA")]
    Schema,
    #[serde(rename = "E_DUPLICATE_ID")]
    DuplicateId,
    #[serde(rename = "E_UNKNOWN_NODE_TYPE")]
    UnknownNodeType,
    #[serde(rename = "E_BAD_PARAM")]
    BadParam,
    #[serde(rename = "E_NO_TRIGGER")]
    NoTrigger,
    #[serde(rename = "E_TRIGGER_INPUT")]
    TriggerInput,
    #[serde(rename = "E_DANGLING_EDGE")]
    DanglingEdge,
    #[serde(rename = "E_PORT_REUSED")]
    PortReused,
    #[serde(rename = "E_UNREACHABLE")]
    Unreachable,
    #[serde(rename = "E_INSTANT_CYCLE")]
    InstantCycle,
    #[serde(rename = "E_UNKNOWN_OFFER")]
    UnknownOffer,
    #[serde(rename = "W_UNCONNECTED_PORT")]
    UnconnectedPort,
    #[serde(rename = "W_BUDGET_SHORT")]
    BudgetShort,
    /// A condition no fact can ever satisfy (`x > 5 AND x < 3`).
    #[serde(rename = "W_NEVER_TRUE")]
    NeverTrue,
    /// A condition every fact satisfies, so its other branch is dead.
    #[serde(rename = "W_ALWAYS_TRUE")]
    AlwaysTrue,
    /// A connected output port that no user can ever leave by (0 % branch, shadowed case, ...).
    #[serde(rename = "W_DEAD_BRANCH")]
    DeadBranch,
    /// An aggregate no condition of the workspace reads (`docs/aggregates.md`).
    #[serde(rename = "W_UNUSED_AGGREGATE")]
    UnusedAggregate,
    /// A `trigger.placement` leads to a `wait.*` node before any action: a placement is
    /// answered synchronously, so nothing may wait before the first action (`docs/decide.md`).
    #[serde(rename = "E_PLACEMENT_WAIT")]
    PlacementWait,
}

impl Code {
    pub const ALL: [Code; 18] = [
        Code::Schema,
        Code::DuplicateId,
        Code::UnknownNodeType,
        Code::BadParam,
        Code::NoTrigger,
        Code::TriggerInput,
        Code::DanglingEdge,
        Code::PortReused,
        Code::Unreachable,
        Code::InstantCycle,
        Code::UnknownOffer,
        Code::UnconnectedPort,
        Code::BudgetShort,
        Code::NeverTrue,
        Code::AlwaysTrue,
        Code::DeadBranch,
        Code::UnusedAggregate,
        Code::PlacementWait,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Schema => "E_SCHEMA",
            Code::DuplicateId => "E_DUPLICATE_ID",
            Code::UnknownNodeType => "E_UNKNOWN_NODE_TYPE",
            Code::BadParam => "E_BAD_PARAM",
            Code::NoTrigger => "E_NO_TRIGGER",
            Code::TriggerInput => "E_TRIGGER_INPUT",
            Code::DanglingEdge => "E_DANGLING_EDGE",
            Code::PortReused => "E_PORT_REUSED",
            Code::Unreachable => "E_UNREACHABLE",
            Code::InstantCycle => "E_INSTANT_CYCLE",
            Code::UnknownOffer => "E_UNKNOWN_OFFER",
            Code::UnconnectedPort => "W_UNCONNECTED_PORT",
            Code::BudgetShort => "W_BUDGET_SHORT",
            Code::NeverTrue => "W_NEVER_TRUE",
            Code::AlwaysTrue => "W_ALWAYS_TRUE",
            Code::DeadBranch => "W_DEAD_BRANCH",
            Code::UnusedAggregate => "W_UNUSED_AGGREGATE",
            Code::PlacementWait => "E_PLACEMENT_WAIT",
        }
    }

    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('E') {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a document. `path` is a JSON pointer from the document root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.severity(),
            code,
            journey: None,
            node: None,
            edge: None,
            path: None,
            message: message.into(),
        }
    }
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
    pub fn journey(mut self, id: Option<&str>) -> Self {
        self.journey = id.map(str::to_owned);
        self
    }
    pub fn node(mut self, id: impl Into<String>) -> Self {
        self.node = Some(id.into());
        self
    }
    pub fn edge(mut self, index: usize) -> Self {
        self.edge = Some(index);
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}]", self.code)?;
        let mut place = Vec::new();
        if let Some(j) = &self.journey {
            place.push(format!("journey {j}"));
        }
        if let Some(n) = &self.node {
            place.push(format!("node {n}"));
        }
        if let Some(e) = self.edge {
            place.push(format!("edge #{e}"));
        }
        if !place.is_empty() {
            write!(f, " {}", place.join(", "))?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(p) = &self.path {
            write!(f, " (at {})", if p.is_empty() { "the document" } else { p })?;
        }
        Ok(())
    }
}

/// Appends `token` to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn ptr(base: &str, token: impl fmt::Display) -> String {
    let t = token.to_string();
    let mut s = String::with_capacity(base.len() + t.len() + 1);
    s.push_str(base);
    s.push('/');
    for c in t.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes() {
        assert_eq!(ptr("/a", "b/c~d"), "/a/b~1c~0d");
        assert_eq!(ptr("", 3), "/3");
    }

    #[test]
    fn codes_serialize_as_spec_strings() {
        for c in Code::ALL {
            let s = serde_json::to_value(c).unwrap();
            assert_eq!(s, serde_json::Value::String(c.as_str().into()));
            assert_eq!(
                c.severity() == Severity::Error,
                c.as_str().starts_with("E_")
            );
        }
    }
}
