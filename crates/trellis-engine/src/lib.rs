//! The Trellis journey engine: the deterministic core that runs a workspace. Events and the
//! passage of time go in; decisions (the decision log of `runtime.md`) and a report come out.
//! It never reads the wall clock: the simulator drives it with event time, the service (later)
//! with the wall clock, and both get the same decisions for the same inputs.

pub mod apply;
pub mod engine;
pub mod fast;
pub mod hash;
pub mod input;
pub mod measurement;
pub mod report;

pub use apply::{
    Close, Decide, Degrade as DegradeInput, DeliveryFailed, Deploy, DeployMode, Input, InputError,
    Outcome, Pause, Redeem, ResetBreaker, Resume, Rollback, Tick,
};
pub use engine::{
    AlertSignal, AnswerKind, AnsweredOffer, AttachModel, Attributed, BreakerNow, CampaignNow,
    Channels, ControlError, ControlRecord, Controls, Decision, DecisionKind, Degrade,
    DeliveryFailure, Engine, ExitReason, GuardMetric, Guardrail, Holdout, Message, NoAnswer,
    Options, PacingNow, PauseScope, PlacementAnswer, Recorded, RedeemError, RejectReason, Sink,
    SkipReason, SuppressReason, Switch, TimerChange, TouchMode, PPM,
};
pub use input::{
    event_line_ts, parse_event, parse_event_line, parse_event_owned, parse_profile, ts_string,
    Event, Profile,
};
pub use report::Report;
