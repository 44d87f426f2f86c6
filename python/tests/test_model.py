"""The model from Python: every method, the same model as the CLI, round trips with it and with
`mfrec serve`, threads, Ctrl-C, pickling and the errors."""
import inspect
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import textwrap
import threading
import urllib.request

import numpy as np
import pytest

import mfrec
from conftest import mfrec_bin


@pytest.fixture(scope="module")
def parts(synth_dir):
    data = mfrec.load(synth_dir)
    return (data,) + mfrec.split(data, "temporal", seed=1)


@pytest.fixture(scope="module")
def als(parts):
    _, train, val, _ = parts
    return mfrec.MF(optimizer="als", dim=8, epochs=4, seed=1, threads=1).fit(train, val=val)


def test_keywords_are_the_clis_with_its_defaults():
    sig = inspect.signature(mfrec.MF.__init__)
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "self"}
    core = mfrec._core.default_options()
    assert set(defaults) == set(core), set(defaults) ^ set(core)
    for k, v in core.items():
        assert defaults[k] == pytest.approx(v) if isinstance(v, float) else defaults[k] == v, k


def test_fit_evaluate_and_history(als, parts):
    *_, test = parts
    m = als.evaluate(test)
    assert 0.5 < m["rmse"] < 1.2 and m["count"] == len(test)
    assert {"hr", "ndcg", "precision", "recall"} <= set(m)
    assert len(als.history) == 4 and als.history[0]["epoch"] == 1
    assert 1 <= als.result["best_epoch"] <= 4
    assert "fitted: 400 users" in repr(als) and "not fitted" in repr(mfrec.MF())


def test_predict_recommend_similar_new_user(als, parts):
    data, train, *_ = parts
    cols = train.to_arrays()
    p = als.predict(cols["user"][:100], cols["item"][:100])
    assert p.dtype == np.float32 and p.shape == (100,)
    lo, hi = data._data.rating_range
    assert (p >= lo).all() and (p <= hi).all()
    user = int(cols["user"][0])
    ids, scores = als.recommend(user, N=10)
    assert len(ids) == 10 and ids.dtype == np.int64 and np.all(np.diff(scores) <= 0)
    rated = set(cols["item"][cols["user"] == user].tolist())
    assert not rated & set(ids.tolist())
    ids2, _ = als.recommend(user, N=10, filter_items=ids[:3])
    assert not set(ids[:3].tolist()) & set(ids2.tolist())
    with_seen, _ = als.recommend(user, N=als.info["n_items"], filter_already_liked_items=False)
    assert rated <= set(with_seen.tolist())
    users = als.user_ids[:5]
    batch_ids, batch_scores = als.recommend(users, N=7)
    assert batch_ids.shape == (5, 7) and batch_scores.shape == (5, 7)
    assert batch_ids[0].tolist() == als.recommend(users[0], N=7)[0].tolist()
    sim, cos = als.similar_items(int(ids[0]), N=5)
    assert len(sim) == 5 and int(ids[0]) not in sim.tolist() and (cos <= 1.0001).all()
    su, _ = als.similar_users(user, N=3)
    assert len(su) == 3 and user not in su.tolist()
    new_ids, _ = als.recommend_new({int(ids[0]): 5.0, int(ids[1]): 4.0}, N=10)
    assert len(new_ids) == 10 and not {int(ids[0]), int(ids[1])} & set(new_ids.tolist())


def test_factor_views_are_read_only_and_uncopied(als):
    f = als.user_factors
    assert f.shape == (als.info["n_users"], 8) and f.dtype == np.float32
    assert not f.flags.writeable and not f.flags.owndata
    with pytest.raises(ValueError):
        f[0, 0] = 1
    assert als.item_factors.shape[0] == len(als.item_ids) == len(als.item_bias)
    u = als.user_ids[0]
    i = als.item_ids[0]
    expect = als.user_mean[0] + als.user_bias[0] + als.item_bias[0] + f[0] @ als.item_factors[0]
    lo, hi = als.info["rating_min"], als.info["rating_max"]
    assert als.predict([u], [i])[0] == pytest.approx(min(max(expect, lo), hi), abs=1e-5)


def test_unknown_ids_and_bad_options_are_named(als):
    with pytest.raises(KeyError, match="no-such-user"):
        als.recommend("no-such-user")
    with pytest.raises(KeyError, match="999999"):
        als.similar_items(999999)
    with pytest.raises(KeyError):
        als.predict([als.user_ids[0]], [424242])
    assert np.isfinite(als.predict([als.user_ids[0]], [424242], allow_unknown=True)).all()
    with pytest.raises(ValueError, match="`dim`"):
        mfrec.MF(dim=0)
    with pytest.raises(ValueError, match="`dim` must be a non-negative integer"):
        mfrec.MF(dim="big")
    with pytest.raises(ValueError, match="nonesuch"):
        mfrec.MF(optimizer="nonesuch")
    with pytest.raises(TypeError):
        mfrec.MF(nonesuch=1)
    with pytest.raises(ValueError, match="not fitted"):
        mfrec.MF().recommend(1)


def test_same_model_as_the_cli_for_the_same_seed(synth_dir, tmp_path, cli):
    cli("train", "--data_path", synth_dir, "--optimizer", "als", "--dim", 8, "--epochs", 3, "--seed", 1,
        "--threads", 1, "--output", tmp_path, "--quiet")
    by_cli = mfrec.load_model(tmp_path / "model.mfrec")
    data = mfrec.load(synth_dir)
    train, val, _ = mfrec.split(data, "temporal", seed=1)
    by_py = mfrec.MF(optimizer="als", dim=8, epochs=3, seed=1, threads=1).fit(train, val=val)
    assert by_py.user_ids.tolist() == by_cli.user_ids.tolist()
    np.testing.assert_array_equal(by_py.user_factors, by_cli.user_factors)
    np.testing.assert_array_equal(by_py.item_factors, by_cli.item_factors)


def test_checkpoints_go_both_ways_with_the_cli(als, synth_dir, tmp_path, cli):
    path = tmp_path / "py.mfrec"
    als.save(path)
    user = als.user_ids[0]
    out = cli("recommend", "--model", path, "--user", user, "--k", 5, "--json").stdout
    listed = [int(r["item"]) for r in json.loads(out)["items"]]
    assert listed == als.recommend(user, N=5)[0].tolist()
    back = mfrec.load_model(path)
    np.testing.assert_array_equal(back.item_factors, als.item_factors)
    files = back.export(tmp_path / "export")
    assert any(f.endswith("item_factors.npy") for f in files)
    np.testing.assert_array_equal(np.load(tmp_path / "export" / "item_factors.npy"), als.item_factors)


def test_a_checkpoint_from_python_is_served(als, tmp_path):
    path = tmp_path / "served.mfrec"
    als.save(path)
    server = subprocess.Popen([mfrec_bin(), "serve", "--model", str(path), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"listening on (http://[0-9.:]+/)", line)
        assert match, line
        user = als.user_ids[0]
        with urllib.request.urlopen(f"{match.group(1)}v1/recommend?user={user}&k=5", timeout=30) as reply:
            listed = [int(r["item"]) for r in json.load(reply)["items"]]
        assert listed == als.recommend(user, N=5)[0].tolist()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_pickle_and_cross_validate(als, parts):
    back = pickle.loads(pickle.dumps(als))
    np.testing.assert_array_equal(back.user_factors, als.user_factors)
    assert back.recommend(als.user_ids[3])[0].tolist() == als.recommend(als.user_ids[3])[0].tolist()
    unfitted = pickle.loads(pickle.dumps(mfrec.MF(dim=4)))
    assert unfitted.options["dim"] == 4 and not unfitted.fitted
    cv = mfrec.cross_validate(mfrec.MF(optimizer="als", dim=4, epochs=2), parts[0], folds=3)
    assert len(cv["folds"]) == 3 and 0.5 < cv["rmse_mean"] < 1.2 and cv["rmse_std"] >= 0


def test_ranking_engines_and_the_callback_that_stops(parts):
    _, train, val, test = parts
    seen = []
    m = mfrec.MF(optimizer="ials", dim=16, epochs=10, alpha=8, reg=1).fit(
        train, val=val, callback=lambda s: seen.append(s["epoch"]) or s["epoch"] < 3)
    assert seen == [1, 2, 3] and m.result["stopped"]
    r = m.evaluate(test)
    assert r["ndcg"] > 0 and np.isnan(r["rmse"])
    pop = mfrec.MF(optimizer="popularity").fit(train)
    assert pop.evaluate(test, protocol="sampled")["hr"] > 0


def test_recommend_from_many_threads_at_once(als):
    users = als.user_ids[:50]
    expect = {int(u): als.recommend(u, N=10)[0].tolist() for u in users}
    errors = []

    def work():
        try:
            for _ in range(20):
                for u in users:
                    assert als.recommend(u, N=10)[0].tolist() == expect[int(u)]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_ctrl_c_during_fit_stops_cleanly(synth_dir, tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent(f"""
        import sys, mfrec
        data = mfrec.load({str(synth_dir)!r})
        train, val, test = mfrec.split(data)
        m = mfrec.MF(optimizer="adam", epochs=100000, batch_size=8, threads=1)
        print("ready", flush=True)
        try:
            m.fit(train, val=val)
        except KeyboardInterrupt:
            print("interrupted", m.fitted, len(m.history) < 100000, len(m.recommend(m.user_ids[0])[0]), flush=True)
    """))
    env = dict(os.environ)
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert p.stdout.readline().strip() == "ready"
    import time
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert out.strip() == "interrupted True True 10", (out, err)


def test_on_ml100k_ials_beats_the_popularity_chart(ml100k):
    data = mfrec.load(ml100k)
    assert len(data) == 100000 and data.n_users == 943
    train, val, test = mfrec.split(data, "temporal", seed=0)
    pop = mfrec.MF(optimizer="popularity").fit(train, val=val).evaluate(test)
    ials = mfrec.MF(optimizer="ials", dim=32, epochs=8, alpha=16, reg=10).fit(train, val=val).evaluate(test)
    assert ials["ndcg"] > pop["ndcg"] * 1.1, (ials, pop)
