//! The decision log: the `Decision` record and the one writer of its JSON line (the same bytes
//! `serde_json` would write, without building a JSON value).

use super::*;

/// One decision record (`runtime.md`, the decision log): the fields every record has, and what
/// was decided ([`DecisionKind`], typed). Ids are shared, so making a record allocates little.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub seq: u64,
    pub ts: Time,
    pub user_id: Option<Arc<str>>,
    pub journey: Option<Arc<str>>,
    pub version: Option<u64>,
    pub node: Option<Arc<str>>,
    pub kind: DecisionKind<'static>,
}

/// Defines a reason enum with its log names, and `ALL` (every reason, for the UI's
/// translations and the tests that check them).
macro_rules! reasons {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// The name the decision log writes.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

reasons!(
    /// Why a trigger that fired did not enter the user (`journey.skipped`).
    SkipReason {
        /// The user is outside the only version's rollout.
        Rollout = "rollout",
        CampaignInactive = "campaign_inactive",
        ReEntry = "re_entry",
        Mutex = "mutex",
        /// The journey is paused (`POST /v1/journeys/{id}/pause`); checked last, so it names
        /// only entries that would have happened.
        Paused = "paused",
    }
);

reasons!(
    /// Which control group held a user out of a journey (`journey.held_out`).
    Holdout {
        /// The workspace's global control group (`policy.global_holdout_percent`).
        Global = "global",
        /// The journey's own (`entry.holdout_percent`).
        Journey = "journey",
    }
);

reasons!(
    /// Why a user left a journey (`journey.exited`).
    ExitReason {
        Completed = "completed",
        Goal = "goal",
        MaxDuration = "max_duration",
    }
);

reasons!(
    /// Why an offer was not issued (`offer.rejected`).
    RejectReason {
        CampaignInactive = "campaign_inactive",
        PerUserLimit = "per_user_limit",
        Stock = "stock",
        Budget = "budget",
        HourlyQuota = "hourly_quota",
        /// The journey is paused with scope `all`.
        Paused = "paused",
        /// The degrade switch has offers off (engine-wide or for the campaign).
        Degraded = "degraded",
        /// The campaign's pacing line: no more than k/N of its budget by period k of N.
        Pacing = "pacing",
        /// The campaign's breaker tripped (or this offer would trip it).
        Breaker = "breaker",
    }
);

reasons!(
    /// Why a placement request (`POST /v1/decide`) was answered `none`, beyond the reasons of
    /// `journey.skipped`, `offer.rejected` and `touch.suppressed` (`docs/decide.md`).
    NoAnswer {
        /// The request was applied at or after its deadline: nothing ran for it.
        Timeout = "timeout",
        /// No live journey has a `trigger.placement` for the placement that fired for the user.
        NoJourney = "no_journey",
        /// A journey was entered but left without issuing an offer or sending content.
        NoAction = "no_action",
        /// The user is in a control group of the journey.
        HeldOut = "held_out",
        /// The touch was deferred (the throttle), so there is nothing to show now.
        Deferred = "deferred",
    }
);

reasons!(
    /// Why a touch was not sent (`touch.suppressed`).
    SuppressReason {
        NoChannel = "no_channel",
        FreqCap = "freq_cap",
        QuietHours = "quiet_hours",
        /// The journey is paused with scope `all`.
        Paused = "paused",
        /// The degrade switch has touches off.
        Throttled = "throttled",
    }
);

/// What a conversion is attributed to: the touch or offer of a journey's node.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributed {
    pub journey: Arc<str>,
    pub node: Arc<str>,
    /// An offer (else a touch).
    pub offer: bool,
}

/// What was decided, with its typed fields, in the order the log writes them. Strings borrow
/// where the engine has them (a record written straight into the log copies nothing); a
/// [`Decision`] keeps them owned.
#[derive(Debug, Clone, PartialEq)]
pub enum DecisionKind<'a> {
    JourneyEntered,
    JourneySkipped {
        reason: SkipReason,
    },
    /// The entry would have happened, but the user is in a control group.
    JourneyHeldOut {
        holdout: Holdout,
    },
    JourneyExited {
        reason: ExitReason,
    },
    ExperimentAssigned {
        experiment: Cow<'a, str>,
        variant: Cow<'a, str>,
    },
    OfferIssued {
        offer: Cow<'a, str>,
        instance: Cow<'a, str>,
        amount: Decimal,
        /// A coupon's expiry; cash and points have none.
        expires_at: Option<Time>,
    },
    OfferRejected {
        offer: Cow<'a, str>,
        reason: RejectReason,
    },
    /// A placement request found the user holding an unexpired, unredeemed instance of the
    /// offer and answered it again; nothing was issued (`docs/decide.md`).
    OfferReused {
        offer: Cow<'a, str>,
        instance: Cow<'a, str>,
        amount: Decimal,
        expires_at: Option<Time>,
    },
    OfferRedeemed {
        instance: Cow<'a, str>,
        /// The redeeming order's id as it came (a string, or whatever JSON the caller sent).
        order: Cow<'a, Value>,
        amount: Decimal,
    },
    OfferExpired {
        instance: Cow<'a, str>,
        amount: Decimal,
    },
    TouchSent {
        channel: Channel,
        template: Cow<'a, str>,
        /// Channels tried before this one (their delivery failed).
        tried: Cow<'a, [Channel]>,
        /// The channel this touch falls back from, after an asynchronous delivery failure.
        fallback_from: Option<Channel>,
        /// Not in the log: the address the outbox delivers to (kept decisions only), and the
        /// node's content.
        to: Option<Cow<'a, str>>,
        content: Option<Cow<'a, Value>>,
    },
    TouchSuppressed {
        reason: SuppressReason,
    },
    TouchDeferred {
        until: Time,
    },
    TouchFailed {
        channel: Channel,
        template: Cow<'a, str>,
        reason: Cow<'a, str>,
    },
    PointsAwarded {
        amount: i64,
        balance: i64,
    },
    ProfileUpdated {
        set: Cow<'a, Map<String, Value>>,
    },
    Conversion {
        event_id: Cow<'a, Value>,
        revenue: Decimal,
        attributed_to: Option<Attributed>,
    },
    /// `policy.unsubscribe`: the user's consent for `channel` (None: every channel that takes
    /// consent) is now false; attributed to the user's last touch in the attribution window.
    ConsentRevoked {
        channel: Option<Channel>,
        attributed_to: Option<Attributed>,
    },
}

impl DecisionKind<'_> {
    /// Every kind's log name, for the UI's translations and the tests that check them.
    pub const NAMES: &'static [&'static str] = &[
        "journey.entered",
        "journey.skipped",
        "journey.held_out",
        "journey.exited",
        "experiment.assigned",
        "offer.issued",
        "offer.rejected",
        "offer.reused",
        "offer.redeemed",
        "offer.expired",
        "touch.sent",
        "touch.suppressed",
        "touch.deferred",
        "touch.failed",
        "points.awarded",
        "profile.updated",
        "conversion",
        "consent.revoked",
    ];

    /// The record's `kind` as the log writes it.
    pub fn name(&self) -> &'static str {
        match self {
            DecisionKind::JourneyEntered => "journey.entered",
            DecisionKind::JourneySkipped { .. } => "journey.skipped",
            DecisionKind::JourneyHeldOut { .. } => "journey.held_out",
            DecisionKind::JourneyExited { .. } => "journey.exited",
            DecisionKind::ExperimentAssigned { .. } => "experiment.assigned",
            DecisionKind::OfferIssued { .. } => "offer.issued",
            DecisionKind::OfferRejected { .. } => "offer.rejected",
            DecisionKind::OfferReused { .. } => "offer.reused",
            DecisionKind::OfferRedeemed { .. } => "offer.redeemed",
            DecisionKind::OfferExpired { .. } => "offer.expired",
            DecisionKind::TouchSent { .. } => "touch.sent",
            DecisionKind::TouchSuppressed { .. } => "touch.suppressed",
            DecisionKind::TouchDeferred { .. } => "touch.deferred",
            DecisionKind::TouchFailed { .. } => "touch.failed",
            DecisionKind::PointsAwarded { .. } => "points.awarded",
            DecisionKind::ProfileUpdated { .. } => "profile.updated",
            DecisionKind::Conversion { .. } => "conversion",
            DecisionKind::ConsentRevoked { .. } => "consent.revoked",
        }
    }

    /// The same decision with its strings owned, to keep.
    pub fn into_owned(self) -> DecisionKind<'static> {
        fn own<T: ToOwned + ?Sized>(c: Cow<'_, T>) -> Cow<'static, T> {
            Cow::Owned(c.into_owned())
        }
        use DecisionKind as K;
        match self {
            K::JourneyEntered => K::JourneyEntered,
            K::JourneySkipped { reason } => K::JourneySkipped { reason },
            K::JourneyHeldOut { holdout } => K::JourneyHeldOut { holdout },
            K::JourneyExited { reason } => K::JourneyExited { reason },
            K::ExperimentAssigned {
                experiment,
                variant,
            } => K::ExperimentAssigned {
                experiment: own(experiment),
                variant: own(variant),
            },
            K::OfferIssued {
                offer,
                instance,
                amount,
                expires_at,
            } => K::OfferIssued {
                offer: own(offer),
                instance: own(instance),
                amount,
                expires_at,
            },
            K::OfferRejected { offer, reason } => K::OfferRejected {
                offer: own(offer),
                reason,
            },
            K::OfferReused {
                offer,
                instance,
                amount,
                expires_at,
            } => K::OfferReused {
                offer: own(offer),
                instance: own(instance),
                amount,
                expires_at,
            },
            K::OfferRedeemed {
                instance,
                order,
                amount,
            } => K::OfferRedeemed {
                instance: own(instance),
                order: own(order),
                amount,
            },
            K::OfferExpired { instance, amount } => K::OfferExpired {
                instance: own(instance),
                amount,
            },
            K::TouchSent {
                channel,
                template,
                tried,
                fallback_from,
                to,
                content,
            } => K::TouchSent {
                channel,
                template: own(template),
                tried: own(tried),
                fallback_from,
                to: to.map(own),
                content: content.map(own),
            },
            K::TouchSuppressed { reason } => K::TouchSuppressed { reason },
            K::TouchDeferred { until } => K::TouchDeferred { until },
            K::TouchFailed {
                channel,
                template,
                reason,
            } => K::TouchFailed {
                channel,
                template: own(template),
                reason: own(reason),
            },
            K::PointsAwarded { amount, balance } => K::PointsAwarded { amount, balance },
            K::ProfileUpdated { set } => K::ProfileUpdated { set: own(set) },
            K::Conversion {
                event_id,
                revenue,
                attributed_to,
            } => K::Conversion {
                event_id: own(event_id),
                revenue,
                attributed_to,
            },
            K::ConsentRevoked {
                channel,
                attributed_to,
            } => K::ConsentRevoked {
                channel,
                attributed_to,
            },
        }
    }

    /// The fields after `kind`, each as `,"name":value` (the one place they are written).
    fn write_fields(&self, out: &mut Vec<u8>) {
        fn key(out: &mut Vec<u8>, k: &str) {
            out.push(b',');
            raw_str(out, k);
            out.push(b':');
        }
        fn dec(out: &mut Vec<u8>, d: Decimal) {
            json_str(out, &decimal_string(d));
        }
        fn ts(out: &mut Vec<u8>, t: Time) {
            out.push(b'"');
            crate::input::write_ts(out, t);
            out.push(b'"');
        }
        fn int(out: &mut Vec<u8>, v: i64) {
            if v < 0 {
                out.push(b'-');
            }
            json_u64(out, v.unsigned_abs());
        }
        use DecisionKind as K;
        match self {
            K::JourneyEntered => {}
            K::JourneySkipped { reason } => {
                key(out, "reason");
                raw_str(out, reason.as_str());
            }
            K::JourneyHeldOut { holdout } => {
                key(out, "holdout");
                raw_str(out, holdout.as_str());
            }
            K::JourneyExited { reason } => {
                key(out, "reason");
                raw_str(out, reason.as_str());
            }
            K::ExperimentAssigned {
                experiment,
                variant,
            } => {
                key(out, "experiment");
                json_str(out, experiment);
                key(out, "variant");
                json_str(out, variant);
            }
            K::OfferIssued {
                offer,
                instance,
                amount,
                expires_at,
            }
            | K::OfferReused {
                offer,
                instance,
                amount,
                expires_at,
            } => {
                key(out, "offer");
                json_str(out, offer);
                key(out, "instance");
                json_str(out, instance);
                key(out, "amount");
                dec(out, *amount);
                key(out, "expires_at");
                match expires_at {
                    Some(t) => ts(out, *t),
                    None => out.extend_from_slice(b"null"),
                }
            }
            K::OfferRejected { offer, reason } => {
                key(out, "offer");
                json_str(out, offer);
                key(out, "reason");
                raw_str(out, reason.as_str());
            }
            K::OfferRedeemed {
                instance,
                order,
                amount,
            } => {
                key(out, "instance");
                json_str(out, instance);
                key(out, "order");
                json_value(out, order);
                key(out, "amount");
                dec(out, *amount);
            }
            K::OfferExpired { instance, amount } => {
                key(out, "instance");
                json_str(out, instance);
                key(out, "amount");
                dec(out, *amount);
            }
            K::TouchSent {
                channel,
                template,
                tried,
                fallback_from,
                ..
            } => {
                key(out, "channel");
                raw_str(out, channel.as_str());
                key(out, "template");
                json_str(out, template);
                key(out, "tried");
                out.push(b'[');
                for (i, c) in tried.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    raw_str(out, c.as_str());
                }
                out.push(b']');
                if let Some(c) = fallback_from {
                    key(out, "fallback_from");
                    raw_str(out, c.as_str());
                }
            }
            K::TouchSuppressed { reason } => {
                key(out, "reason");
                raw_str(out, reason.as_str());
            }
            K::TouchDeferred { until } => {
                key(out, "until");
                ts(out, *until);
            }
            K::TouchFailed {
                channel,
                template,
                reason,
            } => {
                key(out, "channel");
                raw_str(out, channel.as_str());
                key(out, "template");
                json_str(out, template);
                key(out, "reason");
                json_str(out, reason);
            }
            K::PointsAwarded { amount, balance } => {
                key(out, "amount");
                int(out, *amount);
                key(out, "balance");
                int(out, *balance);
            }
            K::ProfileUpdated { set } => {
                key(out, "set");
                let _ = serde_json::to_writer(&mut *out, &**set);
            }
            K::Conversion {
                event_id,
                revenue,
                attributed_to,
            } => {
                key(out, "event_id");
                json_value(out, event_id);
                key(out, "revenue");
                dec(out, *revenue);
                key(out, "attributed_to");
                write_attributed(out, attributed_to.as_ref());
            }
            K::ConsentRevoked {
                channel,
                attributed_to,
            } => {
                key(out, "channel");
                match channel {
                    None => out.extend_from_slice(b"null"),
                    Some(c) => raw_str(out, c.as_str()),
                }
                key(out, "attributed_to");
                write_attributed(out, attributed_to.as_ref());
            }
        }
    }
}

/// A conversion's or an unsubscribe's `attributed_to`: `{journey, node, kind}` or `null`.
fn write_attributed(out: &mut Vec<u8>, a: Option<&Attributed>) {
    match a {
        None => out.extend_from_slice(b"null"),
        Some(a) => {
            out.extend_from_slice(b"{\"journey\":");
            json_str(out, &a.journey);
            out.extend_from_slice(b",\"node\":");
            json_str(out, &a.node);
            out.extend_from_slice(b",\"kind\":");
            raw_str(out, if a.offer { "offer" } else { "touch" });
            out.push(b'}');
        }
    }
}

impl Decision {
    /// The record's `kind` as the log writes it.
    pub fn kind_name(&self) -> &'static str {
        self.kind.name()
    }

    /// The record as a JSON object (read back from its log line: one writer).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut line = Vec::new();
        self.write_json(&mut line);
        serde_json::from_slice(&line).unwrap_or_default()
    }

    /// Appends the record as one line of JSON (without the newline): the decision log's one
    /// writer, by hand.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        write_record(
            out,
            Head {
                seq: self.seq,
                ts: self.ts,
                user_id: self.user_id.as_deref(),
                journey: self.journey.as_deref(),
                version: self.version,
                node: self.node.as_deref(),
            },
            &self.kind,
            &mut TsText::default(),
        );
    }
}

impl serde::Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(s)
    }
}

/// The text of the last timestamp written: records come in time order, many at one instant.
#[derive(Default)]
pub(crate) struct TsText {
    pub(crate) at: Option<Time>,
    pub(crate) len: usize,
    pub(crate) text: [u8; 32],
}

impl TsText {
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, t: Time) {
        if self.at == Some(t) {
            out.extend_from_slice(&self.text[..self.len]);
            return;
        }
        let start = out.len();
        crate::input::write_ts(out, t);
        let text = &out[start..];
        if text.len() <= self.text.len() {
            self.text[..text.len()].copy_from_slice(text);
            self.len = text.len();
            self.at = Some(t);
        }
    }
}

/// The fixed fields of a decision record, borrowed.
pub(crate) struct Head<'a> {
    pub(crate) seq: u64,
    pub(crate) ts: Time,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) journey: Option<&'a str>,
    pub(crate) version: Option<u64>,
    pub(crate) node: Option<&'a str>,
}

/// A decision record as one line of JSON (without the newline), byte for byte what
/// `serde_json` writes for a [`Decision`].
pub(crate) fn write_record(
    out: &mut Vec<u8>,
    h: Head<'_>,
    kind: &DecisionKind<'_>,
    ts: &mut TsText,
) {
    out.extend_from_slice(b"{\"seq\":");
    json_u64(out, h.seq);
    out.extend_from_slice(b",\"ts\":\"");
    ts.write(out, h.ts);
    out.extend_from_slice(b"\",\"user_id\":");
    json_opt_str(out, h.user_id);
    out.extend_from_slice(b",\"journey\":");
    json_opt_str(out, h.journey);
    out.extend_from_slice(b",\"version\":");
    match h.version {
        Some(v) => json_u64(out, v),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"node\":");
    json_opt_str(out, h.node);
    out.extend_from_slice(b",\"kind\":");
    // Kinds and field names are the engine's own identifiers: nothing to escape.
    raw_str(out, kind.name());
    kind.write_fields(out);
    out.push(b'}');
}

/// A JSON value as `serde_json` writes it.
pub(crate) fn json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => json_str(out, s),
        Value::Null => out.extend_from_slice(b"null"),
        v => {
            // Writing to a vector cannot fail.
            let _ = serde_json::to_writer(&mut *out, v);
        }
    }
}

/// A JSON string as `serde_json` writes it: as is, unless it has a byte that needs escaping.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        raw_str(out, s);
    }
}

pub(crate) fn raw_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!needs_escape(s.as_bytes()));
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether a string has a control byte, a quote or a backslash, tested eight bytes at a time.
pub(crate) fn needs_escape(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // A byte below 0x20 (with the high bit clear), a '"' or a '\\'.
    let bad = |w: [u8; 8]| {
        let x = u64::from_le_bytes(w);
        let control = x.wrapping_sub(LO * 0x20) & !x & HI;
        control | zero_byte(x ^ (LO * u64::from(b'"'))) | zero_byte(x ^ (LO * u64::from(b'\\')))
            != 0
    };
    let mut chunks = b.chunks_exact(8);
    for c in chunks.by_ref() {
        let w: [u8; 8] = c.try_into().unwrap_or([0; 8]);
        if bad(w) {
            return true;
        }
    }
    // The last bytes, padded with spaces (which need no escape), in one more word (byte by
    // byte: a copy of a length known only at run time would be a call to memcpy).
    let mut w = [b' '; 8];
    for (to, &b) in w.iter_mut().zip(chunks.remainder()) {
        *to = b;
    }
    bad(w)
}

pub(crate) fn json_u64(out: &mut Vec<u8>, v: u64) {
    let mut b = [0u8; 20];
    let mut i = b.len();
    let mut v = v;
    loop {
        i -= 1;
        b[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&b[i..]);
}

pub(crate) fn json_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

pub(crate) struct LineSink {
    pub(crate) lines: Vec<u8>,
    pub(crate) ts: TsText,
    pub(crate) limit: usize,
    pub(crate) send: Sink,
}

impl Engine {
    /// Logs a decision: straight into the sink's lines when there is a sink (nothing kept),
    /// else as a [`Decision`] for [`drain`](Self::drain). Returns its sequence number.
    pub(crate) fn emit(
        &mut self,
        now: Time,
        u: Option<usize>,
        journey: Option<usize>,
        node: Option<usize>,
        kind: DecisionKind<'_>,
    ) -> u64 {
        self.seq += 1;
        if let Some(d) = self.deciding.as_mut() {
            d.note(journey, node, &kind);
        }
        let cj = journey.map(|j| &self.journeys[j]);
        if let Some(sink) = &mut self.sink {
            let head = Head {
                seq: self.seq,
                ts: now,
                user_id: u.map(|u| &*self.users[u].id),
                journey: cj.map(|c| &*c.id),
                version: cj.map(|c| c.version),
                node: cj.and_then(|c| node.map(|n| &*c.nodes[n].id)),
            };
            write_record(&mut sink.lines, head, &kind, &mut sink.ts);
            sink.lines.push(b'\n');
            if sink.lines.len() >= sink.limit {
                self.flush();
            }
            return self.seq;
        }
        self.out.push(Decision {
            seq: self.seq,
            ts: now,
            user_id: u.map(|u| self.users[u].id.clone()),
            journey: cj.map(|c| c.id.clone()),
            version: cj.map(|c| c.version),
            node: cj.and_then(|c| node.map(|n| c.nodes[n].id.clone())),
            kind: kind.into_owned(),
        });
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn needs_escape_finds_every_byte_that_needs_it() {
        for len in 0..20 {
            for pos in 0..len {
                for bad in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut v = vec![b'a'; len];
                    v[pos] = bad;
                    assert!(needs_escape(&v), "{bad:#x} at {pos} of {len}");
                }
                for good in (0x20u8..=0xff).filter(|&c| c != b'"' && c != b'\\') {
                    let mut v = vec![b'a'; len];
                    v[pos] = good;
                    assert!(!needs_escape(&v), "{good:#x} at {pos} of {len}");
                }
            }
        }
    }

    /// Every kind, written by the one writer, is byte for byte what `serde_json` writes for
    /// the record as a JSON object in the log's field order (the format before the kinds were
    /// typed, with `preserve_order`).
    #[test]
    fn write_json_writes_what_serde_json_writes() {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 2, 3, 4).unwrap();
        let t2 = t + ChronoDuration::nanoseconds(1_500);
        let odd = "tab\there \"quoted\" back\\slash \u{1} 成都 \u{7f}";
        let set: Map<String, Value> =
            serde_json::from_value(json!({"tier": "gold", "n": 1.5, "deep": {"x": [true, null]}}))
                .unwrap();
        let order = json!(odd);
        let dec = |s: &str| s.parse::<Decimal>().unwrap();
        use DecisionKind as K;
        let cases: Vec<(K<'_>, Value)> = vec![
            (K::JourneyEntered, json!({})),
            (
                K::JourneyHeldOut {
                    holdout: Holdout::Global,
                },
                json!({"holdout": "global"}),
            ),
            (
                K::JourneySkipped {
                    reason: SkipReason::ReEntry,
                },
                json!({"reason": "re_entry"}),
            ),
            (
                K::JourneyExited {
                    reason: ExitReason::MaxDuration,
                },
                json!({"reason": "max_duration"}),
            ),
            (
                K::ExperimentAssigned {
                    experiment: odd.into(),
                    variant: "b".into(),
                },
                json!({"experiment": odd, "variant": "b"}),
            ),
            (
                K::OfferIssued {
                    offer: "c".into(),
                    instance: odd.into(),
                    amount: dec("10.50"),
                    expires_at: Some(t2),
                },
                json!({"offer": "c", "instance": odd, "amount": "10.5", "expires_at": ts_string(t2)}),
            ),
            (
                K::OfferIssued {
                    offer: "p".into(),
                    instance: "i".into(),
                    amount: dec("-3"),
                    expires_at: None,
                },
                json!({"offer": "p", "instance": "i", "amount": "-3", "expires_at": null}),
            ),
            (
                K::OfferReused {
                    offer: "c".into(),
                    instance: odd.into(),
                    amount: dec("10.50"),
                    expires_at: Some(t2),
                },
                json!({"offer": "c", "instance": odd, "amount": "10.5", "expires_at": ts_string(t2)}),
            ),
            (
                K::OfferRejected {
                    offer: "c".into(),
                    reason: RejectReason::HourlyQuota,
                },
                json!({"offer": "c", "reason": "hourly_quota"}),
            ),
            (
                K::OfferRedeemed {
                    instance: "i".into(),
                    order: Cow::Borrowed(&order),
                    amount: dec("5"),
                },
                json!({"instance": "i", "order": odd, "amount": "5"}),
            ),
            (
                K::OfferRedeemed {
                    instance: "i".into(),
                    order: Cow::Owned(json!(42)),
                    amount: dec("0.01"),
                },
                json!({"instance": "i", "order": 42, "amount": "0.01"}),
            ),
            (
                K::OfferExpired {
                    instance: "i".into(),
                    amount: dec("7"),
                },
                json!({"instance": "i", "amount": "7"}),
            ),
            (
                K::TouchSent {
                    channel: Channel::Sms,
                    template: odd.into(),
                    tried: Cow::Owned(vec![Channel::Push, Channel::Email]),
                    fallback_from: None,
                    to: Some("138".into()),
                    content: None,
                },
                json!({"channel": "sms", "template": odd, "tried": ["push", "email"]}),
            ),
            (
                K::TouchSent {
                    channel: Channel::Inbox,
                    template: "t".into(),
                    tried: Cow::Owned(vec![]),
                    fallback_from: Some(Channel::Webhook),
                    to: None,
                    content: Some(Cow::Owned(json!({"title": "hi"}))),
                },
                json!({"channel": "inbox", "template": "t", "tried": [], "fallback_from": "webhook"}),
            ),
            (
                K::TouchSuppressed {
                    reason: SuppressReason::NoChannel,
                },
                json!({"reason": "no_channel"}),
            ),
            (
                K::TouchDeferred { until: t },
                json!({"until": ts_string(t)}),
            ),
            (
                K::TouchFailed {
                    channel: Channel::Push,
                    template: "t".into(),
                    reason: odd.into(),
                },
                json!({"channel": "push", "template": "t", "reason": odd}),
            ),
            (
                K::PointsAwarded {
                    amount: -20,
                    balance: i64::MIN,
                },
                json!({"amount": -20, "balance": i64::MIN}),
            ),
            (
                K::PointsAwarded {
                    amount: 0,
                    balance: i64::MAX,
                },
                json!({"amount": 0, "balance": i64::MAX}),
            ),
            (
                K::ProfileUpdated {
                    set: Cow::Borrowed(&set),
                },
                json!({"set": set}),
            ),
            (
                K::Conversion {
                    event_id: Cow::Owned(Value::Null),
                    revenue: dec("129.9"),
                    attributed_to: Some(Attributed {
                        journey: "j".into(),
                        node: odd.into(),
                        offer: true,
                    }),
                },
                json!({"event_id": null, "revenue": "129.9", "attributed_to": {"journey": "j", "node": odd, "kind": "offer"}}),
            ),
            (
                K::Conversion {
                    event_id: Cow::Owned(json!("o1")),
                    revenue: dec("0"),
                    attributed_to: None,
                },
                json!({"event_id": "o1", "revenue": "0", "attributed_to": null}),
            ),
            (
                K::ConsentRevoked {
                    channel: Some(Channel::Sms),
                    attributed_to: Some(Attributed {
                        journey: "j".into(),
                        node: odd.into(),
                        offer: false,
                    }),
                },
                json!({"channel": "sms", "attributed_to": {"journey": "j", "node": odd, "kind": "touch"}}),
            ),
            (
                K::ConsentRevoked {
                    channel: None,
                    attributed_to: None,
                },
                json!({"channel": null, "attributed_to": null}),
            ),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (i, (kind, fields)) in cases.into_iter().enumerate() {
            seen.insert(kind.name());
            let d = Decision {
                seq: if i % 2 == 0 { 1 } else { u64::MAX },
                ts: if i % 2 == 0 { t } else { t2 },
                user_id: (i % 3 != 0).then(|| Arc::from(odd)),
                journey: (i % 3 != 1).then(|| Arc::from("j")),
                version: (i % 3 != 1).then_some(3),
                node: (i % 3 != 1).then(|| Arc::from("n")),
                kind: kind.into_owned(),
            };
            let mut want = json!({
                "seq": d.seq, "ts": ts_string(d.ts), "user_id": d.user_id.as_deref(),
                "journey": d.journey.as_deref(), "version": d.version, "node": d.node.as_deref(),
                "kind": d.kind.name(),
            });
            want.as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            let mut ours = Vec::new();
            d.write_json(&mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                want.to_string(),
                "case {i}"
            );
            assert_eq!(Value::Object(d.to_map()), want, "case {i}");
        }
        let names: std::collections::BTreeSet<_> = DecisionKind::NAMES.iter().copied().collect();
        assert_eq!(seen, names, "every kind is checked");
    }
}
