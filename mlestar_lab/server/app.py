"""The Jupyter server extension: the run store and agent supervisor behind the REST API.

Enabled on install by `jupyter-config/server-config/mlestar_lab.json`; configured like any
Jupyter app, e.g. `jupyter lab --MlestarServerExtension.default_gates=ask` or in
`jupyter_server_config.py` with `c.MlestarServerExtension.workspace = "/data/mlestar-runs"`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Enum, Integer, TraitError, Unicode, default, validate

from mlestar_lab.agent.config import SCHEDULER_ADDRESS, parse_duration, parse_gates
from mlestar_lab.errors import UserError
from mlestar_lab.server.handlers import OPENAPI_SETTING, SERVICE_SETTING
from mlestar_lab.server.openapi import openapi_document
from mlestar_lab.server.routes import tornado_handlers
from mlestar_lab.server.runs import Defaults, RunService
from mlestar_lab.store.workspace import DEFAULT_DIRNAME, ENV_HOME, Workspace


class MlestarServerExtension(ExtensionApp):
    name = "mlestar_lab"
    description = "MLE-STAR runs, steps, decisions and events over REST."
    load_other_extensions = True

    workspace = Unicode(
        config=True,
        help=f"Folder of the run store and run folders (default: ${ENV_HOME}, else "
        f"<server root>/{DEFAULT_DIRNAME}, so executed notebooks open in JupyterLab).",
    )
    workers = Integer(
        None, allow_none=True, config=True, help="Notebooks a run executes at once (default: cores)."
    )
    default_strategist = Unicode("offline", config=True, help="Strategist of runs that do not name one.")
    default_gates = Unicode(
        "auto", config=True, help="Gates of runs that do not set them, e.g. 'ablation=ask'."
    )
    default_time_budget = Unicode(
        "10m", config=True, help="Time budget of runs that do not set one, e.g. '5m'."
    )
    memory_limit_mb = Integer(
        None, allow_none=True, config=True, help="MiB per notebook (default: share of RAM)."
    )
    dask_scheduler = Unicode(
        "",
        config=True,
        help="A Dask scheduler (tcp://HOST:8786) for the notebooks of runs that do not choose; "
        "empty: they run on this machine.",
    )
    dask_data = Enum(
        ["auto", "ship", "shared"],
        "auto",
        config=True,
        help="How Dask workers get the task data: read in place (shared), shipped, or auto.",
    )

    @default("workspace")
    def _default_workspace(self) -> str:
        if os.environ.get(ENV_HOME, "").strip():
            return str(Workspace().root)
        return str(Path(self.serverapp.root_dir) / DEFAULT_DIRNAME)

    @validate("default_gates")
    def _check_gates(self, proposal: Any) -> str:
        return _checked(parse_gates, proposal["value"], "default_gates")

    @validate("dask_scheduler")
    def _check_scheduler(self, proposal: Any) -> str:
        address = proposal["value"].strip()
        if address and not SCHEDULER_ADDRESS.fullmatch(address):
            raise TraitError(
                f"MlestarServerExtension.dask_scheduler: {address!r} is not a Dask scheduler address; "
                "write it as tcp://HOST:PORT"
            )
        return address

    @validate("default_time_budget")
    def _check_budget(self, proposal: Any) -> str:
        return _checked(parse_duration, proposal["value"], "default_time_budget")

    def initialize_settings(self) -> None:
        root = Path(self.serverapp.root_dir).expanduser().resolve()
        workspace = Workspace(Path(self.workspace).expanduser().resolve())
        defaults = Defaults(
            strategist=self.default_strategist,
            gates=self.default_gates,
            time_budget=self.default_time_budget,
            workers=self.workers,
            memory_limit_mb=self.memory_limit_mb,
            scheduler=self.dask_scheduler,
            dask_data=self.dask_data,
        )
        service = RunService(root, workspace, workspace.open_store(), defaults, self.log)
        self.settings.update(
            {
                SERVICE_SETTING: service,
                OPENAPI_SETTING: openapi_document(self.serverapp.base_url),
            }
        )
        self.log.info("mlestar_lab: workspace %s, server root %s", workspace.root, root)

    def initialize_handlers(self) -> None:
        self.handlers.extend(tornado_handlers())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Runs left "running" by an agent that died while the server was down become resumable."""
        service: RunService = self.settings[SERVICE_SETTING]
        await asyncio.to_thread(service.recover)


def _checked(parse: Callable[[str], object], value: str, name: str) -> str:
    """Refuse a bad default at startup, not at the first run that would use it."""
    try:
        parse(value)
    except UserError as exc:
        raise TraitError(f"MlestarServerExtension.{name}: {exc}") from exc
    return value
