"""Where things are inside a Kaggle notebook: read-only competition data, one writable folder.

Kaggle mounts a competition added as input at `/kaggle/input/<slug>` (read-only) and lets a
notebook write only under `/kaggle/working`, which is also what it keeps as the notebook's output.
The run store and run folders therefore go to `/kaggle/working/mlestar-runs`; the task folder is
only ever read (the run's own copy of the task and its folds live in the run folder).
"""

from __future__ import annotations

import os
from pathlib import Path

from mlestar_lab.errors import UserError

KAGGLE_ROOT = Path("/kaggle")
WORKSPACE_DIRNAME = "mlestar-runs"


def on_kaggle(root: Path = KAGGLE_ROOT) -> bool:
    """A Kaggle notebook session: its input and working folders exist."""
    return (root / "input").is_dir() and (root / "working").is_dir()


def kaggle_workspace(root: Path = KAGGLE_ROOT) -> Path:
    return root / "working" / WORKSPACE_DIRNAME


def competition_dir(competition: str, root: Path = KAGGLE_ROOT) -> Path:
    """The folder of `competition` (its slug, as in the competition's URL) under Kaggle's input."""
    slug = competition.strip().strip("/")
    if not slug or "/" in slug or slug in (".", ".."):
        raise UserError(
            f"{competition!r} is not a competition slug: give e.g. 'digit-recognizer', as in its URL"
        )
    input_dir = root / "input"
    for folder in (input_dir / slug, input_dir / "competitions" / slug):
        if folder.is_dir():
            return folder
    present = sorted(p.name for p in input_dir.iterdir()) if input_dir.is_dir() else []
    raise UserError(
        f"no competition {slug!r} under {input_dir} (found: {', '.join(present) or 'nothing'}); "
        "add it to the notebook with 'Add Input → Competitions', or download it with "
        f"`mlestar kaggle download {slug}` and pass that folder"
    )


def check_writable(folder: Path) -> Path:
    """Create `folder` and prove a file can be written in it; a clear error otherwise.

    Inside Kaggle everything but `/kaggle/working` is read-only, so a workspace placed beside the
    competition data must fail here, before a run is recorded, not in the agent process later.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        hint = f" (on Kaggle use {kaggle_workspace()})" if on_kaggle() else ""
        raise UserError(
            f"the workspace {folder} is not writable ({exc.strerror or exc}); pass workspace= a folder "
            f"you can write to{hint}"
        ) from exc
    return folder
