"""Retrieval: model families with Google Search grounding, or the local catalog without search.

When the model's answer is unusable or the call fails, the catalog answers instead and each
family's `source` says why, so the run goes on (and a wrong key then fails every candidate with
its message). The families come back as a JSON list; names are made safe identifiers (they
become step keys and folder names) and unique. A retrieval gate asking for more families than
the model proposed is offered the proposed ones first, then the catalog's, without asking again.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import replace

from mlestar_lab.llm.base import LLMError
from mlestar_lab.llm.usage import SpendCapReached
from mlestar_lab.strategist.base import ModelFamily
from mlestar_lab.strategist.llm.parse import json_list
from mlestar_lab.strategist.llm.prompts import render
from mlestar_lab.strategist.llm.session import ReplyUnusable, Session
from mlestar_lab.strategist.llm.views import task_view
from mlestar_lab.strategist.offline import families as catalog
from mlestar_lab.task.model import Task

MAX_RETRIEVED = 8
log = logging.getLogger(__name__)
WEB = "web search"


class Retriever:
    def __init__(self, session: Session):
        self.session = session
        self._found: dict[str, list[ModelFamily]] = {}
        self._lock = threading.Lock()

    def retrieve(self, task: Task, count: int) -> list[ModelFamily]:
        with self._lock:
            found = self._found.get(task.root)
        if found is not None and count > len(found):
            return _fill(found, catalog.retrieve(task, count), count)
        if not self.session.supports_search:
            return catalog.retrieve(task, count)
        wanted = min(count, MAX_RETRIEVED)
        prompt = render("retrieval", count=wanted, task=task_view(task))
        required = ("name", "title", "description")
        try:
            items = self.session.ask(prompt, lambda text: json_list(text, required), search=True)
        except (ReplyUnusable, LLMError, SpendCapReached) as exc:
            log.warning("web retrieval failed, using the local catalog: %s", exc)
            why = f"catalog: web retrieval failed ({type(exc).__name__}: {str(exc)[:300]})"
            return [replace(f, source=why) for f in catalog.retrieve(task, count)]
        families: list[ModelFamily] = []
        for item in items[:wanted]:
            name = _unique(_slug(item["name"]), {f.name for f in families})
            families.append(
                ModelFamily(
                    name=name,
                    title=item["title"].strip(),
                    description=item["description"].strip(),
                    snippet=str(item.get("snippet") or "").strip(),
                    source=WEB,
                )
            )
        with self._lock:
            self._found[task.root] = families
        return families


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug[:40] or "model"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _fill(found: list[ModelFamily], more: list[ModelFamily], count: int) -> list[ModelFamily]:
    names = {f.name for f in found}
    return (found + [f for f in more if f.name not in names])[:count]
