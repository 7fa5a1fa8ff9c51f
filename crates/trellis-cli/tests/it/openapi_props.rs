//! A property test driven by the service's own OpenAPI document: against a running
//! `trellis serve`, every route gets requests generated from its parameter and request-body
//! schemas (valid values, values at and past their bounds, and arbitrary JSON), and every answer
//! must be a non-5xx whose body matches the document's schema for its status (`4XX`: the error
//! body). The schemas are read from `/openapi.json`, not from the Rust types, so the test checks
//! the document a client generator would use.

use crate::service::{http_with, publish, sqlite, tokens, Server};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

/// Whether an operation answers an endless stream (`text/event-stream`).
fn is_stream(op: &Value) -> bool {
    op["responses"]["200"]["content"]["text/event-stream"].is_object()
}

/// [`http_with`], except that a stream's success is answered by its head alone (its body never
/// ends): the status and an empty text. A refusal is read whole.
fn answer_of(
    streaming: bool,
    addr: &str,
    method: &str,
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    use std::io::{BufRead, Read, Write};
    if !streaming {
        return http_with(addr, method, url, token, headers, body);
    }
    let mut c = std::net::TcpStream::connect(addr).expect("the service listens");
    c.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut req = format!(
        "{method} {url} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    c.write_all(req.as_bytes()).unwrap();
    c.write_all(body).unwrap();
    let mut r = std::io::BufReader::new(c);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let code = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
    }
    if code == 200 {
        return (code, Value::String(String::new()));
    }
    let mut rest = String::new();
    let _ = r.read_to_string(&mut rest);
    (
        code,
        serde_json::from_str(&rest).unwrap_or(Value::String(rest)),
    )
}

/// `Ok` when `v` matches `schema` (the subset utoipa writes: `$ref`, `type`, `properties`,
/// `required`, `items`, `oneOf`, `anyOf`, `allOf`, `enum`), else where and why not.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: no schema {name}"));
        }
        return check(doc, target, v, at);
    }
    for s in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check(doc, s, v, at)?;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(ss) = schema.get(key).and_then(Value::as_array) {
            if !ss.iter().any(|s| check(doc, s, v, at).is_ok()) {
                return Err(format!("{at}: {v} matches none of {key} {ss:?}"));
            }
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let fits = |t: &str| match t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            _ => true,
        };
        if !types.iter().any(|t| fits(t)) {
            return Err(format!("{at}: {v} is not {t}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} is not one of {e:?}"));
        }
    }
    if let Some(o) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let k = r.as_str().unwrap_or_default();
            if !o.contains_key(k) {
                return Err(format!("{at}: {k} is required"));
            }
        }
        if let Some(ps) = schema.get("properties").and_then(Value::as_object) {
            for (k, s) in ps {
                if let Some(x) = o.get(k) {
                    check(doc, s, x, &format!("{at}/{k}"))?;
                }
            }
        }
    }
    if let (Some(a), Some(items)) = (v.as_array(), schema.get("items")) {
        for (i, x) in a.iter().enumerate() {
            check(doc, items, x, &format!("{at}/{i}"))?;
        }
    }
    Ok(())
}

/// Any small JSON value.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z0-9 :_.-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Values for `schema`: mostly what it describes (with bounds and a little past them), some
/// arbitrary JSON.
fn values(doc: &Value, schema: &Value, depth: u32) -> BoxedStrategy<Value> {
    if depth > 4 {
        return any_json();
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return values(doc, &doc["components"]["schemas"][name].clone(), depth + 1);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(ss) = schema.get(key).and_then(Value::as_array) {
            return Union::new(ss.iter().map(|s| values(doc, s, depth + 1))).boxed();
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        return prop_oneof![4 => proptest::sample::select(e.clone()), 1 => any_json()].boxed();
    }
    let t = match &schema["type"] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_owned(),
        _ => String::new(),
    };
    let typed = match t.as_str() {
        "object" => {
            let props: Vec<(String, Value)> = schema["properties"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            let fields: Vec<BoxedStrategy<(String, Option<Value>)>> = props
                .into_iter()
                .map(|(k, s)| {
                    (proptest::option::weighted(0.7, values(doc, &s, depth + 1)))
                        .prop_map(move |v| (k.clone(), v))
                        .boxed()
                })
                .collect();
            fields
                .prop_map(|fs| {
                    Value::Object(
                        fs.into_iter()
                            .filter_map(|(k, v)| Some((k, v?)))
                            .collect::<Map<_, _>>(),
                    )
                })
                .boxed()
        }
        "array" => {
            let items = values(doc, &schema["items"], depth + 1);
            prop::collection::vec(items, 0..3)
                .prop_map(Value::from)
                .boxed()
        }
        "integer" => {
            let lo = schema["minimum"].as_i64().unwrap_or(-5);
            let hi = schema["maximum"]
                .as_i64()
                .unwrap_or(lo.saturating_add(1_000))
                .min(lo.saturating_add(1_000_000));
            prop_oneof![
                4 => (lo..=hi).prop_map(Value::from),
                1 => Just(Value::from(lo - 1)),
                1 => Just(Value::from(hi.saturating_add(1))),
                1 => any::<i64>().prop_map(Value::from),
            ]
            .boxed()
        }
        "number" => (-1e9f64..1e9).prop_map(Value::from).boxed(),
        "boolean" => any::<bool>().prop_map(Value::from).boxed(),
        "string" if schema["format"] == "date-time" => prop_oneof![
            Just(json!("2026-11-01T00:00:00Z")),
            Just(json!("2026-11-01T08:30:00+08:00")),
            "[0-9T:Z-]{0,20}".prop_map(Value::from),
        ]
        .boxed(),
        "string" => prop_oneof![
            "[a-z0-9_]{0,10}".prop_map(Value::from),
            Just(json!("true")),
            Just(json!("0")),
            Just(json!("10000")),
            Just(json!("-1")),
            Just(json!("2026-11-01T00:00:00Z")),
            Just(json!("0123456789abcdef0123456789abcdef")),
        ]
        .boxed(),
        "null" => Just(Value::Null).boxed(),
        _ => any_json(),
    };
    prop_oneof![6 => typed, 1 => any_json()].boxed()
}

/// Percent-encodes a query value or path segment.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// One request: the path filled in, the query, the body.
type Req = (String, Option<Value>);

fn requests(doc: &Value, path: &str, op: &Value, ids: &[String]) -> BoxedStrategy<Req> {
    let mut parts: Vec<BoxedStrategy<(String, Option<Value>)>> = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        match p["in"].as_str() {
            Some("path") => {
                let known = proptest::sample::select(ids.to_vec()).prop_map(Value::from);
                let s = prop_oneof![2 => known, 1 => "[a-z0-9 %/._-]{1,10}".prop_map(Value::from)];
                parts.push(
                    s.prop_map(move |v| (format!("path:{name}"), Some(v)))
                        .boxed(),
                );
            }
            Some("query") => {
                let s = proptest::option::weighted(0.6, values(doc, &p["schema"], 0));
                parts.push(s.prop_map(move |v| (format!("query:{name}"), v)).boxed());
            }
            _ => {}
        }
    }
    let body = match op["requestBody"]["content"]["application/json"]["schema"].clone() {
        Value::Null => Just(None).boxed(),
        s => values(doc, &s, 0).prop_map(Some).boxed(),
    };
    let path = path.to_owned();
    (parts, body)
        .prop_map(move |(parts, body)| {
            let mut url = path.clone();
            let mut query = Vec::new();
            for (k, v) in parts {
                let Some(v) = v.filter(|v| !v.is_null()) else {
                    continue;
                };
                if let Some(name) = k.strip_prefix("path:") {
                    url = url.replace(&format!("{{{name}}}"), &enc(&text(&v)));
                } else if let Some(name) = k.strip_prefix("query:") {
                    query.push(format!("{name}={}", enc(&text(&v))));
                }
            }
            if !query.is_empty() {
                url = format!("{url}?{}", query.join("&"));
            }
            (url, body)
        })
        .boxed()
}

#[test]
fn every_route_answers_what_its_openapi_schema_says_and_never_a_5xx() {
    let db = sqlite("openapi_props");
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    let ws = json!({"schema": "trellis/workspace@1",
        "journeys": [{"id": "stay",
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "w", "type": "wait.delay", "params": {"duration": "1h"}}],
            "edges": [{"from": "t", "port": "out", "to": "w"}]}]});
    let release = publish(&s, &t, &ws, 100, "live");
    let (c, doc) = s.call("GET", "/openapi.json", None, b"");
    assert_eq!(c, 200, "{doc}");
    assert_eq!(doc["openapi"], "3.1.0");
    let ids = vec!["stay".to_owned(), release, "u1".to_owned()];
    // The checker is not vacuous: a wrong answer does not pass.
    let ingest = json!({"$ref": "#/components/schemas/IngestResult"});
    assert!(check(
        &doc,
        &ingest,
        &json!({"accepted": 1, "duplicates": 0, "trace_id": "t"}),
        ""
    )
    .is_ok());
    assert!(check(
        &doc,
        &ingest,
        &json!({"accepted": "1", "duplicates": 0, "trace_id": "t"}),
        ""
    )
    .is_err());
    assert!(check(
        &doc,
        &ingest,
        &json!({"duplicates": 0, "trace_id": "t"}),
        ""
    )
    .is_err());
    let seen = std::cell::RefCell::new(std::collections::BTreeMap::<u16, usize>::new());
    let mut routes = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            routes += 1;
            let streaming = is_stream(op);
            let mut runner = TestRunner::new(Config {
                cases: 24,
                failure_persistence: None,
                ..Config::default()
            });
            // Mostly the admin (every role), sometimes an operator or no token at all.
            let who = proptest::sample::select(vec![
                Some(t.admin.clone()),
                Some(t.admin.clone()),
                Some(t.admin.clone()),
                Some(t.op.clone()),
                None,
            ]);
            let r = runner.run(
                &(requests(&doc, path, op, &ids), who),
                |((url, body), who)| {
                    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
                    let (code, answer) = answer_of(
                        streaming,
                        &s.addr,
                        &method.to_uppercase(),
                        &url,
                        who.as_deref(),
                        &[("content-type", "application/json")],
                        &bytes,
                    );
                    *seen.borrow_mut().entry(code).or_default() += 1;
                    let what = format!("{method} {url} {}", String::from_utf8_lossy(&bytes));
                    prop_assert!(
                        (200..500).contains(&code),
                        "{what} answered {code}: {answer}"
                    );
                    let documented = &op["responses"][code.to_string()];
                    let response = if documented.is_object() {
                        documented
                    } else {
                        &op["responses"][format!("{}XX", code / 100)]
                    };
                    prop_assert!(response.is_object(), "{what}: {code} is not documented");
                    if let Some(schema) =
                        response["content"]["application/json"]["schema"].as_object()
                    {
                        check(&doc, &Value::Object(schema.clone()), &answer, "").map_err(|e| {
                            TestCaseError::fail(format!("{what} → {code}: {e}; {answer}"))
                        })?;
                    } else {
                        prop_assert!(answer.is_string(), "{what}: a text answer");
                    }
                    Ok(())
                },
            );
            if let Err(e) = r {
                panic!("{method} {path}: {e}");
            }
        }
    }
    assert_eq!(routes, trellis_server::openapi::ROUTES.len());
    // Each operation's x-role is the role its handler asks for: a token of another role is
    // refused with 403 before anything else, no token with 401; a route for no role needs none.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let url = path.replace("{id}", "x").replace("{user_id}", "x");
        for (method, op) in ops.as_object().unwrap() {
            let m = method.to_uppercase();
            let streaming = is_stream(op);
            let call =
                |tok: Option<&str>| answer_of(streaming, &s.addr, &m, &url, tok, &[], b"{}").0;
            let other = match op["x-role"].as_str().unwrap_or_default() {
                "none" => {
                    assert_ne!(call(None), 401, "{method} {path} needs no token");
                    continue;
                }
                "any" => None,
                "operator" => Some(&t.ingest),
                "approver" | "ingest" | "admin" | "decide" => Some(&t.op),
                r => panic!("{method} {path}: unknown x-role {r}"),
            };
            assert_eq!(call(None), 401, "{method} {path} without a token");
            if let Some(tok) = other {
                assert_eq!(
                    call(Some(tok)),
                    403,
                    "{method} {path} with another role's token"
                );
            } else {
                assert_ne!(
                    call(Some(&t.ingest)),
                    403,
                    "{method} {path} is for any role"
                );
            }
        }
    }
    // Both the operations and their refusals were reached.
    let seen = seen.into_inner();
    let count = |r: std::ops::Range<u16>| {
        seen.iter()
            .filter(|(c, _)| r.contains(c))
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert!(count(200..300) >= 100 && count(400..500) >= 100, "{seen:?}");
    assert!(
        seen.contains_key(&401) && seen.contains_key(&403),
        "{seen:?}"
    );
    eprintln!("answers by status: {seen:?}");
}
