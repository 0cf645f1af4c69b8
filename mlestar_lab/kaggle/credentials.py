"""Which Kaggle credentials the client will use, found without importing `kaggle`.

The order is the `kaggle` client's own: an access token (`KAGGLE_API_TOKEN`, its value or a file
path; then `~/.kaggle/access_token`), then a legacy key (`KAGGLE_USERNAME` + `KAGGLE_KEY`, then
`kaggle.json` in `$KAGGLE_CONFIG_DIR`, `~/.kaggle` or `~/.config/kaggle`). Resolving them here first
means a missing credential is a one-line message naming what to set, instead of the help text
the package prints (and the `exit(1)` it raises) when it finds nothing.

The secret values never leave this module except into the client: `describe` and `source` say
*where* a credential came from, never what it is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlestar_lab.kaggle.errors import KaggleAuthError

TOKEN_ENV = "KAGGLE_API_TOKEN"
USERNAME_ENV = "KAGGLE_USERNAME"
KEY_ENV = "KAGGLE_KEY"
CONFIG_DIR_ENV = "KAGGLE_CONFIG_DIR"
HOW_TO_SET = (
    f"create a token at https://www.kaggle.com/settings/api and set {TOKEN_ENV}=<token> (or save it to "
    f"~/.kaggle/access_token), or put kaggle.json in ~/.kaggle, or set {USERNAME_ENV} and {KEY_ENV}"
)


@dataclass(frozen=True)
class Credentials:
    """An access token or a legacy username + key, and where it was found."""

    source: str
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    key: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> list[str]:
        """The values that must never be written anywhere."""
        return [v for v in (self.token, self.key) if v]


def find_credentials(environ: Mapping[str, str] | None = None, home: Path | None = None) -> Credentials:
    """The credentials the client will use; `KaggleAuthError` says exactly what to set if none."""
    env = os.environ if environ is None else environ
    home = home or Path(env.get("HOME") or Path.home())
    token = _token(env, home)
    if token is not None:
        return token
    username, key = env.get(USERNAME_ENV, "").strip(), env.get(KEY_ENV, "").strip()
    if username and key:
        return Credentials(source=f"{USERNAME_ENV}/{KEY_ENV}", username=username, key=key)
    if username or key:
        missing = KEY_ENV if username else USERNAME_ENV
        raise KaggleAuthError(f"{missing} is not set (only one of {USERNAME_ENV}/{KEY_ENV} is); {HOW_TO_SET}")
    for path in _kaggle_json_paths(env, home):
        if path.is_file():
            return _from_kaggle_json(path)
    raise KaggleAuthError(f"no Kaggle credentials found: {HOW_TO_SET}")


def _token(env: Mapping[str, str], home: Path) -> Credentials | None:
    value = env.get(TOKEN_ENV, "").strip()
    if value:
        if Path(value).expanduser().is_file():
            text = _read(Path(value).expanduser()).strip()
            if not text:
                raise KaggleAuthError(f"{TOKEN_ENV} points to {value}, which is empty; {HOW_TO_SET}")
            return Credentials(source=f"{TOKEN_ENV} (file {value})", token=text)
        return Credentials(source=TOKEN_ENV, token=value)
    for name in ("access_token", "access_token.txt"):
        path = home / ".kaggle" / name
        if path.is_file():
            text = _read(path).strip()
            if text:
                return Credentials(source=str(path), token=text)
    return None


def _kaggle_json_paths(env: Mapping[str, str], home: Path) -> list[Path]:
    configured = env.get(CONFIG_DIR_ENV, "").strip()
    if configured:
        return [Path(configured).expanduser() / "kaggle.json"]
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return [home / ".kaggle" / "kaggle.json", xdg / "kaggle" / "kaggle.json"]


def _from_kaggle_json(path: Path) -> Credentials:
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise KaggleAuthError(f"{path} is not valid JSON (line {exc.lineno}); {HOW_TO_SET}") from None
    if not isinstance(data, dict) or not data.get("username") or not data.get("key"):
        raise KaggleAuthError(f'{path} needs "username" and "key"; {HOW_TO_SET}')
    return Credentials(source=str(path), username=str(data["username"]), key=str(data["key"]))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KaggleAuthError(
            f"cannot read {path} ({exc.strerror}); fix its permissions or {HOW_TO_SET}"
        ) from None
