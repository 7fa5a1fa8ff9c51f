//! Outcome measurement (`docs/measurement.md`): who is in which arm, what counts in the window,
//! and that the figures are the statistics of those counts.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use trellis_engine::hash::{bucket_ppm, pick_experiment};
use trellis_engine::{parse_event, Engine, Options};
use trellis_stats::{compare_proportions, holm, Counts, Settings};

fn event(engine: &mut Engine, id: String, user: &str, kind: &str, ts: &str, amount: Option<u32>) {
    let mut ev = json!({"event_id": id, "user_id": user, "type": kind, "ts": ts});
    if let Some(a) = amount {
        ev["props"] = json!({"amount": a});
    }
    engine.handle(&parse_event(&ev).unwrap());
    engine.drain().for_each(drop);
}

fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    t.parse().unwrap()
}

/// Per arm: (users, converters, revenue, cost) as the test expects them.
#[derive(Default, Debug, PartialEq)]
struct Want {
    users: u64,
    converters: u64,
    revenue: u64,
    cost: u64,
}

#[test]
fn a_journeys_arms_are_its_holdout_and_outcomes_count_in_the_window_after_assignment() {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "policy": {"measurement": {"window": "7d", "mde": 0.2}},
        "offers": [{"id": "cash10", "kind": "cash", "face_value": 10}],
        "journeys": [
            {"id": "j", "entry": {"re_entry": "never", "holdout_percent": 40},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                       {"id": "o", "type": "action.offer", "params": {"offer": "cash10"}}],
             "edges": [{"from": "t", "port": "out", "to": "o"}]},
            // Entered on the conversion event itself: that conversion is not its outcome.
            {"id": "post", "entry": {"re_entry": "never"},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "order_paid"}},
                       {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "thanks"}}],
             "edges": [{"from": "t", "port": "out", "to": "m"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let (mut held, mut entered, mut post) = (Want::default(), Want::default(), Want::default());
    for i in 0..300u32 {
        let u = format!("u{i}");
        // An order before the visit: before the assignment, it does not count for j.
        if i % 5 == 0 {
            event(
                &mut engine,
                format!("{u}-0"),
                &u,
                "order_paid",
                "2026-11-01T09:00:00Z",
                Some(7),
            );
        }
        event(
            &mut engine,
            format!("{u}-1"),
            &u,
            "visit",
            "2026-11-01T10:00:00Z",
            None,
        );
        let is_held = bucket_ppm("holdout:j", &u) < 400_000;
        let arm = if is_held { &mut held } else { &mut entered };
        arm.users += 1;
        if !is_held {
            arm.cost += 10;
        }
        // Treated users convert more: every second, against every third held out.
        let converts = if is_held { i % 3 == 0 } else { i % 2 == 0 };
        if converts {
            event(
                &mut engine,
                format!("{u}-2"),
                &u,
                "order_paid",
                "2026-11-02T10:00:00Z",
                Some(100 + i % 7),
            );
            arm.converters += 1;
            arm.revenue += u64::from(100 + i % 7);
        }
        // Past the window (7 days after the visit, to the second): counts for nobody but `post`
        // users who entered within 7 days of it.
        event(
            &mut engine,
            format!("{u}-3"),
            &u,
            "order_paid",
            "2026-11-08T10:00:01Z",
            Some(50),
        );
        // `post`: its first assignment is the first order; the later ones in its window count.
        let first_order = if i % 5 == 0 {
            Some("2026-11-01T09:00:00Z")
        } else if converts {
            Some("2026-11-02T10:00:00Z")
        } else {
            Some("2026-11-08T10:00:01Z")
        };
        if let Some(first) = first_order {
            post.users += 1;
            let mut later: Vec<(&str, u64)> = Vec::new();
            if converts && first != "2026-11-02T10:00:00Z" {
                later.push(("2026-11-02T10:00:00Z", u64::from(100 + i % 7)));
            }
            if first != "2026-11-08T10:00:01Z" {
                later.push(("2026-11-08T10:00:01Z", 50));
            }
            let window_end = at(first) + chrono::Duration::days(7);
            let counted: Vec<u64> = later
                .iter()
                .filter(|(t, _)| at(t) <= window_end)
                .map(|(_, r)| *r)
                .collect();
            if !counted.is_empty() {
                post.converters += 1;
                post.revenue += counted.iter().sum::<u64>();
            }
        }
    }
    engine.finish(at("2026-11-10T00:00:00Z"));
    let r = &engine.report;
    let got = |m: &trellis_engine::measurement::Measured, arm: &str| {
        let a = &m.arms[arm];
        Want {
            users: a.users,
            converters: a.converters,
            revenue: a.revenue.to_u64().unwrap(),
            cost: a.cost.to_u64().unwrap(),
        }
    };
    let j = &r.incremental["j"];
    assert_eq!(got(j, "held_out"), held);
    assert_eq!(got(j, "entered"), entered);
    assert!(
        held.users > 80 && entered.users > 150,
        "{held:?} {entered:?}"
    );
    assert_eq!((j.control.as_str(), j.window.as_str()), ("held_out", "7d"));
    let p = &r.incremental["post"];
    assert_eq!(got(p, "entered"), post);
    assert_eq!(p.arms["held_out"].users, 0);
    assert!(
        p.vs_control.is_empty(),
        "no control group: nothing to compare"
    );
    assert!(p.srm.is_none(), "no configured split to check");

    // The comparison is the statistics of those counts.
    let c = &j.vs_control["entered"];
    let t = compare_proportions(
        Counts {
            conversions: held.converters,
            n: held.users,
        },
        Counts {
            conversions: entered.converters,
            n: entered.users,
        },
        Settings::default(),
    )
    .unwrap();
    assert_eq!(c.conversion.diff, t.diff);
    assert_eq!(c.conversion.lift, t.lift);
    assert_eq!(c.conversion.ci_lift, t.ci_lift.map(|i| [i.lo, i.hi]));
    assert_eq!(c.conversion.p_value, t.p_value);
    assert_eq!(
        c.conversion.p_value_holm, t.p_value,
        "one arm: Holm changes nothing"
    );
    assert!((c.incremental_conversions.value - t.diff * entered.users as f64).abs() < 1e-9);
    // Incremental ROI = (r̄_e − r̄_h − c̄_e) / c̄_e.
    let mean = |x: u64, n: u64| x as f64 / n as f64;
    let (re, rh, ce) = (
        mean(entered.revenue, entered.users),
        mean(held.revenue, held.users),
        mean(entered.cost, entered.users),
    );
    let roi = c.incremental_roi.as_ref().unwrap();
    assert!(((re - rh - ce) / ce - roi.value).abs() < 1e-12, "{roi:?}");
    let [lo, hi] = roi.ci.unwrap();
    assert!(lo < roi.value && roi.value < hi && roi.method == "delta");
    // users_needed: the mde is 20%; with these sizes the test may or may not have enough, but
    // the figure is the NormalIndPower total minus the users there.
    let share = held.users as f64 / (held.users + entered.users) as f64;
    let pc = t.p_control;
    let need =
        trellis_stats::total_users_for(pc, pc * 1.2, share, Default::default(), Default::default())
            .unwrap();
    assert_eq!(
        c.conversion.users_needed,
        Some((need.ceil() as u64).saturating_sub(held.users + entered.users))
    );

    // SRM against 40/60.
    let srm = j.srm.as_ref().unwrap();
    assert_eq!(srm.expected["held_out"], 0.4);
    let want = trellis_stats::srm(&[held.users, entered.users], &[0.4, 0.6]).unwrap();
    assert_eq!((srm.chi2, srm.mismatch), (want.chi2, want.mismatch));

    // The daily series ends with the totals; the visit day has everyone assigned.
    let days: Vec<&str> = j.daily.iter().map(|d| d.day.as_str()).collect();
    assert_eq!(days.first(), Some(&"2026-11-01"));
    assert_eq!(
        days.last(),
        Some(&"2026-11-10"),
        "runs to the end of the run"
    );
    let last = j.daily.last().unwrap();
    assert_eq!(last.arms["entered"].converters, entered.converters);
    assert_eq!(j.daily[0].arms["held_out"].users, held.users);
    assert_eq!(
        j.daily[0].arms["held_out"].converters, 0,
        "conversions come the day after"
    );

    // The plan: break-even lift is cost over the treated users' revenue.
    let plan = j.plan.as_ref().unwrap();
    assert_eq!(plan.treated_users, entered.users);
    let bel = plan.break_even_lift.unwrap();
    assert!((bel - entered.cost as f64 / entered.revenue as f64).abs() < 1e-12);
    let percents: Vec<f64> = plan.holdouts.iter().map(|h| h.percent).collect();
    assert_eq!(
        percents,
        [5.0, 10.0, 20.0, 40.0, 50.0],
        "the journey's own 40% among them"
    );
    assert_eq!(
        plan.users_per_day,
        Some((held.users + entered.users) as f64),
        "all on one day"
    );
    // A bigger holdout needs fewer users in all.
    let users: Vec<u64> = plan.holdouts.iter().map(|h| h.users.unwrap()).collect();
    assert!(users.windows(2).all(|w| w[0] > w[1]), "{users:?}");

    // A snapshot keeps what measurement knows.
    let mut bytes = Vec::new();
    engine.write_snapshot(&mut bytes);
    let mut back = Engine::restore_snapshot(&bytes).unwrap();
    let again = back.report_now();
    assert_eq!(again.incremental, r.incremental);
    let json: Value = serde_json::to_value(r).unwrap();
    assert_eq!(
        json["incremental"]["j"]["arms"]["entered"]["cost"],
        Decimal::from(entered.cost).to_string()
    );
}

#[test]
fn an_experiments_arms_follow_its_bucket_and_holm_corrects_across_them() {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "offers": [],
        "journeys": [
            {"id": "j", "entry": {"re_entry": "never"},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                       {"id": "x", "type": "split.experiment", "params": {"experiment": "exp1", "holdout_percent": 20,
                        "variants": [{"port": "a", "percent": 30}, {"port": "b", "percent": 70}]}},
                       {"id": "ma", "type": "action.touch", "params": {"channels": ["inbox"], "template": "a"}},
                       {"id": "mb", "type": "action.touch", "params": {"channels": ["inbox"], "template": "b"}}],
             "edges": [{"from": "t", "port": "out", "to": "x"}, {"from": "x", "port": "a", "to": "ma"},
                       {"from": "x", "port": "b", "to": "mb"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let mut users = [0u64; 3];
    let mut conv = [0u64; 3];
    for i in 0..500u32 {
        let u = format!("user-{i}");
        event(
            &mut engine,
            format!("{u}-v"),
            &u,
            "visit",
            "2026-11-01T10:00:00Z",
            None,
        );
        let arm = match pick_experiment(bucket_ppm("exp1", &u), 200_000, &[300_000, 700_000]) {
            None => 0,
            Some(v) => v + 1,
        };
        users[arm] += 1;
        // Variant b converts most.
        if i % [4, 3, 2][arm] == 0 {
            event(
                &mut engine,
                format!("{u}-o"),
                &u,
                "order_paid",
                "2026-11-01T12:00:00Z",
                Some(20),
            );
            conv[arm] += 1;
        }
    }
    engine.finish(at("2026-11-03T00:00:00Z"));
    let x = &engine.report.experiments["exp1"];
    assert_eq!(x.control, "holdout");
    for (k, name) in ["holdout", "a", "b"].iter().enumerate() {
        assert_eq!(
            (x.arms[*name].users, x.arms[*name].converters),
            (users[k], conv[k]),
            "{name}"
        );
    }
    let srm = x.srm.as_ref().unwrap();
    for (name, share) in [("holdout", 0.2), ("a", 0.24), ("b", 0.56)] {
        assert!((srm.expected[name] - share).abs() < 1e-12, "{name}");
    }
    let p = |k: usize| {
        compare_proportions(
            Counts {
                conversions: conv[0],
                n: users[0],
            },
            Counts {
                conversions: conv[k],
                n: users[k],
            },
            Settings::default(),
        )
        .unwrap()
        .p_value
        .unwrap()
    };
    let adjusted = holm(&[p(1), p(2)]).unwrap();
    assert_eq!(x.vs_control["a"].conversion.p_value_holm, Some(adjusted[0]));
    assert_eq!(x.vs_control["b"].conversion.p_value_holm, Some(adjusted[1]));
    assert!(
        x.vs_control["a"].incremental_roi.is_none(),
        "it spent nothing"
    );
    assert!(x.plan.is_none(), "plans are for journeys");
    // The journey itself has no control group: measured, not compared.
    assert!(engine.report.incremental["j"].vs_control.is_empty());
}
