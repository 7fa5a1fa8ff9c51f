//! A journal written by the release before typed inputs (58c1854; `tests/data/journal`, made by
//! `scripts/journal-fixture.py`) replays through today's runtime, in process: every entry reads
//! as a typed [`Input`], each answers what it answered then, and the decisions are the records
//! that release committed, byte for byte.

use std::path::PathBuf;
use trellis_api::{ClockMode, Runtime};
use trellis_engine::Input;

fn lines(name: &str) -> Vec<serde_json::Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/journal")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Replays the fixture's journal in process, restoring the runtime from its own snapshot before
/// entry `cut` when given; returns the decision rows as (proc_seq, shadow, record).
fn replay(journal: &[serde_json::Value], cut: Option<usize>) -> Vec<(i64, bool, String)> {
    let mut rt = Runtime::new(ClockMode::Event);
    let mut batch = trellis_store::Batch::default();
    let mut out = Vec::new();
    for (i, r) in journal.iter().enumerate() {
        let seq = r["proc_seq"].as_i64().unwrap();
        if cut == Some(i) {
            let snap = rt.snapshot(chrono::Utc::now());
            assert_eq!(snap.proc_seq, rt.proc_seq);
            rt = Runtime::from_snapshot(ClockMode::Event, &snap)
                .unwrap_or_else(|e| panic!("before entry {seq}: {e}"));
        }
        let kind = r["kind"].as_str().unwrap();
        let body = r["body"].as_str().unwrap();
        let input =
            Input::from_parts(kind, body).unwrap_or_else(|e| panic!("journal entry {seq}: {e}"));
        assert_eq!(input.kind(), kind);
        let at: chrono::DateTime<chrono::Utc> = r["at"].as_str().unwrap().parse().unwrap();
        let applied = rt.apply(&input, at, &mut out);
        let answer = applied.result.map(|v| v.to_string());
        let then: Option<serde_json::Value> = r["result"]
            .as_str()
            .map(|s| serde_json::from_str(s).unwrap());
        assert_eq!(
            answer.map(|s| serde_json::from_str::<serde_json::Value>(&s).unwrap()),
            then,
            "journal entry {seq} ({kind}) answers as it did (cut {cut:?})"
        );
        rt.take_legs(seq, &mut batch);
        for (d, shadow) in out.drain(..) {
            rt.project(&d, shadow, seq, None, &mut batch);
        }
        rt.proc_seq = seq;
    }
    // The ledger legs and outbox rows the projection made, as decisions-like rows after them
    // (compared whole by the restore test; the fixture has only the decisions).
    let mut rows: Vec<(i64, bool, String)> = batch
        .decisions
        .iter()
        .map(|d| (d.proc_seq, d.shadow, d.record.clone()))
        .collect();
    if cut.is_some() {
        rows.extend(batch.ledger.iter().map(|l| {
            (
                l.proc_seq,
                false,
                format!(
                    "ledger {} {} {} {:?} {}",
                    l.campaign, l.account, l.amount, l.instance, l.memo
                ),
            )
        }));
        rows.extend(batch.outbox.iter().map(|o| {
            (
                0,
                false,
                format!(
                    "outbox {} {} {} {}",
                    o.dedup, o.channel, o.template, o.payload
                ),
            )
        }));
        rows.extend(batch.instances.iter().map(|i| {
            (
                i.proc_seq,
                false,
                format!(
                    "instance {} {} {} {}",
                    i.instance, i.status, i.amount, i.user_id
                ),
            )
        }));
    }
    rows
}

fn assert_same(got: &[(i64, bool, String)], want: &[(i64, bool, String)], what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what}: decision {i}");
    }
    assert_eq!(got.len(), want.len(), "{what}");
}

#[test]
fn a_journal_written_by_the_previous_release_replays_to_the_same_decisions() {
    let journal = lines("journal.jsonl");
    let want = lines("decisions.jsonl");
    let mut kinds: Vec<&str> = journal
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "delivery_failed",
            "deploy",
            "event",
            "profile",
            "redeem",
            "rollback",
            "tick"
        ],
        "the fixture covers every kind of input"
    );
    let want: Vec<(i64, bool, String)> = want
        .iter()
        .map(|d| {
            (
                d["proc_seq"].as_i64().unwrap(),
                d["shadow"].as_bool().unwrap(),
                d["record"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(want.len() > 50, "a fixture of some size: {}", want.len());
    assert_same(&replay(&journal, None), &want, "a whole replay");
}

/// The runtime restored from its snapshot before any entry of the journal (the shadow mirror,
/// deployments, ledgers, timers and the runtime's own maps with it) goes on to the same answers
/// and the same decisions as the runtime that never stopped.
#[test]
fn a_runtime_restored_from_its_snapshot_before_any_entry_goes_on_to_the_same_decisions() {
    let journal = lines("journal.jsonl");
    let whole = replay(&journal, Some(usize::MAX));
    assert!(whole.iter().any(|r| r.2.starts_with("ledger")));
    assert!(whole.iter().any(|r| r.2.starts_with("outbox")));
    for cut in 0..journal.len() {
        assert_same(
            &replay(&journal, Some(cut)),
            &whole,
            &format!("cut before entry {cut}"),
        );
    }
}

/// An input that does not read is an error naming its kind and saying what is wrong.
fn does_not_read(kind: &str, body: &str, says: &str) {
    let e = Input::from_parts(kind, body).unwrap_err();
    assert_eq!(e.kind, kind);
    let text = e.to_string();
    assert!(text.contains(says), "{kind}: {text}");
}

#[test]
fn an_event_without_a_type_does_not_read() {
    does_not_read(
        "event",
        r#"{"user_id": "u", "ts": "2026-11-01T00:00:00Z"}"#,
        "type",
    );
}

#[test]
fn a_tick_until_a_time_that_does_not_read_does_not_read() {
    does_not_read("tick", r#"{"until": "yesterday"}"#, "yesterday");
}

#[test]
fn a_redemption_of_an_amount_that_is_not_a_number_does_not_read() {
    does_not_read(
        "redeem",
        r#"{"instance": "i", "order": "o", "amount": "ten"}"#,
        "amount",
    );
}

#[test]
fn a_delivery_failure_on_an_unknown_channel_does_not_read() {
    does_not_read(
        "delivery_failed",
        r#"{"user_id": "u", "journey": "j", "version": 1, "node": "n", "channel": "pigeon", "sent_at": "2026-11-01T00:00:00Z"}"#,
        "pigeon",
    );
}

#[test]
fn an_unknown_kind_does_not_read() {
    does_not_read("teleport", "{}", "teleport");
}

#[test]
fn a_body_that_is_not_json_does_not_read() {
    does_not_read("profile", "not json", "expected");
}

#[test]
fn inputs_round_trip_through_their_journal_parts() {
    for r in lines("journal.jsonl") {
        let input =
            Input::from_parts(r["kind"].as_str().unwrap(), r["body"].as_str().unwrap()).unwrap();
        let (kind, body) = input.to_parts();
        assert_eq!(Input::from_value(kind, body).unwrap(), input);
    }
}
