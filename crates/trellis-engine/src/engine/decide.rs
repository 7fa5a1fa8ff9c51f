//! Placement requests (`POST /v1/decide`, `docs/decide.md`): the journeys with a
//! `trigger.placement` for the request's placement run for the user at once, in priority order,
//! under every rule an event obeys but quiet hours, until one of them issues (or reuses) an offer
//! or sends content; that is the answer. A request applied at or after its deadline runs nothing.

use super::entry::Gate;
use super::*;
use crate::apply::Decide;

/// What a placement request answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    Offer,
    Content,
    None,
}

impl AnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Offer => "offer",
            AnswerKind::Content => "content",
            AnswerKind::None => "none",
        }
    }
}

/// The offer instance an answer carries: issued now, or reused (already held by the user).
#[derive(Debug, Clone, PartialEq)]
pub struct AnsweredOffer {
    pub id: String,
    pub instance: String,
    pub amount: Decimal,
    /// A coupon's expiry; cash and points have none.
    pub expires_at: Option<Time>,
    pub reused: bool,
}

/// The answer to one placement request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementAnswer {
    pub decision: AnswerKind,
    pub offer: Option<AnsweredOffer>,
    /// The touch's `{ "channel", "template", "content" }`.
    pub content: Option<Value>,
    /// The journey (and its version and node) that answered, or that refused first.
    pub journey: Option<String>,
    pub version: Option<u64>,
    pub node: Option<String>,
    /// Why the answer is `none`: a `journey.skipped`, `offer.rejected` or `touch.suppressed`
    /// reason, or one of [`NoAnswer`]; `timeout` also on a placement's fallback `content`.
    pub reason: Option<&'static str>,
}

impl PlacementAnswer {
    pub fn none(reason: NoAnswer) -> PlacementAnswer {
        PlacementAnswer {
            decision: AnswerKind::None,
            offer: None,
            content: None,
            journey: None,
            version: None,
            node: None,
            reason: Some(reason.as_str()),
        }
    }

    /// The answer as the journal keeps it (the service's answer, less its `trace_id`).
    pub fn to_json(&self) -> Value {
        json!({
            "decision": self.decision.as_str(),
            "offer": self.offer.as_ref().map(|o| json!({
                "id": o.id,
                "instance": o.instance,
                "amount": decimal_string(o.amount),
                "expires_at": o.expires_at.map(ts_string),
                "reused": o.reused,
            })),
            "content": self.content,
            "journey": self.journey,
            "version": self.version,
            "node": self.node,
            "reason": self.reason,
        })
    }
}

/// An answer's `content`: `{ "channel", "template", "content" }` of the touch sent, or of a
/// placement's fallback (no channel: nothing was sent).
fn shown(channel: Option<Channel>, template: &str, content: Option<&Value>) -> Value {
    json!({
        "channel": channel.map(Channel::as_str),
        "template": template,
        "content": content,
    })
}

enum Answered {
    Offer(AnsweredOffer),
    Content(Value),
}

/// What the request has seen so far: the first answer, else the first refusal.
#[derive(Default)]
pub(crate) struct Deciding {
    answer: Option<(usize, usize, Answered)>,
    refusal: Option<(usize, usize, &'static str)>,
}

impl Deciding {
    /// Notes a decision made while the request is applied (called by `emit`).
    pub(crate) fn note(
        &mut self,
        journey: Option<usize>,
        node: Option<usize>,
        kind: &DecisionKind,
    ) {
        if self.answer.is_some() {
            return;
        }
        let (Some(j), Some(n)) = (journey, node) else {
            return;
        };
        use DecisionKind as K;
        let refused = match kind {
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
                let o = AnsweredOffer {
                    id: offer.to_string(),
                    instance: instance.to_string(),
                    amount: *amount,
                    expires_at: *expires_at,
                    reused: matches!(kind, K::OfferReused { .. }),
                };
                self.answer = Some((j, n, Answered::Offer(o)));
                return;
            }
            K::TouchSent {
                channel,
                template,
                content,
                ..
            } => {
                let c = shown(Some(*channel), template, content.as_deref());
                self.answer = Some((j, n, Answered::Content(c)));
                return;
            }
            K::OfferRejected { reason, .. } => reason.as_str(),
            K::JourneySkipped { reason } => reason.as_str(),
            K::JourneyHeldOut { .. } => NoAnswer::HeldOut.as_str(),
            K::TouchSuppressed { reason } => reason.as_str(),
            K::TouchDeferred { .. } => NoAnswer::Deferred.as_str(),
            _ => return,
        };
        if self.refusal.is_none() {
            self.refusal = Some((j, n, refused));
        }
    }
}

impl Engine {
    /// Answers a placement request at `at` (see the module's note). Decisions go to the log as
    /// for an event; the request itself is not an event (no aggregate, goal or wait sees it).
    pub fn decide(&mut self, d: &Decide, at: Time) -> PlacementAnswer {
        if d.deadline.is_some_and(|deadline| at >= deadline) {
            return self.timeout_answer(&d.placement);
        }
        self.advance_to(at);
        let u = self.user(&d.user_id);
        let ev = Event {
            event_id: None,
            user_id: d.user_id.clone(),
            kind: d.placement.clone(),
            ts: at,
            props: d.context.clone(),
        };
        self.deciding = Some(Box::default());
        let mut groups: FastSet<String> = FastSet::new();
        for oi in 0..self.order.len() {
            let j = self.order[oi];
            if self.gate(u, j) == Gate::Elsewhere {
                continue;
            }
            let mut fired = None;
            for &t in &self.journeys[j].triggers {
                if let NodeKind::TriggerPlacement { placement, .. } =
                    &*self.journeys[j].nodes[t].kind
                {
                    if *placement == d.placement && self.cond_ok(u, j, t, Some(&ev), at) {
                        fired = Some(t);
                        break;
                    }
                }
            }
            let Some(t) = fired else { continue };
            let event = self.journeys[j].keeps_event.then(|| Arc::new(ev.clone()));
            self.try_enter(u, j, t, event, at, &mut groups);
            let Some(st) = self.deciding.as_mut() else {
                break;
            };
            if st.answer.is_some() {
                break;
            }
            if st.refusal.is_none() {
                st.refusal = Some((j, t, NoAnswer::NoAction.as_str()));
            }
        }
        let st = self.deciding.take().unwrap_or_default();
        let names = |e: &Engine, j: usize, n: usize| {
            let cj = &e.journeys[j];
            (
                Some(cj.id.to_string()),
                Some(cj.version),
                Some(cj.nodes[n].id.to_string()),
            )
        };
        match (st.answer, st.refusal) {
            (Some((j, n, answered)), _) => {
                let (journey, version, node) = names(self, j, n);
                let (decision, offer, content) = match answered {
                    Answered::Offer(o) => (AnswerKind::Offer, Some(o), None),
                    Answered::Content(c) => (AnswerKind::Content, None, Some(c)),
                };
                PlacementAnswer {
                    decision,
                    offer,
                    content,
                    journey,
                    version,
                    node,
                    reason: None,
                }
            }
            (None, Some((j, n, reason))) => {
                let (journey, version, node) = names(self, j, n);
                PlacementAnswer {
                    journey,
                    version,
                    node,
                    reason: Some(reason),
                    ..PlacementAnswer::none(NoAnswer::NoAction)
                }
            }
            (None, None) => PlacementAnswer::none(NoAnswer::NoJourney),
        }
    }

    /// What a request for `placement` answers when its deadline passes: the `fallback` content
    /// of the first journey, in priority order, whose current version has a `trigger.placement`
    /// for it with one (`content`, reason `timeout`, that journey's version and trigger), else
    /// `none` with reason `timeout`. Nothing runs and nothing is logged for it.
    pub fn timeout_answer(&self, placement: &str) -> PlacementAnswer {
        for &j in &self.order {
            let cj = &self.journeys[j];
            if self.lineages[cj.lineage].stack.last().map(|&(cur, _)| cur) != Some(j) {
                continue;
            }
            for &t in &cj.triggers {
                if let NodeKind::TriggerPlacement {
                    placement: p,
                    fallback: Some(f),
                    ..
                } = &*cj.nodes[t].kind
                {
                    if p == placement {
                        return PlacementAnswer {
                            decision: AnswerKind::Content,
                            offer: None,
                            content: Some(shown(None, &f.template, f.content.as_ref())),
                            journey: Some(cj.id.to_string()),
                            version: Some(cj.version),
                            node: Some(cj.nodes[t].id.to_string()),
                            reason: Some(NoAnswer::Timeout.as_str()),
                        };
                    }
                }
            }
        }
        PlacementAnswer::none(NoAnswer::Timeout)
    }

    /// Whether a placement request is being answered (quiet hours do not apply to its touches).
    pub(crate) fn deciding(&self) -> bool {
        self.deciding.is_some()
    }

    /// The user's unexpired, unredeemed instance of offer `oi` (the earliest issued), which a
    /// placement request answers again instead of issuing another.
    pub(crate) fn held_instance(&self, u: usize, oi: usize, now: Time) -> Option<usize> {
        self.users[u].coupons.iter().copied().find(|&ci| {
            let c = &self.coupons[ci];
            c.offer == oi && c.active && c.redeemed_by.is_none() && c.expires_at > now
        })
    }
}
