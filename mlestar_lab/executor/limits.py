"""What a notebook process may see and use: a scrubbed environment, thread counts and OS limits.

Generated code runs with the agent's user rights, so the only protection for API keys and Kaggle
tokens is never to hand them over: the child environment is built from an allow-everything-but-
secrets rule, and the executor refuses a request that tries to put a secret back.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Mapping

SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
SECRET_NAMES = frozenset(
    {
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "KAGGLE_KEY",
        "KAGGLE_USERNAME",
        "KAGGLE_API_TOKEN",
        "KAGGLE_CONFIG_DIR",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "HF_TOKEN",
    }
)
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
# OpenMP threads that wait at a barrier spin on their core by default (libgomp, used by LightGBM and
# XGBoost). When anything else wants that core — a second run, a kernel starting, the user's
# browser — the spinning thread holds it while the thread everyone waits for is descheduled:
# measured with two 1-worker pools side by side on 2 cores, four LightGBM candidates each took
# 261 s spinning and 57 s passive. A passive wait costs a few microseconds per barrier on idle cores.
WAIT_POLICY = ("OMP_WAIT_POLICY", "PASSIVE")
# The worker learns its parent's pid from here, to close the race between its start and prctl.
PARENT_PID_VARIABLE = "MLESTAR_EXECUTOR_PARENT_PID"

# RLIMIT_DATA counts every private writable mapping, not resident memory: numpy + pandas +
# lightgbm + ipykernel map ≈ 310 MiB for ≈ 195 MiB resident, and each BLAS/OpenMP thread adds
# ≈ 80 MiB of arenas and buffers. The backstop therefore sits well above the watchdog's RSS limit.
DATA_LIMIT_HEADROOM_MB = 1024
DATA_LIMIT_PER_THREAD_MB = 128
_PR_SET_PDEATHSIG = 1


def is_secret(name: str) -> bool:
    upper = name.upper()
    return upper in SECRET_NAMES or any(marker in upper for marker in SECRET_MARKERS)


def secret_names(env: Mapping[str, str]) -> list[str]:
    return sorted(name for name in env if is_secret(name))


def child_environment(
    extra: Mapping[str, str], default_threads: int, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a notebook process: `base` without secrets, thread counts, then `extra`.

    One thread count drives every BLAS/OpenMP runtime so that parallel notebooks do not
    oversubscribe the cores: `extra`'s OMP_NUM_THREADS, else the inherited one, else the default.
    Waiting threads sleep instead of spinning unless the user chose another OMP_WAIT_POLICY.
    """
    source = os.environ if base is None else base
    env = {name: value for name, value in source.items() if not is_secret(name)}
    threads = extra.get("OMP_NUM_THREADS") or source.get("OMP_NUM_THREADS") or str(max(1, default_threads))
    for name in THREAD_VARIABLES:
        env[name] = threads
    env.setdefault(*WAIT_POLICY)
    env.update(extra)
    return env


def thread_count(env: Mapping[str, str]) -> int:
    value = env.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else os.cpu_count() or 1


def die_with_parent(parent_pid: int | None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies, so a `kill -9` of the agent leaves
    no worker behind; exit at once if the parent is already gone. A no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def data_limit_mb(memory_limit_mb: int, threads: int) -> int:
    return 2 * memory_limit_mb + DATA_LIMIT_HEADROOM_MB + DATA_LIMIT_PER_THREAD_MB * threads


def limit_data_segment(memory_limit_mb: int | None, threads: int) -> int | None:
    """Cap this process (and the kernel it starts) with RLIMIT_DATA; returns the cap in MiB.

    A backstop only: the parent's watchdog enforces the real limit on the summed RSS of the tree
    every 0.1 s, but a single huge allocation can outrun a poll. Under the cap such an allocation
    fails at once with MemoryError inside the cell, which the executor reports as out of memory.
    """
    if memory_limit_mb is None or not sys.platform.startswith("linux"):
        return None
    import resource

    cap_mb = data_limit_mb(memory_limit_mb, threads)
    cap = cap_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY and hard < cap:
        cap = hard
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    return cap // (1024 * 1024)
