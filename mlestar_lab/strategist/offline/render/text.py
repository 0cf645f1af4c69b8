"""Small helpers for writing readable Python source."""

from __future__ import annotations

import pprint
from typing import Any


def py(value: Any) -> str:
    """A Python literal for `value` (repr; dicts and lists wrapped at the notebook line length)."""
    return pprint.pformat(value, width=100, sort_dicts=False)


def section(*parts: str) -> str:
    """Code parts separated by blank lines, empty parts dropped."""
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip())


def indent(code: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in code.splitlines())
