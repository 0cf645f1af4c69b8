"""The panel in a real kernel, driven over the Jupyter messaging protocol as a front end drives it.

No browser: the test is the front end. It sees the panel's widgets arrive, sees a new question
pushed by the panel's thread while the kernel is idle (no cell running), and clicks Approve by
sending the button's `click` event, exactly what ipywidgets' JavaScript sends.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run
from mlestar_lab.store.models import Decision
from mlestar_lab.store.workspace import Workspace

WAIT_SECONDS = 60.0


@pytest.fixture
def kernel() -> Iterator[BlockingKernelClient]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=WAIT_SECONDS)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


class Frontend:
    """Collects the widget models a kernel opens and their updates, as a browser would."""

    def __init__(self, client: BlockingKernelClient) -> None:
        self.client = client
        self.models: dict[str, dict[str, Any]] = {}
        self.busy = False
        self.finished: set[str] = set()  # requests whose execution the kernel reported idle

    def run(self, code: str) -> None:
        msg_id = self.client.execute(code)
        reply = self.client.get_shell_msg(timeout=WAIT_SECONDS)
        while reply["parent_header"].get("msg_id") != msg_id:  # e.g. a late kernel_info reply
            reply = self.client.get_shell_msg(timeout=WAIT_SECONDS)
        assert reply["content"]["status"] == "ok", reply["content"]
        self.until(lambda: msg_id in self.finished, "the cell to finish")

    def until(self, check: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + WAIT_SECONDS
        while not (value := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            try:
                self._receive(self.client.get_iopub_msg(timeout=0.2))
            except queue.Empty:
                continue
        return value

    def with_class(self, cls: str) -> list[str]:
        return [cid for cid, state in self.models.items() if cls in state.get("_dom_classes", [])]

    def click(self, comm_id: str) -> None:
        data = {"method": "custom", "content": {"event": "click"}}
        self.client.shell_channel.send(
            self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        )

    def _receive(self, msg: dict[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            self.busy = content["execution_state"] == "busy"
            if not self.busy:
                self.finished.add(msg["parent_header"].get("msg_id", ""))
        elif kind == "comm_open":
            self.models[content["comm_id"]] = dict(content["data"].get("state", {}))
        elif kind == "comm_msg" and content["data"].get("method") == "update":
            self.models.setdefault(content["comm_id"], {}).update(content["data"]["state"])
        elif kind == "comm_close":
            self.models.pop(content["comm_id"], None)


def test_the_panel_updates_an_idle_kernel_and_its_approve_button_answers(
    tmp_path: Path, demo_task_dir: Path, kernel: BlockingKernelClient
) -> None:
    workspace = Workspace(tmp_path / "ws")
    store = workspace.open_store()
    run = create_run(workspace, store, demo_task_dir, RunConfig(workers=1))
    front = Frontend(kernel)
    front.run(
        "from mlestar_lab.client import Lab\n"
        f"panel = Lab({str(workspace.root)!r}).attach({run.id!r}).panel(interval=0.1)\n"
        "display(panel)"
    )
    assert front.with_class("mlestar-panel") and not front.with_class("mlestar-decision")

    decision = store.add_decision(
        Decision(run_id=run.id, key="gate/retrieval", gate="retrieval", title="Build 2 families?", request={})
    )
    [form] = front.until(
        lambda: front.with_class(f"mlestar-decision-{decision.id}"), "the question to appear"
    )
    assert not front.busy, "pushed by the panel's thread, with no cell running"
    approve = next(
        cid
        for cid in front.with_class("mlestar-approve")
        if front.models[cid].get("description") == "Approve"
    )
    front.click(approve)
    front.until(lambda: store.get_decision(run.id, decision.id or 0).status == "approved", "the answer")
    front.until(lambda: form not in front.models, "the answered question to leave the panel")
