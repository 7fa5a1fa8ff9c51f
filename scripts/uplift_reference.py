#!/usr/bin/env python3
"""Reference figures for crates/trellis-uplift, from scikit-uplift and scikit-learn.

Run once (pip install scikit-uplift scikit-learn pandas numpy); its output is pasted into
crates/trellis-uplift/tests/it/*.rs as Rust literals. The project's tests never run Python.

    python3 scripts/uplift_reference.py [path/to/hillstrom.csv.gz] [--write-csv OUT.csv]

--write-csv writes Hillstrom's Womens E-Mail / No E-Mail rows with a 0/1 column `t` (the file
the benchmark in BENCHMARKS.md trains on with `trellis uplift train`).

What it prints:
* qini_auc_score, uplift_auc_score and uplift_at_k(strategy="overall") on tiny vectors (with
  ties in the score) and on a medium vector drawn from SplitMix64 (the generator the crate's split
  uses, written out below so Rust draws the same numbers);
* sklearn LogisticRegression coefficients on a small design matrix (C=1 and C=0.5);
* Hillstrom: the crate's 70/30 split and encoding reproduced here, scikit-uplift's
  TwoModels(LogisticRegression(), LogisticRegression(), method="vanilla") on it, its Qini, AUUC,
  uplift@30% and the top-50% share of incremental visits; the same with logistic regressions
  solved to their optimum (`converged`: their coefficients, which the crate must match);
  ClassTransformation;
  and tree-based TwoModels, to see whether a tree learner would earn its place.
"""

import math
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
import sklift
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklift.metrics import qini_auc_score, uplift_at_k, uplift_auc_score
from sklift.models import ClassTransformation, TwoModels

M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def splitmix64(seed, i):
    """The i-th output (0-based) of SplitMix64 seeded with `seed` (Steele, Lea & Flood 2014)."""
    z = (seed + (i + 1) * GAMMA) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def unit(seed, i):
    """A draw in [0, 1): the top 53 bits of the i-th output, times 2^-53."""
    return (splitmix64(seed, i) >> 11) / float(1 << 53)


def is_test(n, seed=0, test_fraction=0.3):
    """The crate's split: row i (0-based, in file order) is held out iff unit(seed, i) < test_fraction."""
    return np.array([unit(seed, i) < test_fraction for i in range(n)])


def f(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "None"
    return repr(float(x))


def metrics(name, y, t, s, k=0.3):
    y, t, s = np.asarray(y), np.asarray(t), np.asarray(s, dtype=float)
    print(f"{name}: n = {len(y)}")
    print(f"  qini_auc_score   = {f(qini_auc_score(y, s, t))}")
    try:
        no_neg = qini_auc_score(y, s, t, negative_effect=False)
    except (ZeroDivisionError, ValueError):  # flat perfect curve, or x not monotonic: no figure
        no_neg = None
    print(f"  qini (no neg.)   = {f(no_neg)}")
    print(f"  uplift_auc_score = {f(uplift_auc_score(y, s, t))}")
    print(f"  uplift_at_k(k={k}) = {f(uplift_at_k(y, s, t, strategy='overall', k=k))}")


def incremental_share(y, t, s, k=0.5):
    """Incremental visits of the top int(n*k) by score over those of all: each is
    (treated rate - control rate) in the group x the group's size. The order is scikit-uplift's
    (argsort mergesort, reversed)."""
    y, t, s = np.asarray(y), np.asarray(t), np.asarray(s, dtype=float)
    order = np.argsort(s, kind="mergesort")[::-1]

    def incr(idx):
        yy, tt = y[idx], t[idx]
        return (yy[tt == 1].mean() - yy[tt == 0].mean()) * len(idx)

    top = order[: int(len(y) * k)]
    return incr(top), incr(order), incr(top) / incr(order)


def tiny():
    print("== tiny vectors ==")
    metrics("tiny_no_ties", [1, 0, 1, 0, 1, 0], [1, 1, 0, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], k=0.5)
    metrics("tiny_ties", [1, 1, 0, 0, 1, 0, 0, 1], [1, 0, 1, 0, 1, 0, 1, 0],
            [0.3, 0.3, 0.3, 0.1, 0.5, 0.5, -0.2, 0.1], k=0.5)
    metrics("all_tied", [1, 0, 1, 0, 0, 1], [1, 1, 0, 0, 1, 0], [0.0] * 6, k=0.5)
    print()


def medium_vector(n=500, seed=12345):
    """t = bit 0; s_i = (u >> 8) % 21 (score s_i/20 - 0.5, so many ties and negatives);
    y = 1 iff (u >> 16) % 100 < 15 + t * s_i."""
    y, t, s = [], [], []
    for i in range(n):
        u = splitmix64(seed, i)
        ti = u & 1
        si = (u >> 8) % 21
        y.append(1 if (u >> 16) % 100 < 15 + ti * si else 0)
        t.append(ti)
        s.append(si / 20 - 0.5)
    return np.array(y), np.array(t), np.array(s)


def medium():
    print("== medium vector (SplitMix64 seed 12345, n = 500) ==")
    y, t, s = medium_vector()
    print(f"  sum y = {y.sum()}, sum t = {t.sum()}, sum s = {f(s.sum())}")
    metrics("medium", y, t, s, k=0.3)
    metrics("medium k=0.1", y, t, s, k=0.1)
    print(f"  split(seed 0, 0.3) of 20 rows: {np.nonzero(is_test(20))[0].tolist()} held out")
    print(f"  first outputs of seed 0: {[hex(splitmix64(0, i)) for i in range(3)]}")
    print()


def logistic_design(n=60, seed=7):
    """x1 = (u >> 8) % 100 / 10 - 5, x2 = (u >> 20) % 7, x3 = 1 if (u >> 30) % 3 == 0 else 0;
    y = 1 iff (u >> 40) % 100 < 20 + 8 * x2 + 4 * x1 (clipped by construction)."""
    X, y = [], []
    for i in range(n):
        u = splitmix64(seed, i)
        x1 = ((u >> 8) % 100) / 10 - 5
        x2 = (u >> 20) % 7
        x3 = 1 if (u >> 30) % 3 == 0 else 0
        X.append([x1, x2, x3])
        y.append(1 if (u >> 40) % 100 < 20 + 8 * x2 + 4 * x1 else 0)
    return np.array(X, dtype=float), np.array(y)


def converged(C=1.0):
    """LogisticRegression at its optimum: the same objective as the default (lbfgs, C=1), solved by
    scikit-learn's Newton solver to tol=1e-12. (lbfgs with tol=1e-12 stops up to ~2e-6 short of
    the optimum on Hillstrom's control arm; the default tol=1e-4 further.)"""
    return LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000)


def logistic():
    print("== LogisticRegression on the small design (SplitMix64 seed 7, n = 60) ==")
    X, y = logistic_design()
    print(f"  sum y = {y.sum()}")
    for C in (1.0, 0.5):
        newton = converged(C).fit(X, y)
        lbfgs = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(X, y)
        print(f"  C={C}: intercept = {f(newton.intercept_[0])}, coef = [{', '.join(f(c) for c in newton.coef_[0])}]")
        print(f"         lbfgs (tol=1e-12) agrees to {np.max(np.abs(np.r_[lbfgs.intercept_, lbfgs.coef_[0]] - np.r_[newton.intercept_, newton.coef_[0]])):.2e}")
        print(f"         p(row 0) = {f(newton.predict_proba(X[:1])[0, 1])}")
    print()


NUMERIC = ["recency", "history", "mens", "womens", "newbie"]
CATEGORICAL = ["zip_code", "channel"]
FEATURES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]


def encode(df, train):
    """The crate's encoding: in feature order, a numeric column standardised with the training
    part's mean and population standard deviation (1 where it is 0), a categorical one one-hot
    over the training part's categories in sorted (byte) order; an unseen category is all zeros."""
    cols = []
    for name in FEATURES:
        if name in NUMERIC:
            x = df[name].astype(float).values
            mu, sd = x[train].mean(), x[train].std()
            cols.append(((x - mu) / (sd if sd != 0 else 1.0))[:, None])
        else:
            cats = sorted(set(df[name][train]))
            cols.append(np.column_stack([(df[name].values == c).astype(float) for c in cats]))
    return np.hstack(cols)


def hillstrom(path, write_csv):
    print("== Hillstrom: Womens E-Mail (t=1) vs No E-Mail (t=0), outcome visit ==")
    df = pd.read_csv(path)
    df = df[df.segment != "Mens E-Mail"].reset_index(drop=True)
    df["t"] = (df.segment == "Womens E-Mail").astype(int)
    print(f"  rows = {len(df)}, treated = {df.t.sum()}, control = {(1 - df.t).sum()}")
    if write_csv:
        df.drop(columns=["segment"]).to_csv(write_csv, index=False)
        print(f"  wrote {write_csv}")
    test = is_test(len(df))
    train = ~test
    print(f"  split: train = {train.sum()}, test = {test.sum()}")
    X = encode(df, train)
    y, t = df.visit.values, df.t.values
    Xtr, ytr, ttr, Xte, yte, tte = X[train], y[train], t[train], X[test], y[test], t[test]

    def report(name, model, fit_seconds=None):
        s = model.predict(Xte)
        a, b, share = incremental_share(yte, tte, s)
        extra = f" (fit {fit_seconds:.3f} s)" if fit_seconds is not None else ""
        print(f"  {name}{extra}:")
        print(f"    qini_auc_score = {f(qini_auc_score(yte, s, tte))}")
        print(f"    uplift_auc_score = {f(uplift_auc_score(yte, s, tte))}")
        print(f"    uplift_at_k(0.3) = {f(uplift_at_k(yte, s, tte, strategy='overall', k=0.3))}")
        print(f"    top 50%: incremental {f(a)} of {f(b)}, share = {f(share)}")
        return s

    def fit(model):
        start = time.perf_counter()
        model.fit(Xtr, ytr, ttr)
        return model, time.perf_counter() - start

    m, secs = fit(TwoModels(LogisticRegression(), LogisticRegression(), method="vanilla"))
    report("TwoModels(LogisticRegression(), LogisticRegression(), method='vanilla')", m, secs)

    m, secs = fit(TwoModels(converged(), converged(), method="vanilla"))
    s = report("TwoModels, LogisticRegression(solver='newton-cholesky', tol=1e-12) (converged)", m, secs)
    for arm, est in (("treated", m.estimator_trmnt), ("control", m.estimator_ctrl)):
        print(f"    {arm}: intercept = {f(est.intercept_[0])}, coef = [{', '.join(f(c) for c in est.coef_[0])}]")
    print(f"    scores of test rows 0..3: [{', '.join(f(v) for v in s[:3])}]")

    m, secs = fit(ClassTransformation(converged()))
    report("ClassTransformation(LogisticRegression(solver='newton-cholesky', tol=1e-12))", m, secs)
    print(f"    intercept = {f(m.estimator.intercept_[0])}, coef = [{', '.join(f(c) for c in m.estimator.coef_[0])}]")

    # The same on the raw (unstandardised) columns, as a user might call it: lbfgs stops at
    # max_iter=100 before converging there, so its figure is the solver's, not the model's.
    raw = np.hstack([df[NUMERIC].astype(float).values] +
                    [np.column_stack([(df[c].values == v).astype(float) for v in sorted(set(df[c][train]))])
                     for c in CATEGORICAL])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = TwoModels(LogisticRegression(), LogisticRegression(), method="vanilla").fit(raw[train], ytr, ttr)
    s = m.predict(raw[test])
    print(f"  TwoModels(LogisticRegression()) on raw columns: qini_auc_score = {f(qini_auc_score(yte, s, tte))}")

    # Would a tree learner earn its place?
    for name, est in (
        ("GradientBoostingClassifier(max_depth=3, n_estimators=100)",
         lambda: GradientBoostingClassifier(max_depth=3, n_estimators=100, random_state=0)),
        ("RandomForestClassifier(n_estimators=200, min_samples_leaf=100)",
         lambda: RandomForestClassifier(n_estimators=200, min_samples_leaf=100, random_state=0, n_jobs=1)),
    ):
        m, secs = fit(TwoModels(est(), est(), method="vanilla"))
        report(f"TwoModels({name})", m, secs)
    print()


def main():
    # sklift calls sklearn's stable_cumsum, deprecated in sklearn 1.8 (same arithmetic).
    warnings.filterwarnings("ignore", category=FutureWarning)
    args = [a for a in sys.argv[1:]]
    write_csv = None
    if "--write-csv" in args:
        i = args.index("--write-csv")
        write_csv = args[i + 1]
        del args[i : i + 2]
    path = args[0] if args else "tests/data/hillstrom/hillstrom.csv.gz"
    print(f"scikit-uplift {sklift.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, pandas {pd.__version__}")
    print()
    tiny()
    medium()
    logistic()
    hillstrom(path, write_csv)


if __name__ == "__main__":
    main()
