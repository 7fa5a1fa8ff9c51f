#!/usr/bin/env python3
"""Reference figures for crates/trellis-stats, from statsmodels and scipy.

Run once (pip install statsmodels scipy pandas); its output is pasted into
crates/trellis-stats/tests/it/*.rs and crates/trellis-cli/tests/it/ab.rs as Rust literals.
The project's tests never run Python.

    python3 scripts/stats_reference.py [path/to/hillstrom.csv.gz]

Which statsmodels methods match the crate's formulas:
* ci_diff (Wald, unpooled): confint_proportions_2indep(..., compare="diff", method="wald").
* ci_lift (Katz log risk ratio): confint_proportions_2indep(..., compare="ratio", method="log"),
  minus 1 (method "log-adjusted" adds 0.5 to each count: not Katz).
* n_per_arm (Fleiss without continuity correction): the formula below, equal (checked here) to
  statsmodels' samplesize_proportions_2indep_onetail(diff, prop2, power, ratio=1, alpha,
  alternative="two-sided"), which uses the pooled variance under the null and the unpooled under
  the alternative.
"""

import math
import sys

import numpy as np
import pandas as pd
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)


def f(x):
    """A float as a Rust literal (shortest repr that round-trips), None as None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "None"
    return f"Some({float(x)!r})"


def fleiss(p1, p2, alpha, power):
    """Fleiss, no continuity correction; checked against statsmodels below."""
    za = stats.norm.isf(alpha / 2)
    zb = stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2
    sm = samplesize_proportions_2indep_onetail(p1 - p2, p2, power, ratio=1, alpha=alpha, alternative="two-sided")
    assert abs(n - sm) <= 1e-9 * n, (n, sm)
    return n


def two_proportions(name, xc, nc, xv, nv, alpha=0.05, power=0.8, mde=None):
    pc, pv = xc / nc, xv / nv
    if xc + xv in (0, nc + nv):
        z = p = None  # statsmodels divides by zero: no arm varies
    else:
        z, p = proportions_ztest([xv, xc], [nv, nc], alternative="two-sided")
    lo_d, hi_d = confint_proportions_2indep(xv, nv, xc, nc, method="wald", compare="diff", alpha=alpha)
    if xc > 0 and xv > 0:
        lo_r, hi_r = confint_proportions_2indep(xv, nv, xc, nc, method="log", compare="ratio", alpha=alpha)
        ci_lift = f"Some(({float(lo_r - 1)!r}, {float(hi_r - 1)!r}))"
    else:
        ci_lift = "None"
    h = proportion_effectsize(pv, pc)
    achieved = NormalIndPower().power(effect_size=h, nobs1=nc, alpha=alpha, ratio=nv / nc, alternative="two-sided")
    mde_abs = (stats.norm.isf(alpha / 2) + stats.norm.ppf(power)) * math.sqrt(pc * (1 - pc) * (1 / nc + 1 / nv))
    target = pc * (1 + mde) if mde is not None else pv
    n = fleiss(pc, target, alpha, power) if target != pc else None
    print(f"""    ProportionVector {{
        name: "{name}",
        control: ({xc}, {nc}),
        variant: ({xv}, {nv}),
        alpha: {alpha!r},
        power: {power!r},
        mde: {f(mde)},
        p_control: {pc!r},
        p_variant: {pv!r},
        diff: {pv - pc!r},
        lift: {f(pv / pc - 1 if pc > 0 else None)},
        z: {f(z)},
        p_value: {f(p)},
        ci_diff: ({float(lo_d)!r}, {float(hi_d)!r}),
        ci_lift: {ci_lift},
        power_achieved: {float(achieved)!r},
        mde_abs: {float(mde_abs)!r},
        n_per_arm: {f(n)},
    }},""")


def plan(baseline, mde, alpha=0.05, power=0.8):
    n = fleiss(baseline, baseline * (1 + mde), alpha, power)
    print(f"    PlanVector {{ baseline: {baseline!r}, mde: {mde!r}, alpha: {alpha!r}, power: {power!r}, n_exact: {float(n)!r}, n_per_arm: {math.ceil(n)} }},")


def welch(name, control, variant, alpha=0.05):
    c, v = np.asarray(control, dtype=float), np.asarray(variant, dtype=float)
    r = stats.ttest_ind(v, c, equal_var=False)
    ci = r.confidence_interval(confidence_level=1 - alpha)
    print(f"""    WelchVector {{
        name: "{name}",
        control: ({float(c.mean())!r}, {float(c.std(ddof=1))!r}, {len(c)}),
        variant: ({float(v.mean())!r}, {float(v.std(ddof=1))!r}, {len(v)}),
        alpha: {alpha!r},
        diff: {float(v.mean() - c.mean())!r},
        ci_diff: ({float(ci.low)!r}, {float(ci.high)!r}),
        p_value: {float(r.pvalue)!r},
        df: {float(r.df)!r},
    }},""")


def welch_from_stats(name, control, variant, alpha=0.05):
    """Welch's t from (mean, sd, n) per arm, for sizes too large to draw: scipy's p-value; df and
    the interval by the Welch-Satterthwaite formula with scipy's t quantile."""
    (mc, sc, nc), (mv, sv, nv) = control, variant
    r = stats.ttest_ind_from_stats(mv, sv, nv, mc, sc, nc, equal_var=False)
    vc, vv = sc * sc / nc, sv * sv / nv
    se = math.sqrt(vc + vv)
    df = (vc + vv) ** 2 / (vc * vc / (nc - 1) + vv * vv / (nv - 1))
    q = stats.t.isf(alpha / 2, df)
    d = mv - mc
    print(f"""    WelchVector {{
        name: "{name}",
        control: ({mc!r}, {sc!r}, {nc}),
        variant: ({mv!r}, {sv!r}, {nv}),
        alpha: {alpha!r},
        diff: {d!r},
        ci_diff: ({float(d - q * se)!r}, {float(d + q * se)!r}),
        p_value: {float(r.pvalue)!r},
        df: {float(df)!r},
    }},""")


def srm(observed, split):
    total = sum(observed)
    expected = [total * w / sum(split) for w in split]
    r = stats.chisquare(observed, expected)
    print(f"    SrmVector {{ observed: &{list(observed)}, split: &{[float(w) for w in split]}, chi2: {float(r.statistic)!r}, p_value: {float(r.pvalue)!r} }},")


def holm(pvals):
    adj = multipletests(pvals, method="holm")[1]
    print(f"    HolmVector {{ p: &{[float(p) for p in pvals]}, adjusted: &{[float(a) for a in adj]} }},")


print(f"// statsmodels {statsmodels.__version__}, scipy {scipy.__version__}, numpy {np.__version__}")
print("// --- two proportions ---")
two_proportions("ten vs twelve and a half percent", 200, 2000, 250, 2000)
two_proportions("tiny n, alpha 0.1, power 0.9", 1, 10, 4, 12, alpha=0.1, power=0.9)
two_proportions("no conversions in control", 0, 500, 7, 500)
two_proportions("no conversions in variant", 30, 1000, 0, 1000)
two_proportions("unequal sizes with an mde", 5000, 100000, 560, 10000, mde=0.1)
two_proportions("equal rates", 50, 100, 50, 100)
two_proportions("every control user converts", 10, 10, 9, 10, alpha=0.01)
two_proportions("nobody converts", 0, 10, 0, 10)
two_proportions("a tiny alpha", 120, 1000, 190, 1000, alpha=1e-9, power=0.99)
two_proportions("a negative effect, alpha 0.01, power 0.95", 480, 4000, 410, 4100, alpha=0.01, power=0.95, mde=-0.05)

print("// --- planning ---")
plan(0.1, 0.1)
plan(0.02, 0.05)
plan(0.5, -0.2, alpha=0.01, power=0.9)
plan(0.3, 2.0, alpha=0.1, power=0.5)
plan(0.001, 0.3)

print("// --- Welch ---")
rng = np.random.default_rng(16)
welch("tiny n: 2 and 3 users", [1.0, 3.0], [2.0, 7.0, 9.5])
welch("normal, different spreads", rng.normal(10, 2, 30), rng.normal(11, 5, 45))
welch("alpha 0.1, large n", rng.normal(0, 1, 2000), rng.normal(0.05, 1.3, 1500), alpha=0.1)
welch("revenue-like: mostly zero", np.where(rng.random(400) < 0.05, rng.gamma(2, 40, 400), 0.0),
      np.where(rng.random(380) < 0.08, rng.gamma(2, 40, 380), 0.0))

welch_from_stats("df near a million", (1.30, 9.5, 600_000), (1.34, 11.0, 550_000))
welch_from_stats("df near ten million", (1.30, 9.5, 5_000_000), (1.31, 9.8, 5_000_000))
welch_from_stats("df near two hundred million", (1.300, 9.5, 100_000_000), (1.302, 9.6, 300_000_000))
welch_from_stats("df near two trillion", (1.30000, 9.5, 1_000_000_000_000), (1.30002, 9.5, 1_000_000_000_000))
welch_from_stats("a tiny alpha, small n", (10.0, 2.0, 30), (12.5, 3.0, 25), alpha=1e-9)
welch_from_stats("alpha near 1, df in the thousands", (10.0, 2.0, 3000), (10.1, 3.0, 2500), alpha=0.999)

print("// --- SRM ---")
srm([5000, 5000], [50, 50])
srm([50500, 49500], [50, 50])
srm([10300, 9700], [1, 1])
srm([9000, 1050], [90, 10])
srm([3300, 3400, 3500], [1, 1, 1])
srm([100, 0], [1, 1])

print("// --- Holm ---")
holm([0.01, 0.04, 0.03, 0.005])
holm([0.5])
holm([0.2, 0.2])
holm([1e-10, 0.9, 0.04])
holm([0.03, 0.01, 0.03, 0.5, 0.02])

path = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/hillstrom.csv.gz"
df = pd.read_csv(path)
assert len(df) == 64000
print("// --- Hillstrom (%s, %d rows) ---" % (path, len(df)))
arms = {seg: g for seg, g in df.groupby("segment")}
for seg in ["No E-Mail", "Womens E-Mail", "Mens E-Mail"]:
    g = arms[seg]
    print(f"// {seg}: n = {len(g)}, visits = {int(g.visit.sum())}, conversions = {int(g.conversion.sum())}, spend = {float(g.spend.sum())!r}")
c, w, m = arms["No E-Mail"], arms["Womens E-Mail"], arms["Mens E-Mail"]
two_proportions("Hillstrom visit: Womens E-Mail vs No E-Mail", int(c.visit.sum()), len(c), int(w.visit.sum()), len(w))
two_proportions("Hillstrom visit: Mens E-Mail vs No E-Mail", int(c.visit.sum()), len(c), int(m.visit.sum()), len(m))
two_proportions("Hillstrom conversion: Womens E-Mail vs No E-Mail", int(c.conversion.sum()), len(c), int(w.conversion.sum()), len(w))
welch("Hillstrom spend: Womens E-Mail vs No E-Mail", c.spend.values, w.spend.values)
srm([len(c), len(w), len(m)], [1, 1, 1])
pw = proportions_ztest([w.visit.sum(), c.visit.sum()], [len(w), len(c)])[1]
pm = proportions_ztest([m.visit.sum(), c.visit.sum()], [len(m), len(c)])[1]
pcw = proportions_ztest([w.conversion.sum(), c.conversion.sum()], [len(w), len(c)])[1]
pcm = proportions_ztest([m.conversion.sum(), c.conversion.sum()], [len(m), len(c)])[1]
holm([float(pw), float(pm)])
holm([float(pcw), float(pcm)])
plan(float(c.visit.mean()), 0.05)
