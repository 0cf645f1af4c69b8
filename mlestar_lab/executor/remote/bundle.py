"""Files that travel between the agent's machine and a Dask worker without shared storage.

A bundle is a gzipped tar of one file or one folder, named by a digest of its
listing (relative path, size, modification time), so a worker extracts a given version of the task
data once and reuses it for every later candidate. Extraction accepts only regular files and
folders with relative names that stay inside the target: a bundle from a worker is as untrusted as
the notebook that wrote it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from mlestar_lab.errors import UserError

# CSV compresses 3-5x at level 1 for little CPU; the network is usually the slower side.
_COMPRESS_LEVEL = 1


class BundleError(UserError):
    """A bundle that is not safe to extract; the message names the offending entry."""


def digest(path: Path) -> str:
    """A name for this version of `path`: its kind, and every file's relative name, size and mtime."""
    hasher = hashlib.sha256()
    hasher.update(b"dir" if path.is_dir() else b"file")
    for file, relative in _files(path):
        stat = file.stat()
        hasher.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return hasher.hexdigest()[:32]


def pack(path: Path, skip: frozenset[str] = frozenset()) -> bytes:
    """`path` as gzipped tar bytes: a folder's contents, or one file under its own name."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=_COMPRESS_LEVEL) as tar:
        for file, relative in _files(path):
            if relative not in skip:
                tar.add(file, arcname=relative, recursive=False)
    return buffer.getvalue()


def unpack(data: bytes, target: Path) -> None:
    """Extract into `target` (created), refusing links, devices and names that escape it."""
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            _check(member, root)
        for member in members:
            if member.isfile():
                _extract_file(tar, member, root)


def unpack_once(data: bytes, cache: Path, name: str) -> Path:
    """The bundle extracted under `cache/name`; extracted only by the first candidate that needs it."""
    final = cache / name
    if final.is_dir():
        return final
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=cache))
    try:
        unpack(data, staging)
        os.rename(staging, final)
    except OSError:
        # Another candidate on this worker extracted the same bundle first.
        if not final.is_dir():
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return final


def _files(path: Path) -> list[tuple[Path, str]]:
    if path.is_file():
        return [(path, path.name)]
    found = []
    for folder, _, names in os.walk(path):
        for name in sorted(names):
            file = Path(folder) / name
            if file.is_file() and not file.is_symlink():
                found.append((file, file.relative_to(path).as_posix()))
    return sorted(found, key=lambda item: item[1])


def _check(member: tarfile.TarInfo, root: Path) -> None:
    if not (member.isfile() or member.isdir()):
        raise BundleError(f"bundle entry {member.name!r} is not a regular file or folder")
    if Path(member.name).is_absolute() or ".." in Path(member.name).parts:
        raise BundleError(f"bundle entry {member.name!r} would land outside its folder")
    if not (root / member.name).resolve().is_relative_to(root):
        raise BundleError(f"bundle entry {member.name!r} would land outside its folder")


def _extract_file(tar: tarfile.TarFile, member: tarfile.TarInfo, root: Path) -> None:
    """Write one file atomically (temporary name, then rename), so a reader never sees half of it."""
    destination = root / member.name
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:
        raise BundleError(f"bundle entry {member.name!r} has no content")
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(source, handle)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
