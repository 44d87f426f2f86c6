#!/usr/bin/env python3
"""The communication model of distributed als/ials (BENCHMARKS.md, "Distributed training").

Rows are owned by a hash of their id, so a rank holds each rating of a row j (n_j training ratings)
with probability 1/N. In the users' half-sweep a rank needs item i when one of i's ratings is among
its own, and receives it when another rank owns it:
    received per rank = 4 w sum_i (1 - (1 - 1/N)^n_i) (N - 1) / N    (bytes; w = k + 1 for als, k for ials)
and the items' half-sweep likewise over the users. Sent equals received on average.

  mpi_traffic_model.py check TRAIN_CSV K W RANKS...   the model on a training part (`mfrec split`
                                                      writes train.csv), to set beside what was measured
  mpi_traffic_model.py paper                          100M and 1B ratings on 8..64 nodes at 10 and 25 Gb/s
"""
import csv
import sys
from collections import Counter


def needed(counts, n):
    return sum(1 - (1 - 1 / n) ** c for c in counts) * (n - 1) / n


def per_rank_bytes(user_counts, item_counts, n, w):
    return 4 * w * (needed(item_counts, n) + needed(user_counts, n))


def check(path, k, w, ranks):
    users, items = Counter(), Counter()
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for r in rows:
            users[r[0]] += 1
            items[r[1]] += 1
    print(f"{path}: {sum(users.values())} ratings, {len(users)} users, {len(items)} items, k {k}, row {w} floats")
    for n in ranks:
        b = per_rank_bytes(users.values(), items.values(), n, w)
        print(f"  {n} ranks: {b / 1e6:.2f} MB received per rank per epoch, {n * b / 1e6:.2f} MB all ranks")


def paper():
    # Shapes: Netflix (480,189 users, 17,770 items, 100.5M ratings); a 1B set with 20M users and 2M
    # items (50 ratings a user). Every row at its mean count: an upper bound, as 1 - (1 - p)^n is
    # concave in n (a long tail needs fewer rows).
    # Compute: a sweep at this machine's one-core als rate (BENCHMARKS.md, "ALS and MCMC": 8.9M
    # ratings/s at k 32, 1.17M at k 128), 32 such cores a node.
    sets = [("100M (Netflix)", 480189, 17770, 100.5e6), ("1B", 20e6, 2e6, 1e9)]
    rate, cores = {32: 8.9e6, 128: 1.17e6}, 32
    for name, n_users, n_items, nnz in sets:
        for k in (32, 128):
            w = k + 1
            print(f"{name}, als k {k}:")
            for n in (8, 16, 32, 64):
                per_user, per_item = nnz / n_users, nnz / n_items
                b = 4 * w * (n_items * (1 - (1 - 1 / n) ** per_item) + n_users * (1 - (1 - 1 / n) ** per_user)) * (n - 1) / n
                # A node sends about what it receives; the all-to-all is bound by one NIC each way.
                t10, t25 = b / (10e9 / 8), b / (25e9 / 8)
                compute = nnz / (n * cores * rate[k])
                print(f"  {n:2d} nodes: {b / 1e9:7.3f} GB per node per sweep, {t10:7.2f} s at 10 Gb/s, {t25:6.2f} s at 25 Gb/s,"
                      f" compute {compute:6.2f} s")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "paper":
        paper()
    elif len(sys.argv) >= 6 and sys.argv[1] == "check":
        check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), [int(x) for x in sys.argv[5:]])
    else:
        print(__doc__)
        sys.exit(2)
