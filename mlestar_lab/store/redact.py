"""Keep API keys and tokens out of everything the run store writes.

Plans, diffs, tracebacks and log payloads are free text that may quote a notebook cell or an
HTTP error containing a key. The store passes every text value it writes through `redact`, so
a secret never reaches the database, whatever the caller forgot. Two sources of knowledge:
the values of environment variables whose names say they hold a secret (read at write time,
so a key exported after the store was opened is still caught), and the shapes of well-known
token formats, for keys that are not in this process's environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

_SECRET_ENV_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
# Shorter values are too likely to occur in ordinary text ("true", "1", a user name).
_MIN_ENV_SECRET_LENGTH = 8

_TOKEN_SHAPES = re.compile(
    "|".join(
        [
            r"AIza[0-9A-Za-z_\-]{30,}",  # Google API keys
            r"\bsk-[A-Za-z0-9_\-]{16,}",  # OpenAI-style keys (sk-..., sk-proj-..., sk-ant-...)
            r"\bKGAT_[A-Za-z0-9_\-]{16,}",  # Kaggle access tokens
            r"\bgh[pousr]_[A-Za-z0-9]{30,}",  # GitHub tokens
            r"\bgithub_pat_[A-Za-z0-9_]{30,}",
            r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face tokens
            r"\bAKIA[0-9A-Z]{16}\b",  # AWS access key ids
            r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack tokens
        ]
    )
)
_BEARER = re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._\-~+/]{16,}=*")
# `api_key = "..."`, `"client_secret": "..."`, `password='...'`: keep the name, hide the value.
_ASSIGNED_SECRET = re.compile(
    r"""(?i)(\b\w*(?:api_?key|secret|password|passwd|access_?token|auth_?token|api_?token)\w*["']?\s*[:=]\s*)"""
    r"""(["'])[^"'\s]{8,}\2"""
)
# kaggle.json: {"username": "...", "key": "<32 hex>"}
_KAGGLE_JSON_KEY = re.compile(r"""(?i)(["']key["']\s*:\s*["'])[0-9a-f]{32}(["'])""")


def env_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of secret-looking environment variables, longest first (so overlaps redact fully)."""
    env = os.environ if environ is None else environ
    values = {
        value
        for name, value in env.items()
        if _SECRET_ENV_NAME.search(name)
        and len(value) >= _MIN_ENV_SECRET_LENGTH
        and not os.path.isabs(value)  # a path to a credentials file is not itself secret
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """`text` with every known secret value and token-shaped string replaced by `[redacted]`."""
    if not text:
        return text
    for value in env_secrets() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _TOKEN_SHAPES.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _ASSIGNED_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
    return _KAGGLE_JSON_KEY.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)


def redact_value(value: Any, secrets: list[str] | None = None) -> Any:
    """`value` with `redact` applied to every string inside it (dict keys included)."""
    known = env_secrets() if secrets is None else secrets
    if isinstance(value, str):
        return redact(value, known)
    if isinstance(value, dict):
        return {redact_value(k, known): redact_value(v, known) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, known) for v in value]
    return value
