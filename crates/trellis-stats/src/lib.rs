//! Statistics for experiments, exact and tested against statsmodels/scipy
//! (`scripts/stats_reference.py`; the vectors are in `tests/`).
//!
//! One room per concern:
//! * [`value`]: the typed inputs (`Alpha`, `Power`, `Rate`, `RelativeMde`) and their checks;
//! * [`proportions`]: two conversion rates compared ([`compare_proportions`]) and the planning
//!   sample size ([`plan`]);
//! * [`means`]: Welch's t for means such as revenue per user ([`welch`]);
//! * [`srm`]: the sample-ratio-mismatch check ([`srm()`]);
//! * [`power`]: power and sample size with unequal arms (holdouts), on Cohen's h;
//! * [`roi`]: per-user moments and incremental ROI with its delta-method interval;
//! * [`holm`]: Holm's correction of p-values across arms ([`holm()`]);
//! * `dist`: the few distribution functions used (statrs), in one place.
//!
//! Impossible inputs are an [`Error`] naming the [`Field`]; nothing here panics on input. A figure
//! that does not exist for valid inputs (a lift over a zero baseline, a z when no arm varies) is
//! `None`, written `null` in JSON.

mod dist;
mod error;
pub mod holm;
pub mod means;
pub mod power;
pub mod proportions;
pub mod roi;
pub mod srm;
pub mod value;

pub use error::{Error, Field, Result};
pub use holm::holm;
pub use means::{welch, MeanSummary, WelchTest};
pub use power::{cohens_h, nobs1_for_power, power_for, total_users_for};
pub use proportions::{
    compare_proportions, fleiss_n_per_arm, plan, Counts, Plan, ProportionTest, Settings,
};
pub use roi::{covariance, incremental_roi, IncrementalRoi, Moments};
pub use srm::{srm, Srm, SRM_ALPHA};
pub use value::{Alpha, Interval, Power, Rate, RelativeMde};
