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
from fakes.kaggle_data import KAGGLE_HOME, TOKEN, titanic_like
from fakes.kaggle_server import FakeKaggle


@pytest.fixture
def fake_kaggle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKaggle]:
    from kagglesdk import kaggle_env

    fake = FakeKaggle(token=TOKEN).start()
    fake.add_competition(titanic_like())
    home = tmp_path / KAGGLE_HOME
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
