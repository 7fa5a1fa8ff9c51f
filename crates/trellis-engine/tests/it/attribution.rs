//! The report's `attribution_analysis` (docs/attribution.md, "In the report"): paths of touches
//! and offers in the attribution window, per journey and across journeys, credited by every
//! model. The figures below are derived by hand.

use rust_decimal::Decimal;
use serde_json::{json, Value};
use trellis_engine::report::{AttributionAnalysis, PathAnalysis};
use trellis_engine::{parse_event, parse_profile, Engine, Options};

fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    t.parse().unwrap()
}

fn workspace() -> trellis_model::Workspace {
    trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "policy": {"attribution": {"window": "7d"}},
        "offers": [{"id": "cash5", "kind": "cash", "face_value": 5}],
        "journeys": [
            // A visit: an SMS, then a push.
            {"id": "j", "entry": {"re_entry": "never"},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                       {"id": "s", "type": "action.touch", "params": {"channels": ["sms"], "template": "a"}},
                       {"id": "p", "type": "action.touch", "params": {"channels": ["push"], "template": "b"}}],
             "edges": [{"from": "t", "port": "out", "to": "s"},
                       {"from": "s", "port": "sent", "to": "p"}]},
            // A browse: an offer.
            {"id": "k", "entry": {"re_entry": "never"},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "browse"}},
                       {"id": "o", "type": "action.offer", "params": {"offer": "cash5"}}],
             "edges": [{"from": "t", "port": "out", "to": "o"}]}]}))
    .unwrap()
}

const EVENTS: &[(&str, &str, &str, Option<u32>)] = &[
    // u5's touches leave the window before its order: a non-converting path.
    ("u5", "visit", "2026-11-01T09:00:00Z", None),
    ("u3", "browse", "2026-11-02T09:00:00Z", None),
    ("u3", "visit", "2026-11-02T09:30:00Z", None),
    ("u1", "visit", "2026-11-02T10:00:00Z", None),
    ("u2", "visit", "2026-11-02T10:00:00Z", None),
    ("u1", "order_paid", "2026-11-03T09:00:00Z", Some(30)),
    ("u3", "order_paid", "2026-11-03T09:00:00Z", Some(20)),
    // Never touched: unattributed.
    ("u4", "order_paid", "2026-11-03T09:00:00Z", Some(10)),
    ("u5", "order_paid", "2026-11-10T10:00:00Z", Some(40)),
];

fn run(events: &[(&str, &str, &str, Option<u32>)], engine: &mut Engine) {
    for (i, (user, kind, ts, amount)) in events.iter().enumerate() {
        let mut ev =
            json!({"event_id": format!("e{i}-{user}"), "user_id": user, "type": kind, "ts": ts});
        if let Some(a) = amount {
            ev["props"] = json!({"amount": a});
        }
        engine.handle(&parse_event(&ev).unwrap());
        engine.drain().for_each(drop);
    }
}

fn engine() -> Engine {
    let mut e = Engine::new(workspace(), Options::default());
    for u in ["u1", "u2", "u3", "u5"] {
        e.add_profile(
            parse_profile(&json!({"user_id": u, "contact": {"phone": "1", "push": "tok"}}))
                .unwrap(),
        );
    }
    e.start(at("2026-11-01T00:00:00Z"));
    e
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// (channel, conversions, value) of one model, in channel order.
fn credits(a: &PathAnalysis, model: &str) -> Vec<(String, f64, Decimal)> {
    a.models[model]
        .channels
        .iter()
        .map(|(c, k)| (c.clone(), k.conversions, k.value))
        .collect()
}

fn close(got: Vec<(String, f64, Decimal)>, want: &[(&str, f64, &str)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{what}");
        assert!(
            (g.1 - w.1).abs() < 1e-12,
            "{what}: {} credited {} conversions, not {}",
            g.0,
            g.1,
            w.1
        );
        assert_eq!(g.2, d(w.2), "{what}: {}'s value", g.0);
    }
}

fn analysis(e: &mut Engine) -> AttributionAnalysis {
    e.finish(at("2026-11-11T00:00:00Z"));
    e.report
        .attribution_analysis
        .clone()
        .expect("users were touched")
}

#[test]
fn paths_per_journey_and_across_are_credited_as_derived_by_hand() {
    let mut e = engine();
    run(EVENTS, &mut e);
    let a = analysis(&mut e);

    // Journey j: sms>push converted twice (u1 30, u3 20) and did not twice (u2 at the end, u5
    // when its touches left the window).
    let j = &a.journeys["j"];
    assert_eq!((j.paths, j.conversions, j.value), (4, 2, d("50")));
    close(
        credits(j, "first"),
        &[("push", 0.0, "0"), ("sms", 2.0, "50")],
        "j first",
    );
    close(
        credits(j, "last"),
        &[("push", 2.0, "50"), ("sms", 0.0, "0")],
        "j last",
    );
    close(
        credits(j, "linear"),
        &[("push", 1.0, "25"), ("sms", 1.0, "25")],
        "j linear",
    );
    close(
        credits(j, "u_shaped"),
        &[("push", 1.0, "25"), ("sms", 1.0, "25")],
        "j u_shaped",
    );
    // Position decay: push 1, sms ½ → ⅔ and ⅓; 50/3 = 16.66 + the cent left (larger remainder).
    close(
        credits(j, "time_decay"),
        &[("push", 4.0 / 3.0, "33.33"), ("sms", 2.0 / 3.0, "16.67")],
        "j time_decay",
    );
    // Markov: both channels are on every path: removing either leaves nothing (RE 1 each).
    close(
        credits(j, "markov"),
        &[("push", 1.0, "25"), ("sms", 1.0, "25")],
        "j markov",
    );
    let re = j.models["markov"].removal_effect.as_ref().unwrap();
    assert_eq!(re.values().copied().collect::<Vec<_>>(), [1.0, 1.0]);
    close(
        credits(j, "shapley"),
        &[("push", 1.0, "25"), ("sms", 1.0, "25")],
        "j shapley",
    );

    // Journey k: one path, its offer, converted (u3's 20).
    let k = &a.journeys["k"];
    assert_eq!((k.paths, k.conversions, k.value), (1, 1, d("20")));
    for model in [
        "first",
        "last",
        "linear",
        "u_shaped",
        "time_decay",
        "markov",
        "shapley",
    ] {
        close(credits(k, model), &[("offer:cash5", 1.0, "20")], model);
    }

    // Across journeys: offer:cash5>sms>push (1 conversion, 20) and sms>push (1 conversion, 30;
    // 2 without).
    let w = &a.workspace;
    assert_eq!((w.paths, w.conversions, w.value), (4, 2, d("50")));
    close(
        credits(w, "first"),
        &[
            ("offer:cash5", 1.0, "20"),
            ("push", 0.0, "0"),
            ("sms", 1.0, "30"),
        ],
        "first",
    );
    // Linear: ⅓ each on u3's path, ½ each on u1's: values 20/3, 20/3 + 15, 20/3 + 15 → 6.66,
    // 21.66, 21.66 and two cents left, tied remainders, to the names first.
    close(
        credits(w, "linear"),
        &[
            ("offer:cash5", 1.0 / 3.0, "6.67"),
            ("push", 5.0 / 6.0, "21.67"),
            ("sms", 5.0 / 6.0, "21.66"),
        ],
        "linear",
    );
    // Markov: start→offer ¼, start→sms ¾, offer→sms, sms→push, push→conversion ½: P = ½.
    // Without the offer: ¾·½ = ⅜, RE = ¼; without sms or push: 0, RE = 1. Shares ¼:1:1 of 9/4.
    let re = w.models["markov"].removal_effect.as_ref().unwrap();
    assert!((re["offer:cash5"] - 0.25).abs() < 1e-12, "{re:?}");
    assert!((re["sms"] - 1.0).abs() < 1e-12 && (re["push"] - 1.0).abs() < 1e-12);
    // Values 50/9 = 5.55…, 200/9 = 22.22… twice: one cent left, to the offer's larger remainder.
    close(
        credits(w, "markov"),
        &[
            ("offer:cash5", 2.0 / 9.0, "5.56"),
            ("push", 8.0 / 9.0, "22.22"),
            ("sms", 8.0 / 9.0, "22.22"),
        ],
        "markov",
    );
    // Shapley: u3's conversion shared by three channels, u1's by two; value by the share of
    // conversions: 50·(⅓)/2 = 8.33…, 50·(⅚)/2 = 20.83… twice; one cent left, tied, to the name
    // first.
    close(
        credits(w, "shapley"),
        &[
            ("offer:cash5", 1.0 / 3.0, "8.34"),
            ("push", 5.0 / 6.0, "20.83"),
            ("sms", 5.0 / 6.0, "20.83"),
        ],
        "shapley",
    );
    // u4 was never touched; u5's touches had left the window.
    assert_eq!(
        (a.unattributed.conversions, a.unattributed.value),
        (2, d("50"))
    );
    // Money as elsewhere in the report: decimal text.
    let json = serde_json::to_value(&e.report).unwrap();
    assert_eq!(
        json["attribution_analysis"]["workspace"]["models"]["markov"]["channels"]["offer:cash5"]
            ["value"],
        Value::from("5.56")
    );
}

#[test]
fn a_second_conversion_in_the_window_has_no_path_of_its_own() {
    // The first order takes u1's touches; the second, a day later, finds none untaken.
    let mut e = engine();
    run(
        &[
            ("u1", "visit", "2026-11-02T10:00:00Z", None),
            ("u1", "order_paid", "2026-11-03T09:00:00Z", Some(30)),
            ("u1", "order_paid", "2026-11-04T09:00:00Z", Some(12)),
        ],
        &mut e,
    );
    let a = analysis(&mut e);
    assert_eq!((a.workspace.paths, a.workspace.conversions), (1, 1));
    assert_eq!(a.workspace.value, d("30"));
    assert_eq!(
        (a.unattributed.conversions, a.unattributed.value),
        (1, d("12"))
    );
    // The engine's own single attribution still credits both orders to the push.
    assert_eq!(e.report.conversions.attributed, 2);
}

#[test]
fn no_touch_no_section() {
    let mut e = engine();
    run(
        &[("u4", "order_paid", "2026-11-03T09:00:00Z", Some(10))],
        &mut e,
    );
    e.finish(at("2026-11-11T00:00:00Z"));
    assert!(e.report.attribution_analysis.is_none());
    let json = serde_json::to_value(&e.report).unwrap();
    assert!(json.get("attribution_analysis").is_none());
}

#[test]
fn a_snapshot_keeps_the_paths_and_which_touches_a_conversion_took() {
    let mut whole = engine();
    run(EVENTS, &mut whole);
    let want = analysis(&mut whole);
    // Stop after u1's and u3's orders (u2's and u5's touches still pending), restore, go on.
    let mut first = engine();
    run(&EVENTS[..7], &mut first);
    let mut bytes = Vec::new();
    first.write_snapshot(&mut bytes);
    let mut restored = Engine::restore_snapshot(&bytes).unwrap();
    run(&EVENTS[7..], &mut restored);
    assert_eq!(analysis(&mut restored), want);
}

#[test]
fn a_snapshot_from_before_the_analysis_still_restores() {
    // Candidates written as [seq, ts, journey, node, offer] (no step): read with no channel.
    let mut e = engine();
    run(&EVENTS[..2], &mut e);
    let mut bytes = Vec::new();
    e.write_snapshot(&mut bytes);
    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
    let mut cut = 0;
    for u in v["users"].as_array_mut().unwrap() {
        for c in u["touches"].as_array_mut().unwrap() {
            c.as_array_mut().unwrap().truncate(5);
            cut += 1;
        }
    }
    assert_eq!(cut, 3, "u5's two touches and u3's offer");
    v.as_object_mut().unwrap().remove("paths");
    let mut restored = Engine::restore_snapshot(&serde_json::to_vec(&v).unwrap()).unwrap();
    let a = analysis(&mut restored);
    // u5's touches, channel unknown, are one pending path of the journey.
    assert_eq!(a.journeys["j"].paths, 1);
    assert_eq!(
        a.journeys["j"].models["first"]
            .channels
            .keys()
            .collect::<Vec<_>>(),
        ["touch"]
    );
}
