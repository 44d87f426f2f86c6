#!/usr/bin/env python3
"""Train, evaluate and recommend from Python, then plot the learning curve (matplotlib, if installed).

    PYTHONPATH=build/python /usr/bin/python3 examples/python_quickstart.py [DATA_PATH]

DATA_PATH is any --data_path the CLI reads (an ml-1m folder, ratings.dat, a CSV, a .zip); without
one, a MovieLens-1M-shaped set is generated first with `mfrec synth` (MovieLens may not be
redistributed).
"""
import os
import subprocess
import sys
import tempfile

import mfrec

path = sys.argv[1] if len(sys.argv) > 1 else None
if path is None:
    path = os.path.join(tempfile.gettempdir(), "mfrec-example-data")
    if not os.path.exists(os.path.join(path, "ratings.dat")):
        binary = os.environ.get("MFREC_BIN", "build/mfrec")
        subprocess.run([binary, "synth", "--out", path, "--users", "2000", "--items", "1500", "--ratings", "200000"],
                       check=True)

data = mfrec.load(path)
print(data)
train, val, test = mfrec.split(data, "temporal", test_ratio=0.2, val_ratio=0.1)

# A rating model (the recipe's Adam, fewer epochs) and a top-N model (implicit ALS).
rating = mfrec.MF(optimizer="adam", epochs=20).fit(train, val=val)
print("adam: test RMSE %.4f" % rating.evaluate(test)["rmse"])
topn = mfrec.MF(optimizer="ials", dim=64, epochs=10, alpha=64, reg=80, unobserved_weight=4).fit(train, val=val)
m = topn.evaluate(test, k=10)
print("ials: HR@10 %.3f  NDCG@10 %.3f  Recall@10 %.3f" % (m["hr"], m["ndcg"], m["recall"]))

user = topn.user_ids[0]
ids, scores = topn.recommend(user, N=5)
print(f"top 5 for user {user}:")
for item, title, score in zip(ids, topn.titles(ids), scores):
    print(f"  {item!s:>8}  {score:6.3f}  {title}")
ids, _ = topn.recommend_new({ids[0]: 5, ids[1]: 4}, N=5)
print("for a new user who liked the first two:", list(ids))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    h = rating.history
    plt.plot([e["epoch"] for e in h], [e["train_rmse"] for e in h], label="train RMSE")
    plt.plot([e["epoch"] for e in h], [e["val_rmse"] for e in h], label="validation RMSE")
    plt.xlabel("epoch")
    plt.legend()
    plt.savefig("learning_curve.png")
    print("wrote learning_curve.png")
except ImportError:
    print("(matplotlib is not installed: no plot)")
