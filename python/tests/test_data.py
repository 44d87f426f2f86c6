"""Data in: paths, numpy, pandas, CSR, string ids; splits; errors with file and row."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse

import mfrec


def test_load_a_folder_like_the_cli(synth_dir):
    data = mfrec.load(synth_dir)
    assert len(data) == 16000
    assert data.n_users == 400 and data.n_items <= 300
    assert "400 users" in repr(data)
    cols = data.to_arrays()
    assert cols["user"].dtype == np.int64 and len(cols["rating"]) == 16000 and "timestamp" in cols


def test_split_parts_share_ids_and_cover_the_data(synth_dir):
    data = mfrec.load(synth_dir)
    train, val, test = mfrec.split(data, "temporal", test_ratio=0.2, val_ratio=0.1, seed=0)
    assert len(train) + len(val) + len(test) == len(data)
    assert train.role == "train" and test.role == "test"
    assert train.n_users == data.n_users
    with pytest.raises(ValueError, match="whole data set"):
        mfrec.split(train)
    with pytest.raises(ValueError, match="nonesuch"):
        mfrec.split(data, "nonesuch")


def test_arrays_with_integer_and_string_ids():
    users = np.array([1, 1, 2, 2, 3, 3, 3])
    items = np.array([10, 20, 10, 30, 20, 30, 40])
    d = mfrec.Dataset.from_arrays(users, items, np.arange(1, 8, dtype=np.float64))
    assert (d.n_users, d.n_items, len(d)) == (3, 4, 7)
    s = mfrec.Dataset.from_arrays([f"u{u}" for u in users], [f"i{i}" for i in items])
    back = s.to_arrays()
    assert back["user"][0] == "u1" and back["rating"].tolist() == [1.0] * 7


def test_a_repeated_pair_keeps_its_last_rating():
    d = mfrec.Dataset.from_arrays([1, 1, 2], [5, 5, 5], [1.0, 4.0, 2.0])
    assert len(d) == 2
    assert sorted(d.to_arrays()["rating"].tolist()) == [2.0, 4.0]


def test_pandas_with_movielens_column_names(synth_dir):
    cols = mfrec.load(synth_dir).to_arrays()
    df = pd.DataFrame({"userId": cols["user"], "movieId": cols["item"], "rating": cols["rating"],
                       "timestamp": cols["timestamp"]})
    d = mfrec.Dataset.from_pandas(df)
    assert len(d) == len(df)
    dt = df.assign(timestamp=pd.to_datetime(df["timestamp"], unit="s"))
    assert len(mfrec.Dataset.from_pandas(dt)) == len(df)
    with pytest.raises(ValueError, match="no column 'user'"):
        mfrec.Dataset.from_pandas(df, user="user")


def test_csr_rows_are_users_and_columns_items():
    m = scipy.sparse.csr_matrix(np.array([[0, 3, 0, 1], [2, 0, 0, 0], [0, 0, 0, 0], [0, 5, 4, 0]], dtype=np.float32))
    d = mfrec.Dataset.from_csr(m)
    assert len(d) == 5 and d.n_users == 3
    cols = d.to_arrays()
    assert set(cols["user"].tolist()) == {0, 1, 3} and set(cols["item"].tolist()) == {0, 1, 2, 3}
    named = mfrec.Dataset.from_csr(m, user_ids=["a", "b", "c", "d"], item_ids=["w", "x", "y", "z"])
    assert set(named.to_arrays()["user"]) == {"a", "b", "d"}


def test_bad_data_names_the_row_or_the_file(tmp_path):
    with pytest.raises(mfrec.DataError, match="row 1: the rating is nan"):
        mfrec.Dataset.from_arrays([1, 2], [1, 2], [1.0, float("nan")])
    with pytest.raises(mfrec.DataError, match="row 0: the user id is empty"):
        mfrec.Dataset.from_arrays([""], ["a"])
    with pytest.raises(mfrec.DataError, match="no ratings"):
        mfrec.Dataset.from_arrays([], [])
    with pytest.raises(TypeError, match="floats"):
        mfrec.Dataset.from_arrays(np.array([1.5]), np.array([1]))
    with pytest.raises(ValueError, match="entries"):
        mfrec.Dataset.from_arrays([1, 2], [1])
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,5,100\n1,x\n")
    with pytest.raises(mfrec.DataError, match=r"bad\.csv:2"):
        mfrec.load(bad)
    with pytest.raises(mfrec.DataError, match="nonesuch"):
        mfrec.load(tmp_path / "nonesuch")
    binary = tmp_path / "ratings.dat"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(mfrec.DataError):
        mfrec.load(binary)


def test_the_fuzzers_inputs_never_crash_the_interpreter(tmp_path):
    """Every saved fuzz input (ratings files, checkpoints, forged variants of them) gives data or a
    clean mfrec.DataError / ValueError, never a crash."""
    import pathlib
    corpus = pathlib.Path(__file__).resolve().parents[2] / "fuzz" / "corpus"
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    assert files, corpus
    for f in files:
        raw = f.read_bytes()
        variants = [raw, raw[: len(raw) // 2], bytes(b ^ 0x5A if k % 7 == 3 else b for k, b in enumerate(raw))]
        for n, blob in enumerate(variants):
            path = tmp_path / f"{f.stem}-{n}{f.suffix}"
            path.write_bytes(blob)
            try:
                mfrec.load(path)
            except ValueError:  # DataError is a ValueError
                pass
            try:
                mfrec.load_model(path)
            except ValueError:
                pass
