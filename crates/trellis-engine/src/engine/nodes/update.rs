//! `action.update`: writes attributes to the user's profile and logs `profile.updated`.

use super::*;

impl Engine {
    pub(crate) fn update(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        set: &Map<String, Value>,
        now: Time,
    ) -> Port {
        for (k, v) in set {
            self.users[u].attrs.set(&mut self.keys, k, v.clone());
        }
        self.attrs_changed(u);
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::ProfileUpdated {
                set: Cow::Borrowed(set),
            },
        );
        // Membership the profile moves changes now (its triggers fire before this walk goes on).
        if !self.segs.is_empty() {
            self.seg_changed(u, now);
        }
        "out".into()
    }
}
