"""Unpacking competition archives safely: no member may land outside the target folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

from mlestar_lab.kaggle.errors import KaggleError

MAX_ROUNDS = 3


def unzip_all(folder: Path) -> list[str]:
    """Extract every `.zip` under `folder` in place (nested ones too) and delete the archives.

    Kaggle ships a competition as one zip that often holds `train.csv.zip` and the like; the agent
    reads plain files, so everything is unpacked. Returns the archives that were extracted.
    """
    done: list[str] = []
    for _ in range(MAX_ROUNDS):
        archives = sorted(p for p in folder.rglob("*.zip") if p.is_file())
        if not archives:
            break
        for archive in archives:
            _extract(archive, archive.parent, folder)
            archive.unlink()
            done.append(archive.relative_to(folder).as_posix())
    return done


def _extract(archive: Path, target: Path, root: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            base = target.resolve()
            for member in zipped.infolist():
                destination = (base / member.filename).resolve()
                if not destination.is_relative_to(root.resolve()):
                    raise KaggleError(
                        f"{archive.name} holds {member.filename!r}, a path outside the folder; not extracted"
                    )
            zipped.extractall(target)
    except zipfile.BadZipFile:
        raise KaggleError(f"{archive.name} is not a valid zip archive; download again") from None
