"""Shared setup for LLM strategist tests: a clean model environment, fast retry settings, keys."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

MODEL_ENV = (
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GEMINI_MODEL",
    "GOOGLE_GEMINI_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "MLESTAR_LLM_TIMEOUT",
)
FAST = "[llm]\ntimeout = 2\nretries = 5\nretry_base_delay = 0.05\nretry_max_delay = 0.2\n"


def new_key(prefix: str) -> str:
    """A key no token-shape rule knows: only its value can give it away."""
    return f"{prefix}-{uuid.uuid4().hex}"


@pytest.fixture(name="model_env")
def model_env_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No model settings from the outside; a config file with short timeouts and retry pauses."""
    for name in MODEL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    config = tmp_path / "mlestar-config.toml"
    config.write_text(FAST, encoding="utf-8")
    monkeypatch.setenv("MLESTAR_CONFIG", str(config))
    return config
