"""mfrec: matrix-factorization recommenders (rating models and implicit-feedback models) in C++.

Quick start::

    import mfrec
    data = mfrec.load("ml-1m")                        # any --data_path the CLI reads
    train, val, test = mfrec.split(data, "temporal")
    model = mfrec.MF(optimizer="ials", dim=64, epochs=15, alpha=64)
    model.fit(train, val=val)
    print(model.evaluate(test))                       # HR, NDCG, precision, recall at 10
    ids, scores = model.recommend(1, N=10)

Ids are the data's own (int or str); numpy arrays come back. Bad data raises DataError (a
ValueError) naming the file or row, a bad option ValueError naming it, an unknown id KeyError.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from . import _core
from ._core import DataError

__all__ = ["Dataset", "MF", "DataError", "load", "split", "load_model", "cross_validate", "engines"]
__version__ = "0.1.0"


class Dataset:
    """Ratings or interactions with their ids: a whole data set, or one part of a split of it.

    Make one with :func:`load` (a path), :meth:`from_pandas`, :meth:`from_arrays` or
    :meth:`from_csr`. The parts :func:`split` returns share the whole set's ids.
    """

    __slots__ = ("_data",)

    def __init__(self, data: _core.Data):
        self._data = data

    @staticmethod
    def from_arrays(users, items, ratings=None, timestamps=None, name: str = "arrays") -> "Dataset":
        """One entry per rating: user ids, item ids (int or str), ratings (None: every pair
        counts 1, as interactions) and optional integer timestamps (seconds). A repeated
        (user, item) pair keeps its last rating, as when a file is read."""
        return Dataset(_core.from_arrays(_column(users), _column(items), _numbers(ratings, np.float32),
                                         _times(timestamps), name))

    @staticmethod
    def from_pandas(df, user: str = "userId", item: str = "movieId", rating: str | None = "rating",
                    timestamp: str | None = "timestamp") -> "Dataset":
        """A data frame's columns (MovieLens CSV names by default); `rating` or `timestamp` may be
        None, or name a column the frame lacks, to go without. datetime64 timestamps are taken
        as seconds."""
        for name in (user, item):
            if name not in df.columns:
                raise ValueError(f"the data frame has no column {name!r} (columns: {', '.join(map(str, df.columns))})")
        r = df[rating].to_numpy() if rating is not None and rating in df.columns else None
        t = df[timestamp] if timestamp is not None and timestamp in df.columns else None
        if t is not None and np.issubdtype(t.dtype, np.datetime64):
            t = t.astype("int64") // 10**9
        return Dataset(_core.from_arrays(_column(df[user].to_numpy()), _column(df[item].to_numpy()),
                                         _numbers(r, np.float32), _times(None if t is None else t.to_numpy()),
                                         "the data frame"))

    @staticmethod
    def from_csr(matrix, user_ids=None, item_ids=None) -> "Dataset":
        """A scipy.sparse user x item matrix (implicit's convention): row and column numbers are
        the ids unless `user_ids` / `item_ids` give them; the values are the ratings or counts
        (explicit zeros are no interaction)."""
        csr = matrix.tocsr()
        if user_ids is None and item_ids is None:
            return Dataset(_core.from_csr(csr.indptr, csr.indices, csr.data, csr.shape[1]))
        coo = csr.tocoo()
        users = np.asarray(user_ids)[coo.row] if user_ids is not None else coo.row
        items = np.asarray(item_ids)[coo.col] if item_ids is not None else coo.col
        keep = coo.data != 0
        return Dataset.from_arrays(users[keep], items[keep], coo.data[keep], name="the CSR matrix")

    def __len__(self) -> int:
        return len(self._data)

    @property
    def n_users(self) -> int:
        """Users in the whole data set (all parts of a split share them)."""
        return self._data.n_users

    @property
    def n_items(self) -> int:
        return self._data.n_items

    @property
    def role(self) -> str:
        """'all' for a whole data set, else the part of a split: 'train', 'val' or 'test'."""
        return self._data.role

    def to_arrays(self) -> dict:
        """The ratings as arrays: 'user', 'item' (the ids), 'rating' and 'timestamp' if any."""
        return self._data.columns()

    def to_pandas(self):
        import pandas as pd
        return pd.DataFrame(self.to_arrays())

    def __repr__(self) -> str:
        part = "" if self.role == "all" else f" ({self.role} part of a {self._data.split_kind} split)"
        return (f"<mfrec.Dataset{part}: {len(self):,} ratings, {self.n_users:,} users, {self.n_items:,} items, "
                f"from {self._data.source}>")


def load(path: str, format: str = "", sep: str = "", header: bool | None = None, rating_min: float | None = None,
         rating_max: float | None = None, min_rating: float | None = None) -> Dataset:
    """Reads ratings as the CLI's --data_path does: an ml-1m / ml-100k / MovieLens CSV folder or a
    ratings file (zip and gz included); `format` and `sep` as --format and --sep for other
    layouts; `min_rating` keeps only ratings >= it (interactions from ratings, e.g. 4)."""
    return Dataset(_core.load(str(path), format, sep, header, rating_min, rating_max, min_rating))


def split(data: Dataset, kind: str = "temporal", test_ratio: float = 0.2, val_ratio: float = 0.1,
          val_split: str = "random", seed: int = 0, folds: int = 5, fold: int = 0):
    """(train, val, test) as the CLI's --split does: temporal (each user's latest test_ratio),
    fileorder, random, kfold (fold `fold` of `folds`, counted from 0), loo (each user's latest
    interaction), users (held-out users). Validation is val_ratio of train, at random or
    (val_split="temporal") each user's latest."""
    return tuple(Dataset(p) for p in _core.split(data._data, kind, test_ratio, val_ratio, val_split, seed, folds, fold))


def engines() -> list[str]:
    """The optimizers (engines) this build offers."""
    return _core.engines()


class MF:
    """A matrix-factorization model. Every train option of the CLI is a keyword, with its name
    and default (`mfrec train --help` describes each):

    optimizer: adam | sgd | als | mcmc | ials | bpr | ease | popularity (see mfrec.engines())
    model: biased | plain; dim, lr, batch_size, epochs, reg, reg_bias (None: reg), init_std,
    beta1, beta2, eps, patience (0: never stop early), keep (best | last), threads (0: automatic),
    seed, precision (fp32 | bf16 | fp16), device (cpu | cuda), blocks, burn_in, noise_precision,
    schedule, alpha, confidence (binary | linear | log), unobserved_weight, reg_exponent, recency,
    solver (cg | cholesky), cg_steps, sampling (uniform | popularity), memory_budget_mb.
    """

    def __init__(self, optimizer: str = "adam", model: str = "biased", dim: int = 32, lr: float = 0.001,
                 batch_size: int = 512, epochs: int = 100, reg: float = 1e-4, reg_bias: float | None = None,
                 init_std: float = 0.05, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-7,
                 patience: int = 0, keep: str = "best", threads: int = 0, seed: int = 0, precision: str = "fp32",
                 device: str = "cpu", blocks: int = 0, burn_in: int = 50, noise_precision: float = 0.0,
                 schedule: str = "blocks", alpha: float = 1.0, confidence: str = "binary",
                 unobserved_weight: float = 1.0, reg_exponent: float = 0.0, recency: float = 0.0, solver: str = "cg",
                 cg_steps: int = 3, sampling: str = "uniform", memory_budget_mb: float = 8192.0):
        options = dict(locals())
        del options["self"]
        self._options = options
        self._m = _core.Model(options)

    @classmethod
    def _wrap(cls, core: _core.Model) -> "MF":
        self = cls.__new__(cls)
        self._options = dict(core.options)
        self._m = core
        return self

    # Training ---------------------------------------------------------------------------------
    def fit(self, train: Dataset, val: Dataset | None = None, show_progress: bool = False,
            callback: Callable[[dict], bool | None] | None = None, resume: bool = False) -> "MF":
        """Trains on `train`, keeping the best epoch by `val` (RMSE for rating engines, NDCG@10 for
        ranking engines) and stopping early after `patience` epochs without a better one.
        `callback(stats)` is called after every epoch with a dict (epoch, loss, train_rmse, val_rmse,
        val_ndcg, seconds, samples_per_second); returning False stops training. The GIL is released
        while training; Ctrl-C stops cleanly (the model keeps its best epoch so far) and then raises
        KeyboardInterrupt. `resume` continues from this model's parameters."""
        if not isinstance(train, Dataset):
            raise TypeError("train must be an mfrec.Dataset (mfrec.load, Dataset.from_pandas, ...)")
        epochs = self._options.get("epochs", 0)

        def on_epoch(stats: dict):
            if show_progress:
                metric = (f"val_ndcg@10 {stats['val_ndcg']:.4f}" if stats["val_ndcg"] == stats["val_ndcg"]
                          else f"val_rmse {stats['val_rmse']:.4f}" if stats["val_rmse"] == stats["val_rmse"] else "")
                print(f"epoch {stats['epoch']}/{epochs} loss {stats['loss']:.4f} {metric} {stats['seconds']:.3f}s",
                      file=sys.stderr, flush=True)
            return True if callback is None else callback(stats)

        self._m.fit(train._data, None if val is None else val._data, on_epoch, resume)
        return self

    # Using the model --------------------------------------------------------------------------
    def predict(self, users, items, allow_unknown: bool = False) -> np.ndarray:
        """Scores of (user, item) pairs, as numpy float32: ratings clipped to the data's range for
        a rating model, ranking scores for a ranking model. An unknown id raises KeyError unless
        allow_unknown, which gives the documented fallback (the user's or global mean)."""
        return self._m.predict(_ids(users), _ids(items), allow_unknown)

    def recommend(self, user, N: int = 10, filter_already_liked_items: bool = True, filter_items=None):
        """(ids, scores) of the N best items for a user (what the user rated in training left out
        unless filter_already_liked_items=False; `filter_items` left out too). For an array of
        users, 2-D arrays (one row per user; a short list is padded with -1 or None and NaN)."""
        if isinstance(user, (int, str, np.integer)) or np.ndim(user) == 0:
            return self._m.recommend(user, N, filter_already_liked_items,
                                     None if filter_items is None else _ids(filter_items))
        if filter_items is not None:
            raise ValueError("filter_items goes with one user; for many users, filter the lists afterwards")
        return self._m.recommend_batch(_ids(user), N, filter_already_liked_items)

    def recommend_new(self, ratings: Mapping[Any, float], N: int = 10):
        """(ids, scores) for a user who is not in the model, from a few {item: rating} (fold-in,
        like implicit's recalculate_user), the given items left out."""
        return self._m.recommend_new(dict(ratings), N)

    def similar_items(self, item, N: int = 10, min_count: int = 20):
        """(ids, cosine) of the N items closest to `item` in factor space; items with fewer than
        min_count training ratings are left out (lowered for small catalogues)."""
        return self._m.similar_items(item, N, min_count)

    def similar_users(self, user, N: int = 10):
        return self._m.similar_users(user, N)

    def evaluate(self, test: Dataset, k: int = 10, protocol: str | None = None, negatives: int = 100,
                 seed: int = 0) -> dict:
        """Figures on a test part: rmse and mae (NaN for ranking models) and the ranking metrics at
        k (hr, ndcg, precision, recall, map, coverage; recall20, recall50, ndcg100 for held-out
        users). `protocol`: full (rank every item the user did not rate in training), sampled (1 vs
        `negatives`), users (held-out users folded in); default, the one the split calls for."""
        return self._m.evaluate(test._data, k, protocol, negatives, seed)

    def save(self, path: str) -> None:
        """Writes the checkpoint (atomically); `mfrec serve --model PATH` and every CLI command read it."""
        self._m.save(str(path))

    def export(self, directory: str) -> list[str]:
        """The factors and biases as .npy files and the ids as CSV (as `mfrec export`)."""
        return self._m.export(str(directory))

    # What the model holds ---------------------------------------------------------------------
    user_factors = property(lambda self: self._m.user_factors, doc="users x dim, read-only, no copy (bf16: a float32 copy)")
    item_factors = property(lambda self: self._m.item_factors, doc="items x dim, read-only, no copy (bf16: a float32 copy)")
    user_bias = property(lambda self: self._m.user_bias, doc="read-only, no copy")
    item_bias = property(lambda self: self._m.item_bias, doc="read-only, no copy")
    user_mean = property(lambda self: self._m.user_mean, doc="each user's mean training rating, read-only")
    user_ids = property(lambda self: self._m.user_ids, doc="row r of user_factors is user_ids[r]")
    item_ids = property(lambda self: self._m.item_ids, doc="row r of item_factors is item_ids[r]")
    history = property(lambda self: self._m.history, doc="per-epoch figures of the last fit (dicts)")
    result = property(lambda self: self._m.result, doc="best epoch, whether it stopped early, val and test figures")
    info = property(lambda self: self._m.info, doc="kind, objective, dim, sizes and the checkpoint's metadata")
    options = property(lambda self: dict(self._options), doc="the train options")
    fitted = property(lambda self: self._m.fitted)

    def titles(self, items) -> list[str]:
        return self._m.titles(_ids(items))

    def __getstate__(self):
        return {"options": self._options, "model": self._m.to_bytes() if self._m.fitted else None}

    def __setstate__(self, state):
        self._options = state["options"]
        self._m = _core.Model.from_bytes(state["model"]) if state["model"] is not None else _core.Model(self._options)

    def __repr__(self) -> str:
        o = self._options
        what = f"optimizer={o.get('optimizer')!r}, dim={o.get('dim')}, epochs={o.get('epochs')}"
        if not self._m.fitted:
            return f"mfrec.MF({what}; not fitted)"
        i = self._m.info
        return (f"mfrec.MF({what}; fitted: {i['n_users']:,} users x {i['n_items']:,} items, {i['kind']}, "
                f"{i['objective']} model, {i['precision']})")


def load_model(path: str) -> MF:
    """A model saved by MF.save or by `mfrec train` (model.mfrec)."""
    return MF._wrap(_core.Model.load(str(path)))


def cross_validate(model: MF, data: Dataset, folds: int = 5, seed: int = 0, k: int = 10) -> dict:
    """Trains a fresh model with `model`'s options on each of `folds` folds of `data` and
    evaluates it on the held-out fold (as Surprise's cross_validate): per-fold figures and the
    mean and standard deviation of rmse, mae and NDCG@k."""
    return _core.cross_validate(model.options, data._data, folds, seed, k)


# Conversions ----------------------------------------------------------------------------------
def _column(values):
    a = np.asarray(values)
    if a.dtype.kind in "iu":
        return a
    if a.size == 0:
        return []
    return list(a.tolist()) if a.dtype.kind in "OU" else a


def _numbers(values, dtype):
    return None if values is None else np.asarray(values, dtype=dtype)


def _times(values):
    if values is None:
        return None
    a = np.asarray(values)
    if np.issubdtype(a.dtype, np.datetime64):
        a = a.astype("datetime64[s]").astype(np.int64)
    return a.astype(np.int64)


def _ids(values) -> list:
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        raise TypeError("expected a sequence of ids")
    a = np.asarray(values)
    return a.tolist() if a.dtype.kind in "iuOU" else list(values)
