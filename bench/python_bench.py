#!/usr/bin/env python3
"""The Python package beside the CLI, in one run: the recipe's training time from Python and from
`mfrec train` (same data, split, options and threads), recommend for one user, a batch of every
user, predict for 1M pairs.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_bench.py DATA_PATH [EPOCHS] [REPEATS]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import mfrec

data_path = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 100
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
binary = os.environ.get("MFREC_BIN", "build/mfrec")
threads = 2

cli_loop, py_loop = [], []
for _ in range(repeats):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "train", "--data_path", data_path, "--epochs", str(epochs), "--threads", str(threads),
                        "--output", out, "--quiet"], check=True, stdout=subprocess.DEVNULL)
        cli_loop.append(json.load(open(os.path.join(out, "metrics.json")))["loop_seconds"])
    data = mfrec.load(data_path)
    train, val, test = mfrec.split(data, "temporal")
    m = mfrec.MF(epochs=epochs, threads=threads)
    t0 = time.perf_counter()
    m.fit(train, val=val)
    py_fit = time.perf_counter() - t0
    py_loop.append(py_fit)
print(f"recipe, {epochs} epochs, {threads} threads: CLI epoch loop {min(cli_loop):.3f} s (best of {repeats}), "
      f"Python fit() {min(py_loop):.3f} s: {min(py_loop) / min(cli_loop):.3f}x")
print(f"test RMSE from Python {m.evaluate(test)['rmse']:.4f}")

users = m.user_ids
n = 2000
some = [int(u) for u in users[:n]] if users.dtype.kind == "i" else list(users[:n])
t0, c0 = time.perf_counter(), time.process_time()
for k in range(n):
    m.recommend(some[k % len(some)], N=10)
one, cpu = (time.perf_counter() - t0) / n, (time.process_time() - c0) / n
print(f"recommend one user, N=10: {one * 1e6:.1f} us per call wall, {cpu * 1e6:.1f} us CPU ({n} calls)")
t0 = time.perf_counter()
ids, scores = m.recommend(users, N=10)
print(f"recommend every user ({len(users)}), N=10: {time.perf_counter() - t0:.3f} s")
rng = np.random.default_rng(0)
u = users[rng.integers(0, len(users), 1_000_000)]
i = m.item_ids[rng.integers(0, len(m.item_ids), 1_000_000)]
t0 = time.perf_counter()
m.predict(u, i)
print(f"predict 1M pairs: {time.perf_counter() - t0:.3f} s")
