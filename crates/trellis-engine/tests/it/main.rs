//! Engine-level tests that need more than the simulator's recorded channels.

use serde_json::{json, Value};
use trellis_engine::{parse_event, parse_profile, Channels, Engine, Message, Options};

/// Push is down: every push delivery fails. Attempts are shared with the test.
struct PushDown(std::rc::Rc<std::cell::RefCell<Vec<String>>>);

impl Channels for PushDown {
    fn send(&mut self, msg: &Message<'_>) -> Result<(), String> {
        self.0
            .borrow_mut()
            .push(format!("{}:{}", msg.user_id, msg.channel.as_str()));
        if msg.channel.as_str() == "push" {
            Err("provider timeout".into())
        } else {
            Ok(())
        }
    }
}

#[test]
fn a_failed_delivery_falls_back_to_the_next_channel() {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1", "offers": [], "journeys": [{"id": "j",
        "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e"}},
                  {"id": "m", "type": "action.touch", "params": {"channels": ["push", "sms", "email"], "template": "x", "content": {"title": "hi"}}}],
        "edges": [{"from": "t", "port": "out", "to": "m"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let attempts = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    engine.set_channels(Box::new(PushDown(attempts.clone())));
    engine.add_profile(
        parse_profile(&json!({"user_id": "a", "contact": {"push": "tok", "phone": "1"}})).unwrap(),
    );
    engine
        .add_profile(parse_profile(&json!({"user_id": "b", "contact": {"push": "tok"}})).unwrap());
    for (i, u) in ["a", "b"].iter().enumerate() {
        let ev = parse_event(&json!({"event_id": format!("e{i}"), "user_id": u, "type": "e", "ts": "2026-11-01T10:00:00Z"})).unwrap();
        engine.handle(&ev);
    }
    let log: Vec<Value> = engine.drain().map(|d| Value::Object(d.to_map())).collect();
    let touches: Vec<&Value> = log
        .iter()
        .filter(|d| d["kind"].as_str().unwrap().starts_with("touch."))
        .collect();
    assert_eq!(touches[0]["kind"], "touch.sent");
    assert_eq!(touches[0]["channel"], "sms");
    assert_eq!(touches[0]["tried"], json!(["push"]));
    // b has no phone and no email: after push fails nothing is left.
    assert_eq!(touches[1]["kind"], "touch.suppressed");
    assert_eq!(touches[1]["reason"], "no_channel");
    assert_eq!(*attempts.borrow(), ["a:push", "a:sms", "b:push"]);
    assert_eq!(engine.report.touches.failed.get("push"), Some(&2));
}
