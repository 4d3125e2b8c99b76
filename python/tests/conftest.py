"""Fixtures: the repository's data and the `evident` command.

The shared data lives beside the repository (`../shared/data/`, as in CI);
EVIDENT_DATA overrides it. The command is EVIDENT_BIN, else the release or
debug build in the repository's target/; tests that need it fail (not skip)
when it is missing, so CI cannot pass without them.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import evident

REPO = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    return Path(os.environ.get("EVIDENT_DATA", REPO.parent / "shared" / "data"))


def _evident_bin() -> Path:
    given = os.environ.get("EVIDENT_BIN")
    candidates = [Path(given)] if given else [
        REPO / "target" / "release" / "evident",
        REPO / "target" / "debug" / "evident",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no evident command at {', '.join(map(str, candidates))}: build it (cargo build --release) or set EVIDENT_BIN"
    )


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _data_dir()


@pytest.fixture(scope="session")
def liar2(data_dir) -> Path:
    path = data_dir / "liar2.jsonl"
    assert path.is_file(), f"{path} is missing: the shared data sets sit beside the repository"
    return path


@pytest.fixture(scope="session")
def seed() -> Path:
    return REPO / "fixtures" / "seed.jsonl"


@pytest.fixture(scope="session")
def evident_bin() -> Path:
    return _evident_bin()


@pytest.fixture(scope="session")
def cli(evident_bin):
    """Runs the evident command; returns the CompletedProcess."""
    binary = evident_bin

    def run(*args, input=None, check=True):
        done = subprocess.run(
            [str(binary), *map(str, args)],
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"evident {' '.join(map(str, args))} failed: {done.stderr}")
        return done

    return run


@pytest.fixture(scope="session")
def liar2_db(tmp_path_factory, liar2) -> Path:
    """A database with LIAR2 imported once; tests copy it before writing."""
    path = tmp_path_factory.mktemp("liar2") / "liar2.evident"
    with evident.open(path) as db:
        db.import_jsonl(liar2)
    return path


@pytest.fixture
def seed_db(tmp_path, seed):
    with evident.open(tmp_path / "seed.evident") as db:
        db.import_jsonl(seed)
        yield db


@pytest.fixture
def liar2_copy(tmp_path, liar2_db) -> Path:
    copy = tmp_path / "liar2.evident"
    shutil.copytree(liar2_db, copy)
    return copy
