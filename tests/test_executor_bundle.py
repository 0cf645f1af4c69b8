"""Bundles that carry task data to Dask workers and outputs back: versions, round trip, safety."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from mlestar_lab.executor.remote.bundle import BundleError, digest, pack, unpack, unpack_once


def tar_with(entry: tarfile.TarInfo, data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.addfile(entry, io.BytesIO(data) if entry.isfile() else None)
    return buffer.getvalue()


def test_a_folder_round_trips_and_is_extracted_once(tmp_path: Path) -> None:
    source = tmp_path / "data"
    (source / "images").mkdir(parents=True)
    (source / "train.csv").write_text("a,b\n1,2\n")
    (source / "images" / "x.bin").write_bytes(b"\x00\x01")
    name = digest(source)
    first = unpack_once(pack(source), tmp_path / "cache", name)
    assert (first / "train.csv").read_text() == "a,b\n1,2\n"
    assert (first / "images" / "x.bin").read_bytes() == b"\x00\x01"
    (first / "train.csv").write_text("changed on the worker")
    assert unpack_once(pack(source), tmp_path / "cache", name) == first
    assert (first / "train.csv").read_text() == "changed on the worker"  # not extracted again


def test_the_digest_changes_with_a_file_and_not_without(tmp_path: Path) -> None:
    source = tmp_path / "data"
    source.mkdir()
    (source / "train.csv").write_text("a\n1\n")
    before = digest(source)
    assert digest(source) == before
    (source / "train.csv").write_text("a\n1\n2\n")
    assert digest(source) != before


def test_a_single_file_keeps_its_name(tmp_path: Path) -> None:
    folds = tmp_path / "folds.csv"
    folds.write_text("id,fold\n1,0\n")
    unpack(pack(folds), tmp_path / "out")
    assert (tmp_path / "out" / "folds.csv").read_text() == "id,fold\n1,0\n"


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/escape.txt", "a/../../escape.txt"])
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    entry = tarfile.TarInfo(name)
    entry.size = 1
    with pytest.raises(BundleError, match="outside its folder"):
        unpack(tar_with(entry, b"x"), tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_links_are_refused(tmp_path: Path) -> None:
    entry = tarfile.TarInfo("link")
    entry.type = tarfile.SYMTYPE
    entry.linkname = os.fspath(tmp_path / "secret")
    with pytest.raises(BundleError, match="not a regular file"):
        unpack(tar_with(entry), tmp_path / "out")
    assert not (tmp_path / "out" / "link").exists()
