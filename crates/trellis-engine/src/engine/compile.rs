//! A journey compiled once per deployment: nodes with their conditions compiled and ports
//! resolved to node indexes, triggers, the event kinds it reacts to, its priority order, and
//! the lineage (every deployed version of one journey id).

use super::*;

pub(crate) struct CNode {
    pub(crate) kind: std::sync::Arc<NodeKind>,
    pub(crate) id: Arc<str>,
    pub(crate) cond: Option<CompiledCondition>,
    pub(crate) cases: Vec<CompiledCondition>,
    /// Outgoing edge per port name (a node has few ports: scanned, not hashed).
    pub(crate) next: Vec<(Box<str>, usize)>,
    /// Users who entered the node, and who left it by each port: the report's node counts,
    /// folded into the report when it is read (`sync_report`).
    pub(crate) entered: u64,
    pub(crate) ports: Vec<(Box<str>, u64)>,
    /// An `action.offer` node's offer, resolved when the journey is deployed
    /// ([`CJourney::resolve_offers`]).
    pub(crate) offer: Option<OfferRef>,
    /// A `gate.uplift` node's model, resolved when the journey is deployed
    /// ([`CJourney::resolve_gates`]); None when the release has no such model (it then fails
    /// everyone, as unscored).
    pub(crate) gate: Option<Arc<CGate>>,
}

/// A `gate.uplift` node's model and where its features are read.
pub(crate) struct CGate {
    pub(crate) model_id: String,
    pub(crate) model: trellis_uplift::UpliftModel,
    /// Each feature's name and the fact it reads (`user.<attr>`, `agg.<id>`, `segment.<id>`).
    pub(crate) fields: Vec<(String, FieldPath)>,
}

impl CGate {
    pub(crate) fn of(m: &trellis_model::ModelDef) -> CGate {
        CGate {
            model_id: m.id.clone(),
            model: m.artifact.clone(),
            fields: m
                .feature_fields()
                .into_iter()
                .map(|(name, field)| (name, FieldPath::new(&field)))
                .collect(),
        }
    }
}

/// What issuing an offer needs of its definition, copied out once.
#[derive(Clone, Copy)]
pub(crate) struct OfferTerms {
    pub(crate) face: Decimal,
    pub(crate) per_user_limit: u32,
    pub(crate) coupon: bool,
    pub(crate) valid_for_secs: u64,
    pub(crate) min_spend: Option<Decimal>,
}

impl OfferTerms {
    pub(crate) fn of(o: &trellis_model::Offer) -> OfferTerms {
        OfferTerms {
            face: o.face_value.value,
            per_user_limit: o.per_user_limit(),
            coupon: o.kind == OfferKind::Coupon,
            valid_for_secs: o.valid_for_secs(),
            min_spend: o.min_spend.map(|m| m.value),
        }
    }
}

/// An offer node's offer: its index among the engine's offers (stock, per-user counts and
/// reports are shared by id), and the terms of the release the version came with (`None`: the
/// engine's own workspace, whose current terms apply).
#[derive(Clone, Copy)]
pub(crate) struct OfferRef {
    pub(crate) index: usize,
    pub(crate) terms: Option<OfferTerms>,
}

impl CNode {
    pub(crate) fn next(&self, port: &str) -> Option<usize> {
        self.next
            .iter()
            .find(|(p, _)| &**p == port)
            .map(|&(_, n)| n)
    }
    pub(crate) fn count_port(&mut self, port: &str) {
        match self.ports.iter_mut().find(|(p, _)| &**p == port) {
            Some((_, c)) => *c += 1,
            None => self.ports.push((port.into(), 1)),
        }
    }
}

pub(crate) struct CJourney {
    /// The deployment lineage: every version of one journey id shares it.
    pub(crate) lineage: usize,
    pub(crate) id: Arc<str>,
    pub(crate) version: u64,
    pub(crate) priority: i64,
    pub(crate) mutex: Option<String>,
    pub(crate) campaign: Option<String>,
    /// The campaign's hourly quota, if it has one.
    pub(crate) hourly_quota: Option<Decimal>,
    /// The campaign's pacing period, if it paces (its window is then whole).
    pub(crate) pacing: Option<trellis_model::PacingPeriod>,
    /// The campaign's breaker: the money that may be committed within a rolling window of so
    /// many seconds (and the window as written).
    pub(crate) breaker: Option<(Decimal, i64, String)>,
    /// The journey's holdout (`entry.holdout_percent`), in parts per million.
    pub(crate) holdout_ppm: u32,
    pub(crate) window: (Option<Time>, Option<Time>),
    pub(crate) re_entry: ReEntry,
    pub(crate) goal: Option<String>,
    pub(crate) max_duration: Option<i64>,
    pub(crate) nodes: Vec<CNode>,
    pub(crate) triggers: Vec<usize>,
    /// The report's journey counts for this version, folded into the report when it is read.
    pub(crate) counts: JCounts,
    /// Whether a node after the trigger reads `event.*`: only then does an instance keep the
    /// event it entered (or last waited) on.
    pub(crate) keeps_event: bool,
    /// The event types it reacts to, by number: bit `i` for type `i` (all bits from type 64
    /// on).
    pub(crate) kinds: u64,
}

#[derive(Default)]
pub(crate) struct JCounts {
    pub(crate) entered: u64,
    pub(crate) held_out: u64,
    pub(crate) skipped: Vec<(&'static str, u64)>,
    pub(crate) exited: Vec<(&'static str, u64)>,
}

/// Adds one to the count of `key` in a short list.
pub(crate) fn count(list: &mut Vec<(&'static str, u64)>, key: &'static str) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, c)) => *c += 1,
        None => list.push((key, 1)),
    }
}

/// The deployed versions of one journey id, oldest first. The last is current and takes the users
/// of its rollout; the one before takes everyone else; older ones only finish the users already in
/// them (a user finishes on the version they entered).
pub(crate) struct Lineage {
    pub(crate) id: Arc<str>,
    /// (journey index, rollout in ppm).
    pub(crate) stack: Vec<(usize, u32)>,
}

pub(crate) fn parse_time(t: &Option<trellis_model::Timestamp>) -> Option<Time> {
    t.as_ref().map(|t| t.at)
}

/// Journey indexes in priority order (higher first), then id, then deployment order.
pub(crate) fn priority_order(journeys: &[CJourney]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..journeys.len()).collect();
    order.sort_by(|&a, &b| {
        journeys[b]
            .priority
            .cmp(&journeys[a].priority)
            .then_with(|| journeys[a].id.cmp(&journeys[b].id))
            .then_with(|| a.cmp(&b))
    });
    order
}

impl CJourney {
    /// Resolves every offer node to its offer among the engine's `offers` (after a deployment
    /// merged its offers in) and to the terms of `release`, the offers this version came with
    /// (versions are immutable; empty for the engine's own workspace, whose current terms
    /// apply). Stock, limits and budgets are shared by offer id.
    pub(crate) fn resolve_offers(
        &mut self,
        offers: &[trellis_model::Offer],
        release: &[trellis_model::Offer],
    ) {
        for n in &mut self.nodes {
            if let NodeKind::ActionOffer { offer } = &*n.kind {
                n.offer = offers
                    .iter()
                    .position(|o| o.id == *offer)
                    .map(|index| OfferRef {
                        index,
                        terms: release.iter().find(|o| o.id == *offer).map(OfferTerms::of),
                    });
            }
        }
    }

    /// Resolves each `gate.uplift` node's model from `models` (the release's: a version keeps the
    /// model it was approved with).
    pub(crate) fn resolve_gates(&mut self, models: &[trellis_model::ModelDef]) {
        for n in &mut self.nodes {
            if let NodeKind::GateUplift { model, .. } = &*n.kind {
                n.gate = models
                    .iter()
                    .find(|m| m.id == *model)
                    .map(|m| Arc::new(CGate::of(m)));
            }
        }
    }

    /// Adds the event types this journey reacts to (triggers, patterns, waits, its goal) to
    /// `set`, which numbers them, and notes their numbers in [`kinds`](Self::kinds).
    pub(crate) fn add_interesting(&mut self, set: &mut FastMap<String, u32>) {
        let mut names: Vec<&String> = self.goal.iter().collect();
        for n in &self.nodes {
            match &*n.kind {
                NodeKind::TriggerEvent { event, .. } | NodeKind::WaitEvent { event, .. } => {
                    names.push(event);
                }
                NodeKind::TriggerPattern { event, unless, .. } => {
                    names.push(event);
                    names.extend(unless);
                }
                _ => {}
            }
        }
        for name in names {
            let next = set.len() as u32;
            let id = *set.entry(name.clone()).or_insert(next);
            self.kinds |= 1u64.checked_shl(id).unwrap_or(u64::MAX);
        }
    }

    /// Whether the journey reacts to event type number `kind` (see
    /// [`add_interesting`](Self::add_interesting)); past 64 types, any may.
    pub(crate) fn reacts_to(&self, kind: u32) -> bool {
        self.kinds & 1u64.checked_shl(kind).unwrap_or(u64::MAX) != 0
    }

    /// Campaign windows are `[starts_at, ends_at)`; they apply to entries and offers.
    pub(crate) fn campaign_active(&self, now: Time) -> bool {
        self.window.0.is_none_or(|s| now >= s) && self.window.1.is_none_or(|e| now < e)
    }
}

pub(crate) fn compile_journey(j: &Journey) -> CJourney {
    let index: HashMap<&str, usize> = j
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut nodes: Vec<CNode> = j
        .nodes
        .iter()
        .map(|n| {
            // A switch's conditions are its cases; every other node has at most one.
            let cond = match &n.kind {
                NodeKind::Switch { .. } => None,
                k => k
                    .conditions()
                    .first()
                    .map(|(c, _)| CompiledCondition::new(c)),
            };
            let cases = match &n.kind {
                NodeKind::Switch { cases } => cases
                    .iter()
                    .map(|c| CompiledCondition::new(&c.when))
                    .collect(),
                _ => Vec::new(),
            };
            CNode {
                kind: std::sync::Arc::new(n.kind.clone()),
                id: Arc::from(n.id.as_str()),
                cond,
                cases,
                next: Vec::new(),
                entered: 0,
                ports: Vec::new(),
                offer: None,
                gate: None,
            }
        })
        .collect();
    for e in &j.edges {
        if let (Some(&f), Some(&t)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            if nodes[f].next(&e.port).is_none() {
                nodes[f].next.push((e.port.as_str().into(), t));
            }
        }
    }
    let triggers = (0..nodes.len())
        .filter(|&i| nodes[i].kind.is_trigger())
        .collect();
    let keeps_event = nodes.iter().filter(|n| !n.kind.is_trigger()).any(|n| {
        n.cond.iter().chain(&n.cases).any(|c| {
            c.fields()
                .paths
                .iter()
                .any(|p| p.segments.first().is_some_and(|s| s.key == "event"))
        })
    });
    CJourney {
        lineage: usize::MAX,
        id: Arc::from(j.id.as_str()),
        version: j.version(),
        priority: j.priority(),
        mutex: j.mutex_group.clone(),
        campaign: j.campaign.as_ref().map(|c| c.id.clone()),
        holdout_ppm: j
            .entry
            .as_ref()
            .and_then(|e| e.holdout_percent)
            .map_or(0, |p| p.ppm),
        hourly_quota: j
            .campaign
            .as_ref()
            .and_then(|c| c.hourly_quota)
            .map(|q| q.value),
        pacing: j
            .campaign
            .as_ref()
            .and_then(|c| c.pacing.as_ref())
            .map(|p| p.period),
        breaker: j
            .campaign
            .as_ref()
            .and_then(|c| c.breaker.as_ref())
            .map(|b| {
                (
                    b.max_committed.value,
                    b.within.seconds as i64,
                    b.within.text.clone(),
                )
            }),
        window: (
            j.campaign.as_ref().and_then(|c| parse_time(&c.starts_at)),
            j.campaign.as_ref().and_then(|c| parse_time(&c.ends_at)),
        ),
        re_entry: j.re_entry(),
        goal: j
            .exit
            .as_ref()
            .and_then(|x| x.goal.as_ref())
            .map(|g| g.event.clone()),
        max_duration: j
            .exit
            .as_ref()
            .and_then(|x| x.max_duration.as_ref())
            .map(|d| d.seconds as i64),
        nodes,
        triggers,
        counts: JCounts::default(),
        keeps_event,
        kinds: 0,
    }
}
