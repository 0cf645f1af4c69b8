"""`mlestar kaggle download`: a competition's files and metadata as a task folder the agent runs on.

The files arrive in a hidden staging folder beside the target and move in only when everything
is downloaded and unpacked, so a failed download leaves no half folder. The competition's own
metadata becomes `description.md` (title, pages) with an explicit `Evaluation metric:` line and,
when the metric is supported, `metric` in `mlestar-task.toml`; `.kaggle-competition.json`
remembers which competition the folder is, for `pull`, `push` and `submit`.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

from mlestar_lab.errors import TaskError, UserError
from mlestar_lab.fsutil import atomic_write_text
from mlestar_lab.kaggle.archives import unzip_all
from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.errors import KaggleAuthError, KaggleError, KaggleUnavailable
from mlestar_lab.kaggle.metrics import map_kaggle_metric, unsupported_message
from mlestar_lab.task.inventory import CONFIG_FILE

COMPETITION_FILE = ".kaggle-competition.json"
DESCRIPTION_FILE = "description.md"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")
_URL = re.compile(r"kaggle\.com/(?:c|competitions)/([^/?#]+)")


class CompetitionInfo(BaseModel):
    """What the task folder remembers about its Kaggle competition."""

    slug: str
    title: str = ""
    url: str = ""
    evaluation_metric: str = Field(default="", description="Kaggle's name of the metric.")
    metric: str | None = Field(default=None, description="The project's metric name; None if unsupported.")
    kernels_only: bool = Field(default=False, description="Only notebook (code) submissions are accepted.")
    downloaded_at: float = 0.0


class DownloadResult(BaseModel):
    task_dir: str
    competition: CompetitionInfo
    files: list[str]
    problems: list[str] = Field(
        default_factory=list, description="What keeps the folder from running as it is, and how to fix it."
    )


def competition_slug(text: str) -> str:
    """The competition's slug from a slug or a Kaggle URL; a clear error otherwise."""
    found = _URL.search(text)
    slug = (found.group(1) if found else text).strip().lower()
    if not _SLUG.match(slug):
        raise UserError(
            f"{text!r} is not a competition name: use the slug from its URL, e.g. 'digit-recognizer' for "
            "https://www.kaggle.com/competitions/digit-recognizer"
        )
    return slug


def download_competition(
    session: KaggleSession, competition: str, target: Path, force: bool = False
) -> DownloadResult:
    slug = competition_slug(competition)
    target = target.expanduser().resolve()
    _check_target(target, force)
    info = _competition_info(session, slug)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.download-", dir=target.parent))
    try:
        session.call(
            f"downloading the files of {slug}",
            session.api.competition_download_files,
            slug,
            path=str(staging),
            quiet=True,
            unzip=True,
        )
        unzip_all(staging)
        info.metric = map_kaggle_metric(info.evaluation_metric, _prediction_columns(staging))
        _write_metadata(staging, info, _pages(session, slug))
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        _move_into(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DownloadResult(
        task_dir=str(target), competition=info, files=files, problems=_problems(target, info)
    )


def read_competition(task_dir: str | Path) -> CompetitionInfo | None:
    """The competition a task folder was downloaded from, if it was."""
    path = Path(task_dir) / COMPETITION_FILE
    if not path.is_file():
        return None
    return CompetitionInfo.model_validate_json(path.read_text(encoding="utf-8"))


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} is a file; choose another --dir")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UserError(f"{target} already has files; choose another --dir or pass --force to replace them")


def _competition_info(session: KaggleSession, slug: str) -> CompetitionInfo:
    from kagglesdk.competitions.types.competition_api_service import ApiGetCompetitionRequest

    request = ApiGetCompetitionRequest()
    request.competition_name = slug

    def get() -> object:
        with session.client() as kaggle:
            return kaggle.competitions.competition_api_client.get_competition(request)

    found = session.call(f"reading competition {slug}", get)
    return CompetitionInfo(
        slug=slug,
        title=getattr(found, "title", "") or slug,
        url=getattr(found, "url", "") or f"https://www.kaggle.com/competitions/{slug}",
        evaluation_metric=getattr(found, "evaluation_metric", "") or "",
        kernels_only=bool(getattr(found, "is_kernels_submissions_only", False)),
        downloaded_at=time.time(),
    )


def _pages(session: KaggleSession, slug: str) -> list[tuple[str, str]]:
    """The competition's pages (description, evaluation, data …); optional, so a refusal skips them."""
    try:
        pages = session.call(f"reading the pages of {slug}", session.api.competition_list_pages, slug)
    except (KaggleAuthError, KaggleUnavailable):
        raise
    except KaggleError:
        return []
    return [(p.name, p.content) for p in pages or [] if getattr(p, "content", "")]


def _prediction_columns(folder: Path) -> int | None:
    samples = sorted(folder.glob("sample_submission*.csv")) or sorted(folder.glob("*submission*.csv"))
    if not samples:
        return None
    with samples[0].open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    return max(len(header) - 1, 1)


def _odd_sample_submission(folder: Path) -> str | None:
    """The one `*submission*.csv` of a competition without a `sample_submission.csv` (some ship, e.g.
    `gender_submission.csv`), so the task loader finds the format without being told."""
    if list(folder.glob("sample_submission*")):
        return None
    found = sorted(p.name for p in folder.glob("*.csv") if "submission" in p.name.lower())
    return found[0] if len(found) == 1 else None


def _write_metadata(folder: Path, info: CompetitionInfo, pages: list[tuple[str, str]]) -> None:
    metric_line = (
        f"Evaluation metric: {info.metric}"
        if info.metric
        else f"Kaggle evaluation metric: {info.evaluation_metric}"
    )
    parts = [f"# {info.title}", "", info.url, "", metric_line, ""]
    for name, content in pages:
        parts += [f"## {name}", "", content.strip(), ""]
    atomic_write_text(folder / DESCRIPTION_FILE, "\n".join(parts))
    settings = []
    if info.metric:
        settings += [f"# Kaggle's evaluation metric: {json.dumps(info.evaluation_metric)}"]
        settings += [f"metric = {json.dumps(info.metric)}"]
    sample = _odd_sample_submission(folder)
    if sample:
        settings += [f"sample_submission_file = {json.dumps(sample)}"]
    if settings and not (folder / CONFIG_FILE).exists():
        atomic_write_text(folder / CONFIG_FILE, "\n".join(settings) + "\n")
    atomic_write_text(folder / COMPETITION_FILE, info.model_dump_json(indent=2))


def _move_into(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    for entry in staging.iterdir():
        destination = target / entry.name
        if destination.is_dir() and not destination.is_symlink():
            shutil.rmtree(destination)
        elif destination.exists() or destination.is_symlink():
            destination.unlink()
        entry.rename(destination)


def _problems(target: Path, info: CompetitionInfo) -> list[str]:
    """Why `mlestar run` would refuse the folder as it is (unsupported metric, missing files …)."""
    from mlestar_lab.task.load import load_task

    problems = []
    if info.metric is None:
        problems.append(
            f"{unsupported_message(info.evaluation_metric or 'an unnamed metric')}; set metric in "
            f"{target / CONFIG_FILE} to the closest supported one to run anyway"
        )
    try:
        load_task(target)
    except TaskError as exc:
        if info.metric is not None:
            problems.append(str(exc))
    return problems
