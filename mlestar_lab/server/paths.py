"""Paths the client names are confined to the server root; competition folders are found inside it.

The server may run with a root the user chose to share and nothing more, so a client path is
refused before it touches the disk when it is absolute or climbs with `..`, and refused after
resolving when a symlink leads out of the root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from mlestar_lab.server.errors import BadRequest
from mlestar_lab.server.schemas import TaskFolder
from mlestar_lab.task.inventory import table_stem

MAX_DEPTH = 4
MAX_DIRS = 5000


def resolve_under_root(root: Path, relative: str) -> Path:
    """`root/relative`, resolved, if it stays inside `root`; `BadRequest` otherwise."""
    text = relative.replace("\\", "/").strip()
    posix = PurePosixPath(text)
    if not text or posix.is_absolute() or Path(text).is_absolute():
        raise BadRequest(f"{relative!r}: give a folder relative to the server root")
    if ".." in posix.parts:
        raise BadRequest(f"{relative!r}: '..' is not allowed; give a folder inside the server root")
    base = root.resolve()
    path = (base / posix).resolve()
    if not path.is_relative_to(base):
        raise BadRequest(f"{relative!r} leads outside the server root (a symlink?)")
    return path


def relative_to_root(root: Path, path: str | os.PathLike[str] | None) -> str | None:
    """`path` relative to the root ('/'-separated) when it lies inside it, else None."""
    if not path:
        return None
    base, resolved = root.resolve(), Path(path).resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else None


def find_tasks(root: Path, skip: tuple[Path, ...] = ()) -> list[TaskFolder]:
    """Competition folders under `root`: a `train.*` and a `sample_submission.*` table side by side.

    Symlinked folders are never entered and hidden folders are skipped; the walk stops at
    `MAX_DEPTH` levels and `MAX_DIRS` folders, so a huge root costs a bounded scan.
    """
    base = root.resolve()
    skipped = {p.resolve() for p in skip}
    tasks = []
    for folder, files in _walk(base, skipped):
        train, sample = _table(files, "train"), _table(files, "sample_submission")
        if train and sample:
            tasks.append(
                TaskFolder(
                    path=folder.relative_to(base).as_posix() or ".",
                    name=folder.name,
                    train_file=train,
                    sample_submission_file=sample,
                    test_file=_table(files, "test"),
                    has_description="description.md" in files,
                )
            )
    return sorted(tasks, key=lambda t: t.path)


def _walk(base: Path, skipped: set[Path]) -> Iterator[tuple[Path, set[str]]]:
    pending, seen = [(base, 0)], 0
    while pending and seen < MAX_DIRS:
        folder, depth = pending.pop()
        seen += 1
        files, subfolders = set(), []
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(Path(entry.path))
            elif entry.is_file() and _inside(base, entry):
                files.add(entry.name)
        yield folder, files
        if depth < MAX_DEPTH:
            pending.extend((sub, depth + 1) for sub in sorted(subfolders, reverse=True) if sub not in skipped)


def _inside(base: Path, entry: os.DirEntry[str]) -> bool:
    return not entry.is_symlink() or Path(entry.path).resolve().is_relative_to(base)


def _table(files: set[str], stem: str) -> str | None:
    """The table named `stem` (any format the task loader reads), first by name if several."""
    return min((f for f in files if (table_stem(f) or "").lower() == stem), default=None)
