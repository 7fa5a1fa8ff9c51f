//! The runtime's fold, in process: what one input projects into the batch the service commits
//! (ledger legs, offer instances, outbox rows, decision records), through the same
//! [`Runtime::step`] the engine loop calls. Workspaces and inputs are written inline.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use trellis_api::{ClockMode, Runtime};
use trellis_engine::Input;
use trellis_store::{Batch, InputRow, LedgerLeg, StockOp};

/// The trace id every input of these tests carries.
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A runtime on the event clock, fed one input at a time.
struct Fold {
    rt: Runtime,
    seq: i64,
    /// Every ledger leg projected so far.
    legs: Vec<LedgerLeg>,
}

impl Fold {
    fn new() -> Fold {
        Fold {
            rt: Runtime::new(ClockMode::Event),
            seq: 0,
            legs: Vec::new(),
        }
    }

    /// Applies one input (its body must read as `kind`) and answers the batch it made alone.
    fn step(&mut self, kind: &str, body: Value) -> Batch {
        Input::from_value(kind, body.clone())
            .unwrap_or_else(|e| panic!("the test's {kind} input does not read: {e}"));
        self.seq += 1;
        let row = InputRow {
            seq: self.seq,
            kind: kind.to_owned(),
            body: body.to_string(),
            trace_id: Some(TRACE.to_owned()),
        };
        // The wall clock is used only before the first event starts the event clock.
        let wall = "2026-11-01T00:00:00Z".parse().unwrap();
        let mut b = Batch::default();
        let answers = self.rt.step(std::slice::from_ref(&row), wall, &mut b);
        assert_eq!(answers.len(), 1);
        if let Some(Value::Object(a)) = &answers[0].1 {
            assert!(!a.contains_key("error"), "{kind} {body}: {a:?}");
        }
        assert_eq!(b.journal.len(), 1, "one journal entry per input");
        self.legs.extend(b.ledger.iter().cloned());
        b
    }

    fn deploy(&mut self, ws: Value, version: u64, mode: &str) -> Batch {
        self.step(
            "deploy",
            json!({"release": format!("r{version}"), "version": version, "rollout_percent": 100,
                   "mode": mode, "actor": "ann", "workspace": ws}),
        )
    }

    fn profile(&mut self, user: &str, contact: Value) -> Batch {
        self.step("profile", json!({"user_id": user, "contact": contact}))
    }

    fn event(&mut self, user: &str, kind: &str, ts: &str) -> Batch {
        let id = format!("e{}", self.seq + 1);
        self.step(
            "event",
            json!({"event_id": id, "user_id": user, "type": kind, "ts": ts}),
        )
    }
}

/// The decision records of a batch, parsed, with their shadow flag.
fn records(b: &Batch) -> Vec<(Value, bool)> {
    b.decisions
        .iter()
        .map(|d| (serde_json::from_str(&d.record).unwrap(), d.shadow))
        .collect()
}

fn only(b: &Batch, kind: &str) -> Value {
    let found: Vec<Value> = records(b)
        .into_iter()
        .filter(|(r, _)| r["kind"] == kind)
        .map(|(r, _)| r)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} in {:?}", records(b));
    found.into_iter().next().unwrap()
}

/// Legs as (campaign, account, amount, instance, memo), in order.
fn legs(l: &[LedgerLeg]) -> Vec<(String, &'static str, i64, Option<String>, &'static str)> {
    l.iter()
        .map(|l| {
            (
                l.campaign.clone(),
                l.account,
                l.amount,
                l.instance.clone(),
                l.memo,
            )
        })
        .collect()
}

/// One journey (`j`, campaign `camp` with `total` yuan): on `visit`, issue `offer`, then wait a
/// day for nothing (so the user stays inside).
fn offer_ws(offer: Value, total: u64) -> Value {
    let id = offer["id"].clone();
    json!({"schema": "trellis/workspace@1", "offers": [offer],
        "journeys": [{"id": "j", "campaign": {"id": "camp", "budget": {"total": total, "currency": "CNY"}},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "o", "type": "action.offer", "params": {"offer": id}},
                      {"id": "w", "type": "wait.delay", "params": {"duration": "1d"}}],
            "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"}]}]})
}

fn coupon(valid_for: &str) -> Value {
    json!({"id": "c10", "kind": "coupon", "face_value": 10, "min_spend": 50, "stock": 5, "valid_for": valid_for})
}

/// 10 yuan in the ledger's units (1/10,000).
const TEN: i64 = 100_000;

#[test]
fn an_issued_coupon_reserves_its_amount_and_makes_an_active_instance() {
    let mut f = Fold::new();
    f.deploy(offer_ws(coupon("7d"), 100), 1, "live");
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    let issued = only(&b, "offer.issued");
    let instance = issued["instance"].as_str().unwrap().to_owned();
    assert_eq!(issued["amount"], "10");
    assert_eq!(
        legs(&b.ledger),
        [
            (
                "camp".to_owned(),
                "available",
                -TEN,
                Some(instance.clone()),
                "issued"
            ),
            (
                "camp".to_owned(),
                "reserved",
                TEN,
                Some(instance.clone()),
                "issued"
            ),
        ]
    );
    assert!(b.ledger.iter().all(|l| l.proc_seq == f.seq));
    assert_eq!(b.instances.len(), 1);
    let row = &b.instances[0];
    assert_eq!(row.instance, instance);
    assert_eq!(row.offer, "c10");
    assert_eq!(row.user_id, "u1");
    assert_eq!(row.campaign.as_deref(), Some("camp"));
    assert_eq!(row.amount, TEN);
    assert_eq!(row.status, "active");
    assert_eq!(
        row.expires_at.as_deref(),
        Some("2026-11-08T10:00:00Z"),
        "seven days after the issue"
    );
    assert_eq!(issued["expires_at"], "2026-11-08T10:00:00Z");
    // The offer has stock: one unit is taken, as this instance.
    assert!(
        matches!(&b.stock[..], [StockOp::Take { offer, instance: i }] if offer == "c10" && *i == instance),
        "{:?}",
        b.stock
    );
    assert!(b.outbox.is_empty());
}

/// An offer that does not expire (cash, points) is spent when issued: no reservation.
fn spent_at_once(kind: &str, face: &str, units: i64) {
    let mut f = Fold::new();
    f.deploy(
        offer_ws(json!({"id": "g", "kind": kind, "face_value": face}), 100),
        1,
        "live",
    );
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    let issued = only(&b, "offer.issued");
    assert!(issued["expires_at"].is_null(), "{issued}");
    let instance = issued["instance"].as_str().unwrap().to_owned();
    assert_eq!(
        legs(&b.ledger),
        [
            (
                "camp".to_owned(),
                "available",
                -units,
                Some(instance.clone()),
                "issued"
            ),
            (
                "camp".to_owned(),
                "spent",
                units,
                Some(instance.clone()),
                "issued"
            ),
        ]
    );
    assert_eq!(b.instances.len(), 1);
    assert_eq!(b.instances[0].instance, instance);
    assert_eq!(b.instances[0].status, "granted");
    assert_eq!(b.instances[0].amount, units);
    assert_eq!(b.instances[0].expires_at, None);
    // No stock on the offer: nothing to take.
    assert!(b.stock.is_empty(), "{:?}", b.stock);
}

#[test]
fn cash_is_spent_at_once() {
    spent_at_once("cash", "5", 50_000);
}

#[test]
fn points_are_spent_at_once() {
    spent_at_once("points", "2", 20_000);
}

#[test]
fn a_redemption_moves_the_reservation_to_spent() {
    let mut f = Fold::new();
    f.deploy(offer_ws(coupon("7d"), 100), 1, "live");
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    let instance = only(&b, "offer.issued")["instance"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = f.step(
        "redeem",
        json!({"instance": instance, "order": "o1", "amount": "120"}),
    );
    assert_eq!(
        b.journal[0]
            .result
            .as_deref()
            .map(|r| serde_json::from_str::<Value>(r).unwrap()),
        Some(json!({"redeemed": true, "duplicate": false}))
    );
    let redeemed = only(&b, "offer.redeemed");
    assert_eq!(redeemed["instance"], instance.as_str());
    assert_eq!(
        legs(&b.ledger),
        [
            (
                "camp".to_owned(),
                "reserved",
                -TEN,
                Some(instance.clone()),
                "redeemed"
            ),
            (
                "camp".to_owned(),
                "spent",
                TEN,
                Some(instance.clone()),
                "redeemed"
            ),
        ]
    );
    assert_eq!(b.instances.len(), 1);
    assert_eq!(b.instances[0].instance, instance);
    assert_eq!(b.instances[0].status, "redeemed");
    // The same order again: answered as a duplicate, and nothing moves twice.
    let again = f.step(
        "redeem",
        json!({"instance": instance, "order": "o1", "amount": "120"}),
    );
    assert!(again.ledger.is_empty(), "{:?}", legs(&again.ledger));
    assert!(again.instances.is_empty());
}

#[test]
fn an_expiry_releases_the_reservation() {
    let mut f = Fold::new();
    f.deploy(offer_ws(coupon("2h"), 100), 1, "live");
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    let instance = only(&b, "offer.issued")["instance"]
        .as_str()
        .unwrap()
        .to_owned();
    // Before it expires, a tick moves nothing.
    let early = f.step("tick", json!({"until": "2026-11-01T11:59:59Z"}));
    assert!(early.ledger.is_empty() && early.instances.is_empty());
    let b = f.step("tick", json!({"until": "2026-11-01T13:00:00Z"}));
    let expired = only(&b, "offer.expired");
    assert_eq!(expired["instance"], instance.as_str());
    assert_eq!(expired["ts"], "2026-11-01T12:00:00Z");
    assert_eq!(
        legs(&b.ledger),
        [
            (
                "camp".to_owned(),
                "reserved",
                -TEN,
                Some(instance.clone()),
                "expired"
            ),
            (
                "camp".to_owned(),
                "available",
                TEN,
                Some(instance.clone()),
                "expired"
            ),
        ]
    );
    assert_eq!(b.instances.len(), 1);
    assert_eq!(b.instances[0].instance, instance);
    assert_eq!(b.instances[0].status, "expired");
}

/// One journey: on `visit`, touch the user on `channels` with a titled message.
fn touch_ws(channels: &[&str]) -> Value {
    json!({"schema": "trellis/workspace@1", "offers": [],
        "journeys": [{"id": "hello", "nodes": [
            {"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
            {"id": "m", "type": "action.touch", "params": {"channels": channels, "template": "welcome",
                "content": {"title": "Your cart misses you"}}}],
            "edges": [{"from": "t", "port": "out", "to": "m"}]}]})
}

/// A `touch.sent` on `channel` makes one outbox row, addressed `to` from the profile's contact.
fn one_outbox_row(channel: &str, to: Value) {
    let mut f = Fold::new();
    f.deploy(touch_ws(&[channel]), 1, "live");
    f.profile(
        "u1",
        json!({"push": "tok-1", "phone": "+8613800000001", "email": "u1@example.com"}),
    );
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    let sent = only(&b, "touch.sent");
    assert_eq!(sent["channel"], channel);
    assert_eq!(b.outbox.len(), 1, "{:?}", b.outbox);
    let row = &b.outbox[0];
    assert_eq!(row.dedup, format!("touch-{}", sent["seq"]));
    assert_eq!(row.user_id, "u1");
    assert_eq!(row.channel, channel);
    assert_eq!(row.template, "welcome");
    assert_eq!(row.at, "2026-11-01T10:00:00Z");
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(payload["to"], to, "{payload}");
    assert_eq!(payload["user_id"], "u1");
    assert_eq!(payload["channel"], channel);
    assert_eq!(payload["journey"], "hello");
    assert_eq!(payload["version"], 1);
    assert_eq!(payload["node"], "m");
    assert_eq!(payload["content"], json!({"title": "Your cart misses you"}));
    // The delivery carries the trace of the input, and so does the decision record.
    assert_eq!(payload["trace_id"], TRACE);
    assert_eq!(sent["trace_id"], TRACE);
    assert!(b.ledger.is_empty());
}

#[test]
fn a_push_goes_to_the_profiles_push_token() {
    one_outbox_row("push", json!("tok-1"));
}

#[test]
fn an_sms_goes_to_the_profiles_phone() {
    one_outbox_row("sms", json!("+8613800000001"));
}

#[test]
fn an_email_goes_to_the_profiles_email() {
    one_outbox_row("email", json!("u1@example.com"));
}

#[test]
fn an_inbox_message_has_no_address() {
    one_outbox_row("inbox", Value::Null);
}

#[test]
fn a_touch_to_a_profile_without_the_address_is_not_sent() {
    // Push needs a token: without one the touch is suppressed, and nothing goes to the outbox.
    let mut f = Fold::new();
    f.deploy(touch_ws(&["push"]), 1, "live");
    f.profile("u1", json!({"email": "u1@example.com"}));
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    assert_eq!(only(&b, "touch.suppressed")["reason"], "no_channel");
    assert!(b.outbox.is_empty(), "{:?}", b.outbox);
}

#[test]
fn a_shadow_deployments_decisions_are_marked_shadow_and_project_no_rows() {
    let mut f = Fold::new();
    let ws = |face: u32| {
        let mut ws = offer_ws(
            json!({"id": "c", "kind": "coupon", "face_value": face, "stock": 5, "valid_for": "7d"}),
            100,
        );
        // Issue, then touch: a coupon and a message per entry.
        ws["journeys"][0]["nodes"][2] = json!({"id": "m", "type": "action.touch",
            "params": {"channels": ["push"], "template": "coupon"}});
        ws["journeys"][0]["edges"][1]["to"] = json!("m");
        ws
    };
    f.deploy(ws(10), 1, "live");
    // Version 2 (a 20-yuan coupon) in shadow: it changes no money, even the budget.
    let shadow_deploy = f.deploy(ws(20), 2, "shadow");
    assert!(
        shadow_deploy.ledger.is_empty(),
        "{:?}",
        legs(&shadow_deploy.ledger)
    );
    assert!(shadow_deploy.stock.is_empty(), "{:?}", shadow_deploy.stock);
    assert_eq!(shadow_deploy.deployments[0].mode, "shadow");
    f.profile("u1", json!({"push": "tok-1"}));
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    let all = records(&b);
    let issued: Vec<&(Value, bool)> = all
        .iter()
        .filter(|(r, _)| r["kind"] == "offer.issued")
        .collect();
    let sent: Vec<&(Value, bool)> = all
        .iter()
        .filter(|(r, _)| r["kind"] == "touch.sent")
        .collect();
    // The live version and the shadow one both decide; only the shadow's are marked.
    assert_eq!(issued.len(), 2, "{all:?}");
    assert_eq!(sent.len(), 2, "{all:?}");
    for (r, shadow) in &all {
        let v2 = r["version"] == 2;
        assert_eq!(*shadow, v2, "{r}");
        assert_eq!(r.get("shadow") == Some(&Value::Bool(true)), v2, "{r}");
    }
    let live_issue = &issued.iter().find(|(_, s)| !s).unwrap().0;
    assert_eq!(live_issue["amount"], "10");
    assert_eq!(issued.iter().find(|(_, s)| *s).unwrap().0["amount"], "20");
    // Only the live decisions make rows: one coupon's legs, instance, stock unit and message.
    let live = live_issue["instance"].as_str().unwrap().to_owned();
    assert_eq!(
        legs(&b.ledger),
        [
            (
                "camp".to_owned(),
                "available",
                -TEN,
                Some(live.clone()),
                "issued"
            ),
            (
                "camp".to_owned(),
                "reserved",
                TEN,
                Some(live.clone()),
                "issued"
            ),
        ]
    );
    assert_eq!(b.instances.len(), 1);
    assert_eq!(b.instances[0].instance, live);
    assert_eq!(b.stock.len(), 1);
    assert_eq!(b.outbox.len(), 1, "{:?}", b.outbox);
    let payload: Value = serde_json::from_str(&b.outbox[0].payload).unwrap();
    assert_eq!(payload["version"], 1);
}

#[test]
fn a_shadow_only_journey_projects_decisions_and_nothing_else() {
    let mut f = Fold::new();
    let d = f.deploy(offer_ws(coupon("7d"), 100), 1, "shadow");
    assert!(d.ledger.is_empty() && d.stock.is_empty());
    let b = f.event("u1", "visit", "2026-11-01T10:00:00Z");
    let all = records(&b);
    assert!(
        all.iter().any(|(r, _)| r["kind"] == "offer.issued"),
        "{all:?}"
    );
    assert!(all.iter().all(|(_, shadow)| *shadow), "{all:?}");
    assert!(
        b.ledger.is_empty() && b.instances.is_empty() && b.outbox.is_empty() && b.stock.is_empty()
    );
    assert!(f.legs.is_empty());
}

#[test]
fn a_deploy_funds_the_campaign_with_the_change_of_its_total() {
    let mut f = Fold::new();
    let funded = |b: &Batch| {
        assert!(b
            .ledger
            .iter()
            .all(|l| l.memo == "funded" && l.instance.is_none()));
        legs(&b.ledger)
            .into_iter()
            .map(|(c, a, n, _, _)| (c, a, n))
            .collect::<Vec<_>>()
    };
    let b = f.deploy(offer_ws(coupon("7d"), 100), 1, "live");
    assert_eq!(
        funded(&b),
        [
            ("camp".to_owned(), "budget", -1_000_000),
            ("camp".to_owned(), "available", 1_000_000)
        ]
    );
    let b = f.deploy(offer_ws(coupon("7d"), 250), 2, "live");
    assert_eq!(
        funded(&b),
        [
            ("camp".to_owned(), "budget", -1_500_000),
            ("camp".to_owned(), "available", 1_500_000)
        ]
    );
    // The same total again: nothing to fund.
    let b = f.deploy(offer_ws(coupon("7d"), 250), 3, "live");
    assert!(funded(&b).is_empty());
    // A smaller total pays the difference back.
    let b = f.deploy(offer_ws(coupon("7d"), 200), 4, "live");
    assert_eq!(
        funded(&b),
        [
            ("camp".to_owned(), "budget", 500_000),
            ("camp".to_owned(), "available", -500_000)
        ]
    );
    let budget: i64 = f
        .legs
        .iter()
        .filter(|l| l.account == "budget")
        .map(|l| l.amount)
        .sum();
    assert_eq!(
        budget, -2_000_000,
        "the budget account holds minus the total"
    );
}

#[test]
fn every_campaigns_legs_sum_to_zero_and_match_the_engines_report() {
    let mut f = Fold::new();
    let ws = json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "c10", "kind": "coupon", "face_value": 10, "valid_for": "2h"},
                   {"id": "cash5", "kind": "cash", "face_value": 5}],
        "journeys": [
            {"id": "a", "campaign": {"id": "ca", "budget": {"total": 100, "currency": "CNY"}},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                       {"id": "o", "type": "action.offer", "params": {"offer": "c10"}},
                       {"id": "w", "type": "wait.delay", "params": {"duration": "1d"}}],
             "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"}]},
            {"id": "b", "campaign": {"id": "cb", "budget": {"total": 30, "currency": "CNY"}},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                       {"id": "o", "type": "action.offer", "params": {"offer": "cash5"}},
                       {"id": "w", "type": "wait.delay", "params": {"duration": "1d"}}],
             "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"}]}]});
    f.deploy(ws.clone(), 1, "live");
    let mut coupons = Vec::new();
    for (i, u) in ["u1", "u2", "u3", "u4"].iter().enumerate() {
        let b = f.event(u, "visit", &format!("2026-11-01T10:0{i}:00Z"));
        for (r, _) in records(&b) {
            if r["offer"] == "c10" && r["kind"] == "offer.issued" {
                coupons.push(r["instance"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(coupons.len(), 4);
    f.step(
        "redeem",
        json!({"instance": coupons[0], "order": "o1", "amount": "80"}),
    );
    // A bigger budget for `cb` mid-way, then the rest of the coupons expire.
    let mut more = ws;
    more["journeys"][1]["campaign"]["budget"]["total"] = json!(45);
    f.deploy(more, 2, "live");
    f.event("u5", "visit", "2026-11-01T11:00:00Z");
    f.step("tick", json!({"until": "2026-11-01T13:00:00Z"}));

    let mut by: BTreeMap<(String, &str), i64> = BTreeMap::new();
    for l in &f.legs {
        *by.entry((l.campaign.clone(), l.account)).or_default() += l.amount;
    }
    for c in ["ca", "cb"] {
        let sum: i64 = f
            .legs
            .iter()
            .filter(|l| l.campaign == c)
            .map(|l| l.amount)
            .sum();
        assert_eq!(sum, 0, "{c}'s legs: {by:?}");
    }
    // Every kind of leg happened: funding, issue, redemption, expiry, a top-up.
    let memos: std::collections::BTreeSet<&str> = f.legs.iter().map(|l| l.memo).collect();
    assert_eq!(
        memos.into_iter().collect::<Vec<_>>(),
        ["expired", "funded", "issued", "redeemed"]
    );
    // The ledger says what the engine's own books say, campaign by campaign.
    let units = trellis_api::runtime::units;
    let report = f.rt.engine.report_now();
    for c in ["ca", "cb"] {
        let m = &report.campaigns[c];
        let get = |a: &str| by.get(&(c.to_owned(), a)).copied().unwrap_or(0);
        assert_eq!(-get("budget"), units(m.budget), "{c} budget");
        assert_eq!(get("reserved"), units(m.reserved), "{c} reserved");
        assert_eq!(get("spent"), units(m.spent), "{c} spent");
        assert_eq!(get("available"), units(m.remaining), "{c} available");
    }
    // ca: five coupons of 10 issued (u1 to u5), one redeemed, four expired; cb: five cash grants
    // of 5.
    assert_eq!(by[&("ca".to_owned(), "spent")], TEN);
    assert_eq!(
        by.get(&("ca".to_owned(), "reserved")).copied().unwrap_or(0),
        0
    );
    assert_eq!(by[&("cb".to_owned(), "spent")], 5 * 50_000);
    assert_eq!(by[&("cb".to_owned(), "budget")], -450_000);
}
