"""Kernel start-up: private sockets for parallel kernels, and a retry when a kernel dies on start."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from test_executor import make_request

from mlestar_lab.executor.papermill_run import START_ATTEMPTS
from mlestar_lab.executor.process import execute

# A kernel launcher that fails until it has been started `failures` times, then runs ipykernel.
FLAKY_LAUNCHER = """
import sys
from pathlib import Path

counter = Path(sys.argv[1])
starts = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(starts))
if starts <= int(sys.argv[2]):
    sys.stderr.write(f"flaky kernel: refusing start {starts}\\n")
    sys.exit(3)
from ipykernel import kernelapp
kernelapp.launch_new_instance(argv=sys.argv[3:])
"""


def flaky_kernel(tmp_path: Path, failures: int) -> tuple[dict[str, str], Path]:
    """A kernel spec `flaky` in a private JUPYTER_PATH; the env that finds it and the start counter."""
    launcher = tmp_path / "flaky_launcher.py"
    launcher.write_text(textwrap.dedent(FLAKY_LAUNCHER))
    counter = tmp_path / "starts.txt"
    spec_dir = tmp_path / "jupyter" / "kernels" / "flaky"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, str(launcher), str(counter), str(failures), "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "flaky", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return {"JUPYTER_PATH": str(tmp_path / "jupyter")}, counter


def test_kernel_that_dies_on_start_is_retried(tmp_path: Path) -> None:
    env, counter = flaky_kernel(tmp_path, failures=START_ATTEMPTS - 1)
    request = make_request(tmp_path, "flaky", {"score": "print('Final Validation Performance: 0.5')"})
    result = execute(request.model_copy(update={"kernel_name": "flaky", "env": env}))

    assert result.status == "ok", result.reason
    assert result.score == 0.5
    assert counter.read_text() == str(START_ATTEMPTS)


def test_kernel_that_never_starts_is_an_error_with_its_log(tmp_path: Path) -> None:
    env, counter = flaky_kernel(tmp_path, failures=START_ATTEMPTS)
    request = make_request(tmp_path, "dead", {"score": "print('never runs')"})
    result = execute(request.model_copy(update={"kernel_name": "flaky", "env": env}))

    assert result.status == "error"
    assert result.reason is not None
    assert f"the kernel did not start ({START_ATTEMPTS} attempts)" in result.reason
    assert "Kernel died before replying to kernel_info" in result.reason
    assert f"flaky kernel: refusing start {START_ATTEMPTS}" in result.reason
    assert counter.read_text() == str(START_ATTEMPTS)


def test_kernel_sockets_are_private_unix_sockets(tmp_path: Path) -> None:
    request = make_request(
        tmp_path,
        "ipc",
        {"connection": "from ipykernel import get_connection_info\nprint(get_connection_info())"},
    )
    result = execute(request)

    assert result.status == "ok", result.reason
    info = json.loads(result.stdout_tail)
    assert info["transport"] == "ipc"
    socket_dir = Path(info["ip"]).parent
    assert socket_dir.name.startswith("mlestar-kernel-")
    assert not socket_dir.exists(), "the socket directory is removed with the kernel"
