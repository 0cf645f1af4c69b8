"""Every file of a competition folder, and one robust way to read its tables.

The agent must know about all the data it was given (MLE-STAR's data-usage checker asks that
every file be used or consciously skipped), so the inventory lists everything, not only CSVs.
Tables are read here and nowhere else, so a broken file always fails the same way: a one-line
`TaskError` naming the file and what to do about it, never a pandas traceback.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

from mlestar_lab.errors import TaskError
from mlestar_lab.task.model import FileInfo, FileKind

CONFIG_FILE = "mlestar-task.toml"

_CSV_COMPRESSIONS = ("", ".gz", ".bz2", ".zip", ".xz")
_TABLE_FORMATS: dict[str, str] = {
    **{f".csv{c}": "csv" for c in _CSV_COMPRESSIONS},
    **{f".tsv{c}": "tsv" for c in _CSV_COMPRESSIONS},
    ".parquet": "parquet",
    ".feather": "feather",
    ".xlsx": "excel",
    ".xls": "excel",
}
_SEPARATORS = {"csv": ",", "tsv": "\t"}
_OPTIONAL_READERS = {"parquet": "pyarrow", "feather": "pyarrow", "excel": "openpyxl"}
_KINDS: dict[str, FileKind] = {
    **dict.fromkeys((".json", ".jsonl", ".geojson"), "json"),
    **dict.fromkeys((".md", ".txt"), "text"),
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"), "image"),
    **dict.fromkeys((".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aif", ".aiff"), "audio"),
    **dict.fromkeys((".zip", ".tar", ".tar.gz", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar"), "archive"),
}
_CHUNK_ROWS = 200_000
_SNIFF_BYTES = 65_536


def table_format(path: str | os.PathLike[str]) -> str | None:
    """'csv', 'tsv', 'parquet', 'feather' or 'excel' from the file name, or None if not a table."""
    name = Path(path).name.lower()
    for suffix, fmt in sorted(_TABLE_FORMATS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return fmt
    return None


def table_stem(name: str) -> str | None:
    """The name without its table suffix ('train' for 'train.csv.gz'), or None if not a table."""
    lowered = name.lower()
    for suffix in sorted(_TABLE_FORMATS, key=len, reverse=True):
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return None


def file_kind(path: str | os.PathLike[str]) -> FileKind:
    if table_format(path):
        return "table"
    name = Path(path).name.lower()
    for suffix, kind in sorted(_KINDS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return kind
    return "other"


def read_table(path: str | os.PathLike[str], *, label: str | None = None) -> pd.DataFrame:
    """The table at `path`, or a one-line TaskError naming the file (`label`, else its name)."""
    file = Path(path)
    name = label or file.name
    fmt = table_format(file)
    if fmt is None:
        raise TaskError(f"{name}: not a table (expected .csv, .tsv, .parquet, .feather or .xlsx)")
    if fmt in _SEPARATORS:
        return _read_csv(file, name, fmt)
    try:
        if fmt == "parquet":
            return pd.read_parquet(file)
        if fmt == "feather":
            return pd.read_feather(file)
        return pd.read_excel(file)
    except ImportError as exc:
        package = _OPTIONAL_READERS[fmt]
        raise TaskError(
            f"{name}: reading {fmt} files needs the package {package} — `pip install {package}` "
            "or convert the file to CSV"
        ) from exc
    except Exception as exc:
        raise _unreadable(name, fmt, exc) from exc


def inventory(
    root: str | os.PathLike[str], loaded: Mapping[str, pd.DataFrame] | None = None
) -> list[FileInfo]:
    """Every non-hidden file under `root`, sorted by path, tables with their columns and rows.

    `loaded` maps relative paths to tables the caller has already read (train, test), so large
    files are not parsed twice. Other CSVs are read in chunks, so a big auxiliary table costs
    time but not memory.
    """
    base = Path(root)
    infos = []
    for file in _walk(base):
        rel = file.relative_to(base).as_posix()
        try:
            size = file.stat().st_size
        except OSError as exc:
            raise TaskError(f"{rel}: cannot be read ({exc.strerror}) — fix or remove it") from exc
        info = FileInfo(path=rel, kind=file_kind(file), size=size)
        if info.kind == "table":
            info.columns, info.rows = _table_shape(file, rel, (loaded or {}).get(rel))
        infos.append(info)
    return infos


def _walk(base: Path) -> Iterator[Path]:
    """Files under `base` in sorted order, following links to folders once, hidden ones skipped."""
    seen: set[str] = set()
    for folder, dirs, files in os.walk(base, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        for name in sorted(files):
            if name.startswith(".") or (here == base and name == CONFIG_FILE):
                continue
            yield here / name


def _table_shape(file: Path, rel: str, frame: pd.DataFrame | None) -> tuple[list[str], int]:
    if frame is not None:
        return [str(c) for c in frame.columns], len(frame)
    fmt = table_format(file)
    if fmt in _SEPARATORS:
        return _csv_shape(file, rel, fmt)
    table = read_table(file, label=rel)
    return [str(c) for c in table.columns], len(table)


def _read_csv(file: Path, name: str, fmt: str) -> pd.DataFrame:
    _check_text_file(file, name)
    try:
        return pd.read_csv(file, sep=_SEPARATORS[fmt], low_memory=False)
    except Exception as exc:
        raise _unreadable(name, fmt, exc) from exc


def _csv_shape(file: Path, name: str, fmt: str) -> tuple[list[str], int]:
    """Columns and row count, parsing in chunks of strings: validated fully, never held in memory."""
    _check_text_file(file, name)
    try:
        with pd.read_csv(file, sep=_SEPARATORS[fmt], chunksize=_CHUNK_ROWS, dtype=str) as reader:
            columns: list[str] = []
            rows = 0
            for chunk in reader:
                columns = [str(c) for c in chunk.columns]
                rows += len(chunk)
        if not columns:
            columns = [str(c) for c in pd.read_csv(file, sep=_SEPARATORS[fmt], nrows=0).columns]
    except Exception as exc:
        raise _unreadable(name, fmt, exc) from exc
    return columns, rows


def _check_text_file(file: Path, name: str) -> None:
    """Fail early, with a precise reason, on files pandas would misread or report obscurely."""
    try:
        with file.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except PermissionError as exc:
        raise TaskError(f"{name}: permission denied — make the file readable (chmod a+r)") from exc
    except OSError as exc:
        raise TaskError(f"{name}: cannot be read ({exc.strerror}) — fix or replace the file") from exc
    if not head:
        raise TaskError(f"{name}: empty file (0 bytes) — fix or replace the file")
    if file.suffix.lower() in (".csv", ".tsv") and b"\x00" in head:
        raise TaskError(f"{name}: binary content, not a text table — fix or replace the file")


def _unreadable(name: str, fmt: str, exc: BaseException) -> TaskError:
    if isinstance(exc, PermissionError):
        return TaskError(f"{name}: permission denied — make the file readable (chmod a+r)")
    if isinstance(exc, UnicodeDecodeError):
        return TaskError(
            f"{name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}) — re-save the file as UTF-8"
        )
    if isinstance(exc, pd.errors.EmptyDataError):
        return TaskError(f"{name}: no header row (the file is blank) — fix or replace the file")
    if isinstance(exc, (gzip.BadGzipFile, zipfile.BadZipFile, EOFError)):
        return TaskError(f"{name}: damaged compressed file ({_one_line(exc)}) — download it again")
    label = "CSV" if fmt in ("csv", "tsv") else fmt
    return TaskError(f"{name}: not a readable {label} ({_one_line(exc)}) — fix or replace the file")


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
