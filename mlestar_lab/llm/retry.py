"""Retries with exponential backoff and full jitter, honouring a server's Retry-After.

Only `TransientError` is retried (429, 5xx, timeouts, dropped connections); anything else is a
mistake a retry cannot fix (a wrong key, an unknown model) and is raised at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from mlestar_lab.llm.base import LLMError, TransientError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 2.0
    max_delay: float = 60.0
    # A server asking for a longer pause than this is treated as out of service for this call.
    max_retry_after: float = 300.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Pause before retry number `attempt` (1-based): the server's wish, else jittered backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, TransientError, float], None] | None = None,
) -> T:
    """`call()`, retried on TransientError up to `policy.attempts` times in all."""
    rng = rng or random.Random()
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except TransientError as exc:
            if attempt == policy.attempts:
                raise LLMError(f"gave up after {attempt} attempts: {exc}") from exc
            if exc.retry_after is not None and exc.retry_after > policy.max_retry_after:
                raise LLMError(f"the server asked to wait {exc.retry_after:.0f}s: {exc}") from exc
            pause = policy.delay(attempt, exc.retry_after, rng)
            log.info("model call failed (%s); retry %d in %.1fs", exc, attempt, pause)
            if on_retry is not None:
                on_retry(attempt, exc, pause)
            sleep(pause)
    raise AssertionError("unreachable: the loop returns or raises")
