//! The report (`semantics.md`, "The report"), accumulated from the decisions as they are made.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trellis_model::decimal_string;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A Decimal as its exact decimal text (money in reports).
pub(crate) fn money<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&decimal_string(*d))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct InputCounts {
    pub users: u64,
    pub events: u64,
    pub skipped_lines: u64,
    pub duplicates: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct NodeCounts {
    pub entered: u64,
    pub ports: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct JourneyCounts {
    pub entered: u64,
    /// Entries that would have happened but went to a control group (`journey.held_out`).
    #[serde(skip_serializing_if = "is_zero")]
    pub held_out: u64,
    pub skipped: BTreeMap<String, u64>,
    pub exited: BTreeMap<String, u64>,
    pub nodes: BTreeMap<String, NodeCounts>,
}

impl Default for JourneyCounts {
    fn default() -> Self {
        JourneyCounts {
            entered: 0,
            held_out: 0,
            skipped: BTreeMap::new(),
            exited: ["completed", "goal", "max_duration"]
                .into_iter()
                .map(|k| (k.to_owned(), 0))
                .collect(),
            nodes: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct OfferCounts {
    pub issued: u64,
    pub rejected: BTreeMap<String, u64>,
    pub redeemed: u64,
    pub expired: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CampaignMoney {
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub budget: Decimal,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub reserved: Decimal,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub spent: Decimal,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub remaining: Decimal,
    /// Budget burn: reserved + spent at the end of each day (UTC) that saw issuance, so a marketer
    /// sees when the money runs out. Keys are dates.
    pub committed_by_day: BTreeMap<String, String>,
    /// When `reserved + spent` first reached the whole budget, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhausted_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TouchCounts {
    pub sent: BTreeMap<String, u64>,
    pub suppressed: BTreeMap<String, u64>,
    pub deferred: u64,
    /// Deliveries a channel refused, by channel (the touch then fell back to its next channel).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failed: BTreeMap<String, u64>,
    /// Consent revoked (`policy.unsubscribe`), attributed to the user's last touch in the
    /// attribution window (`docs/operations.md` "Unsubscribe"): the experience a journey cost.
    #[serde(skip_serializing_if = "Unsubscribes::is_empty")]
    pub unsubscribes: Unsubscribes,
}

/// Unsubscribes: in all, without a touch to attribute them to, and by the last touch's journey
/// and template.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Unsubscribes {
    pub total: u64,
    pub unattributed: u64,
    pub by_journey: BTreeMap<String, u64>,
    pub by_template: BTreeMap<String, u64>,
}

impl Unsubscribes {
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ConversionCounts {
    pub count: u64,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub revenue: Decimal,
    pub attributed: u64,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub attributed_revenue: Decimal,
}

/// Redemptions by users who had already converted in the attribution window before the coupon
/// was issued: money that may subsidise purchases that would have happened anyway (自然转化型).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Subsidy {
    pub redemptions: u64,
    pub by_prior_converters: u64,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub cost_to_prior_converters: Decimal,
    /// by_prior_converters / redemptions, or null.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Report {
    pub input: InputCounts,
    pub journeys: BTreeMap<String, JourneyCounts>,
    pub offers: BTreeMap<String, OfferCounts>,
    pub campaigns: BTreeMap<String, CampaignMoney>,
    pub touches: TouchCounts,
    pub conversions: ConversionCounts,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub cost: Decimal,
    pub roi: Option<f64>,
    pub subsidised_conversions: Subsidy,
    /// What each journey adds against its control group (`docs/measurement.md`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub incremental: BTreeMap<String, crate::measurement::Measured>,
    /// Each experiment's arms against its control.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub experiments: BTreeMap<String, crate::measurement::Measured>,
    /// Each segment's members now, and the membership changes counted (`docs/segments.md`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<String, SegmentCounts>,
    /// Each aggregate's values over the users at the report's time (`docs/aggregates.md`
    /// "In the report").
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aggregates: BTreeMap<String, AggDistribution>,
    /// Each `gate.uplift` node, by journey and node: what its model predicts the journey adds
    /// with the gate and without it (`docs/uplift.md` "In the report").
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub uplift: BTreeMap<String, BTreeMap<String, GateFigures>>,
    /// Multi-touch attribution of the paths of touches and offers, per journey and across
    /// journeys (`docs/attribution.md`, "In the report"): attributed credit, an analysis and an
    /// upper bound, not incrementality. Absent when no user was touched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution_analysis: Option<AttributionAnalysis>,
}

/// A `gate.uplift` node's figures. Predictions, not measurements: `predicted_*` sum the model's
/// uplift over the users who reached the gate (`all`, as if it passed everyone) and over those
/// it passed (`gated`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct GateFigures {
    pub model: String,
    pub threshold: f64,
    /// Users who reached the gate; of them, `passed`, and `unscored` (a feature missing or
    /// unreadable: they leave by `fail`).
    pub reached: u64,
    pub passed: u64,
    pub unscored: u64,
    /// Σ predicted uplift (incremental conversions) of the scored users, and of those passed.
    pub predicted_conversions_all: f64,
    pub predicted_conversions_gated: f64,
    /// The value of one conversion: the run's revenue per conversion.
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub value_per_conversion: Decimal,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub predicted_revenue_all: Decimal,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub predicted_revenue_gated: Decimal,
    /// The money the journey's campaign committed (reserved + spent: an issued coupon counts in
    /// full, so the ROI is conservative), and that cost scaled to every scored user (cost per
    /// passed user × scored users) for the journey without the gate.
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub cost_gated: Decimal,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub cost_all: Decimal,
    /// (predicted revenue − cost) ÷ cost; None without cost.
    pub predicted_roi_gated: Option<f64>,
    pub predicted_roi_all: Option<f64>,
    pub quadrants: Quadrants,
}

/// The four kinds of user (docs/uplift.md "Quadrants"): `sleeping_dogs` have a negative
/// predicted uplift; `persuadables` at least the gate's threshold; the rest are `sure_things`
/// when their predicted outcome without the treatment is at least the training control rate,
/// else `lost_causes` (None for a learner that does not predict outcomes: class transformation,
/// whose rest is `neutral`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Quadrants {
    pub persuadables: u64,
    pub sure_things: Option<u64>,
    pub lost_causes: Option<u64>,
    pub sleeping_dogs: u64,
    pub neutral: u64,
}

/// An aggregate's distribution at the report's time: `users` with a value, `missing` without
/// one (always 0 for `count` and `distinct`, whose value is never missing), and `buckets` of
/// the values, in order, from the first to the last non-empty one (empty ones between are kept).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AggDistribution {
    pub users: u64,
    pub missing: u64,
    pub buckets: Vec<AggBucket>,
}

/// One bucket: values in `[lo, hi)` (numbers as decimal text; for times, the age before the
/// report's time as a duration, e.g. `"7d"`); no `lo`: unbounded below, no `hi`: above. A value
/// that is neither a number nor a time has a bucket of its own, `label` the value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AggBucket {
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hi: Option<String>,
    pub users: u64,
}

/// The report's `attribution_analysis` section.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AttributionAnalysis {
    /// Per journey id: paths of the journey's own touches and offers.
    pub journeys: BTreeMap<String, PathAnalysis>,
    /// Across journeys: paths of every touch and offer.
    pub workspace: PathAnalysis,
    /// Conversions with no touch or offer in the window before them (not in any path).
    pub unattributed: Unattributed,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Unattributed {
    pub conversions: u64,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub value: Decimal,
}

/// One path table and every model's credit per channel.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PathAnalysis {
    /// Users' paths: converting and non-converting.
    pub paths: u64,
    pub conversions: u64,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub value: Decimal,
    /// By model name (`first`, `last`, `linear`, `u_shaped`, `time_decay`, `markov`, `shapley`).
    pub models: BTreeMap<String, ModelCredit>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ModelCredit {
    /// By channel (`sms`, `offer:c30`…), in name order.
    pub channels: BTreeMap<String, ChannelCredit>,
    /// `markov` only: each channel's removal effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removal_effect: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ChannelCredit {
    /// A share of whole conversions (fractional).
    pub conversions: f64,
    #[serde(
        serialize_with = "money",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub value: Decimal,
}

/// A segment in the report: `size`, the users who are members at the end of the run (at the
/// report's time); `entered` and `exited`, the changes of membership counted since the start
/// (a user's first membership, at the clock's start, at their first input or at a deployment,
/// is not a change).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SegmentCounts {
    pub size: u64,
    pub entered: u64,
    pub exited: u64,
}

impl Report {
    pub fn offer(&mut self, id: &str) -> &mut OfferCounts {
        slot(&mut self.offers, id)
    }

    pub fn finish(&mut self) {
        use rust_decimal::prelude::ToPrimitive;
        self.roi = if self.cost.is_zero() {
            None
        } else {
            ((self.conversions.attributed_revenue - self.cost) / self.cost).to_f64()
        };
        let s = &mut self.subsidised_conversions;
        s.share = (s.redemptions > 0).then(|| s.by_prior_converters as f64 / s.redemptions as f64);
    }
}

/// The entry for `key`, allocating the key only the first time (the hot path of every count).
pub fn slot<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("the key was inserted above")
}

/// Adds one to the count of `key`.
pub fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *slot(map, key) += 1;
}
