"""What the user may tell us about a task when inference guesses wrong.

Two sources, one vocabulary: the `mlestar-task.toml` file in the competition folder (kept with
the data, so every run of that folder agrees) and overrides from the caller (CLI flags), which
win because they are the more recent and more specific wish.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mlestar_lab.errors import TaskError
from mlestar_lab.task.inventory import CONFIG_FILE

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TASK_TYPES = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class TaskSettings:
    """Explicit choices; None means 'infer it from the folder'."""

    target: str | None = None
    id_column: str | None = None
    metric: str | None = None
    task_type: str | None = None
    n_folds: int | None = None
    group_column: str | None = None
    time_column: str | None = None
    train_file: str | None = None
    test_file: str | None = None
    sample_submission_file: str | None = None


ALLOWED_KEYS = tuple(f.name for f in fields(TaskSettings))


def read_settings(root: Path, overrides: Mapping[str, Any] | None = None) -> TaskSettings:
    """Settings from `root/mlestar-task.toml`, then `overrides` on top (None values are ignored)."""
    merged = _validated(_read_file(root / CONFIG_FILE), CONFIG_FILE) if (root / CONFIG_FILE).is_file() else {}
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    merged.update(_validated(given, "overrides"))
    return TaskSettings(**merged)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise TaskError(f"{CONFIG_FILE}: not valid TOML ({detail}) — fix the file") from exc
    except OSError as exc:
        raise TaskError(f"{CONFIG_FILE}: cannot be read ({exc.strerror}) — fix or remove it") from exc


def _validated(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    unknown = sorted(set(values) - set(ALLOWED_KEYS))
    if unknown:
        raise TaskError(f"{source}: unknown setting {unknown[0]!r}; allowed: {', '.join(ALLOWED_KEYS)}")
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key == "n_folds":
            clean[key] = _n_folds(value, source)
        elif not isinstance(value, str) or not value.strip():
            raise TaskError(f"{source}: {key} must be a non-empty string, got {value!r}")
        else:
            clean[key] = value.strip()
    task_type = clean.get("task_type")
    if task_type is not None and task_type not in TASK_TYPES:
        raise TaskError(f"{source}: task_type {task_type!r} is not one of {', '.join(TASK_TYPES)}")
    return clean


def _n_folds(value: Any, source: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise TaskError(f"{source}: n_folds must be a whole number of at least 2, got {value!r}")
    return value
