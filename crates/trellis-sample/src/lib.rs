//! Deterministic synthetic data for Trellis: user profiles and behaviour events in the JSON Lines
//! shapes of the runtime contract (`runtime.md`, "Input data").
//!
//! The same [`SampleSpec`] always gives byte-identical output. The data is shaped for the sample
//! workspaces: registrations during the window, daily sign-in streaks (some of seven days and more,
//! so a `sign_in` ×7 in 7d pattern fires), sessions with logins and page views, `add_to_cart`
//! followed by `order_paid` (within the hour, later, or never), `order_completed`, `level_changed`
//! (e.g. silver → gold), a few `profile_update`s, and a time-of-day curve in Asia/Shanghai
//! (UTC+8): busy at 10–13h and 19–23h, quiet at night.
//!
//! ```
//! use trellis_sample::{generate, SampleSpec};
//! let sample = generate(&SampleSpec { users: 50, days: 7, ..SampleSpec::default() });
//! assert_eq!(sample.profiles.len(), 50);
//! assert!(!sample.events.is_empty());
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};

mod rng;
use rng::Rng;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSpec {
    /// Number of users (profiles); user ids are `u000001`, `u000002`, ...
    pub users: usize,
    /// Length of the event window in days, from `start`.
    pub days: u32,
    /// Seed of the generator: the same spec gives the same bytes.
    pub seed: u64,
    /// Start of the event window; every event is in `[start, start + days)`, except the history.
    pub start: DateTime<Utc>,
    /// Days of order history before `start` (0: none): `order_paid` events in
    /// `[start − history_days, start)` that agree with each profile (its last order is
    /// `last_order_days` before `start`, earlier ones at the user's own order rate), so behavioural
    /// aggregates ("no order in 30 days, but 2 before", "spent 2,000 in 90 days") have a past to
    /// read. Their event ids are `h00000001`, … and their order ids `h00000001`, …; the window's
    /// events keep the ids and bytes they have without history.
    pub history_days: u32,
}

impl SampleSpec {
    /// The start callers use by default: 2026-11-01T00:00:00Z.
    pub fn default_start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }
}

impl Default for SampleSpec {
    /// 1,000 users, 30 days, seed 1, from [`SampleSpec::default_start`], no history.
    fn default() -> Self {
        SampleSpec {
            users: 1_000,
            days: 30,
            seed: 1,
            start: Self::default_start(),
            history_days: 0,
        }
    }
}

/// Generated data: one JSON object per profile line and per event line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Profiles in user-id order.
    pub profiles: Vec<Value>,
    /// Events sorted by `ts` (ties: generation order); `event_id`s are `e00000001`, ... in that order.
    pub events: Vec<Value>,
}

/// Writes `DIR/profiles.jsonl` and `DIR/events.jsonl` (one compact JSON object a line), creating
/// `DIR` if needed.
pub fn write_dir(sample: &Sample, dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    write_lines(&dir.join("profiles.jsonl"), sample.profiles.iter())?;
    write_lines(&dir.join("events.jsonl"), sample.events.iter())
}

/// Line counts written by [`generate_to_dir`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub profiles: usize,
    pub events: usize,
}

/// `write_dir(&generate(spec), dir)` with the same bytes, but each event becomes JSON only while
/// it is written, so large samples need a fraction of the memory and time.
pub fn generate_to_dir(spec: &SampleSpec, dir: &Path) -> io::Result<Written> {
    generate_to_dir_steps(spec, dir, |_, _, _| true)
}

/// What [`generate_to_dir_steps`] is doing when it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Making the users and their activity: `done` of `total` users.
    Users,
    /// Writing the events: `done` of `total` events.
    Write,
}

/// [`generate_to_dir`] that reports each stage about a hundred times, `(stage, done, total)`,
/// starting with `done` 0 and ending with `done == total`. When `step` answers `false` the work
/// stops (an `Interrupted` error; the files may be partly written).
pub fn generate_to_dir_steps(
    spec: &SampleSpec,
    dir: &Path,
    mut step: impl FnMut(Stage, usize, usize) -> bool,
) -> io::Result<Written> {
    let stopped = || io::Error::new(io::ErrorKind::Interrupted, "sample generation stopped");
    let (profiles, events) =
        build_with(spec, &mut |done, total| step(Stage::Users, done, total)).ok_or_else(stopped)?;
    fs::create_dir_all(dir)?;
    write_lines(&dir.join("profiles.jsonl"), profiles.iter())?;
    let total = events.len();
    let history = history_len(&events, spec);
    let every = total.div_ceil(100).max(1);
    if !step(Stage::Write, 0, total) {
        return Err(stopped());
    }
    let mut go = true;
    write_lines(
        &dir.join("events.jsonl"),
        events.iter().enumerate().map_while(|(i, e)| {
            if i % every == 0 && i > 0 {
                go = step(Stage::Write, i, total);
            }
            go.then(|| event_json(i, history, e))
        }),
    )?;
    if !go || !step(Stage::Write, total, total) {
        return Err(stopped());
    }
    Ok(Written {
        profiles: profiles.len(),
        events: events.len(),
    })
}

fn write_lines<V: std::borrow::Borrow<Value>>(
    path: &Path,
    values: impl Iterator<Item = V>,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    for value in values {
        serde_json::to_writer(&mut out, value.borrow())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Generates the profiles and events of `spec`.
pub fn generate(spec: &SampleSpec) -> Sample {
    let (profiles, events) = build(spec);
    let history = history_len(&events, spec);
    let events = events
        .iter()
        .enumerate()
        .map(|(i, e)| event_json(i, history, e))
        .collect();
    Sample { profiles, events }
}

/// Seed offset of the history's random streams.
const HISTORY_STREAM: u64 = 0x4849_5354_4f52_5900;
/// Order numbers of history orders carry this bit (printed `h…`).
const HISTORY_ORDER: u32 = 1 << 31;

/// The number of history events (all before the window, so first once sorted).
fn history_len(events: &[Ev], spec: &SampleSpec) -> usize {
    let start = spec.start.timestamp();
    events.partition_point(|e| e.ts < start)
}

/// Profiles as JSON and the compact events, sorted.
fn build(spec: &SampleSpec) -> (Vec<Value>, Vec<Ev>) {
    build_with(spec, &mut |_, _| true).unwrap_or_default()
}

/// [`build`] that reports `(users made, users in all)` about a hundred times (and at the end) and
/// answers `None` as soon as `progress` answers `false`.
fn build_with(
    spec: &SampleSpec,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Option<(Vec<Value>, Vec<Ev>)> {
    let win = Window::new(spec);
    let mut gen = Gen {
        win,
        events: Vec::with_capacity(spec.users.saturating_mul(spec.days as usize) / 3 + 16),
        orders: 0,
        history_orders: 0,
        days_buf: Vec::new(),
    };
    let mut profiles = Vec::with_capacity(spec.users);
    let every = spec.users.div_ceil(100).max(1);
    if !progress(0, spec.users) {
        return None;
    }
    for index in 0..spec.users {
        if index % every == 0 && index > 0 && !progress(index, spec.users) {
            return None;
        }
        let mut rng = Rng::stream(spec.seed, index as u64);
        let user = gen.user(index, &mut rng);
        gen.activity(&user, &mut rng);
        profiles.push(profile_json(&user, &mut rng));
        if spec.history_days > 0 {
            // A stream of its own, so the window's events are the same with or without history.
            let mut past = Rng::stream(spec.seed ^ HISTORY_STREAM, index as u64);
            gen.history(&user, &mut past, i64::from(spec.history_days));
        }
    }
    // Stable: ties keep generation order.
    gen.events.sort_by_key(|e| e.ts);
    if !progress(spec.users, spec.users) {
        return None;
    }
    Some((profiles, gen.events))
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

/// Asia/Shanghai has no DST: UTC+8 all year.
const TZ_OFFSET: i64 = 8 * 3600;
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Activity weight of each local (UTC+8) hour.
const HOUR_WEIGHTS: [u32; 24] = [
    3, 2, 1, 1, 1, 1, 3, 6, 9, 10, 15, 17, 17, 15, 10, 9, 9, 10, 12, 17, 19, 19, 16, 8,
];

const CITIES: [&str; 18] = [
    "北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "重庆", "天津", "苏州",
    "长沙", "郑州", "青岛", "厦门", "沈阳", "昆明",
];
const CITY_WEIGHTS: [u32; 18] = [12, 12, 9, 9, 7, 7, 6, 5, 5, 6, 4, 4, 4, 3, 3, 2, 2, 2];

const LEVELS: [&str; 4] = ["normal", "silver", "gold", "platinum"];
const NORMAL: u8 = 0;
const SILVER: u8 = 1;
const GOLD: u8 = 2;
const PLATINUM: u8 = 3;

const CHANNELS: [&str; 5] = ["app", "mini_program", "web", "h5", "offline_store"];
const CHANNEL_WEIGHTS: [u32; 5] = [45, 30, 12, 8, 5];
const INTERNAL_TEST: u8 = u8::MAX;

const TAGS: [&str; 11] = [
    "new",
    "high_value",
    "coupon_lover",
    "price_sensitive",
    "night_owl",
    "new_parent",
    "student",
    "white_collar",
    "live_stream_buyer",
    "points_blocked",
    "vip_candidate",
];
const TAG_NEW: u16 = 1 << 0;
const TAG_HIGH_VALUE: u16 = 1 << 1;

/// Category name, weight, unit price range in cents.
const CATEGORIES: [(&str, u32, u32, u32); 8] = [
    ("electronics", 10, 9_900, 699_900),
    ("apparel", 18, 3_900, 89_900),
    ("beauty", 15, 2_900, 69_900),
    ("food", 16, 990, 19_900),
    ("home", 12, 1_900, 129_900),
    ("baby", 8, 2_900, 59_900),
    ("books", 8, 1_500, 19_900),
    ("sports", 13, 4_900, 159_900),
];
const NO_CATEGORY: u8 = u8::MAX;

const PAGES: [&str; 6] = ["home", "category", "product", "search", "promo", "live"];
const PAGE_WEIGHTS: [u32; 6] = [25, 15, 35, 12, 8, 5];
const PLATFORMS: [&str; 5] = ["ios", "android", "mini_program", "web", "h5"];
const PAYMENTS: [&str; 4] = ["alipay", "wechat_pay", "unionpay", "credit_card"];
const PAYMENT_WEIGHTS: [u32; 4] = [45, 42, 8, 5];
const CONTACT_CHANNELS: [&str; 3] = ["sms", "email", "push"];
const FREEZE_REASONS: [&str; 2] = ["risk_control", "user_request"];
const PHONE_PREFIXES: [u16; 14] = [
    138, 139, 137, 136, 135, 150, 151, 158, 159, 186, 187, 188, 177, 199,
];
const MAIL_DOMAINS: [&str; 7] = [
    "qq.com",
    "163.com",
    "126.com",
    "gmail.com",
    "outlook.com",
    "sina.com",
    "example.com",
];
const HEX: &[u8; 16] = b"0123456789abcdef";

// ---------------------------------------------------------------------------------------------
// Time window

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    end: i64,
    days: u32,
    /// UTC instant of the local (UTC+8) midnight of the local day containing `start`.
    day0: i64,
    /// Local days touching the window (`day0 + k * DAY` for `k in 0..local_days`).
    local_days: i64,
    /// Local days lying entirely inside the window: `full_first..=full_last`.
    full_first: i64,
    full_last: i64,
}

impl Window {
    fn new(spec: &SampleSpec) -> Self {
        let start = spec.start.timestamp();
        let end = start + i64::from(spec.days) * DAY;
        let day0 = (start + TZ_OFFSET).div_euclid(DAY) * DAY - TZ_OFFSET;
        let local_days = if end > start {
            (end - 1 - day0).div_euclid(DAY) + 1
        } else {
            0
        };
        let full_first = if day0 == start { 0 } else { 1 };
        let full_last = (end - day0).div_euclid(DAY) - 1;
        Window {
            start,
            end,
            days: spec.days,
            day0,
            local_days,
            full_first,
            full_last,
        }
    }

    fn contains(&self, ts: i64) -> bool {
        ts >= self.start && ts < self.end
    }

    /// A second of the local day following the hourly activity curve.
    fn local_second(rng: &mut Rng) -> i64 {
        rng.weighted(&HOUR_WEIGHTS) as i64 * HOUR + rng.below(HOUR as u64) as i64
    }

    /// An instant in `[not_before, end)` following the daily curve, if the span is not empty.
    fn random_time(&self, rng: &mut Rng, not_before: i64) -> Option<i64> {
        let lo = not_before.max(self.start);
        if lo >= self.end {
            return None;
        }
        let first = (lo - self.day0).div_euclid(DAY);
        let count = self.local_days - first;
        for _ in 0..16 {
            let k = first + rng.below(count as u64) as i64;
            let ts = self.day0 + k * DAY + Self::local_second(rng);
            if ts >= lo && ts < self.end {
                return Some(ts);
            }
        }
        Some(lo + rng.below((self.end - lo) as u64) as i64)
    }

    /// An instant on local day `k` near local hour `hour` (±1h), inside the window.
    fn time_on_day(&self, rng: &mut Rng, k: i64, hour: i64) -> Option<i64> {
        for _ in 0..8 {
            let h = (hour + rng.range(-1, 1)).clamp(0, 23);
            let ts = self.day0 + k * DAY + h * HOUR + rng.below(HOUR as u64) as i64;
            if self.contains(ts) {
                return Some(ts);
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Users

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Dormant,
    Casual,
    Active,
    Streaker,
}

struct User {
    index: usize,
    segment: Segment,
    city: u8,
    level: u8,
    channel: u8,
    tags: u16,
    favourite: u8,
    /// Registration instant when the user registers inside the window.
    registered_at: Option<i64>,
    register_days: i64,
    last_order_days: Option<i64>,
    last_sign_in_days: Option<i64>,
    lifetime_cents: u64,
    orders: u32,
    age: i64,
    marketing_optout: bool,
    free_shipping_threshold: Option<u32>,
    cart_cents: u32,
}

#[derive(Debug, Clone, Copy)]
enum Update {
    Level(u8),
    City(u8),
    Channel(u8),
    Tags(u16),
    CartAmount(u32),
    MarketingOptout,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Register {
        channel: u8,
        city: u8,
    },
    SignIn {
        streak: u16,
    },
    Login {
        platform: u8,
    },
    PageView {
        page: u8,
        category: u8,
    },
    AddToCart {
        category: u8,
        cents: u32,
        quantity: u8,
        sku: u32,
    },
    CartCleared {
        cents: u32,
    },
    OrderPaid {
        order: u32,
        cents: u32,
        category: u8,
        items: u8,
        payment: u8,
    },
    OrderCompleted {
        order: u32,
        cents: u32,
    },
    LevelChanged {
        from: u8,
        to: u8,
    },
    ProfileUpdate(Update),
    Unsubscribe {
        channel: u8,
    },
    AccountFrozen {
        reason: u8,
    },
    MembershipCancelled {
        level: u8,
    },
}

/// A compact event; turned into JSON after sorting.
#[derive(Debug, Clone, Copy)]
struct Ev {
    ts: i64,
    user: u32,
    kind: Kind,
}

struct Gen {
    win: Window,
    events: Vec<Ev>,
    orders: u32,
    /// Orders made by [`Gen::history`] (numbered apart, so the window's order ids do not move).
    history_orders: u32,
    days_buf: Vec<(i64, i64)>,
}

impl Gen {
    fn push(&mut self, user: &User, ts: i64, kind: Kind) -> bool {
        if !self.win.contains(ts) {
            return false;
        }
        self.events.push(Ev {
            ts,
            user: user.index as u32,
            kind,
        });
        true
    }

    fn user(&self, index: usize, rng: &mut Rng) -> User {
        let days = f64::from(self.win.days);
        let new_user = self.win.days > 0 && rng.chance((0.0028 * days).min(0.5));
        let segment = match rng.unit() {
            r if r < 0.33 && !new_user => Segment::Dormant,
            r if r < 0.73 => Segment::Casual,
            r if r < 0.92 => Segment::Active,
            _ => Segment::Streaker,
        };
        let city = rng.weighted(&CITY_WEIGHTS) as u8;
        let channel = rng.weighted(&CHANNEL_WEIGHTS) as u8;
        let favourite = rng.weighted(&category_weights()) as u8;
        let age = 18 + rng.below(20) as i64 + rng.below(30) as i64;
        let marketing_optout = rng.chance(0.04);
        let free_shipping_threshold = match rng.below(10) {
            0..=3 => Some(99),
            4..=6 => Some(199),
            _ => None,
        };
        if new_user {
            let registered_at = self.win.random_time(rng, self.win.start);
            return User {
                index,
                segment,
                city,
                level: NORMAL,
                channel,
                tags: TAG_NEW | random_tags(rng, 1, 0),
                favourite,
                registered_at,
                register_days: 0,
                last_order_days: None,
                last_sign_in_days: None,
                lifetime_cents: 0,
                orders: 0,
                age,
                marketing_optout,
                free_shipping_threshold,
                cart_cents: 0,
            };
        }
        let level = rng.weighted(&[48, 30, 16, 6]) as u8;
        // Long-standing users are rarer than recent ones, but some date back years.
        let register_days = 4 + rng.below(1_800).min(rng.below(1_800)) as i64;
        let (never_p, lapsed_p) = match segment {
            Segment::Dormant => (0.25, 0.85),
            Segment::Casual => (0.10, 0.40),
            Segment::Active | Segment::Streaker => (0.03, 0.10),
        };
        let ordered = !(level == NORMAL && rng.chance(never_p));
        let last_order_days = if !ordered {
            None
        } else if rng.chance(lapsed_p) {
            Some(rng.range(30, 400.min(register_days.max(30))))
        } else {
            Some(rng.range(0, 29.min(register_days)))
        };
        let last_sign_in_days = Some(match segment {
            Segment::Dormant => rng.range(15, 120),
            Segment::Casual => rng.range(2, 20),
            Segment::Active => rng.range(0, 3),
            Segment::Streaker => rng.range(0, 2),
        })
        .map(|d| d.min(register_days));
        let (lo, hi) = match level {
            NORMAL => (2_000, 150_000),
            SILVER => (80_000, 500_000),
            GOLD => (300_000, 1_500_000),
            _ => (1_000_000, 8_000_000),
        };
        let lifetime_cents = if ordered { rng.range(lo, hi) as u64 } else { 0 };
        let orders = if ordered {
            1 + (lifetime_cents / 25_000).min(200) as u32 + rng.below(3) as u32
        } else {
            0
        };
        let mut tags = random_tags(rng, 3, TAG_NEW);
        if level >= GOLD && rng.chance(0.6) {
            tags |= TAG_HIGH_VALUE;
        }
        let cart_cents = if rng.chance(0.2) {
            random_price(rng, favourite)
        } else {
            0
        };
        User {
            index,
            segment,
            city,
            level,
            channel,
            tags,
            favourite,
            registered_at: None,
            register_days,
            last_order_days,
            last_sign_in_days,
            lifetime_cents,
            orders,
            age,
            marketing_optout,
            free_shipping_threshold,
            cart_cents,
        }
    }

    /// All the events of one user, in generation order.
    fn activity(&mut self, user: &User, rng: &mut Rng) {
        if self.win.days == 0 {
            return;
        }
        let days = f64::from(self.win.days);
        let mut since = self.win.start;
        if let Some(at) = user.registered_at {
            let channel = if rng.chance(0.03) {
                INTERNAL_TEST
            } else {
                user.channel
            };
            let city = user.city;
            self.push(user, at, Kind::Register { channel, city });
            since = at;
            // Most new users look around right after registering; some buy within days.
            if rng.chance(0.75) {
                let t = at + rng.range(20, 600);
                self.session(user, rng, t, 0.45);
            }
            if rng.chance(0.3) {
                let t = at + rng.range(HOUR, 3 * DAY);
                self.order_session(user, rng, t);
            }
        }
        let span_days = (self.win.end - since) as f64 / DAY as f64;

        // Sessions: page views, sometimes a cart and an order.
        let (rate, cart_p) = match user.segment {
            Segment::Dormant => (0.02, 0.25),
            Segment::Casual => (0.065, 0.3),
            Segment::Active => (0.21, 0.3),
            Segment::Streaker => (0.11, 0.3),
        };
        for _ in 0..rng.poisson(rate * span_days) {
            if let Some(t) = self.win.random_time(rng, since) {
                self.session(user, rng, t, cart_p);
            }
        }

        self.sign_ins(user, rng, since);

        // Level changes, mostly silver -> gold, followed by the profile sync.
        let up_p = match (user.level, user.segment) {
            (_, Segment::Dormant) => 0.0,
            (NORMAL, _) => 0.03,
            (SILVER, _) => 0.08,
            (GOLD, _) => 0.02,
            _ => 0.0,
        };
        if user.registered_at.is_none() && rng.chance(up_p * (days / 30.0).min(3.0)) {
            if let Some(t) = self.win.random_time(rng, since) {
                let (from, to) = (user.level, user.level + 1);
                self.push(user, t, Kind::LevelChanged { from, to });
                self.push(user, t + 1, Kind::ProfileUpdate(Update::Level(to)));
                // A fresh gold member often orders in the following week.
                if to == GOLD && rng.chance(0.5) {
                    let t2 = t + rng.range(HOUR, 6 * DAY);
                    self.order_session(user, rng, t2);
                }
            }
        }

        // A few plain profile updates.
        if rng.chance(0.03 * (days / 30.0).min(3.0)) {
            if let Some(t) = self.win.random_time(rng, since) {
                let update = match rng.below(4) {
                    0 => Update::City(rng.weighted(&CITY_WEIGHTS) as u8),
                    1 => Update::Channel(rng.weighted(&CHANNEL_WEIGHTS) as u8),
                    2 => Update::Tags(user.tags | random_tags(rng, 1, TAG_NEW)),
                    _ => Update::MarketingOptout,
                };
                self.push(user, t, Kind::ProfileUpdate(update));
            }
        }

        // Rare lifecycle events.
        let scale = (days / 30.0).min(3.0);
        if rng.chance(0.004 * scale) {
            if let Some(t) = self.win.random_time(rng, since) {
                let channel = rng.below(3) as u8;
                self.push(user, t, Kind::Unsubscribe { channel });
            }
        }
        if rng.chance(0.0005 * scale) {
            if let Some(t) = self.win.random_time(rng, since) {
                let reason = rng.below(2) as u8;
                self.push(user, t, Kind::AccountFrozen { reason });
            }
        }
        if user.level != NORMAL && rng.chance(0.001 * scale) {
            if let Some(t) = self.win.random_time(rng, since) {
                let level = user.level;
                self.push(user, t, Kind::MembershipCancelled { level });
            }
        }
    }

    /// One daily `sign_in` on each chosen local day, with `streak` = consecutive days so far.
    fn sign_ins(&mut self, user: &User, rng: &mut Rng, since: i64) {
        let win = self.win;
        let first_day = (since - win.day0).div_euclid(DAY);
        let mut days = std::mem::take(&mut self.days_buf);
        days.clear();
        // Habitual users sign in around the same hour every day.
        let hour = rng.weighted(&HOUR_WEIGHTS) as i64;
        if user.segment == Segment::Streaker {
            let lo = win.full_first.max(first_day + 1);
            let avail = win.full_last - lo + 1;
            if avail > 0 {
                let len = match rng.below(10) {
                    0..=1 => rng.range(4, 6),
                    2..=7 => rng.range(7, 14),
                    _ => rng.range(15, avail),
                }
                .min(avail);
                let first = lo + rng.below((avail - len + 1) as u64) as i64;
                for k in first..first + len {
                    days.push((k, hour));
                }
            }
        }
        let rate = match user.segment {
            Segment::Dormant => 0.005,
            Segment::Casual => 0.02,
            Segment::Active => 0.10,
            Segment::Streaker => 0.05,
        };
        let span = win.local_days - first_day;
        if span > 0 {
            for _ in 0..rng.poisson(rate * span as f64) {
                let k = first_day + rng.below(span as u64) as i64;
                days.push((k, rng.weighted(&HOUR_WEIGHTS) as i64));
            }
        }
        days.sort_unstable_by_key(|&(k, _)| k);
        days.dedup_by_key(|&mut (k, _)| k);
        let mut streak = 0u16;
        let mut prev = i64::MIN;
        for &(k, h) in &days {
            let Some(ts) = win.time_on_day(rng, k, h) else {
                continue;
            };
            if ts < since {
                continue;
            }
            streak = if prev == k - 1 {
                streak.saturating_add(1)
            } else {
                1
            };
            prev = k;
            self.push(user, ts, Kind::SignIn { streak });
        }
        self.days_buf = days;
    }

    /// A browsing session from `t`: a login, page views, maybe a cart and what follows.
    fn session(&mut self, user: &User, rng: &mut Rng, t: i64, cart_p: f64) {
        let mut t = t;
        if rng.chance(0.6) {
            let platform = platform(user.channel, rng);
            self.push(user, t, Kind::Login { platform });
            t += rng.range(3, 40);
        }
        for _ in 0..1 + rng.below(3) {
            let page = rng.weighted(&PAGE_WEIGHTS) as u8;
            let category = if page == 1 || page == 2 {
                self.pick_category(user, rng)
            } else {
                NO_CATEGORY
            };
            self.push(user, t, Kind::PageView { page, category });
            t += rng.range(15, 240);
        }
        if rng.chance(cart_p) {
            self.cart(user, rng, t);
        } else if rng.chance(0.03) {
            // A repeat purchase without a cart (e.g. "buy now").
            let at = t + rng.range(30, 300);
            self.pay(user, rng, at, 0, NO_CATEGORY, 0);
        }
    }

    /// A session meant to end in an order (first orders, post-upgrade orders).
    fn order_session(&mut self, user: &User, rng: &mut Rng, t: i64) {
        let category = self.pick_category(user, rng);
        self.push(user, t, Kind::PageView { page: 2, category });
        let cents = random_price(rng, category);
        let t = t + rng.range(30, 400);
        let sku = sku(rng, category);
        if self.push(
            user,
            t,
            Kind::AddToCart {
                category,
                cents,
                quantity: 1,
                sku,
            },
        ) {
            let at = t + rng.range(30, 1_800);
            self.pay(user, rng, at, cents, category, 1);
        }
    }

    /// One or two `add_to_cart`s, then paid within the hour, paid later, or abandoned.
    fn cart(&mut self, user: &User, rng: &mut Rng, t: i64) {
        let mut t = t;
        let mut total = 0u32;
        let mut items = 0u8;
        let mut category = NO_CATEGORY;
        let lines = if rng.chance(0.25) { 2 } else { 1 };
        for _ in 0..lines {
            let c = self.pick_category(user, rng);
            let quantity = match rng.below(20) {
                0 => 3,
                1..=3 => 2,
                _ => 1,
            };
            let cents = random_price(rng, c) * u32::from(quantity);
            let sku = sku(rng, c);
            let kind = Kind::AddToCart {
                category: c,
                cents,
                quantity,
                sku,
            };
            if !self.push(user, t, kind) {
                break;
            }
            if category == NO_CATEGORY {
                category = c;
            }
            total += cents;
            items += quantity;
            t += rng.range(30, 300);
        }
        if items == 0 {
            return;
        }
        match rng.below(100) {
            0..=39 => {
                let at = t + rng.range(60, 50 * 60);
                self.pay(user, rng, at, total, category, items);
            }
            40..=59 => {
                let at = t + rng.range(HOUR + 60, 48 * HOUR);
                self.pay(user, rng, at, total, category, items);
            }
            r => {
                if r < 68 {
                    let at = t + rng.range(HOUR, 72 * HOUR);
                    self.push(user, at, Kind::CartCleared { cents: total });
                } else if r < 85 {
                    let at = t + rng.range(60, 600);
                    self.push(user, at, Kind::ProfileUpdate(Update::CartAmount(total)));
                }
            }
        }
    }

    /// `order_paid` events in `[start − days, start)` that agree with the profile: the last one
    /// `last_order_days` before the window (at a time of day on the activity curve), earlier ones
    /// at the user's lifetime order rate (orders ÷ days since registering), none before
    /// registering. A user whose last order is older than the history has none in it.
    fn history(&mut self, user: &User, rng: &mut Rng, days: i64) {
        let Some(last) = user.last_order_days else {
            return;
        };
        if last >= days || user.orders == 0 {
            return;
        }
        let (start, day0) = (self.win.start, self.win.day0);
        // Local midnight of the day `d` days before the window's first local day.
        let day_of = |d: i64| day0 - d * DAY;
        let mut at = vec![day_of(last) + Window::local_second(rng).min(DAY - 1)];
        // Expected orders per day before the last one.
        let per_day = f64::from(user.orders.saturating_sub(1)) / user.register_days.max(1) as f64;
        let oldest = days.min(user.register_days);
        let mut d = last;
        loop {
            // Exponential gaps at the user's rate (at least a day).
            let gap = (-(1.0 - rng.unit()).ln() / per_day.max(1e-9))
                .ceil()
                .max(1.0);
            if !gap.is_finite() || gap > (oldest - d) as f64 {
                break;
            }
            d += gap as i64;
            if d >= oldest || at.len() >= 60 {
                break;
            }
            at.push(day_of(d) + Window::local_second(rng).min(DAY - 1));
        }
        for ts in at {
            if ts >= start {
                continue;
            }
            let category = self.pick_category(user, rng);
            let cents = random_price(rng, category);
            self.history_orders += 1;
            let kind = Kind::OrderPaid {
                order: HISTORY_ORDER | self.history_orders,
                cents,
                category,
                items: 1,
                payment: rng.weighted(&PAYMENT_WEIGHTS) as u8,
            };
            self.events.push(Ev {
                ts,
                user: user.index as u32,
                kind,
            });
        }
    }

    /// An `order_paid` (and usually an `order_completed` days later).
    fn pay(&mut self, user: &User, rng: &mut Rng, t: i64, cents: u32, category: u8, items: u8) {
        let (cents, category, items) = if items == 0 {
            let c = self.pick_category(user, rng);
            (random_price(rng, c), c, 1)
        } else {
            (cents, category, items)
        };
        self.orders += 1;
        let order = self.orders;
        let payment = rng.weighted(&PAYMENT_WEIGHTS) as u8;
        let paid = Kind::OrderPaid {
            order,
            cents,
            category,
            items,
            payment,
        };
        if self.push(user, t, paid) && rng.chance(0.85) {
            let at = t + rng.range(2 * DAY, 7 * DAY);
            self.push(user, at, Kind::OrderCompleted { order, cents });
        }
    }

    fn pick_category(&self, user: &User, rng: &mut Rng) -> u8 {
        if rng.chance(0.55) {
            user.favourite
        } else {
            rng.weighted(&category_weights()) as u8
        }
    }
}

fn category_weights() -> [u32; 8] {
    CATEGORIES.map(|c| c.1)
}

/// A unit price in cents with a shop-like ending: 299.0, 29.9, 128.5, 1288.37...
fn random_price(rng: &mut Rng, category: u8) -> u32 {
    let (_, _, lo, hi) = CATEGORIES[usize::from(category) % CATEGORIES.len()];
    let u = rng.unit();
    let base = lo + ((hi - lo) as f64 * u * u * u) as u32;
    let yuan = base / 100;
    match rng.below(20) {
        0..=10 => (yuan / 10 * 10 + 9) * 100,
        11..=15 => yuan.max(1) * 100 - 10,
        16..=17 => yuan * 100 + 50,
        _ => yuan * 100 + rng.below(100) as u32,
    }
}

fn sku(rng: &mut Rng, category: u8) -> u32 {
    u32::from(category) * 100_000 + rng.below(100_000) as u32
}

fn platform(channel: u8, rng: &mut Rng) -> u8 {
    match channel {
        1 => 2,
        2 => 3,
        3 => 4,
        _ => rng.below(2) as u8,
    }
}

/// Up to `max` distinct tags (bit set over [`TAGS`]), never any of `exclude`.
fn random_tags(rng: &mut Rng, max: u64, exclude: u16) -> u16 {
    let mut tags = 0u16;
    for _ in 0..rng.below(max + 1) {
        // Skip "new" (bit 0) and "high_value" (bit 1); those are set by rule.
        let bit = 1u16 << (2 + rng.below(TAGS.len() as u64 - 2));
        tags |= bit & !exclude;
    }
    tags
}

// ---------------------------------------------------------------------------------------------
// JSON

fn money(cents: u64) -> Value {
    Value::from(cents as f64 / 100.0)
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (k, v) in pairs {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

fn tags_json(tags: u16) -> Value {
    Value::Array(
        TAGS.iter()
            .enumerate()
            .filter(|(i, _)| tags & (1 << i) != 0)
            .map(|(_, t)| Value::from(*t))
            .collect(),
    )
}

fn user_id(index: usize) -> String {
    format!("u{:06}", index + 1)
}

fn profile_json(user: &User, rng: &mut Rng) -> Value {
    let mut attrs = Map::with_capacity(14);
    attrs.insert("city".into(), CITIES[usize::from(user.city)].into());
    attrs.insert("level".into(), LEVELS[usize::from(user.level)].into());
    attrs.insert("register_days".into(), user.register_days.into());
    attrs.insert("tags".into(), tags_json(user.tags));
    if let Some(d) = user.last_order_days {
        attrs.insert("last_order_days".into(), d.into());
    }
    if let Some(d) = user.last_sign_in_days {
        attrs.insert("last_sign_in_days".into(), d.into());
    }
    attrs.insert("lifetime_value".into(), money(user.lifetime_cents));
    attrs.insert("order_count".into(), user.orders.into());
    attrs.insert("channel".into(), CHANNELS[usize::from(user.channel)].into());
    attrs.insert("age".into(), user.age.into());
    attrs.insert("marketing_optout".into(), user.marketing_optout.into());
    if user.cart_cents > 0 {
        attrs.insert("cart_amount".into(), money(u64::from(user.cart_cents)));
    }
    if let Some(f) = user.free_shipping_threshold {
        attrs.insert("free_shipping_threshold".into(), f.into());
    }

    let mut contact = Map::with_capacity(3);
    let app = user.channel <= 1;
    if rng.chance(if app { 0.9 } else { 0.45 }) {
        let token = if rng.chance(0.04) {
            String::new()
        } else {
            let mut s = String::with_capacity(20);
            s.push_str("tok_");
            let mut bits = rng.next_u64();
            for _ in 0..16 {
                s.push(char::from(HEX[(bits & 15) as usize]));
                bits >>= 4;
            }
            s
        };
        contact.insert("push".into(), token.into());
    }
    match rng.below(100) {
        0..=4 => {}
        5..=6 => {
            contact.insert("phone".into(), "".into());
        }
        _ => {
            let prefix = PHONE_PREFIXES[rng.below(PHONE_PREFIXES.len() as u64) as usize];
            let phone = format!("+86{prefix}{:08}", rng.below(100_000_000));
            contact.insert("phone".into(), phone.into());
        }
    }
    if rng.chance(0.55) {
        let domain = MAIL_DOMAINS[rng.below(MAIL_DOMAINS.len() as u64) as usize];
        let email = if rng.chance(0.03) {
            String::new()
        } else if domain == "qq.com" {
            format!("{}@qq.com", 100_000_000 + rng.below(3_900_000_000))
        } else {
            format!("user{}_{:03}@{domain}", user.index + 1, rng.below(1000))
        };
        contact.insert("email".into(), email.into());
    }

    let mut consent = Map::with_capacity(3);
    if !rng.chance(0.08) {
        consent.insert("push".into(), (!rng.chance(0.06)).into());
        consent.insert("sms".into(), (!rng.chance(0.15)).into());
        consent.insert("email".into(), (!rng.chance(0.10)).into());
    }

    // WeChat, drawn after everything else so that the other fields stay what they were: an
    // official-account (服务号) follower's openid, more often for users who came through the
    // mini-program; a mini-program openid for those who used it, and among them some who
    // subscribed to its messages (`consent.miniprogram: true`); some unfollowed (`consent.wechat`
    // false). Openids are 28 characters, as WeChat's.
    let mini = user.channel == 1;
    if rng.chance(if mini { 0.8 } else { 0.5 }) {
        contact.insert("wechat_openid".into(), openid(rng, b'o').into());
        if rng.chance(0.1) {
            consent.insert("wechat".into(), false.into());
        }
    }
    if rng.chance(if mini { 0.95 } else { 0.3 }) {
        contact.insert("mp_openid".into(), openid(rng, b'm').into());
        if rng.chance(0.45) {
            consent.insert("miniprogram".into(), true.into());
        }
    }

    let mut profile = Map::with_capacity(4);
    profile.insert("user_id".into(), user_id(user.index).into());
    profile.insert("attrs".into(), Value::Object(attrs));
    profile.insert("contact".into(), Value::Object(contact));
    profile.insert("consent".into(), Value::Object(consent));
    Value::Object(profile)
}

/// A WeChat-like openid: `first` and 27 characters of `[A-Za-z0-9_-]`.
fn openid(rng: &mut Rng, first: u8) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::with_capacity(28);
    s.push(char::from(first));
    let mut bits = rng.next_u64();
    for i in 0..27 {
        if i == 10 || i == 20 {
            bits = rng.next_u64();
        }
        s.push(char::from(B64[(bits & 63) as usize]));
        bits >>= 6;
    }
    s
}

/// Event `i` of the sorted events, of which the first `history` are the history's.
fn event_json(i: usize, history: usize, e: &Ev) -> Value {
    let (kind, props) = match e.kind {
        Kind::Register { channel, city } => (
            "register",
            obj([
                (
                    "channel",
                    if channel == INTERNAL_TEST {
                        "internal_test"
                    } else {
                        CHANNELS[usize::from(channel)]
                    }
                    .into(),
                ),
                ("city", CITIES[usize::from(city)].into()),
            ]),
        ),
        Kind::SignIn { streak } => (
            "sign_in",
            obj([("points", 5.into()), ("streak_days", streak.into())]),
        ),
        Kind::Login { platform } => (
            "login",
            obj([("platform", PLATFORMS[usize::from(platform)].into())]),
        ),
        Kind::PageView { page, category } => {
            let page = PAGES[usize::from(page)];
            if category == NO_CATEGORY {
                ("page_view", obj([("page", page.into())]))
            } else {
                let category = CATEGORIES[usize::from(category)].0;
                (
                    "page_view",
                    obj([("page", page.into()), ("category", category.into())]),
                )
            }
        }
        Kind::AddToCart {
            category,
            cents,
            quantity,
            sku,
        } => (
            "add_to_cart",
            obj([
                ("amount", money(u64::from(cents))),
                ("category", CATEGORIES[usize::from(category)].0.into()),
                ("sku", format!("sku_{sku:06}").into()),
                ("quantity", quantity.into()),
            ]),
        ),
        Kind::CartCleared { cents } => ("cart_cleared", obj([("amount", money(u64::from(cents)))])),
        Kind::OrderPaid {
            order,
            cents,
            category,
            items,
            payment,
        } => (
            "order_paid",
            obj([
                ("order_id", order_id(order).into()),
                ("amount", money(u64::from(cents))),
                ("category", CATEGORIES[usize::from(category)].0.into()),
                ("items", items.into()),
                ("payment", PAYMENTS[usize::from(payment)].into()),
            ]),
        ),
        Kind::OrderCompleted { order, cents } => (
            "order_completed",
            obj([
                ("order_id", format!("o{order:08}").into()),
                ("amount", money(u64::from(cents))),
            ]),
        ),
        Kind::LevelChanged { from, to } => (
            "level_changed",
            obj([
                ("from", LEVELS[usize::from(from)].into()),
                ("to", LEVELS[usize::from(to.min(PLATINUM))].into()),
            ]),
        ),
        Kind::ProfileUpdate(update) => ("profile_update", update_json(update)),
        Kind::Unsubscribe { channel } => (
            "unsubscribe",
            obj([("channel", CONTACT_CHANNELS[usize::from(channel)].into())]),
        ),
        Kind::AccountFrozen { reason } => (
            "account_frozen",
            obj([("reason", FREEZE_REASONS[usize::from(reason)].into())]),
        ),
        Kind::MembershipCancelled { level } => (
            "membership_cancelled",
            obj([("level", LEVELS[usize::from(level)].into())]),
        ),
    };
    let ts = DateTime::from_timestamp(e.ts, 0)
        .unwrap_or(DateTime::UNIX_EPOCH)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    obj([
        (
            "event_id",
            if i < history {
                format!("h{:08}", i + 1)
            } else {
                format!("e{:08}", i - history + 1)
            }
            .into(),
        ),
        ("user_id", user_id(e.user as usize).into()),
        ("type", kind.into()),
        ("ts", ts.into()),
        ("props", props),
    ])
}

fn order_id(order: u32) -> String {
    if order & HISTORY_ORDER != 0 {
        format!("h{:08}", order & !HISTORY_ORDER)
    } else {
        format!("o{order:08}")
    }
}

fn update_json(update: Update) -> Value {
    match update {
        Update::Level(level) => obj([("level", LEVELS[usize::from(level.min(PLATINUM))].into())]),
        Update::City(city) => obj([("city", CITIES[usize::from(city)].into())]),
        Update::Channel(channel) => obj([("channel", CHANNELS[usize::from(channel)].into())]),
        Update::Tags(tags) => obj([("tags", tags_json(tags))]),
        Update::CartAmount(cents) => obj([("cart_amount", money(u64::from(cents)))]),
        Update::MarketingOptout => obj([("marketing_optout", true.into())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_days() {
        let spec = SampleSpec::default();
        let w = Window::new(&spec);
        // 2026-11-01T00:00Z is 08:00 in Shanghai: local day 0 is partial, days 1..=29 are whole.
        assert_eq!(w.day0, w.start - 8 * HOUR);
        assert_eq!(w.local_days, 31);
        assert_eq!((w.full_first, w.full_last), (1, 29));
        let midnight = SampleSpec {
            start: Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap(),
            days: 2,
            ..SampleSpec::default()
        };
        let w = Window::new(&midnight);
        assert_eq!((w.local_days, w.full_first, w.full_last), (2, 0, 1));
        let empty = Window::new(&SampleSpec {
            days: 0,
            ..SampleSpec::default()
        });
        assert_eq!(empty.local_days, 0);
        assert!(empty.full_last < empty.full_first);
    }

    #[test]
    fn prices_have_two_decimals_at_most() {
        let mut rng = Rng::new(9);
        for i in 0..10_000u32 {
            let cents = random_price(&mut rng, (i % 8) as u8);
            assert!(cents > 0);
            let text = money(u64::from(cents)).to_string();
            let decimals = text.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 2, "{text}");
        }
    }

    #[test]
    fn time_of_day_curve() {
        let spec = SampleSpec::default();
        let w = Window::new(&spec);
        let mut rng = Rng::new(3);
        let mut by_hour = [0u32; 24];
        for _ in 0..50_000 {
            let t = w.random_time(&mut rng, w.start).unwrap();
            assert!(w.contains(t));
            by_hour[((t + TZ_OFFSET).rem_euclid(DAY) / HOUR) as usize] += 1;
        }
        assert!(by_hour[11] > 4 * by_hour[3]);
        assert!(by_hour[21] > 4 * by_hour[4]);
    }
}
