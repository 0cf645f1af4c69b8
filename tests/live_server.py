"""A real `jupyter server` in its own process, for tests that stop and restart it mid-run.

pytest-jupyter's in-process server cannot be killed and started again around a running agent;
this one is a separate process configured like a user's (token auth, the extension enabled by a
config file), spoken to over HTTP with the token header.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self, root: Path, workspace: Path, log_path: Path):
        self.root, self.workspace, self.log_path = root, workspace, log_path
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        config = self.log_path.parent / "jupyter_server_config.json"
        config.write_text(
            json.dumps(
                {
                    "ServerApp": {
                        "jpserver_extensions": {"mlestar_lab": True},
                        "token": self.token,
                        "port": self.port,
                        "port_retries": 0,
                        "ip": "127.0.0.1",
                        "open_browser": False,
                        "root_dir": str(self.root),
                        "allow_root": True,
                    },
                    "MlestarServerExtension": {"workspace": str(self.workspace), "workers": 1},
                }
            ),
            encoding="utf-8",
        )
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyter_server", f"--config={config}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"},
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.log_path.read_text()[-3000:]}")
            try:
                self.call("GET", "runs")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError(f"the server did not answer in {START_TIMEOUT:.0f}s")

    def stop(self) -> None:
        """Stop the server as Ctrl-C would; the agents it started must not notice."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.terminate()  # jupyter_server asks for confirmation on a TTY; none here
            self.process.wait(timeout=20)
        self.process = None

    def call(self, method: str, *parts: str, body: Any = None) -> tuple[int, Any]:
        """(status, parsed JSON) of `/mlestar/api/<parts>`, for any status."""
        url = f"http://127.0.0.1:{self.port}/mlestar/api/" + "/".join(parts)
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def wait(self, check: Any, what: str, timeout: float = 480.0) -> Any:
        """Poll `check()` every 0.25 s until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while not (value := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.25)
        return value
