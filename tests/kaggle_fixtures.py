"""Fixtures of the Kaggle tests: the fake Kaggle API running, and the real client pointed at it.

Loaded through `pytest_plugins` by the `test_kaggle_*.py` modules. The real `kaggle` client has
no endpoint variable: `KAGGLE_API_ENVIRONMENT=LOCALHOST` selects kagglesdk's local environment,
whose endpoint is an entry of `kagglesdk.kaggle_env._env_to_endpoint`; that entry is pointed at
the fake. HOME is a temporary folder, so no credential of the machine is ever read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.kaggle_server import FakeCompetition, FakeKaggle

TOKEN = "KGAT_fake0000000000000000000000"

TRAIN = "PassengerId,Age,Fare,Pclass,Survived\n" + "".join(
    f"{i},{20 + i % 37},{5 + (i * 7) % 90}.5,{1 + i % 3},{int((i * 7) % 90 > 40)}\n" for i in range(1, 121)
)
TEST = "PassengerId,Age,Fare,Pclass\n" + "".join(
    f"{i},{20 + i % 37},{5 + (i * 7) % 90}.5,{1 + i % 3}\n" for i in range(121, 161)
)
SAMPLE = "PassengerId,Survived\n" + "".join(f"{i},0\n" for i in range(121, 161))


def titanic_like() -> FakeCompetition:
    """A small binary competition whose train.csv comes zipped inside the data archive, like Kaggle's."""
    from fakes.kaggle_server import zip_bytes

    return FakeCompetition(
        slug="tiny-titanic",
        title="Tiny Titanic",
        evaluation_metric="Area Under Receiver Operating Characteristic Curve",
        description="Predict survival.",
        pages={"Description": "Who survived?", "Evaluation": "Submissions are scored on AUC."},
        files={
            "train.csv.zip": zip_bytes({"train.csv": TRAIN.encode()}),
            "test.csv": TEST.encode(),
            "sample_submission.csv": SAMPLE.encode(),
            "extra/notes.txt": b"fare in pounds\n",
        },
    )


@pytest.fixture
def fake_kaggle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKaggle]:
    from kagglesdk import kaggle_env

    fake = FakeKaggle(token=TOKEN).start()
    fake.add_competition(titanic_like())
    home = tmp_path / "home"
    home.mkdir()
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "LOCALHOST")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("KAGGLE_API_TOKEN", TOKEN)
    monkeypatch.setitem(kaggle_env._env_to_endpoint, kaggle_env.KaggleEnv.LOCAL, fake.url)
    from kaggle.api.kaggle_api_extended import KaggleApi

    if "--local" not in KaggleApi.args:
        monkeypatch.setattr(KaggleApi, "args", [*KaggleApi.args, "--local"])
    try:
        yield fake
    finally:
        fake.stop()
