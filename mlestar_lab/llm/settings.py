"""Which model, where, with which key: from the environment or the user's config file.

Keys are read when a run starts (and again when it resumes) and kept only in memory: they are
never part of the run's stored configuration. Precedence, highest first: the command line
(`--model`), the environment, the config file, the defaults below.

Config file (`$MLESTAR_CONFIG`, else `~/.config/mlestar/config.toml`):

    [gemini]
    api_key = "..."            # or GEMINI_API_KEY / GOOGLE_API_KEY (GOOGLE_API_KEY wins)
    model = "gemini-2.5-pro"
    base_url = "..."           # or GOOGLE_GEMINI_BASE_URL

    [openai]                   # OpenAI, Ollama, vLLM, llama.cpp server ...
    api_key = "..."            # or OPENAI_API_KEY; not needed by a local server
    base_url = "http://127.0.0.1:11434/v1"   # or OPENAI_BASE_URL
    model = "llama3.1"

    [llm]                      # both providers
    timeout = 300              # seconds per request
    retries = 6                # attempts per request, first included
    retry_base_delay = 2.0

    [prices."my-model"]
    input = 0.5                # US dollars per million tokens
    output = 1.5
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlestar_lab.errors import UserError
from mlestar_lab.llm.pricing import Price
from mlestar_lab.llm.retry import RetryPolicy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROVIDERS = ("gemini", "openai")
DEFAULT_MODELS = {"gemini": "gemini-2.5-pro", "openai": "gpt-4.1"}
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class LLMSettings:
    provider: str
    model: str
    api_key: str = field(repr=False)
    base_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    prices: dict[str, Price] = field(default_factory=dict)


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("MLESTAR_CONFIG"):
        return Path(env["MLESTAR_CONFIG"]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "mlestar" / "config.toml"


def read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the config file {path}: {exc}") from exc


def resolve_settings(
    provider: str, model: str | None = None, environ: Mapping[str, str] | None = None
) -> LLMSettings:
    """Settings for `provider`; a missing key is a UserError naming where to put it."""
    if provider not in PROVIDERS:
        raise UserError(f"unknown model provider {provider!r}; available: {', '.join(PROVIDERS)}")
    env = os.environ if environ is None else environ
    path = config_path(env)
    config = read_config(path)
    section = _table(config, provider, path)
    common = _table(config, "llm", path)
    if provider == "gemini":
        key = env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY") or section.get("api_key")
        base_url = env.get("GOOGLE_GEMINI_BASE_URL") or section.get("base_url")
        chosen = model or env.get("GEMINI_MODEL") or section.get("model") or DEFAULT_MODELS[provider]
        if not key:
            raise UserError(
                "the gemini strategist needs an API key: export GEMINI_API_KEY (or GOOGLE_API_KEY), "
                f"or set api_key under [gemini] in {path}"
            )
    else:
        base_url = env.get("OPENAI_BASE_URL") or section.get("base_url") or OPENAI_DEFAULT_BASE_URL
        key = env.get("OPENAI_API_KEY") or section.get("api_key") or ""
        chosen = model or env.get("OPENAI_MODEL") or section.get("model") or DEFAULT_MODELS[provider]
        if not key and base_url.rstrip("/") == OPENAI_DEFAULT_BASE_URL:
            raise UserError(
                "the openai strategist needs an API key for api.openai.com: export OPENAI_API_KEY, or set "
                f"api_key under [openai] in {path}; for a local server set OPENAI_BASE_URL instead"
            )
    return LLMSettings(
        provider=provider,
        model=str(chosen),
        api_key=str(key),
        base_url=str(base_url) if base_url else None,
        timeout=_number(env.get("MLESTAR_LLM_TIMEOUT") or common.get("timeout"), DEFAULT_TIMEOUT, "timeout"),
        retry=RetryPolicy(
            attempts=int(_number(common.get("retries"), RetryPolicy.attempts, "retries")),
            base_delay=_number(common.get("retry_base_delay"), RetryPolicy.base_delay, "retry_base_delay"),
            max_delay=_number(common.get("retry_max_delay"), RetryPolicy.max_delay, "retry_max_delay"),
        ),
        prices=_prices(_table(config, "prices", path), path),
    )


def _table(config: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise UserError(f"[{name}] in {path} must be a table")
    return value


def _number(value: Any, default: float, name: str) -> float:
    if value is None:
        return float(default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"the setting {name} must be a number, not {value!r}") from None
    if number <= 0:
        raise UserError(f"the setting {name} must be positive, not {value!r}")
    return number


def _prices(table: dict[str, Any], path: Path) -> dict[str, Price]:
    prices = {}
    for name, entry in table.items():
        if not isinstance(entry, dict) or not {"input", "output"} <= set(entry):
            raise UserError(f'[prices."{name}"] in {path} needs input and output (US$ per million tokens)')
        prices[name.lower()] = Price(float(entry["input"]), float(entry["output"]))
    return prices
