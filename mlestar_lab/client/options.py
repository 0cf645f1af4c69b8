"""A run's settings from Python keyword arguments, read the way the CLI reads its flags.

`time_budget="5m"`, `gates="ablation=ask"`, `target="price"`: durations and gate settings accept
the CLI's spellings, task settings (those of `mlestar-task.toml`) become the run's task overrides,
and anything else must be a `RunConfig` field. Every mistake is a `UserError` naming the option.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from mlestar_lab.agent.config import RunConfig, parse_duration, parse_gates
from mlestar_lab.errors import UserError
from mlestar_lab.store.models import GateMode
from mlestar_lab.task.config import ALLOWED_KEYS

DURATIONS = ("time_budget", "notebook_timeout")
_RESERVED = ("task_overrides",)


def run_config(
    time_budget: float | str = "10m", gates: str | Mapping[str, GateMode] = "auto", **options: Any
) -> RunConfig:
    """The RunConfig for `start(...)`; e.g. `run_config("2m", "ask", models=2, target="y")`."""
    known = sorted(set(RunConfig.model_fields) - {"time_budget", "gates", *_RESERVED})
    unknown = sorted(set(options) - set(known) - set(ALLOWED_KEYS))
    if unknown:
        raise UserError(
            f"unknown option {unknown[0]!r}; run options are {', '.join(known)} "
            f"and task settings are {', '.join(ALLOWED_KEYS)}"
        )
    values: dict[str, Any] = {"time_budget": time_budget, **options}
    for name in DURATIONS:
        if isinstance(values.get(name), str):
            values[name] = parse_duration(values[name])
    if values.get("scheduler"):
        values.setdefault("executor", "dask")  # a scheduler address says where notebooks run
    values["gates"] = parse_gates(gates) if isinstance(gates, str) else dict(gates)
    values["task_overrides"] = {key: values.pop(key) for key in ALLOWED_KEYS if values.get(key) is not None}
    try:
        return RunConfig.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise UserError(f"invalid option {where}: {error['msg']}") from None
