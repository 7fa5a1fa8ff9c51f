//! The document reader. It walks the parsed JSON by hand instead of handing it to serde, so
//! that it reports *every* problem at once, each with a JSON pointer from the document root, and
//! so that the canvas can still draw (and the graph checks still run on) a document with a bad
//! field: it keeps every node and edge at its index, with a placeholder where a value was bad.
//! `E_BAD_PARAM` is for `nodes[*].params`; everything else is `E_SCHEMA` (`semantics.md`).

use crate::condition::{read_condition, Condition, FieldScope};
use crate::cron::Cron;
use crate::diag::{ptr, Code, Diagnostic};
use crate::doc::*;
use crate::scalar::{is_slug, kind_of, short, Duration, Money, Percent, Timestamp};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What reading produced: a workspace whenever the document's shape allowed one (possibly with
/// placeholders where values were bad), and every diagnostic found.
#[derive(Debug, Clone)]
pub struct ReadOutcome {
    pub workspace: Option<Workspace>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ReadOutcome {
    pub fn has_errors(&self) -> bool {
        self.workspace.is_none() || self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads a document from bytes: not UTF-8, not JSON or not of the document's shape are all
/// `E_SCHEMA` (path `""` for the whole file).
pub fn read_bytes(bytes: &[u8]) -> ReadOutcome {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return failed(format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ))
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_json::from_str::<Value>(text) {
        Ok(v) => read_value(&v),
        Err(e) => failed(format!(
            "not valid JSON at line {}, column {}: {}",
            e.line(),
            e.column(),
            json_error_text(&e)
        )),
    }
}

fn json_error_text(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

fn failed(message: String) -> ReadOutcome {
    ReadOutcome {
        workspace: None,
        diagnostics: vec![Diagnostic::new(Code::Schema, message).at("")],
    }
}

pub fn read_value(v: &Value) -> ReadOutcome {
    let mut r = R::default();
    let workspace = r.root(v);
    ReadOutcome {
        workspace,
        diagnostics: r.diags,
    }
}

/// A strict read failed: every error found, each with its path.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ReadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    /// Reads a document; any `E_SCHEMA`/`E_BAD_PARAM` error fails the read. Graph checks
    /// (dangling edges, cycles, ...) are the graph crate's `validate`.
    pub fn from_slice(bytes: &[u8]) -> Result<Workspace, ReadError> {
        strict(read_bytes(bytes))
    }
    pub fn from_json(v: &Value) -> Result<Workspace, ReadError> {
        strict(read_value(v))
    }
}

fn strict(o: ReadOutcome) -> Result<Workspace, ReadError> {
    match o.workspace {
        Some(w) if !o.diagnostics.iter().any(Diagnostic::is_error) => Ok(w),
        _ => Err(ReadError {
            diagnostics: o
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
        }),
    }
}

#[derive(Clone, Copy)]
struct Site<'a> {
    code: Code,
    node: Option<&'a str>,
}

const DOC: Site<'static> = Site {
    code: Code::Schema,
    node: None,
};

type Obj = Map<String, Value>;

#[derive(Default)]
struct R {
    diags: Vec<Diagnostic>,
    journey: Option<String>,
}

fn rest(m: &Obj, known: &[&str]) -> Extra {
    m.iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

// Value readers: Ok(value) or Err(what is wrong).
fn string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::String(_) => Err("must not be empty".into()),
        other => Err(format!("expected a string, found {}", kind_of(other))),
    }
}
fn any_string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("expected a string, found {}", kind_of(other))),
    }
}
fn slug(v: &Value) -> Result<String, String> {
    let s = any_string(v)?;
    if is_slug(&s) {
        Ok(s)
    } else {
        Err(format!(
            "{s:?} is not a valid id: use 1 to 64 of a-z, 0-9, _ and -"
        ))
    }
}
fn int(v: &Value) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("expected an integer, found {}", short(v)))
}
fn uint(v: &Value) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("expected a non-negative integer, found {}", short(v)))
}
fn count32(min: u32) -> impl Fn(&Value) -> Result<u32, String> {
    move |v| {
        let n = uint(v)?;
        u32::try_from(n)
            .ok()
            .filter(|n| *n >= min)
            .ok_or_else(|| format!("expected an integer from {min} to {}, found {n}", u32::MAX))
    }
}
fn money(v: &Value) -> Result<Money, String> {
    let m = Money::from_json(v)?;
    if m.value < Decimal::ZERO {
        return Err(format!("{} is negative", m.value));
    }
    Ok(m)
}
/// `pacing`: `{ "mode": "even", "period": "day" | "hour" }`.
fn pacing(v: &Value) -> Result<Pacing, String> {
    let m = v
        .as_object()
        .ok_or("it is not an object: write { \"mode\": \"even\", \"period\": \"day\" }")?;
    let mode = match m.get("mode").and_then(Value::as_str) {
        Some("even") | None => PacingMode::Even,
        Some(other) => return Err(format!("mode {other:?} is not a pacing mode: use \"even\"")),
    };
    let period = match m.get("period").and_then(Value::as_str) {
        Some("day") => PacingPeriod::Day,
        Some("hour") => PacingPeriod::Hour,
        Some(other) => {
            return Err(format!(
                "period {other:?} is not a pacing period: use \"day\" or \"hour\""
            ))
        }
        None => return Err("missing \"period\": \"day\" or \"hour\"".into()),
    };
    if let Some(k) = m.keys().find(|k| !matches!(k.as_str(), "mode" | "period")) {
        return Err(format!("unknown field {k:?}: pacing has mode and period"));
    }
    Ok(Pacing { mode, period })
}

/// `trigger.placement`'s `fallback`: `{ "template": non-empty string, "content": any JSON }`.
fn placement_fallback(v: &Value) -> Result<PlacementFallback, String> {
    let m = v.as_object().ok_or(
        "it is not an object: write { \"template\": \"banner_default\", \"content\": { … } }",
    )?;
    let template = string(m.get("template").ok_or("missing \"template\"")?)
        .map_err(|e| format!("template: {e}"))?;
    if let Some(k) = m
        .keys()
        .find(|k| !matches!(k.as_str(), "template" | "content"))
    {
        return Err(format!(
            "unknown field {k:?}: a fallback has template and content"
        ));
    }
    Ok(PlacementFallback {
        template,
        content: m.get("content").filter(|c| !c.is_null()).cloned(),
    })
}

/// `breaker`: `{ "max_committed": amount, "within": duration }`.
fn breaker(v: &Value) -> Result<Breaker, String> {
    let m = v
        .as_object()
        .ok_or("it is not an object: write { \"max_committed\": \"5000\", \"within\": \"1h\" }")?;
    let max_committed = money(m.get("max_committed").ok_or("missing \"max_committed\"")?)
        .map_err(|e| format!("max_committed: {e}"))?;
    if max_committed.value <= Decimal::ZERO {
        return Err("max_committed must be above 0".into());
    }
    let within = positive_duration(m.get("within").ok_or("missing \"within\"")?)
        .map_err(|e| format!("within: {e}"))?;
    if let Some(k) = m
        .keys()
        .find(|k| !matches!(k.as_str(), "max_committed" | "within"))
    {
        return Err(format!(
            "unknown field {k:?}: a breaker has max_committed and within"
        ));
    }
    Ok(Breaker {
        max_committed,
        within,
    })
}

fn positive_duration(v: &Value) -> Result<Duration, String> {
    let d = Duration::from_json(v)?;
    if d.seconds == 0 {
        return Err(format!("{:?} is zero; it must be longer", d.text));
    }
    Ok(d)
}
fn timezone(v: &Value) -> Result<Tz, String> {
    let s = any_string(v)?;
    s.parse::<Tz>()
        .map_err(|_| format!("{s:?} is not an IANA time zone such as \"Asia/Shanghai\""))
}
fn local_time(v: &Value) -> Result<LocalTime, String> {
    LocalTime::parse(&any_string(v)?)
}

impl R {
    fn report(&mut self, site: Site, path: &str, msg: impl Into<String>) {
        let mut d = Diagnostic::new(site.code, msg)
            .at(path)
            .journey(self.journey.as_deref().filter(|j| !j.is_empty()));
        if let Some(n) = site.node.filter(|n| !n.is_empty()) {
            d = d.node(n);
        }
        self.diags.push(d);
    }

    fn object<'v>(&mut self, v: &'v Value, path: &str, site: Site, what: &str) -> Option<&'v Obj> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.report(
                    site,
                    path,
                    format!("{what} must be an object, found {}", kind_of(other)),
                );
                None
            }
        }
    }

    fn array<'v>(
        &mut self,
        m: &'v Obj,
        path: &str,
        key: &str,
        site: Site,
        required: bool,
    ) -> &'v [Value] {
        match m.get(key) {
            Some(Value::Array(a)) => a,
            None if !required => &[],
            None => {
                self.report(
                    site,
                    &ptr(path, key),
                    format!("missing required field \"{key}\""),
                );
                &[]
            }
            Some(other) => {
                self.report(
                    site,
                    &ptr(path, key),
                    format!("{key} must be an array, found {}", kind_of(other)),
                );
                &[]
            }
        }
    }

    /// An optional field: `None` when absent (or null) or bad (reported).
    fn opt<T>(
        &mut self,
        m: &Obj,
        path: &str,
        key: &str,
        site: Site,
        f: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let v = m.get(key).filter(|v| !v.is_null())?;
        match f(v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.report(site, &ptr(path, key), format!("{key}: {e}"));
                None
            }
        }
    }

    /// A required field: `None` when absent or bad (both reported).
    fn req<T>(
        &mut self,
        m: &Obj,
        path: &str,
        key: &str,
        site: Site,
        f: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        if m.get(key).is_none_or(Value::is_null) {
            self.report(
                site,
                &ptr(path, key),
                format!("missing required field \"{key}\""),
            );
            return None;
        }
        self.opt(m, path, key, site, f)
    }

    fn condition(
        &mut self,
        v: &Value,
        path: &str,
        site: Site,
        scope: FieldScope,
    ) -> Option<Condition> {
        let mut errors = Vec::new();
        let c = read_condition(v, scope, &mut errors);
        for e in errors {
            self.report(site, &format!("{path}{}", e.path), e.message);
        }
        c
    }

    fn opt_condition(
        &mut self,
        m: &Obj,
        path: &str,
        key: &str,
        site: Site,
        scope: FieldScope,
    ) -> Option<Condition> {
        let v = m.get(key).filter(|v| !v.is_null())?;
        self.condition(v, &ptr(path, key), site, scope)
    }

    fn req_condition(
        &mut self,
        m: &Obj,
        path: &str,
        key: &str,
        site: Site,
        scope: FieldScope,
    ) -> Option<Condition> {
        if m.get(key).is_none_or(Value::is_null) {
            self.report(
                site,
                &ptr(path, key),
                format!("missing required condition \"{key}\""),
            );
            return None;
        }
        self.opt_condition(m, path, key, site, scope)
    }

    fn root(&mut self, v: &Value) -> Option<Workspace> {
        let m = self.object(v, "", DOC, "the document")?;
        match m.get("schema") {
            Some(Value::String(s)) if s == WORKSPACE_SCHEMA => Some(self.workspace(m)),
            Some(Value::String(s)) if s == JOURNEY_SCHEMA => {
                let j = self.journey(v, "");
                Some(Workspace {
                    offers: vec![],
                    policy: None,
                    aggregates: vec![],
                    segments: vec![],
                    models: vec![],
                    journeys: vec![j],
                    extra: Map::new(),
                    single_journey: true,
                })
            }
            Some(Value::String(s)) => {
                self.report(DOC, "/schema", format!("unknown schema {s:?}: this version reads \"{WORKSPACE_SCHEMA}\" and \"{JOURNEY_SCHEMA}\""));
                None
            }
            Some(other) => {
                self.report(
                    DOC,
                    "/schema",
                    format!("schema must be a string, found {}", kind_of(other)),
                );
                None
            }
            None => {
                self.report(DOC, "/schema", format!("missing \"schema\": write \"{WORKSPACE_SCHEMA}\" (or \"{JOURNEY_SCHEMA}\" for a single journey)"));
                None
            }
        }
    }

    fn workspace(&mut self, m: &Obj) -> Workspace {
        let offers = self
            .array(m, "", "offers", DOC, false)
            .iter()
            .enumerate()
            .map(|(i, o)| self.offer(o, &format!("/offers/{i}")))
            .collect();
        let policy = m
            .get("policy")
            .filter(|v| !v.is_null())
            .map(|p| self.policy(p, "/policy"));
        let aggregates = self.aggregates(m);
        let segments = self.segments(m);
        let models = self.models(m, &aggregates, &segments);
        let journeys: Vec<Journey> = self
            .array(m, "", "journeys", DOC, false)
            .iter()
            .enumerate()
            .map(|(i, j)| self.journey(j, &format!("/journeys/{i}")))
            .collect();
        // Journeys sharing a campaign id must declare identical campaigns.
        let mut seen: HashMap<&str, &Campaign> = HashMap::new();
        let mut clashes = Vec::new();
        for (i, j) in journeys.iter().enumerate() {
            if let Some(c) = &j.campaign {
                match seen.get(c.id.as_str()) {
                    Some(first) if !same_campaign(first, c) => {
                        clashes.push((i, j.id.clone(), c.id.clone()))
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(&c.id, c);
                    }
                }
            }
        }
        for (i, jid, cid) in clashes {
            self.journey = Some(jid);
            self.report(DOC, &format!("/journeys/{i}/campaign"), format!("campaign {cid:?} is declared differently by an earlier journey; journeys that share a campaign must declare it identically"));
        }
        self.journey = None;
        Workspace {
            offers,
            policy,
            aggregates,
            segments,
            models,
            journeys,
            extra: rest(
                m,
                &[
                    "schema",
                    "offers",
                    "policy",
                    "aggregates",
                    "segments",
                    "models",
                    "journeys",
                ],
            ),
            single_journey: false,
        }
    }

    /// The workspace's `aggregates` (E_SCHEMA with a pointer for each bad value). An aggregate
    /// with a bad value is left out, so conditions naming it are reported as unknown only when
    /// its id itself was bad.
    fn aggregates(&mut self, m: &Obj) -> Vec<Aggregate> {
        let items = self.array(m, "", "aggregates", DOC, false);
        let mut out = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, v) in items.iter().enumerate() {
            let path = format!("/aggregates/{i}");
            let Some(am) = self.object(v, &path, DOC, "an aggregate") else {
                continue;
            };
            let before = self.diags.len();
            let id = self.req(am, &path, "id", DOC, slug);
            if let Some(id) = &id {
                if let Some(first) = seen.insert(id.clone(), i) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            format!("aggregate id {id:?} is already used by aggregate #{first}"),
                        )
                        .at(ptr(&path, "id")),
                    );
                }
            }
            let event = self.req(am, &path, "event", DOC, string);
            let where_ = self.opt_condition(am, &path, "where", DOC, FieldScope::Event);
            let func = self.req(am, &path, "fn", DOC, |v| {
                v.as_str().and_then(AggFn::parse).ok_or_else(|| {
                    format!(
                        "{} is not an aggregate function: use count, sum, min, max, avg, first, last or distinct",
                        short(v)
                    )
                })
            });
            let field_text = self.opt(am, &path, "field", DOC, string);
            let field = field_text
                .as_deref()
                .and_then(|f| match AggField::parse(f) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        self.report(DOC, &ptr(&path, "field"), format!("field: {e}"));
                        None
                    }
                });
            if let Some(func) = func {
                let fp = ptr(&path, "field");
                match (&field, func) {
                    (Some(_), AggFn::Count) => self.report(
                        DOC,
                        &fp,
                        "count counts events and takes no field; remove \"field\" (or use distinct to count values)",
                    ),
                    (None, f) if f != AggFn::Count && field_text.is_none() => self.report(
                        DOC,
                        &fp,
                        format!("missing required field \"field\": {} needs \"event.<prop>\" or \"ts\"", f.as_str()),
                    ),
                    (Some(AggField::Ts), f) if !matches!(f, AggFn::First | AggFn::Last) => self.report(
                        DOC,
                        &fp,
                        format!("{} of ts is not offered: ts takes first or last (times are compared with {{ \"ago\": \"30d\" }})", f.as_str()),
                    ),
                    _ => {}
                }
            }
            let window = self.opt(am, &path, "window", DOC, positive_duration);
            if self.diags.len() > before {
                continue;
            }
            let (Some(id), Some(event), Some(func)) = (id, event, func) else {
                continue;
            };
            out.push(Aggregate {
                id,
                event,
                where_,
                func,
                field,
                window,
                field_text,
                extra: rest(am, &["id", "event", "where", "fn", "field", "window"]),
            });
        }
        out
    }

    /// The workspace's `segments` (E_SCHEMA with a pointer for each bad value; a `when` reading
    /// anything but `user.*`, `agg.<id>` and `segment.<id>` is refused at the leaf). A segment
    /// with a bad value is left out, as a bad aggregate is.
    fn segments(&mut self, m: &Obj) -> Vec<Segment> {
        let items = self.array(m, "", "segments", DOC, false);
        let mut out = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, v) in items.iter().enumerate() {
            let path = format!("/segments/{i}");
            let Some(sm) = self.object(v, &path, DOC, "a segment") else {
                continue;
            };
            let before = self.diags.len();
            let id = self.req(sm, &path, "id", DOC, slug);
            if let Some(id) = &id {
                if let Some(first) = seen.insert(id.clone(), i) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            format!("segment id {id:?} is already used by segment #{first}"),
                        )
                        .at(ptr(&path, "id")),
                    );
                }
            }
            let name = self.req(sm, &path, "name", DOC, string);
            let when = self.req_condition(sm, &path, "when", DOC, FieldScope::Segment);
            if self.diags.len() > before {
                continue;
            }
            let (Some(id), Some(name), Some(when)) = (id, name, when) else {
                continue;
            };
            out.push(Segment {
                id,
                name,
                when,
                extra: rest(sm, &["id", "name", "when"]),
            });
        }
        out
    }

    /// The workspace's `models` (E_SCHEMA with a pointer for each bad value): the artifact is
    /// read and checked as `trellis uplift score` reads it; each feature reads `user.<attr>`, a
    /// defined `agg.<id>` or a defined `segment.<id>`. A model with a bad value is left out (a gate naming it is then
    /// reported as naming no model).
    fn models(&mut self, m: &Obj, aggregates: &[Aggregate], segments: &[Segment]) -> Vec<ModelDef> {
        let items = self.array(m, "", "models", DOC, false);
        let mut out = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, v) in items.iter().enumerate() {
            let path = format!("/models/{i}");
            let Some(mm) = self.object(v, &path, DOC, "a model") else {
                continue;
            };
            let before = self.diags.len();
            let id = self.req(mm, &path, "id", DOC, slug);
            if let Some(id) = &id {
                if let Some(first) = seen.insert(id.clone(), i) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateId,
                            format!("model id {id:?} is already used by model #{first}"),
                        )
                        .at(ptr(&path, "id")),
                    );
                }
            }
            let name = self.opt(mm, &path, "name", DOC, string);
            let artifact = self.req(mm, &path, "artifact", DOC, |v| {
                let bytes = serde_json::to_vec(v).map_err(|e| e.to_string())?;
                trellis_uplift::UpliftModel::from_json(&bytes)
                    .map(|a| (a, v.clone()))
                    .map_err(|e| format!("not a trellis.uplift/1 model: {e}"))
            });
            let features = self
                .opt(mm, &path, "features", DOC, |v| match v {
                    Value::Object(f) => Ok(f.clone()),
                    other => Err(format!(
                        "expected an object of feature → field, found {}",
                        kind_of(other)
                    )),
                })
                .unwrap_or_default();
            let mut fields = BTreeMap::new();
            let fpath = ptr(&path, "features");
            for (name, field) in &features {
                let at = ptr(&fpath, name);
                let Some(field) = field.as_str() else {
                    self.report(
                        DOC,
                        &at,
                        format!("{name}: expected a field such as \"user.{name}\" or \"agg.<id>\""),
                    );
                    continue;
                };
                let ok = if let Some(attr) = field.strip_prefix("user.") {
                    !attr.is_empty()
                } else if let Some(agg) = field.strip_prefix("agg.") {
                    aggregates.iter().any(|a| a.id == agg)
                } else if let Some(seg) = field.strip_prefix("segment.") {
                    segments.iter().any(|s| s.id == seg)
                } else {
                    false
                };
                if !ok {
                    self.report(DOC, &at, format!("{name}: {field:?} is none of \"user.<attr>\", a defined \"agg.<id>\" or a defined \"segment.<id>\" (1 for a member, 0 for not)"));
                    continue;
                }
                if let Some((a, _)) = &artifact {
                    if !a.features.iter().any(|f| &f.name == name) {
                        self.report(
                            DOC,
                            &at,
                            format!(
                                "{name}: the model has no feature {name:?} (its features: {})",
                                a.features
                                    .iter()
                                    .map(|f| f.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                        continue;
                    }
                }
                fields.insert(name.clone(), field.to_owned());
            }
            if self.diags.len() > before {
                continue;
            }
            let (Some(id), Some((artifact, artifact_json))) = (id, artifact) else {
                continue;
            };
            out.push(ModelDef {
                id,
                name,
                artifact,
                artifact_json,
                features: fields,
                extra: rest(mm, &["id", "name", "artifact", "features"]),
            });
        }
        out
    }

    fn offer(&mut self, v: &Value, path: &str) -> Offer {
        let empty = Map::new();
        let m = self.object(v, path, DOC, "an offer").unwrap_or(&empty);
        let id = self.req(m, path, "id", DOC, slug).unwrap_or_default();
        let kind = self
            .req(m, path, "kind", DOC, |v| match v.as_str() {
                Some("coupon") => Ok(OfferKind::Coupon),
                Some("points") => Ok(OfferKind::Points),
                Some("cash") => Ok(OfferKind::Cash),
                _ => Err(format!(
                    "{} is not an offer kind: use \"coupon\", \"points\" or \"cash\"",
                    short(v)
                )),
            })
            .unwrap_or(OfferKind::Coupon);
        Offer {
            id,
            kind,
            face_value: self
                .req(m, path, "face_value", DOC, money)
                .unwrap_or_default(),
            min_spend: self.opt(m, path, "min_spend", DOC, money),
            stock: self.opt(m, path, "stock", DOC, uint),
            per_user_limit: self.opt(m, path, "per_user_limit", DOC, count32(1)),
            valid_for: self.opt(m, path, "valid_for", DOC, positive_duration),
            extra: rest(
                m,
                &[
                    "id",
                    "kind",
                    "face_value",
                    "min_spend",
                    "stock",
                    "per_user_limit",
                    "valid_for",
                ],
            ),
        }
    }

    fn policy(&mut self, v: &Value, path: &str) -> Policy {
        let empty = Map::new();
        let m = self.object(v, path, DOC, "policy").unwrap_or(&empty);
        let freq_caps = m.contains_key("freq_caps").then(|| {
            let caps = self.array(m, path, "freq_caps", DOC, true);
            caps.iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let p = format!("{path}/freq_caps/{i}");
                    let cm = self.object(c, &p, DOC, "a frequency cap")?;
                    let channel = self.req(cm, &p, "channel", DOC, |v| match v.as_str() {
                        Some("*") => Ok(None),
                        Some(s) => Channel::parse(s).map(Some).ok_or_else(|| {
                            format!("{s:?} is not a channel: use \"*\", {}", Channel::names())
                        }),
                        None => Err(format!("expected a string, found {}", kind_of(v))),
                    });
                    let max = self.req(cm, &p, "max", DOC, count32(0));
                    let window = self.req(cm, &p, "window", DOC, positive_duration);
                    Some(FreqCap {
                        channel: channel?,
                        max: max?,
                        window: window?,
                        extra: rest(cm, &["channel", "max", "window"]),
                    })
                })
                .collect()
        });
        let quiet_hours = m.get("quiet_hours").filter(|v| !v.is_null()).and_then(|q| {
            let p = format!("{path}/quiet_hours");
            let qm = self.object(q, &p, DOC, "quiet_hours")?;
            let start = self.req(qm, &p, "start", DOC, local_time);
            let end = self.req(qm, &p, "end", DOC, local_time);
            let mode = self
                .opt(qm, &p, "mode", DOC, |v| match v.as_str() {
                    Some("defer") => Ok(QuietMode::Defer),
                    Some("suppress") => Ok(QuietMode::Suppress),
                    _ => Err(format!(
                        "{} is not a mode: use \"defer\" or \"suppress\"",
                        short(v)
                    )),
                })
                .unwrap_or(QuietMode::Defer);
            let tz = self.opt(qm, &p, "tz", DOC, timezone);
            Some(QuietHours {
                start: start?,
                end: end?,
                mode,
                tz,
                extra: rest(qm, &["start", "end", "mode", "tz"]),
            })
        });
        let conversion = m.get("conversion").filter(|v| !v.is_null()).and_then(|c| {
            let p = format!("{path}/conversion");
            let cm = self.object(c, &p, DOC, "conversion")?;
            Some(Conversion {
                event: self.opt(cm, &p, "event", DOC, string),
                revenue_field: self.opt(cm, &p, "revenue_field", DOC, string),
                extra: rest(cm, &["event", "revenue_field"]),
            })
        });
        let attribution = m.get("attribution").filter(|v| !v.is_null()).and_then(|a| {
            let p = format!("{path}/attribution");
            let am = self.object(a, &p, DOC, "attribution")?;
            Some(Attribution {
                window: self.opt(am, &p, "window", DOC, positive_duration),
                model: self.opt(am, &p, "model", DOC, |v| match v.as_str() {
                    Some("last_touch") => Ok(AttributionModel::LastTouch),
                    Some("first_touch") => Ok(AttributionModel::FirstTouch),
                    _ => Err(format!(
                        "{} is not a model: use \"last_touch\" or \"first_touch\"",
                        short(v)
                    )),
                }),
                extra: rest(am, &["window", "model"]),
            })
        });
        let measurement = m.get("measurement").filter(|v| !v.is_null()).and_then(|a| {
            let p = format!("{path}/measurement");
            let mm = self.object(a, &p, DOC, "measurement")?;
            Some(Measurement {
                window: self.opt(mm, &p, "window", DOC, positive_duration),
                mde: self.opt(mm, &p, "mde", DOC, |v| match v.as_f64() {
                    Some(x) if x.is_finite() && x != 0.0 && x > -1.0 => Ok(x),
                    _ => Err(format!(
                        "{} is not a relative effect: a number, not 0, above -1 (0.1 is a 10% lift)",
                        short(v)
                    )),
                }),
                alpha: self.opt(mm, &p, "alpha", DOC, open_unit("alpha")),
                power: self.opt(mm, &p, "power", DOC, open_unit("power")),
                extra: rest(mm, &["window", "mde", "alpha", "power"]),
            })
        });
        let unsubscribe = m.get("unsubscribe").filter(|v| !v.is_null()).and_then(|u| {
            let p = format!("{path}/unsubscribe");
            let um = self.object(u, &p, DOC, "unsubscribe")?;
            let event = self.req(um, &p, "event", DOC, string);
            let channel_field = self.opt(um, &p, "channel_field", DOC, string);
            Some(Unsubscribe {
                event: event?,
                channel_field,
                extra: rest(um, &["event", "channel_field"]),
            })
        });
        Policy {
            tz: self.opt(m, path, "tz", DOC, timezone),
            freq_caps,
            quiet_hours,
            conversion,
            attribution,
            global_holdout_percent: self.opt(m, path, "global_holdout_percent", DOC, holdout),
            measurement,
            unsubscribe,
            extra: rest(
                m,
                &[
                    "tz",
                    "freq_caps",
                    "quiet_hours",
                    "conversion",
                    "attribution",
                    "global_holdout_percent",
                    "measurement",
                    "unsubscribe",
                ],
            ),
        }
    }

    fn journey(&mut self, v: &Value, path: &str) -> Journey {
        self.journey = None;
        let empty = Map::new();
        let m = self.object(v, path, DOC, "a journey").unwrap_or(&empty);
        let id = match m.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        self.journey = Some(id.clone());
        self.req(m, path, "id", DOC, slug);
        if let Some(s) = m
            .get("schema")
            .filter(|s| s.as_str() != Some(JOURNEY_SCHEMA) && !path.is_empty())
        {
            self.report(
                DOC,
                &ptr(path, "schema"),
                format!(
                    "a journey's schema, when given, is \"{JOURNEY_SCHEMA}\", not {}",
                    short(s)
                ),
            );
        }
        let campaign = m
            .get("campaign")
            .filter(|v| !v.is_null())
            .and_then(|c| self.campaign(c, &ptr(path, "campaign")));
        let entry = m.get("entry").filter(|v| !v.is_null()).and_then(|e| {
            let p = ptr(path, "entry");
            let em = self.object(e, &p, DOC, "entry")?;
            Some(Entry {
                re_entry: self.opt(em, &p, "re_entry", DOC, |v| match v {
                    Value::String(s) if s == "never" => Ok(ReEntry::Never),
                    Value::String(s) if s == "after_exit" => Ok(ReEntry::AfterExit),
                    Value::Object(o) if o.len() == 1 && o.contains_key("cooldown") => {
                        positive_duration(&o["cooldown"]).map(ReEntry::Cooldown)
                    }
                    _ => Err(format!("{} is not a re-entry rule: use \"never\", \"after_exit\" or {{ \"cooldown\": \"7d\" }}", short(v))),
                }),
                holdout_percent: self.opt(em, &p, "holdout_percent", DOC, holdout),
                extra: rest(em, &["re_entry", "holdout_percent"]),
            })
        });
        let exit = m.get("exit").filter(|v| !v.is_null()).and_then(|e| {
            let p = ptr(path, "exit");
            let xm = self.object(e, &p, DOC, "exit")?;
            let goal = xm.get("goal").filter(|v| !v.is_null()).and_then(|g| {
                let gp = ptr(&p, "goal");
                let gm = self.object(g, &gp, DOC, "goal")?;
                Some(Goal {
                    event: self.req(gm, &gp, "event", DOC, string)?,
                    extra: rest(gm, &["event"]),
                })
            });
            Some(Exit {
                goal,
                max_duration: self.opt(xm, &p, "max_duration", DOC, positive_duration),
                extra: rest(xm, &["goal", "max_duration"]),
            })
        });
        let nodes = self
            .array(m, path, "nodes", DOC, true)
            .iter()
            .enumerate()
            .map(|(i, n)| self.node(n, &format!("{path}/nodes/{i}")))
            .collect();
        let edges = self
            .array(m, path, "edges", DOC, false)
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let p = format!("{path}/edges/{i}");
                let em = self.object(e, &p, DOC, "an edge").unwrap_or(&empty);
                Edge {
                    from: self
                        .req(em, &p, "from", DOC, any_string)
                        .unwrap_or_default(),
                    port: self
                        .req(em, &p, "port", DOC, any_string)
                        .unwrap_or_default(),
                    to: self.req(em, &p, "to", DOC, any_string).unwrap_or_default(),
                    extra: rest(em, &["from", "port", "to"]),
                }
            })
            .collect();
        let j = Journey {
            schema: m.get("schema").and_then(Value::as_str).map(str::to_owned),
            id,
            name: self.opt(m, path, "name", DOC, any_string),
            version: self.opt(m, path, "version", DOC, uint),
            campaign,
            priority: self.opt(m, path, "priority", DOC, int),
            mutex_group: self.opt(m, path, "mutex_group", DOC, string),
            entry,
            exit,
            nodes,
            edges,
            extra: rest(
                m,
                &[
                    "schema",
                    "id",
                    "name",
                    "version",
                    "campaign",
                    "priority",
                    "mutex_group",
                    "entry",
                    "exit",
                    "nodes",
                    "edges",
                ],
            ),
        };
        self.journey = None;
        j
    }

    fn campaign(&mut self, v: &Value, path: &str) -> Option<Campaign> {
        let m = self.object(v, path, DOC, "campaign")?;
        let id = self.req(m, path, "id", DOC, string);
        let budget = match m.get("budget") {
            None | Some(Value::Null) => {
                self.report(
                    DOC,
                    &ptr(path, "budget"),
                    "missing required field \"budget\" (with \"total\")",
                );
                None
            }
            Some(b) => {
                let bp = ptr(path, "budget");
                self.object(b, &bp, DOC, "budget").and_then(|bm| {
                    Some(Budget {
                        total: self.req(bm, &bp, "total", DOC, money)?,
                        currency: self.opt(bm, &bp, "currency", DOC, string),
                        extra: rest(bm, &["total", "currency"]),
                    })
                })
            }
        };
        let starts_at = self.opt(m, path, "starts_at", DOC, Timestamp::from_json);
        let ends_at = self.opt(m, path, "ends_at", DOC, Timestamp::from_json);
        if let (Some(s), Some(e)) = (&starts_at, &ends_at) {
            if e.at <= s.at {
                self.report(
                    DOC,
                    &ptr(path, "ends_at"),
                    format!("ends_at {} is not after starts_at {}", e.text, s.text),
                );
            }
        }
        let hourly_quota = self.opt(m, path, "hourly_quota", DOC, money);
        let pacing = self.opt(m, path, "pacing", DOC, pacing);
        if pacing.is_some() && (starts_at.is_none() || ends_at.is_none()) {
            self.report(
                DOC,
                &ptr(path, "pacing"),
                "pacing spreads the budget over the campaign window: give the campaign starts_at and ends_at",
            );
        }
        let breaker = self.opt(m, path, "breaker", DOC, breaker);
        Some(Campaign {
            id: id?,
            budget: budget?,
            starts_at,
            ends_at,
            hourly_quota,
            pacing,
            breaker,
            extra: rest(
                m,
                &[
                    "id",
                    "budget",
                    "starts_at",
                    "ends_at",
                    "hourly_quota",
                    "pacing",
                    "breaker",
                ],
            ),
        })
    }

    fn node(&mut self, v: &Value, path: &str) -> Node {
        let empty = Map::new();
        let m = self.object(v, path, DOC, "a node").unwrap_or(&empty);
        let id = match m.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        self.req(m, path, "id", DOC, slug);
        let type_name = self.req(m, path, "type", DOC, string).unwrap_or_default();
        let params_path = ptr(path, "params");
        let params = match m.get("params") {
            None | Some(Value::Null) => Some(&empty),
            Some(Value::Object(p)) => Some(p),
            Some(other) => {
                self.report(
                    Site {
                        code: Code::Schema,
                        node: Some(&id),
                    },
                    &params_path,
                    format!("params must be an object, found {}", kind_of(other)),
                );
                None
            }
        };
        let (kind, params_extra) = match params {
            _ if !NODE_TYPES.contains(&type_name.as_str()) => (
                NodeKind::Unknown {
                    type_name: type_name.clone(),
                    params: m
                        .get("params")
                        .cloned()
                        .unwrap_or(Value::Object(Map::new())),
                },
                Map::new(),
            ),
            None => (
                NodeKind::Invalid {
                    type_name: type_name.clone(),
                    params: m.get("params").cloned().unwrap_or_default(),
                },
                Map::new(),
            ),
            Some(p) => {
                let before = self.diags.len();
                let (kind, known) = self.params(&type_name, p, &params_path, &id);
                if self.diags[before..]
                    .iter()
                    .any(|d| d.code == Code::BadParam)
                    || kind.is_none()
                {
                    (
                        NodeKind::Invalid {
                            type_name: type_name.clone(),
                            params: Value::Object(p.clone()),
                        },
                        Map::new(),
                    )
                } else {
                    (kind.unwrap_or(NodeKind::Exit), rest(p, known))
                }
            }
        };
        Node {
            id: id.clone(),
            kind,
            label: self.opt(
                m,
                path,
                "label",
                Site {
                    code: Code::Schema,
                    node: Some(&id),
                },
                any_string,
            ),
            position: m.get("position").cloned(),
            params_extra,
            extra: rest(m, &["id", "type", "params", "label", "position"]),
        }
    }

    /// Reads a known node type's params; returns the kind (when every param read) and the
    /// param names it knows.
    fn params(
        &mut self,
        type_name: &str,
        p: &Obj,
        path: &str,
        node: &str,
    ) -> (Option<NodeKind>, &'static [&'static str]) {
        let site = Site {
            code: Code::BadParam,
            node: Some(node),
        };
        let j = FieldScope::Journey;
        macro_rules! known {
            ($($k:literal),*) => { &[$($k),*] };
        }
        match type_name {
            "trigger.event" => {
                let event = self.req(p, path, "event", site, string);
                let where_ = self.opt_condition(p, path, "where", site, j);
                (
                    event.map(|event| NodeKind::TriggerEvent { event, where_ }),
                    known!("event", "where"),
                )
            }
            "trigger.schedule" => {
                let cron = self.req(p, path, "cron", site, |v| Cron::parse(&any_string(v)?));
                let audience = self.req_condition(p, path, "audience", site, FieldScope::Audience);
                (
                    cron.zip(audience)
                        .map(|(cron, audience)| NodeKind::TriggerSchedule { cron, audience }),
                    known!("cron", "audience"),
                )
            }
            "trigger.pattern" => {
                let event = self.req(p, path, "event", site, string);
                let count = self.req(p, path, "count", site, count32(1));
                let within = self.req(p, path, "within", site, positive_duration);
                let where_ = self.opt_condition(p, path, "where", site, j);
                let unless = self.opt(p, path, "unless", site, string);
                let kind = match (event, count, within) {
                    (Some(event), Some(count), Some(within)) => Some(NodeKind::TriggerPattern {
                        event,
                        count,
                        within,
                        where_,
                        unless,
                    }),
                    _ => None,
                };
                (kind, known!("event", "count", "within", "where", "unless"))
            }
            "trigger.segment" => {
                let segment = self.req(p, path, "segment", site, slug);
                let on = self.req(p, path, "on", site, |v| {
                    v.as_str().and_then(SegmentOn::parse).ok_or_else(|| {
                        format!(
                            "{} is not a membership change: use \"enter\" or \"exit\"",
                            short(v)
                        )
                    })
                });
                (
                    segment
                        .zip(on)
                        .map(|(segment, on)| NodeKind::TriggerSegment { segment, on }),
                    known!("segment", "on"),
                )
            }
            "trigger.placement" => {
                let placement = self.req(p, path, "placement", site, slug);
                let where_ = self.opt_condition(p, path, "where", site, j);
                let fallback = self.opt(p, path, "fallback", site, placement_fallback);
                (
                    placement.map(|placement| NodeKind::TriggerPlacement {
                        placement,
                        where_,
                        fallback,
                    }),
                    known!("placement", "where", "fallback"),
                )
            }
            "condition" => (
                self.req_condition(p, path, "when", site, j)
                    .map(|when| NodeKind::Condition { when }),
                known!("when"),
            ),
            "gate.uplift" => {
                let model = self.req(p, path, "model", site, slug);
                let threshold = self.req(p, path, "threshold", site, |v| {
                    v.as_f64()
                        .filter(|x| x.is_finite() && (-1.0..=1.0).contains(x))
                        .ok_or_else(|| {
                            format!(
                                "{} is not an uplift: use a number from -1 to 1 (e.g. 0.02 for two points)",
                                short(v)
                            )
                        })
                });
                (
                    model
                        .zip(threshold)
                        .map(|(model, threshold)| NodeKind::GateUplift { model, threshold }),
                    known!("model", "threshold"),
                )
            }
            "switch" => {
                let items = self.array(p, path, "cases", site, true);
                if items.is_empty() && p.get("cases").is_some_and(Value::is_array) {
                    self.report(
                        site,
                        &ptr(path, "cases"),
                        "a switch needs at least one case",
                    );
                }
                let mut ports = HashSet::new();
                let mut cases = Vec::new();
                for (i, c) in items.iter().enumerate() {
                    let cp = format!("{path}/cases/{i}");
                    let Some(cm) = self.object(c, &cp, site, "a case") else {
                        continue;
                    };
                    let port = self.req(cm, &cp, "port", site, string);
                    if let Some(port) = &port {
                        if port == "else" {
                            self.report(site, &ptr(&cp, "port"), "\"else\" is the switch's own fallback port; name the case differently");
                        } else if !ports.insert(port.clone()) {
                            self.report(
                                site,
                                &ptr(&cp, "port"),
                                format!("port {port:?} is used by an earlier case"),
                            );
                        }
                    }
                    let when = self.req_condition(cm, &cp, "when", site, j);
                    if let (Some(port), Some(when)) = (port, when) {
                        cases.push(Case {
                            port,
                            when,
                            extra: rest(cm, &["port", "when"]),
                        });
                    }
                }
                (Some(NodeKind::Switch { cases }), known!("cases"))
            }
            "split.random" => {
                let branches = self.branches(p, path, "branches", site, &[]);
                let salt = self.opt(p, path, "salt", site, any_string);
                (
                    branches.map(|branches| NodeKind::SplitRandom { branches, salt }),
                    known!("branches", "salt"),
                )
            }
            "split.experiment" => {
                let experiment = self.req(p, path, "experiment", site, string);
                let variants = self.branches(p, path, "variants", site, &["holdout"]);
                let holdout_percent = self.opt(p, path, "holdout_percent", site, |v| {
                    let h = Percent::from_json(v)?;
                    if h.ppm >= 1_000_000 {
                        return Err("a holdout of 100% leaves no one for the variants".into());
                    }
                    Ok(h)
                });
                (
                    experiment.zip(variants).map(|(experiment, variants)| {
                        NodeKind::SplitExperiment {
                            experiment,
                            variants,
                            holdout_percent,
                        }
                    }),
                    known!("experiment", "variants", "holdout_percent"),
                )
            }
            "wait.delay" => (
                self.req(p, path, "duration", site, Duration::from_json)
                    .map(|duration| NodeKind::WaitDelay { duration }),
                known!("duration"),
            ),
            "wait.event" => {
                let event = self.req(p, path, "event", site, string);
                let where_ = self.opt_condition(p, path, "where", site, j);
                let timeout = self.req(p, path, "timeout", site, positive_duration);
                (
                    event
                        .zip(timeout)
                        .map(|(event, timeout)| NodeKind::WaitEvent {
                            event,
                            where_,
                            timeout,
                        }),
                    known!("event", "where", "timeout"),
                )
            }
            "action.offer" => (
                self.req(p, path, "offer", site, string)
                    .map(|offer| NodeKind::ActionOffer { offer }),
                known!("offer"),
            ),
            "action.touch" => {
                let channels = self.req(p, path, "channels", site, |v| {
                    let Value::Array(items) = v else {
                        return Err(format!("expected a list of channels, found {}", kind_of(v)));
                    };
                    if items.is_empty() {
                        return Err("list at least one channel".into());
                    }
                    let mut out = Vec::new();
                    for (i, c) in items.iter().enumerate() {
                        let ch = c.as_str().and_then(Channel::parse).ok_or_else(|| {
                            format!(
                                "item {i}: {} is not a channel: use {}",
                                short(c),
                                Channel::names()
                            )
                        })?;
                        if out.contains(&ch) {
                            return Err(format!("item {i}: {} is listed twice", ch.as_str()));
                        }
                        out.push(ch);
                    }
                    Ok(out)
                });
                let template = self.req(p, path, "template", site, string);
                let content = p.get("content").cloned();
                (
                    channels
                        .zip(template)
                        .map(|(channels, template)| NodeKind::ActionTouch {
                            channels,
                            template,
                            content,
                        }),
                    known!("channels", "template", "content"),
                )
            }
            "action.points" => {
                let amount = self.req(p, path, "amount", site, int);
                let reason = self.opt(p, path, "reason", site, any_string);
                (
                    amount.map(|amount| NodeKind::ActionPoints { amount, reason }),
                    known!("amount", "reason"),
                )
            }
            "action.update" => (
                self.req(p, path, "set", site, |v| match v {
                    Value::Object(s) if s.is_empty() => Err("set at least one attribute".into()),
                    Value::Object(s) => match s.keys().find(|k| k.is_empty() || k.contains('.')) {
                        Some(k) => Err(format!("{k:?} is not an attribute name")),
                        None => Ok(s.clone()),
                    },
                    other => Err(format!(
                        "expected an object of attributes, found {}",
                        kind_of(other)
                    )),
                })
                .map(|set| NodeKind::ActionUpdate { set }),
                known!("set"),
            ),
            _ => (Some(NodeKind::Exit), known!()),
        }
    }

    fn branches(
        &mut self,
        p: &Obj,
        path: &str,
        key: &str,
        site: Site,
        reserved: &[&str],
    ) -> Option<Vec<Branch>> {
        let items = self.array(p, path, key, site, true);
        let bp = ptr(path, key);
        if !p.get(key).is_some_and(Value::is_array) {
            return None;
        }
        if items.is_empty() {
            self.report(site, &bp, format!("{key} needs at least one entry"));
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        let mut ports = HashSet::new();
        for (i, b) in items.iter().enumerate() {
            let ip = format!("{bp}/{i}");
            let Some(bm) = self.object(b, &ip, site, "a branch") else {
                ok = false;
                continue;
            };
            let port = self.req(bm, &ip, "port", site, string);
            if let Some(port) = &port {
                if reserved.contains(&port.as_str()) {
                    self.report(
                        site,
                        &ptr(&ip, "port"),
                        format!("{port:?} is a reserved port here; name the branch differently"),
                    );
                    ok = false;
                } else if !ports.insert(port.clone()) {
                    self.report(
                        site,
                        &ptr(&ip, "port"),
                        format!("port {port:?} is used by an earlier branch"),
                    );
                    ok = false;
                }
            }
            let percent = self.req(bm, &ip, "percent", site, Percent::from_json);
            match (port, percent) {
                (Some(port), Some(percent)) => out.push(Branch {
                    port,
                    percent,
                    extra: rest(bm, &["port", "percent"]),
                }),
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let sum: u64 = out.iter().map(|b| u64::from(b.percent.ppm)).sum();
        if sum != 1_000_000 {
            let total = Decimal::from(sum) / Decimal::from(10_000);
            self.report(
                site,
                &bp,
                format!("the percents sum to {}, not 100", total.normalize()),
            );
            return None;
        }
        Some(out)
    }
}

fn same_campaign(a: &Campaign, b: &Campaign) -> bool {
    a.id == b.id
        && a.budget.total.value == b.budget.total.value
        && a.budget.currency == b.budget.currency
        && a.starts_at.as_ref().map(|t| t.at) == b.starts_at.as_ref().map(|t| t.at)
        && a.ends_at.as_ref().map(|t| t.at) == b.ends_at.as_ref().map(|t| t.at)
        && a.hourly_quota.map(|m| m.value) == b.hourly_quota.map(|m| m.value)
        && a.pacing == b.pacing
        && a.breaker
            .as_ref()
            .map(|x| (x.max_committed.value, x.within.seconds))
            == b.breaker
                .as_ref()
                .map(|x| (x.max_committed.value, x.within.seconds))
}

/// A number strictly between 0 and 1 (a significance level, a power).
fn open_unit(what: &'static str) -> impl Fn(&Value) -> Result<f64, String> {
    move |v| match v.as_f64() {
        Some(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!(
            "{} is not a {what}: a number above 0 and below 1",
            short(v)
        )),
    }
}

/// A holdout: a percentage below 100 (a holdout of everyone would measure nothing).
fn holdout(v: &Value) -> Result<Percent, String> {
    let h = Percent::from_json(v)?;
    if h.ppm >= 1_000_000 {
        return Err("a holdout of 100% leaves no one to treat".into());
    }
    Ok(h)
}
