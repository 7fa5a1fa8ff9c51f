//! `policy.unsubscribe` (`docs/operations.md` "Unsubscribe"): an event of its type sets the
//! user's consent to false for the channel its `channel_field` prop names, or for every channel
//! that takes consent when there is no such prop; logged as `consent.revoked` and attributed to
//! the user's last touch in the attribution window (the report's `touches.unsubscribes`).

use super::*;

impl Engine {
    pub(crate) fn unsubscribe(&mut self, u: usize, ev: &Event, now: Time) {
        let Some(policy) = self.policy.unsubscribe.as_ref() else {
            return;
        };
        let named = policy
            .channel_field
            .as_ref()
            .and_then(|f| ev.props.get(f))
            .and_then(Value::as_str);
        // Inbox and webhook take no consent; every other channel does.
        let always = reach_bit(Channel::Inbox) | reach_bit(Channel::Webhook);
        let (bits, channel) = match named {
            None => (!always, None),
            Some(name) => match Channel::parse(name) {
                Some(c) if reach_bit(c) & always == 0 => (reach_bit(c), Some(c)),
                // A channel without consent, or a name that is no channel: nothing to revoke.
                _ => return,
            },
        };
        self.users[u].reach &= !bits;
        let from = back(now, self.ws.policy().attribution_window_secs() as i64);
        let last = self.users[u]
            .touches
            .iter()
            .filter(|t| !t.offer && t.at > from)
            .max_by_key(|t| t.seq)
            .map(|t| (t.journey as usize, t.node as usize));
        self.seen(last.map(|(j, _)| j), Seen::Unsubscribed, now);
        let un = &mut self.report.touches.unsubscribes;
        un.total += 1;
        let attributed = match last {
            None => {
                un.unattributed += 1;
                None
            }
            Some((j, n)) => {
                let cj = &self.journeys[j];
                *crate::report::slot(&mut un.by_journey, &cj.id) += 1;
                if let NodeKind::ActionTouch { template, .. } = &*cj.nodes[n].kind {
                    *crate::report::slot(&mut un.by_template, template) += 1;
                }
                Some(Attributed {
                    journey: cj.id.clone(),
                    node: cj.nodes[n].id.clone(),
                    offer: false,
                })
            }
        };
        self.emit(
            now,
            Some(u),
            None,
            None,
            DecisionKind::ConsentRevoked {
                channel,
                attributed_to: attributed,
            },
        );
    }
}
