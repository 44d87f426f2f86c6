"""Fixtures: the mfrec program (MFREC_BIN, set by CTest) and generated MovieLens-shaped data made
with it; real data from ../shared/data when it is there."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


def mfrec_bin() -> str:
    path = os.environ.get("MFREC_BIN") or str(ROOT / "build" / "mfrec")
    if not os.path.exists(path):
        pytest.skip(f"the mfrec program is not built ({path})")
    return path


@pytest.fixture(scope="session")
def cli():
    binary = mfrec_bin()

    def run(*args, check=True):
        p = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=600)
        if check and p.returncode != 0:
            raise AssertionError(f"mfrec {' '.join(map(str, args))} exited {p.returncode}: {p.stderr}")
        return p
    return run


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, cli):
    out = tmp_path_factory.mktemp("synth")
    cli("synth", "--out", out, "--users", 400, "--items", 300, "--ratings", 16000, "--seed", 3)
    return out


@pytest.fixture(scope="session")
def ml100k():
    path = SHARED / "ml-100k"
    if not path.exists():
        pytest.skip(f"real data absent: {path} (MovieLens may not be redistributed; bring your own)")
    return path
