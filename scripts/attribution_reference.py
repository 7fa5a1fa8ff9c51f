#!/usr/bin/env python3
"""Reference figures for trellis-attribution (crates/trellis-attribution/tests/it/reference.rs).

Writes a random path table (200 paths over channels A-E, numpy seed 17) to
crates/trellis-attribution/tests/data/random_paths.csv and prints, per model, each channel's
credited conversions and value, computed independently of the Rust code:

* position models with exact fractions;
* Markov: the first-order chain (consecutive repeats merged, transitions weighted by
  conversions + non_conversions), P(conv) from numpy.linalg.solve on (I - Q) x = r, removal
  effects with each channel's inbound transitions sent to null;
* Shapley: the full Shapley value of v(S) = conversions of the paths whose channels lie in S,
  by brute force over all 5! orders (itertools.permutations), next to the simplified formula.

Value credits: rounded down to cents, the cents left over to the largest remainders (compared to
six places beyond the cent), ties by channel name (docs/attribution.md).

Run: python3 scripts/attribution_reference.py
"""
from fractions import Fraction as F
from decimal import Decimal
from itertools import permutations
from pathlib import Path
import numpy as np

CHANNELS = ["A", "B", "C", "D", "E"]
OUT = Path(__file__).resolve().parent.parent / "crates/trellis-attribution/tests/data/random_paths.csv"


def make_table():
    rng = np.random.default_rng(17)
    rows = []
    for _ in range(200):
        n = int(rng.integers(1, 7))
        # Channel popularity differs, so the models disagree.
        path = list(rng.choice(CHANNELS, size=n, p=[0.35, 0.25, 0.2, 0.12, 0.08]))
        conv = int(rng.integers(0, 4)) * int(rng.integers(0, 6))
        non = int(rng.integers(0, 40))
        value = Decimal(int(rng.integers(100, 20000))) / 100 * conv if conv else Decimal(0)
        rows.append((path, conv, non, value))
    return rows


def position_shares(model, n):
    if model == "first":
        return [F(int(i == 0)) for i in range(n)]
    if model == "last":
        return [F(int(i == n - 1)) for i in range(n)]
    if model == "linear":
        return [F(1, n)] * n
    if model == "u_shaped":
        if n == 1:
            return [F(1)]
        if n == 2:
            return [F(1, 2)] * 2
        return [F(2, 5)] + [F(1, 5 * (n - 2))] * (n - 2) + [F(2, 5)]
    if model == "time_decay":
        w = [F(1, 2 ** (n - 1 - i)) for i in range(n)]
        return [x / sum(w) for x in w]
    raise ValueError(model)


def allocate(total, raw):
    """raw: {channel: Fraction}; total: Decimal (cents)."""
    unit = Decimal("0.01")
    floor = {}
    for c, r in raw.items():  # rounded down to the cent, exactly
        cents = (r * 100).numerator // (r * 100).denominator
        floor[c] = Decimal(cents) / 100
    left = int((total - sum(floor.values())) / unit)
    rem = {c: round(float(raw[c] - F(str(floor[c]))) * 100, 6) for c in raw}
    order = sorted(raw, key=lambda c: (-rem[c], c))
    for c in order[:left]:
        floor[c] += unit
    assert sum(floor.values()) == total
    return floor


def markov(rows):
    states = ["start"] + CHANNELS
    idx = {s: i for i, s in enumerate(states)}
    n = len(states)
    to = np.zeros((n, n))
    conv = np.zeros(n)
    null = np.zeros(n)
    for path, c, nc, _ in rows:
        w = c + nc
        if w == 0:
            continue
        prev = 0
        for ch in path:
            j = idx[ch]
            if j != prev:
                to[prev, j] += w
                prev = j
        conv[prev] += c
        null[prev] += nc
    total = to.sum(axis=1) + conv + null

    def p_conv(removed=None):
        a = np.eye(n)
        b = np.zeros(n)
        for i in range(n):
            if i == removed or total[i] == 0:
                continue
            a[i] -= to[i] / total[i]
            b[i] = conv[i] / total[i]
        return np.linalg.solve(a, b)[0]

    p = p_conv()
    re = {ch: max(0.0, 1 - float(p_conv(idx[ch]) / p)) for ch in CHANNELS}
    return float(p), {ch: float(p_conv(idx[ch])) for ch in CHANNELS}, re


def shapley_full(rows):
    sets = [(frozenset(path), c) for path, c, _, _ in rows]

    def v(s):
        return sum(c for t, c in sets if t <= s)

    phi = {ch: F(0) for ch in CHANNELS}
    orders = list(permutations(CHANNELS))
    for o in orders:
        s = frozenset()
        for ch in o:
            phi[ch] += v(s | {ch}) - v(s)
            s = s | {ch}
    return {ch: phi[ch] / len(orders) for ch in CHANNELS}


def main():
    rows = make_table()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w") as f:
        f.write("path,conversions,non_conversions,value\n")
        for path, c, nc, v in rows:
            f.write(f"{'>'.join(path)},{c},{nc},{v}\n")
    total_conv = sum(r[1] for r in rows)
    total_value = sum(r[3] for r in rows)
    print(f"paths {len(rows)}, conversions {total_conv}, value {total_value}")

    for model in ["first", "last", "linear", "u_shaped", "time_decay"]:
        conv = {ch: F(0) for ch in CHANNELS}
        val = {ch: F(0) for ch in CHANNELS}
        for path, c, _, v in rows:
            for ch, s in zip(path, position_shares(model, len(path))):
                conv[ch] += c * s
                val[ch] += F(str(v)) * s
        assert sum(conv.values()) == total_conv
        values = allocate(total_value, val)
        print(model, [float(conv[ch]) for ch in CHANNELS], [format(values[ch].normalize(), "f") for ch in CHANNELS])

    p, without, re = markov(rows)
    s = sum(re.values())
    share = {ch: re[ch] / s for ch in CHANNELS}
    values = allocate(total_value, {ch: F(str(total_value)) * F(share[ch]) for ch in CHANNELS})
    print("markov P(conv)", repr(p), "without", [repr(without[ch]) for ch in CHANNELS])
    print("markov removal_effect", [repr(re[ch]) for ch in CHANNELS])
    print("markov", [repr(total_conv * share[ch]) for ch in CHANNELS], [format(values[ch].normalize(), "f") for ch in CHANNELS])

    phi = shapley_full(rows)
    simplified = {ch: F(0) for ch in CHANNELS}
    for path, c, _, _ in rows:
        for ch in set(path):
            simplified[ch] += F(c, len(set(path)))
    assert phi == simplified, (phi, simplified)
    values = allocate(total_value, {ch: F(str(total_value)) * phi[ch] / total_conv for ch in CHANNELS})
    print("shapley", [float(phi[ch]) for ch in CHANNELS], [format(values[ch].normalize(), "f") for ch in CHANNELS])


if __name__ == "__main__":
    main()
