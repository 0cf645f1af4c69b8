"""One conversation turn with the model, made robust: spend cap, retries, repair rounds, records.

`ask` sends a prompt, reads the reply with a parser, and when the parser finds a problem sends
the problem back in a bounded repair round; after that the step fails cleanly with
`ReplyUnusable`, naming the transcript that keeps the reply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from mlestar_lab.llm.base import ChatClient, ChatReply, ChatRequest, LLMError, TransientError
from mlestar_lab.llm.pricing import price_of
from mlestar_lab.llm.retry import with_retries
from mlestar_lab.llm.settings import LLMSettings
from mlestar_lab.llm.usage import SpendLedger
from mlestar_lab.strategist.llm.parse import ReplyProblem
from mlestar_lab.strategist.llm.prompts import render, role_of
from mlestar_lab.strategist.llm.transcripts import Transcripts

T = TypeVar("T")
REPAIR_ROUNDS = 1


class ReplyUnusable(Exception):
    """The model's reply had the wrong form even after the repair round(s)."""


class Session:
    def __init__(
        self,
        client: ChatClient,
        settings: LLMSettings,
        ledger: SpendLedger,
        transcripts: Transcripts,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.settings = settings
        self.ledger = ledger
        self.transcripts = transcripts
        self._sleep = sleep
        self._system = render("system")

    @property
    def supports_search(self) -> bool:
        return self.client.supports_search

    def ask(self, prompt: str, read: Callable[[str], T], *, search: bool = False) -> T:
        """The parsed reply to `prompt`; ReplyUnusable after REPAIR_ROUNDS failed repairs."""
        role = role_of(prompt)
        request = prompt
        for round_ in range(REPAIR_ROUNDS + 1):
            text, name = self._call(role, request, search and self.supports_search, round_)
            try:
                return read(text)
            except ReplyProblem as problem:
                if round_ == REPAIR_ROUNDS:
                    raise ReplyUnusable(
                        f"the {role} reply could not be used after {REPAIR_ROUNDS} repair round(s): "
                        f"{problem} (reply kept in {name})"
                    ) from problem
                request = render("repair", role=role, problem=problem, request=prompt)
        raise AssertionError("unreachable: the last round returns or raises")

    def _call(self, role: str, prompt: str, search: bool, round_: int) -> tuple[str, str]:
        """(scrubbed reply text, transcript name) of one model call, retried on transient errors."""
        self.ledger.check()
        request = ChatRequest(system=self._system, prompt=prompt, search=search)
        retries: list[dict[str, Any]] = []

        def on_retry(attempt: int, exc: TransientError, pause: float) -> None:
            retries.append({"attempt": attempt, "error": str(exc), "pause": round(pause, 3)})

        record: dict[str, Any] = {
            "role": role,
            "provider": self.client.provider,
            "model": self.client.model,
            "repair_round": round_,
            "search": search,
            "started_at": time.time(),
            "system": self._system,
            "prompt": prompt,
            "retries": retries,
        }
        try:
            reply = with_retries(
                lambda: self.client.complete(request),
                self.settings.retry,
                sleep=self._sleep,
                on_retry=on_retry,
            )
        except LLMError as exc:
            record.update(error=str(exc), seconds=time.time() - record["started_at"])
            name = self.transcripts.write(role, record)
            raise LLMError(f"the {role} call failed: {self.transcripts.scrub(str(exc))} ({name})") from exc
        price = price_of(self.client.model, self.settings.prices)
        cost = price.cost(reply.prompt_tokens, reply.output_tokens)
        text = self.transcripts.scrub(reply.text)
        record.update(_reply_fields(reply, text, cost), seconds=time.time() - record["started_at"])
        name = self.transcripts.write(role, record)
        sources = [asdict(s) for s in reply.sources]
        self.ledger.charge(reply.tokens, cost, name, sources)
        return text, name


def _reply_fields(reply: ChatReply, text: str, cost: float) -> dict[str, Any]:
    return {
        "reply": text,
        "reply_model": reply.model,
        "finish_reason": reply.finish_reason,
        "prompt_tokens": reply.prompt_tokens,
        "output_tokens": reply.output_tokens,
        "cost_usd": cost,
        "sources": [asdict(s) for s in reply.sources],
        "search_queries": reply.search_queries,
    }
