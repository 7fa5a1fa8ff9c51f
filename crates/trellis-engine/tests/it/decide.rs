//! Placement requests on the engine (docs/decide.md): an offer answered, reused by a second
//! request, refused with its reason, content as a fallback despite quiet hours, nothing run at
//! or after a deadline, and the same answers again from the journal's parts.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use trellis_engine::{AnswerKind, Decide, Engine, Input, Options, Outcome, PlacementAnswer};

fn ws() -> Value {
    json!({"schema": "trellis/workspace@1",
    "offers": [{"id": "c10", "kind": "coupon", "face_value": "10", "stock": 2, "valid_for": "7d"}],
    "policy": {"tz": "UTC", "quiet_hours": {"start": "00:00", "end": "23:59", "mode": "defer"}},
    "journeys": [
        {"id": "home", "priority": 10, "campaign": {"id": "c", "budget": {"total": 100}},
         "nodes": [
            {"id": "t", "type": "trigger.placement", "params": {"placement": "home_banner",
                "where": {"field": "event.page", "operator": "eq", "value": "home"}}},
            {"id": "o", "type": "action.offer", "params": {"offer": "c10"}},
            {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "sorry", "content": {"title": "next time"}}}],
         "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "rejected", "to": "m"}]},
        {"id": "low", "priority": 1, "campaign": {"id": "c", "budget": {"total": 100}},
         "nodes": [
            {"id": "t", "type": "trigger.placement", "params": {"placement": "home_banner"}},
            {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "low"}}],
         "edges": [{"from": "t", "port": "out", "to": "m"}]}
    ]})
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn request(id: &str, user: &str, page: &str, deadline: Option<&str>) -> Input {
    Input::Decide(Decide {
        request_id: id.into(),
        user_id: user.into(),
        placement: "home_banner".into(),
        context: json!({ "page": page }).as_object().unwrap().clone(),
        deadline: deadline.map(at),
    })
}

fn answer(e: &mut Engine, input: &Input, t: &str) -> PlacementAnswer {
    match e.apply(input, at(t)) {
        Outcome::Decided(a) => a,
        o => panic!("not an answer: {o:?}"),
    }
}

fn kinds(e: &mut Engine) -> Vec<String> {
    e.drain().map(|d| d.kind_name().to_owned()).collect()
}

#[test]
fn an_offer_is_answered_then_reused_then_refused_for_stock_with_content_as_the_fallback() {
    let mut e = Engine::new(
        trellis_model::Workspace::from_json(&ws()).unwrap(),
        Options::default(),
    );
    let a = answer(
        &mut e,
        &request("r1", "u1", "home", None),
        "2026-11-01T10:00:00Z",
    );
    assert_eq!(a.decision, AnswerKind::Offer);
    let o = a.offer.clone().unwrap();
    assert_eq!((o.id.as_str(), o.reused), ("c10", false));
    assert_eq!(o.amount.to_string(), "10");
    assert_eq!(o.expires_at, Some(at("2026-11-08T10:00:00Z")));
    assert_eq!(
        (a.journey.as_deref(), a.version, a.node.as_deref(), a.reason),
        (Some("home"), Some(1), Some("o"), None)
    );
    // The higher priority journey answered: the other one was not entered.
    assert_eq!(
        kinds(&mut e),
        ["journey.entered", "offer.issued", "journey.exited"]
    );

    // The same user again: the instance they hold, nothing issued.
    let b = answer(
        &mut e,
        &request("r2", "u1", "home", None),
        "2026-11-01T10:00:01Z",
    );
    let ob = b.offer.clone().unwrap();
    assert_eq!(
        (ob.instance.as_str(), ob.reused),
        (o.instance.as_str(), true)
    );
    assert_eq!(
        kinds(&mut e),
        ["journey.entered", "offer.reused", "journey.exited"]
    );
    assert!(kinds(&mut e).is_empty());

    // A second user takes the last one; a third finds none: the fallback touch answers,
    // though quiet hours are on all day (a page is not a message at night).
    let c = answer(
        &mut e,
        &request("r3", "u2", "home", None),
        "2026-11-01T10:00:02Z",
    );
    assert_eq!(c.decision, AnswerKind::Offer);
    kinds(&mut e);
    let d = answer(
        &mut e,
        &request("r4", "u3", "home", None),
        "2026-11-01T10:00:03Z",
    );
    assert_eq!(d.decision, AnswerKind::Content, "{d:?}");
    assert_eq!(
        d.content,
        Some(json!({"channel": "inbox", "template": "sorry", "content": {"title": "next time"}}))
    );
    assert_eq!(d.node.as_deref(), Some("m"));
    assert_eq!(
        kinds(&mut e),
        [
            "journey.entered",
            "offer.rejected",
            "touch.sent",
            "journey.exited"
        ]
    );

    // Another page: the first journey's trigger does not fire, the second one answers.
    let f = answer(
        &mut e,
        &request("r5", "u4", "cart", None),
        "2026-11-01T10:00:04Z",
    );
    assert_eq!(
        (f.decision, f.journey.as_deref()),
        (AnswerKind::Content, Some("low"))
    );
    kinds(&mut e);
}

#[test]
fn a_refusal_names_its_reason_and_a_request_past_its_deadline_runs_nothing() {
    let mut v = ws();
    v["journeys"][0]["nodes"][2] = json!({"id": "m", "type": "exit", "params": {}});
    v["journeys"].as_array_mut().unwrap().pop();
    v["offers"][0]["stock"] = json!(0);
    let mut e = Engine::new(
        trellis_model::Workspace::from_json(&v).unwrap(),
        Options::default(),
    );
    let a = answer(
        &mut e,
        &request("r1", "u1", "home", None),
        "2026-11-01T10:00:00Z",
    );
    assert_eq!(
        (a.decision, a.reason, a.node.as_deref()),
        (AnswerKind::None, Some("stock"), Some("o"))
    );
    let g = answer(
        &mut e,
        &request("r2", "u1", "cart", None),
        "2026-11-01T10:00:00Z",
    );
    assert_eq!(
        (g.decision, g.reason),
        (AnswerKind::None, Some("no_journey"))
    );
    kinds(&mut e);

    // At the deadline or after: nothing runs, nothing is logged.
    let late = request("r3", "u2", "home", Some("2026-11-01T10:00:01Z"));
    let t = answer(&mut e, &late, "2026-11-01T10:00:01Z");
    assert_eq!((t.decision, t.reason), (AnswerKind::None, Some("timeout")));
    assert_eq!(t.to_json()["offer"], Value::Null);
    assert!(kinds(&mut e).is_empty());
    // Just before it, the request runs.
    let early = request("r4", "u2", "home", Some("2026-11-01T10:00:03Z"));
    let r = answer(&mut e, &early, "2026-11-01T10:00:02.999Z");
    assert_eq!(r.reason, Some("stock"));
}

#[test]
fn the_journal_parts_of_a_request_replay_to_the_same_answers_and_log() {
    let inputs: Vec<(Input, &str)> = vec![
        (request("a", "u1", "home", None), "2026-11-01T10:00:00Z"),
        (
            request("b", "u1", "home", Some("2026-11-01T10:00:05Z")),
            "2026-11-01T10:00:01Z",
        ),
        (
            request("c", "u2", "home", Some("2026-11-01T10:00:01Z")),
            "2026-11-01T10:00:02Z",
        ),
        (request("d", "u3", "home", None), "2026-11-01T10:00:03Z"),
    ];
    let run = |parts: bool| {
        let mut e = Engine::new(
            trellis_model::Workspace::from_json(&ws()).unwrap(),
            Options::default(),
        );
        let mut out = Vec::new();
        for (input, t) in &inputs {
            let input = if parts {
                let (kind, body) = input.to_parts();
                Input::from_parts(kind, &body.to_string()).unwrap()
            } else {
                input.clone()
            };
            out.push(answer(&mut e, &input, t).to_json());
        }
        let log: Vec<Value> = e.drain().map(|d| json!(d.to_map())).collect();
        (out, log)
    };
    let (answers, log) = run(false);
    assert_eq!(run(true), (answers.clone(), log));
    assert_eq!(answers[1]["offer"]["reused"], true);
    assert_eq!(answers[2]["reason"], "timeout");
    assert_eq!(answers[3]["decision"], "offer");
}

#[test]
fn a_decide_body_that_does_not_read_names_its_field() {
    let e = Input::from_parts(
        "decide",
        r#"{"request_id": "r", "user_id": "u", "placement": "p", "deadline": "soon"}"#,
    )
    .unwrap_err();
    assert!(e.message.starts_with("/deadline"), "{e}");
}

#[test]
fn a_request_past_its_deadline_answers_the_placement_s_fallback_content_and_runs_nothing() {
    let mut v = ws();
    // The low-priority journey's trigger has a fallback; the first in priority order with one
    // gives it, whichever journey would have answered.
    v["journeys"][1]["nodes"][0]["params"]["fallback"] =
        json!({"template": "banner_default", "content": {"title": "Welcome"}});
    let mut e = Engine::new(
        trellis_model::Workspace::from_json(&v).unwrap(),
        Options::default(),
    );
    let late = request("r1", "u1", "home", Some("2026-11-01T10:00:00Z"));
    let t = answer(&mut e, &late, "2026-11-01T10:00:00.001Z");
    assert_eq!(
        (
            t.decision,
            t.reason,
            t.journey.as_deref(),
            t.node.as_deref()
        ),
        (AnswerKind::Content, Some("timeout"), Some("low"), Some("t"))
    );
    assert_eq!(
        t.content,
        Some(
            json!({"channel": null, "template": "banner_default", "content": {"title": "Welcome"}})
        )
    );
    assert_eq!(t.to_json()["offer"], Value::Null);
    assert!(
        kinds(&mut e).is_empty(),
        "a fallback is not a touch: nothing is logged"
    );
    assert_eq!(e.timeout_answer("home_banner"), t);
    // Another placement has no fallback: none, timeout.
    let other = e.timeout_answer("cart");
    assert_eq!(
        (other.decision, other.reason, other.content),
        (AnswerKind::None, Some("timeout"), None)
    );
    // In time, the journeys answer as always (an offer; the fallback is only for timeouts).
    let a = answer(
        &mut e,
        &request("r2", "u1", "home", Some("2026-11-01T10:00:05Z")),
        "2026-11-01T10:00:01Z",
    );
    assert_eq!((a.decision, a.reason), (AnswerKind::Offer, None));
}
