//! Paths from per-user touches and conversions (for the engine's decision log and the service).
//!
//! Inputs come per user in time order (seconds; ties keep input order). A conversion at time t
//! takes the user's touches in (t − window, t] as its path — a touch exactly `window` seconds
//! before is out — and clears the user's touches: the ones inside the window became the
//! conversion's path, the older ones (if any) become one non-converting path, as they converted
//! nothing within the window. A conversion with no touch in its window is not a path: it is
//! counted in [`Unattributed`]. [`PathBuilder::finish`] turns every user's touches still pending
//! into one non-converting path each. Equal paths are one row of the table.

use crate::{Channel, Error, PathRow, PathTable, Result};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Conversions that no touch within the window preceded (not in the path table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unattributed {
    pub conversions: u64,
    pub value: Decimal,
}

#[derive(Debug, Default)]
struct Pending {
    last: Option<i64>,
    touches: Vec<(i64, Channel)>,
}

#[derive(Default)]
struct Counts {
    conversions: u64,
    non_conversions: u64,
    value: Decimal,
}

/// Builds a [`PathTable`] from touches and conversions (module documentation).
pub struct PathBuilder<U> {
    window: i64,
    users: BTreeMap<U, Pending>,
    paths: BTreeMap<Vec<Channel>, Counts>,
    unattributed: Unattributed,
}

impl<U: Ord + Clone + Debug> PathBuilder<U> {
    /// A builder whose conversions look back `window_seconds`.
    pub fn new(window_seconds: u64) -> PathBuilder<U> {
        PathBuilder {
            window: i64::try_from(window_seconds).unwrap_or(i64::MAX),
            users: BTreeMap::new(),
            paths: BTreeMap::new(),
            unattributed: Unattributed::default(),
        }
    }

    fn user(&mut self, user: &U, at: i64, what: &str) -> Result<&mut Pending> {
        let p = self.users.entry(user.clone()).or_default();
        if let Some(last) = p.last.filter(|&last| at < last) {
            return Err(Error::Input {
                user: format!("{user:?}"),
                at,
                reason: format!("a {what} before the user's previous input at {last} (inputs must come in time order)"),
            });
        }
        p.last = Some(at);
        Ok(p)
    }

    /// A touch of `channel` (a channel or an offer) at `at`.
    pub fn touch(&mut self, user: U, at: i64, channel: Channel) -> Result<()> {
        self.user(&user, at, "touch")?.touches.push((at, channel));
        Ok(())
    }

    /// A conversion worth `value` (not negative) at `at`.
    pub fn convert(&mut self, user: U, at: i64, value: Decimal) -> Result<()> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(Error::Input {
                user: format!("{user:?}"),
                at,
                reason: format!("the conversion's value {value} is negative"),
            });
        }
        let window = self.window;
        let touches = std::mem::take(&mut self.user(&user, at, "conversion")?.touches);
        // In the window: at − window < time, i.e. time − at > −window (no overflow).
        let (inside, outside): (Vec<_>, Vec<_>) = touches
            .into_iter()
            .partition(|(time, _)| time.saturating_sub(at) > window.saturating_neg());
        if !outside.is_empty() {
            self.add(outside, 0, 1, Decimal::ZERO)?;
        }
        if inside.is_empty() {
            self.unattributed.conversions = self
                .unattributed
                .conversions
                .checked_add(1)
                .ok_or(Error::Overflow("conversions"))?;
            self.unattributed.value = self
                .unattributed
                .value
                .checked_add(value)
                .ok_or(Error::Overflow("value"))?;
            return Ok(());
        }
        self.add(inside, 1, 0, value)
    }

    fn add(
        &mut self,
        touches: Vec<(i64, Channel)>,
        conversions: u64,
        non_conversions: u64,
        value: Decimal,
    ) -> Result<()> {
        let path = touches.into_iter().map(|(_, c)| c).collect();
        let c = self.paths.entry(path).or_default();
        c.conversions = c
            .conversions
            .checked_add(conversions)
            .ok_or(Error::Overflow("conversions"))?;
        c.non_conversions = c
            .non_conversions
            .checked_add(non_conversions)
            .ok_or(Error::Overflow("non_conversions"))?;
        c.value = c.value.checked_add(value).ok_or(Error::Overflow("value"))?;
        Ok(())
    }

    /// The path table (rows by path), and the conversions no touch preceded. Every user's pending
    /// touches become one non-converting path.
    pub fn finish(mut self) -> Result<(PathTable, Unattributed)> {
        for p in std::mem::take(&mut self.users).into_values() {
            if !p.touches.is_empty() {
                self.add(p.touches, 0, 1, Decimal::ZERO)?;
            }
        }
        let rows = self
            .paths
            .into_iter()
            .map(|(path, c)| PathRow {
                path,
                conversions: c.conversions,
                non_conversions: c.non_conversions,
                value: c.value,
            })
            .collect();
        Ok((PathTable::new(rows)?, self.unattributed))
    }
}
