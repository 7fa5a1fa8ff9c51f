//! `trellis ab`: the statistics of an A/B test (trellis-stats), printed as a table or as JSON.
//! The figures are all computed by `trellis_stats`; this file reads the arguments into its typed
//! inputs and prints what comes back.

use anyhow::Result;
use clap::{ArgGroup, Args};
use std::io::Write;
use std::process::ExitCode;
use trellis_stats::{
    compare_proportions, plan, welch, Alpha, Counts, Field, Interval, MeanSummary, Plan, Power,
    ProportionTest, Rate, RelativeMde, Settings, WelchTest,
};

/// Three forms: two conversion counts (`--control`, `--variant`), a plan (`--baseline`,
/// `--mde`), or two means (`--control-mean` … `--variant-n`).
#[derive(Args)]
#[command(group(ArgGroup::new("form").required(true).args(["control", "baseline", "control_mean"])))]
pub struct AbArgs {
    /// The control arm: conversions/users, e.g. 120/1000.
    #[arg(long, value_name = "CONV/N", value_parser = parse_counts, requires = "variant")]
    control: Option<Counts>,
    /// The variant arm: conversions/users.
    #[arg(long, value_name = "CONV/N", value_parser = parse_counts, requires = "control")]
    variant: Option<Counts>,
    /// Plan: the control's expected conversion rate, in (0, 1).
    #[arg(
        long,
        value_name = "RATE",
        requires = "mde",
        allow_negative_numbers = true
    )]
    baseline: Option<f64>,
    /// The relative minimum detectable effect, e.g. 0.05 for +5% (with --baseline: what to plan
    /// for; with --control/--variant: what `n_per_arm` is for, instead of the observed effect).
    #[arg(long, value_name = "REL", allow_negative_numbers = true)]
    mde: Option<f64>,
    /// Significance level of the two-sided tests and intervals (1 − α confidence).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    alpha: f64,
    /// The power `mde` and `n_per_arm` aim for.
    #[arg(
        long,
        default_value_t = 0.8,
        conflicts_with = "control_mean",
        allow_negative_numbers = true
    )]
    power: f64,
    /// Means (Welch's t): the control's mean, e.g. revenue per user.
    #[arg(long, value_name = "M", allow_negative_numbers = true,
          requires_all = ["control_sd", "control_n", "variant_mean", "variant_sd", "variant_n"],
          conflicts_with_all = ["control", "variant", "baseline", "mde"])]
    control_mean: Option<f64>,
    /// The control's sample standard deviation (n − 1).
    #[arg(
        long,
        value_name = "S",
        requires = "control_mean",
        allow_negative_numbers = true
    )]
    control_sd: Option<f64>,
    /// The control's number of users.
    #[arg(long, value_name = "N", requires = "control_mean")]
    control_n: Option<u64>,
    /// The variant's mean.
    #[arg(
        long,
        value_name = "M",
        allow_negative_numbers = true,
        requires = "control_mean"
    )]
    variant_mean: Option<f64>,
    /// The variant's sample standard deviation (n − 1).
    #[arg(
        long,
        value_name = "S",
        requires = "control_mean",
        allow_negative_numbers = true
    )]
    variant_sd: Option<f64>,
    /// The variant's number of users.
    #[arg(long, value_name = "N", requires = "control_mean")]
    variant_n: Option<u64>,
    /// Print one JSON object (the field names of README's `trellis ab`) instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_counts(s: &str) -> Result<Counts, String> {
    let bad =
        || format!("expected CONV/N (conversions/users, whole numbers), e.g. 120/1000; got {s:?}");
    let (c, n) = s.split_once('/').ok_or_else(bad)?;
    Ok(Counts {
        conversions: c.trim().parse().map_err(|_| bad())?,
        n: n.trim().parse().map_err(|_| bad())?,
    })
}

/// The argument a field of trellis-stats came from.
fn flag(field: Field) -> String {
    format!("--{}", field.as_str().replace('_', "-"))
}

/// Run `trellis ab`. An impossible input prints which argument and why, and exits 2.
pub fn run(args: AbArgs) -> Result<ExitCode> {
    match compute(&args) {
        Ok(Output::Proportions(t, s)) => print(args.json, &t, |o| proportions_table(o, &t, &s)),
        Ok(Output::Plan(p, baseline, mde, s)) => {
            print(args.json, &p, |o| plan_table(o, &p, baseline, mde, &s))
        }
        Ok(Output::Means(t, c, v, a)) => print(args.json, &t, |o| means_table(o, &t, &c, &v, a)),
        Err(e) => {
            eprintln!("trellis ab: {}: {}", flag(e.field), e.reason);
            Ok(ExitCode::from(2))
        }
    }
}

enum Output {
    Proportions(ProportionTest, Settings),
    Plan(Plan, Rate, RelativeMde, Settings),
    Means(WelchTest, MeanSummary, MeanSummary, Alpha),
}

fn compute(a: &AbArgs) -> trellis_stats::Result<Output> {
    let alpha = Alpha::new(a.alpha)?;
    if let (Some(mean), Some(sd), Some(n)) = (a.control_mean, a.control_sd, a.control_n) {
        let control = MeanSummary { mean, sd, n };
        let variant = MeanSummary {
            mean: a.variant_mean.unwrap_or(f64::NAN),
            sd: a.variant_sd.unwrap_or(f64::NAN),
            n: a.variant_n.unwrap_or(0),
        };
        return Ok(Output::Means(
            welch(control, variant, alpha)?,
            control,
            variant,
            alpha,
        ));
    }
    let settings = Settings {
        alpha,
        power: Power::new(a.power)?,
        mde: a.mde.map(RelativeMde::new).transpose()?,
    };
    if let (Some(control), Some(variant)) = (a.control, a.variant) {
        return Ok(Output::Proportions(
            compare_proportions(control, variant, settings)?,
            settings,
        ));
    }
    let baseline = Rate::new(a.baseline.unwrap_or(f64::NAN), Field::Baseline)?;
    let mde = RelativeMde::new(a.mde.unwrap_or(f64::NAN))?;
    let p = plan(baseline, mde, settings.alpha, settings.power)?;
    Ok(Output::Plan(p, baseline, mde, settings))
}

fn print<T: serde::Serialize>(
    json: bool,
    value: &T,
    table: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
    } else {
        table(&mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(x: f64) -> String {
    format!("{:+.2}%", 100.0 * x)
}

fn pp(x: f64) -> String {
    format!("{:+.4} pp", 100.0 * x)
}

fn p_value(p: Option<f64>) -> String {
    match p {
        None => "none (no arm varies)".into(),
        Some(p) if p < 1e-3 => format!("{p:.3e}"),
        // Four significant digits.
        Some(p) => format!("{p:.*}", (3.0 - p.log10().floor()).max(0.0) as usize),
    }
}

fn level(alpha: Alpha) -> String {
    format!("{}%", 100.0 * (1.0 - alpha.get()))
}

fn interval(i: Option<Interval>, f: fn(f64) -> String) -> String {
    i.map_or("none".into(), |i| format!("[{}, {}]", f(i.lo), f(i.hi)))
}

fn proportions_table(o: &mut dyn Write, t: &ProportionTest, s: &Settings) -> std::io::Result<()> {
    let (a, power) = (s.alpha.get(), 100.0 * s.power.get());
    let ci = level(s.alpha);
    writeln!(
        o,
        "conversion rate, control (p_control)      {:.4}%",
        100.0 * t.p_control
    )?;
    writeln!(
        o,
        "conversion rate, variant (p_variant)      {:.4}%",
        100.0 * t.p_variant
    )?;
    writeln!(
        o,
        "difference, variant − control (diff)      {}, {ci} CI {} (ci_diff: Wald, unpooled)",
        pp(t.diff),
        interval(Some(t.ci_diff), pp)
    )?;
    match t.lift {
        Some(lift) => writeln!(
            o,
            "relative lift (lift)                      {}, {ci} CI {} (ci_lift: Katz log risk ratio)",
            pct(lift),
            interval(t.ci_lift, pct)
        )?,
        None => writeln!(o, "relative lift (lift)                      none: the control rate is 0")?,
    }
    writeln!(
        o,
        "z, pooled two-proportion test (z)         {}",
        t.z.map_or("none (no arm varies)".into(), |z| format!("{z:.4}"))
    )?;
    let verdict = match t.p_value {
        Some(p) if p < a => format!(", significant at α = {a}"),
        Some(_) => format!(", not significant at α = {a}"),
        None => String::new(),
    };
    writeln!(
        o,
        "p-value, two-sided (p_value)              {}{verdict}",
        p_value(t.p_value)
    )?;
    writeln!(
        o,
        "achieved power (power)                    {:.1}%: the chance these sizes detect the observed effect at α = {a}",
        100.0 * t.power
    )?;
    writeln!(
        o,
        "minimum detectable effect (mde)           {:.4} pp absolute at these sizes, α = {a}, power {power}%",
        100.0 * t.mde
    )?;
    let aim = match s.mde {
        Some(m) => format!("a relative effect of {}", pct(m.get())),
        None => "the observed effect".into(),
    };
    match t.n_per_arm {
        Some(n) => writeln!(
            o,
            "users per arm needed (n_per_arm)          {n} to detect {aim} at α = {a}, power {power}% (Fleiss)"
        ),
        None => writeln!(
            o,
            "users per arm needed (n_per_arm)          none: {aim} is no change from the control rate"
        ),
    }
}

fn plan_table(
    o: &mut dyn Write,
    p: &Plan,
    baseline: Rate,
    mde: RelativeMde,
    s: &Settings,
) -> std::io::Result<()> {
    let b = baseline.get();
    writeln!(
        o,
        "baseline conversion rate                  {:.4}%",
        100.0 * b
    )?;
    writeln!(
        o,
        "relative MDE                              {} (variant rate {:.4}%)",
        pct(mde.get()),
        100.0 * b * (1.0 + mde.get())
    )?;
    writeln!(
        o,
        "users per arm needed (n_per_arm)          {} at α = {} (two-sided), power {}% (Fleiss, no continuity correction)",
        p.n_per_arm,
        s.alpha.get(),
        100.0 * s.power.get()
    )
}

fn means_table(
    o: &mut dyn Write,
    t: &WelchTest,
    c: &MeanSummary,
    v: &MeanSummary,
    alpha: Alpha,
) -> std::io::Result<()> {
    let num = |x: f64| format!("{x:+.4}");
    writeln!(o, "control: mean {:.4}, sd {:.4}, n {}", c.mean, c.sd, c.n)?;
    writeln!(o, "variant: mean {:.4}, sd {:.4}, n {}", v.mean, v.sd, v.n)?;
    writeln!(
        o,
        "difference of means, variant − control (diff)  {}, {} CI {} (ci_diff: Welch)",
        num(t.diff),
        level(alpha),
        interval(t.ci_diff, num)
    )?;
    writeln!(
        o,
        "p-value, Welch's t, two-sided (p_value)        {}",
        match t.p_value {
            None => "none (both standard deviations are 0)".into(),
            p => p_value(p),
        }
    )?;
    writeln!(
        o,
        "degrees of freedom, Welch–Satterthwaite (df)   {}",
        t.df.map_or("none".into(), |d| format!("{d:.2}"))
    )
}
