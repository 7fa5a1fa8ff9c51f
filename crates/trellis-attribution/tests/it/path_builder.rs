//! Paths from touches and conversions in time order.

use crate::{ch, dec};
use trellis_attribution::{Error, PathBuilder, Unattributed};

fn rows(b: PathBuilder<&str>) -> (Vec<(String, u64, u64, String)>, Unattributed) {
    let (t, u) = b.finish().unwrap();
    let rows = t
        .rows()
        .iter()
        .map(|r| {
            let p: Vec<&str> = r.path.iter().map(|c| c.as_str()).collect();
            (
                p.join(">"),
                r.conversions,
                r.non_conversions,
                r.value.to_string(),
            )
        })
        .collect();
    (rows, u)
}

#[test]
fn a_touch_exactly_window_before_is_out() {
    let mut b = PathBuilder::new(100);
    b.touch("u1", 1000, ch("email")).unwrap(); // 1100 − 100: out
    b.touch("u1", 1001, ch("sms")).unwrap(); // in
    b.touch("u1", 1100, ch("push")).unwrap(); // at the conversion: in
    b.convert("u1", 1100, dec("25.50")).unwrap();
    let (rows, u) = rows(b);
    assert_eq!(
        rows,
        [
            ("email".into(), 0, 1, "0".into()),
            ("sms>push".into(), 1, 0, "25.50".into()),
        ]
    );
    assert_eq!(u, Unattributed::default());
}

#[test]
fn conversions_clear_touches_and_the_rest_never_converted() {
    let mut b = PathBuilder::new(3600);
    // u1: converts twice; the second conversion has only the touch after the first.
    b.touch("u1", 0, ch("email")).unwrap();
    b.touch("u1", 10, ch("email")).unwrap();
    b.convert("u1", 20, dec("10")).unwrap();
    b.convert("u1", 30, dec("5")).unwrap(); // no touch left: unattributed
    b.touch("u1", 40, ch("sms")).unwrap();
    b.convert("u1", 50, dec("7")).unwrap();
    // u2 and u3: touches that never convert, one path each at finish.
    b.touch("u2", 5, ch("sms")).unwrap();
    b.touch("u3", 6, ch("sms")).unwrap();
    // u4: the same path as u1's first conversion; rows add up.
    b.touch("u4", 100, ch("email")).unwrap();
    b.touch("u4", 101, ch("email")).unwrap();
    b.convert("u4", 102, dec("0.25")).unwrap();
    let (rows, u) = rows(b);
    assert_eq!(
        rows,
        [
            ("email>email".into(), 2, 0, "10.25".into()),
            ("sms".into(), 1, 2, "7".into()),
        ]
    );
    assert_eq!(
        u,
        Unattributed {
            conversions: 1,
            value: dec("5")
        }
    );
}

#[test]
fn inputs_out_of_time_order_or_negative_values_are_refused() {
    let mut b = PathBuilder::new(60);
    b.touch("u1", 10, ch("email")).unwrap();
    let e = b.touch("u1", 9, ch("sms")).unwrap_err();
    assert!(matches!(e, Error::Input { at: 9, .. }), "{e}");
    assert!(e.to_string().contains("previous input at 10"), "{e}");
    // Another user's clock is their own.
    b.touch("u2", 1, ch("sms")).unwrap();
    assert!(b.convert("u1", 11, dec("-1")).is_err());
    b.convert("u1", 11, dec("1")).unwrap();
}
