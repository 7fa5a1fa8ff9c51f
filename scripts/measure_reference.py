#!/usr/bin/env python3
"""Reference figures for crates/trellis-stats' power (unequal arms) and roi modules, and for the
engine's measurement (crates/trellis-engine/tests/it/measure.rs), from statsmodels and numpy.

Run once (pip install statsmodels scipy numpy); its output is pasted into
crates/trellis-stats/tests/it/{power,roi}.rs as Rust literals. The project's tests never run Python.

    python3 scripts/measure_reference.py
"""

import math

import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize


def nobs1(name, p_control, p_target, alpha, power, ratio):
    """NormalIndPower.solve_power for nobs1 (the control arm), ratio = n_other / n_control."""
    h = proportion_effectsize(p_target, p_control)
    n = NormalIndPower().solve_power(effect_size=h, nobs1=None, alpha=alpha, power=power, ratio=ratio)
    n = float(np.asarray(n).item())
    achieved = NormalIndPower().power(effect_size=h, nobs1=n, alpha=alpha, ratio=ratio)
    print(f"    PowerVector {{ name: {name!r}, p_control: {p_control!r}, p_target: {p_target!r}, alpha: {alpha!r}, power: {power!r}, ratio: {ratio!r}, h: {float(h)!r}, nobs1: {n!r} }}, // power at nobs1: {float(achieved)!r}".replace("'", '"'))


def achieved(name, h, nobs1_, alpha, ratio):
    p = NormalIndPower().power(effect_size=h, nobs1=nobs1_, alpha=alpha, ratio=ratio)
    print(f"    AchievedVector {{ name: {name!r}, h: {h!r}, nobs1: {nobs1_!r}, alpha: {alpha!r}, ratio: {ratio!r}, power: {float(p)!r} }},".replace("'", '"'))


def roi(name, revenue, cost, control_revenue, alpha=0.05):
    """Incremental ROI (d/c - 1) and its delta-method interval, the Jacobian written out, and
    checked against a central finite difference of g over the three means."""
    r = np.asarray(revenue, float)
    c = np.asarray(cost, float)
    rc = np.asarray(control_revenue, float)
    na, nc = len(r), len(rc)
    mr, mc, mrc = r.mean(), c.mean(), rc.mean()
    g = lambda a, b, k: (a - k) / b - 1.0
    value = g(mr, mc, mrc)
    # Covariance matrix of (mean r, mean c) in the arm, and var of the control's mean.
    cov = np.cov(np.vstack([r, c]), ddof=1) / na
    var_rc = rc.var(ddof=1) / nc
    d = mr - mrc
    jac = np.array([1 / mc, -d / mc**2])  # d g / d (mean r, mean c)
    eps = 1e-6
    num = np.array([(g(mr + eps, mc, mrc) - g(mr - eps, mc, mrc)) / (2 * eps),
                    (g(mr, mc + eps, mrc) - g(mr, mc - eps, mrc)) / (2 * eps)])
    assert np.allclose(jac, num, rtol=1e-5), (jac, num)
    var = jac @ cov @ jac + (1 / mc) ** 2 * var_rc
    z = stats.norm.isf(alpha / 2)
    half = z * math.sqrt(var)
    lit = lambda xs: "&[" + ", ".join(repr(float(x)) for x in xs) + "]"
    print(f"""    RoiVector {{
        name: "{name}",
        revenue: {lit(r)},
        cost: {lit(c)},
        control_revenue: {lit(rc)},
        alpha: {alpha!r},
        value: {float(value)!r},
        ci: ({float(value - half)!r}, {float(value + half)!r}),
        mean_revenue: {float(mr)!r},
        sd_revenue: {float(r.std(ddof=1))!r},
        covariance: {float(np.cov(r, c, ddof=1)[0, 1])!r},
    }},""")


print(f"// statsmodels {statsmodels.__version__}, scipy {scipy.__version__}, numpy {np.__version__}")
print("// --- nobs1 for power, unequal arms ---")
nobs1("10% holdout, 5% baseline, +10%", 0.05, 0.055, 0.05, 0.8, 9.0)
nobs1("equal arms, 10% baseline, +5%", 0.10, 0.105, 0.05, 0.8, 1.0)
nobs1("50% holdout, 2% baseline, +20%", 0.02, 0.024, 0.05, 0.9, 1.0)
nobs1("5% holdout, 30% baseline, -10%", 0.30, 0.27, 0.01, 0.8, 19.0)
nobs1("holdout larger than arm", 0.12, 0.15, 0.05, 0.8, 0.25)
nobs1("Hillstrom visits, +5%, 1:1", 2262 / 21306, 2262 / 21306 * 1.05, 0.05, 0.8, 21387 / 21306)
nobs1("tiny effect, large n", 0.2, 0.201, 0.05, 0.8, 3.0)
print("// --- achieved power ---")
achieved("h 0.1, 500 vs 4500", 0.1, 500.0, 0.05, 9.0)
achieved("negative h", -0.05, 2000.0, 0.05, 1.0)
achieved("h 0.02, 100000 vs 100000, alpha 0.01", 0.02, 100000.0, 0.01, 1.0)

print("// --- incremental ROI, delta method ---")
rng = np.random.default_rng(20261206)
n_t, n_c = 40, 25
conv_t = rng.random(n_t) < 0.3
conv_c = rng.random(n_c) < 0.2
rev_t = np.round(np.where(conv_t, rng.gamma(2.0, 60.0, n_t), 0.0), 2)
rev_c = np.round(np.where(conv_c, rng.gamma(2.0, 60.0, n_c), 0.0), 2)
# Coupons of 20 redeemed by a converter half the time, cash of 5 to a quarter of users.
cost_t = np.where(conv_t & (rng.random(n_t) < 0.5), 20.0, 0.0) + np.where(rng.random(n_t) < 0.25, 5.0, 0.0)
roi("synthetic: 40 treated, 25 control", rev_t, cost_t, rev_c)
roi("cost constant, revenue equal means", [10.0, 0.0, 20.0, 10.0], [2.0, 2.0, 2.0, 2.0], [10.0, 10.0, 0.0, 20.0])
roi("loss: revenue below control", [0.0, 5.0, 0.0, 1.0, 0.0], [3.0, 0.0, 3.0, 3.0, 1.0], [10.0, 0.0, 7.0], alpha=0.1)

print("// --- Hillstrom through the engine (trellis sample --hillstrom) ---")
# The workspace's split: holdout 33.3333%, then Womens 50% / Mens 50% of the rest.
h = 0.333333
split = [h, (1 - h) * 0.5, (1 - h) * 0.5]
obs = [21306, 21387, 21307]
r = stats.chisquare(obs, f_exp=np.array(split) / sum(split) * sum(obs))
print(f"// SRM against the configured split {split}: chi2 = {float(r.statistic)!r}, p = {float(r.pvalue)!r}")
# users_needed for Womens vs No E-Mail visits at the default mde 0.1, alpha 0.05, power 0.8.
pc = 2262 / 21306
ratio = 21387 / 21306
hh = proportion_effectsize(pc * 1.1, pc)
n1 = NormalIndPower().solve_power(effect_size=hh, nobs1=None, alpha=0.05, power=0.8, ratio=ratio)
total = float(n1) * (1 + ratio)
print(f"// users needed (both arms) for +10% at these sizes: nobs1 = {float(n1)!r}, total = {total!r}, ceil - (21306 + 21387) = {math.ceil(total) - (21306 + 21387)}")

print("// --- the app's per-arm intervals (ui/src/model/measurement.ts wilson), Wilson score ---")
from statsmodels.stats.proportion import proportion_confint
for x, n, a in [(8, 100, 0.05), (10, 100, 0.1)]:
    lo, hi = proportion_confint(x, n, alpha=a, method="wilson")
    print(f"// wilson({x}, {n}, {a}) = [{lo!r}, {hi!r}]")
