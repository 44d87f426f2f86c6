#!/usr/bin/env python3
"""Train the peer library implicit (benfred/implicit 0.7.x, CPU) on a CSV split and report its
fit time and top-k ranking metrics, to set against mfrec.

This script does not build implicit: it imports it from the folder given by --implicit (prepended
to sys.path), e.g. a source tree built in place with `python3 setup.py build_ext --inplace`.

Usage:
  OPENBLAS_NUM_THREADS=1 python3 bench/compare_implicit.py --implicit PATH \
      --train train.csv --test test.csv [--val val.csv] [--model als|bpr|pop] [--factors 64] \
      [--iterations 15] [--regularization 0.01] [--alpha 1.0] [--learning_rate 0.01] \
      [--threads 2] [--k 10] [--protocol full|loo] [--negatives 100] [--seed 0] [--json]

Input: CSV files with the header `user,item,rating,timestamp` (timestamp may be empty); user and
item ids are external ids (strings or integers). Every (user, item) pair of train (+ val) is one
implicit interaction: the user x item CSR matrix holds the value `alpha` for each distinct pair
(implicit's convention: the matrix values are the confidences, so alpha = 1 is binary; note that
implicit's ALS uses the value itself as c_ui, not 1 + alpha * r). The rating column is ignored.

Internal indices: users and items are numbered in order of first appearance in train, then val.
Users or items that appear only in the test file are unknown to the model; their test rows are
skipped (and counted in the output).

Protocols (k = --k):
  full: for each user with at least one training interaction and at least one known test item
        not already in that user's training interactions, every item the user did not interact
        with in train + val is ranked; top k. HR@k = 1 if any hit, P@k = hits / k,
        R@k = hits / |relevant|, NDCG@k = DCG / IDCG, DCG = sum over hit ranks r (0-based) of
        1 / log2(r + 2), IDCG over min(k, |relevant|). Means over those users.
        Ties in score: the lower internal item index ranks first.
  loo:  each user's (single) test item is ranked against --negatives items drawn uniformly
        without replacement (numpy.random.default_rng(seed), users in ascending internal index)
        from the known items the user never interacted with (train, val and test);
        rank = number of negatives with score >= the test item's (ties count against it);
        HR@k = rank < k, NDCG@k = 1 / log2(rank + 2) if rank < k. Means over users.

Models: als (implicit.cpu.als.AlternatingLeastSquares), bpr
(implicit.cpu.bpr.BayesianPersonalizedRanking) and pop (items scored by the number of distinct
training users; the baseline).

Timing: fit_s is the wall time of model.fit; iter_s the sum of the per-iteration times implicit
passes to its fit callback (the iterations alone); s_per_iter = fit_s / iterations; for bpr
samples_per_s = nnz * iterations / fit_s (implicit's BPR draws one negative per positive per
iteration).
"""

import argparse
import json
import math
import os
import platform
import sys
import time

# implicit asks for a single-threaded BLAS (its own loops are OpenMP-parallel and call BLAS inside).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--implicit", required=True, help="folder holding the implicit package")
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--val", default=None, help="validation CSV, trained on with train")
    p.add_argument("--model", choices=["als", "bpr", "pop"], default="als")
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--iterations", type=int, default=15)
    p.add_argument("--regularization", type=float, default=0.01)
    p.add_argument("--alpha", type=float, default=1.0, help="matrix value for every interaction")
    p.add_argument("--learning_rate", type=float, default=0.01, help="bpr only")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--protocol", choices=["full", "loo"], default="full")
    p.add_argument("--negatives", type=int, default=100, help="loo only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="also print one JSON object")
    return p.parse_args()


def read_csv(path):
    df = pd.read_csv(path, usecols=["user", "item"])
    return df["user"].to_numpy(), df["item"].to_numpy()


def same_kind(arrays):
    """Integer ids stay integers when every file has integer ids; otherwise all become strings."""
    if all(np.issubdtype(a.dtype, np.integer) for a in arrays):
        return [a.astype(np.int64) for a in arrays]
    return [a.astype(str) for a in arrays]


def encode(ext_ids):
    """Map external ids to 0..n-1 in order of first appearance."""
    codes, uniques = pd.factorize(ext_ids, sort=False)
    return codes.astype(np.int64), uniques


def lookup(uniques, ext_ids):
    """Internal index of each external id, -1 when unknown."""
    return pd.Index(uniques).get_indexer(ext_ids).astype(np.int64)


def build_csr(u, i, n_users, n_items, value):
    m = sp.csr_matrix(
        (np.ones(len(u), dtype=np.float32), (u, i)), shape=(n_users, n_items), dtype=np.float32
    )
    m.sum_duplicates()
    m.data[:] = value  # distinct pairs, each with the same confidence
    m.sort_indices()
    return m


def topk_rows(scores, k):
    """Top k column indices per row: score descending, ties by lower column index."""
    b, n = scores.shape
    k = min(k, n)
    thr = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
    above = scores > thr[:, None]
    need = k - above.sum(axis=1)
    eq = scores == thr[:, None]
    take = above | (eq & (np.cumsum(eq, axis=1) <= need[:, None]))
    rows, cols = np.nonzero(take)  # row-major: exactly k per row, ascending column
    cols = cols.reshape(b, k)
    order = np.argsort(-np.take_along_axis(scores, cols, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)


def score_block(model_kind, uf, itf, pop, users):
    if model_kind == "pop":
        return np.broadcast_to(pop, (len(users), len(pop))).astype(np.float32)
    return uf[users] @ itf.T


def eval_full(model_kind, uf, itf, pop, train_csr, test_u, test_i, k, threads):
    n_users, n_items = train_csr.shape
    keep = (test_u >= 0) & (test_i >= 0)
    tu, ti = test_u[keep], test_i[keep]
    # drop test pairs already in the user's training interactions (they cannot be ranked)
    in_train = np.asarray(train_csr[tu, ti]).ravel() != 0
    dropped_seen = int(in_train.sum())
    tu, ti = tu[~in_train], ti[~in_train]
    test_csr = sp.csr_matrix(
        (np.ones(len(tu), dtype=np.float32), (tu, ti)), shape=(n_users, n_items)
    )
    test_csr.sum_duplicates()
    train_counts = np.diff(train_csr.indptr)
    test_counts = np.diff(test_csr.indptr)
    users = np.nonzero((test_counts > 0) & (train_counts > 0))[0]
    discount = 1.0 / np.log2(np.arange(k) + 2.0)
    idcg_cum = np.cumsum(discount)
    hr = p = r = nd = 0.0
    block = max(1, min(4096, int(2e7 // max(n_items, 1))))
    limits = _blas_limits(threads)
    with limits:
        for s in range(0, len(users), block):
            ub = users[s:s + block]
            sc = np.array(score_block(model_kind, uf, itf, pop, ub), dtype=np.float32)
            seen = train_csr[ub]
            sc[np.repeat(np.arange(len(ub)), np.diff(seen.indptr)), seen.indices] = -np.inf
            top = topk_rows(sc, k)
            rel = test_csr[ub]
            hits = np.zeros(top.shape, dtype=bool)
            for j in range(len(ub)):
                a, b = rel.indptr[j], rel.indptr[j + 1]
                hits[j] = np.isin(top[j], rel.indices[a:b])
            nrel = np.diff(rel.indptr)
            nh = hits.sum(axis=1)
            dcg = (hits * discount[: top.shape[1]]).sum(axis=1)
            idcg = idcg_cum[np.minimum(k, nrel) - 1]
            hr += float((nh > 0).sum())
            p += float((nh / k).sum())
            r += float((nh / nrel).sum())
            nd += float((dcg / idcg).sum())
    n = max(len(users), 1)
    return {
        "users_evaluated": int(len(users)),
        "test_rows": int(len(test_u)),
        "test_rows_unknown_skipped": int((~keep).sum()),
        "test_rows_in_train_skipped": dropped_seen,
        "hr": hr / n, "precision": p / n, "recall": r / n, "ndcg": nd / n,
    }


def eval_loo(model_kind, uf, itf, pop, train_csr, test_u, test_i, k, negatives, seed, threads):
    n_users, n_items = train_csr.shape
    keep = (test_u >= 0) & (test_i >= 0)
    tu, ti = test_u[keep], test_i[keep]
    order = np.argsort(tu, kind="stable")
    tu, ti = tu[order], ti[order]
    if len(tu) and np.any(np.diff(tu) == 0):
        raise SystemExit("loo: a user has more than one known test item")
    rng = np.random.default_rng(seed)
    hr = nd = 0.0
    ranks = []
    short = 0
    with _blas_limits(threads):
        for u, t in zip(tu, ti):
            a, b = train_csr.indptr[u], train_csr.indptr[u + 1]
            mask = np.ones(n_items, dtype=bool)
            mask[train_csr.indices[a:b]] = False
            mask[t] = False
            cand = np.flatnonzero(mask)
            m = min(negatives, len(cand))
            short += m < negatives
            neg = rng.choice(cand, size=m, replace=False)
            items = np.concatenate(([t], neg))
            if model_kind == "pop":
                s = pop[items]
            else:
                s = itf[items] @ uf[u]
            rank = int((s[1:] >= s[0]).sum())
            ranks.append(rank)
            if rank < k:
                hr += 1.0
                nd += 1.0 / math.log2(rank + 2)
    n = max(len(tu), 1)
    return {
        "users_evaluated": int(len(tu)),
        "test_rows": int(len(test_u)),
        "test_rows_unknown_skipped": int((~keep).sum()),
        "users_with_fewer_negatives": int(short),
        "mean_rank": float(np.mean(ranks)) if ranks else None,
        "hr": hr / n, "ndcg": nd / n,
    }


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _blas_limits(threads):
    """Scoring (a plain GEMM, outside implicit) may use the BLAS with --threads threads."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=threads, user_api="blas")
    except Exception:  # pragma: no cover
        return _Null()


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {key: d.get(key) for key in ("internal_api", "version", "num_threads", "architecture",
                                          "threading_layer", "filepath")}
            for d in threadpool_info()
        ]
    except Exception:  # pragma: no cover
        return []


def main():
    args = parse_args()
    sys.path.insert(0, os.path.abspath(args.implicit))
    import implicit  # noqa: E402

    t0 = time.perf_counter()
    files = [read_csv(args.train)] + ([read_csv(args.val)] if args.val else [])
    test_users, test_items = read_csv(args.test)
    us = same_kind([f[0] for f in files] + [test_users])
    its = same_kind([f[1] for f in files] + [test_items])
    tr_u_ext = np.concatenate(us[:-1])
    tr_i_ext = np.concatenate(its[:-1])
    tr_u, user_ids = encode(tr_u_ext)
    tr_i, item_ids = encode(tr_i_ext)
    n_users, n_items = len(user_ids), len(item_ids)
    train_csr = build_csr(tr_u, tr_i, n_users, n_items, args.alpha)
    te_u = lookup(user_ids, us[-1])
    te_i = lookup(item_ids, its[-1])
    load_s = time.perf_counter() - t0

    iter_times = []
    fit_s = 0.0
    uf = itf = None
    pop = np.bincount(train_csr.indices, minlength=n_items).astype(np.float32)
    model_info = {}
    if args.model == "als":
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=args.factors, regularization=args.regularization, alpha=1.0,
            iterations=args.iterations, num_threads=args.threads, random_state=args.seed,
            calculate_training_loss=False,
        )
        model_info = {"use_cg": model.use_cg, "use_native": model.use_native,
                      "cg_steps": model.cg_steps, "dtype": str(np.dtype(model.dtype))}
        # alpha is already in the matrix values (implicit's own alpha would multiply them again)
        cb = lambda it, elapsed, *rest: iter_times.append(elapsed)  # noqa: E731
        t1 = time.perf_counter()
        model.fit(train_csr, show_progress=False, callback=cb)
        fit_s = time.perf_counter() - t1
        uf, itf = model.user_factors, model.item_factors
    elif args.model == "bpr":
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        model = BayesianPersonalizedRanking(
            factors=args.factors, learning_rate=args.learning_rate,
            regularization=args.regularization, iterations=args.iterations,
            num_threads=args.threads, random_state=args.seed,
        )
        model_info = {"verify_negative_samples": model.verify_negative_samples,
                      "dtype": str(np.dtype(model.dtype))}
        cb = lambda it, elapsed, *rest: iter_times.append(elapsed)  # noqa: E731
        t1 = time.perf_counter()
        model.fit(train_csr, show_progress=False, callback=cb)
        fit_s = time.perf_counter() - t1
        uf, itf = model.user_factors, model.item_factors  # last column: item bias (user side 1)

    t2 = time.perf_counter()
    if args.protocol == "full":
        metrics = eval_full(args.model, uf, itf, pop, train_csr, te_u, te_i, args.k, args.threads)
    else:
        metrics = eval_loo(args.model, uf, itf, pop, train_csr, te_u, te_i, args.k,
                           args.negatives, args.seed, args.threads)
    eval_s = time.perf_counter() - t2

    iters = args.iterations if args.model != "pop" else 0
    out = {
        "tool": "implicit", "implicit_version": getattr(implicit, "__version__", None),
        "options": {key: v for key, v in vars(args).items() if key != "implicit"},
        "data": {"users": n_users, "items": n_items, "nnz": int(train_csr.nnz),
                 "load_s": round(load_s, 4)},
        "model_info": model_info,
        "fit_s": fit_s if iters else None,
        "iter_s": float(sum(iter_times)) if iter_times else None,
        "s_per_iter": fit_s / iters if iters else None,
        "iter_s_min": float(min(iter_times)) if iter_times else None,
        "samples_per_s": (train_csr.nnz * iters / fit_s) if args.model == "bpr" else None,
        "eval_s": eval_s,
        "k": args.k, "protocol": args.protocol,
        "metrics": metrics,
        "tie_rule": "equal scores: lower internal item index first (full); "
                    "negatives with equal score count against the test item (loo)",
        "env": {"OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
                "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
                "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
                "python": platform.python_version(), "numpy": np.__version__,
                "blas": blas_info()},
    }

    k = args.k
    m = metrics
    parts = [f"implicit {out['implicit_version']} {args.model}"]
    if iters:
        parts.append(f"f={args.factors} it={iters} reg={args.regularization} alpha={args.alpha}"
                     + (f" lr={args.learning_rate}" if args.model == "bpr" else "")
                     + f" threads={args.threads}")
        parts.append(f"fit {fit_s:.3f}s ({fit_s / iters * 1000:.1f} ms/iter"
                     + (f", iterations alone {out['iter_s']:.3f}s" if iter_times else "") + ")")
        if args.model == "bpr":
            parts.append(f"{out['samples_per_s'] / 1e6:.2f}M samples/s")
    parts.append(f"users={n_users} items={n_items} nnz={train_csr.nnz}")
    if args.protocol == "full":
        parts.append(f"full: HR@{k} {m['hr']:.4f} P@{k} {m['precision']:.4f} "
                     f"R@{k} {m['recall']:.4f} NDCG@{k} {m['ndcg']:.4f} "
                     f"over {m['users_evaluated']} users")
    else:
        parts.append(f"loo({args.negatives} neg): HR@{k} {m['hr']:.4f} NDCG@{k} {m['ndcg']:.4f} "
                     f"over {m['users_evaluated']} users")
    print(" | ".join(parts), flush=True)
    if args.json:
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
