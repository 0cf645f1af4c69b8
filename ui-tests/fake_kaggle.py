"""The fake Kaggle API for the browser tests, started inside the test Jupyter server's process.

The server extension calls the real `kaggle` client in its own process, so pointing that client
at the fake here is enough (the same switch as tests/kaggle_fixtures.py: kagglesdk's LOCALHOST
environment, whose endpoint entry is replaced by the fake's URL). The machine's own Kaggle
credentials are never read: the fake's token comes first in the client's order, and the config
folder is an empty one beside the test root. The server config puts `tests/` on the path for
`fakes`.
"""

from __future__ import annotations

import os
from pathlib import Path

from fakes.kaggle_data import TOKEN, titanic_like
from fakes.kaggle_server import FakeKaggle


def start_fake_kaggle(root: Path) -> FakeKaggle:
    """Serve `tiny-titanic` for the life of the server process (the fake's threads are daemons)."""
    fake = FakeKaggle(token=TOKEN).start()
    fake.add_competition(titanic_like())
    config_dir = root.parent / "kaggle-config"
    config_dir.mkdir(exist_ok=True)
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY"):
        os.environ.pop(name, None)
    os.environ["KAGGLE_CONFIG_DIR"] = str(config_dir)
    os.environ["KAGGLE_API_ENVIRONMENT"] = "LOCALHOST"
    os.environ["KAGGLE_API_TOKEN"] = TOKEN
    os.environ["NO_PROXY"] = "127.0.0.1"
    from kagglesdk import kaggle_env

    kaggle_env._env_to_endpoint[kaggle_env.KaggleEnv.LOCAL] = fake.url
    from kaggle.api.kaggle_api_extended import KaggleApi

    if "--local" not in KaggleApi.args:
        KaggleApi.args = [*KaggleApi.args, "--local"]
    return fake
