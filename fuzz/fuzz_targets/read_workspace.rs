//! Any bytes through the document reader and the graph checks: no panic, and a document that
//! reads without errors survives a save and a second read unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ws, diags) = trellis_graph::validate_bytes(data);
    for d in &diags {
        assert!(!d.message.is_empty());
    }
    if let Some(ws) = ws {
        if !diags.iter().any(|d| d.is_error()) {
            let saved = ws.to_json();
            let again = trellis_model::Workspace::from_json(&saved).expect("a saved document reads back");
            assert_eq!(again, ws);
        }
    }
});
