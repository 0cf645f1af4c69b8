"""The chat interface every model client implements, and the errors the retry policy reads."""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class ChatRequest:
    """One prompt: a system instruction and the user's text. `search` asks for web grounding."""

    system: str
    prompt: str
    search: bool = False
    temperature: float = 0.7
    max_output_tokens: int | None = None


@dataclass(frozen=True)
class Source:
    """A web page a grounded reply drew on."""

    uri: str
    title: str = ""


@dataclass
class ChatReply:
    text: str
    model: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    finish_reason: str = ""
    sources: list[Source] = field(default_factory=list)
    search_queries: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


class LLMError(Exception):
    """A model call that failed for good; the message says what to fix when a user can fix it."""


class TransientError(LLMError):
    """A failure worth retrying (429, 5xx, a timeout, a dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ChatClient(ABC):
    """Sends one request to one model. Implementations raise TransientError or LLMError only."""

    provider: str = "abstract"

    def __init__(self, model: str):
        self.model = model

    @property
    @abstractmethod
    def supports_search(self) -> bool:
        """Whether `ChatRequest.search` is honoured (web grounding), so retrieval can use it."""

    @abstractmethod
    def complete(self, request: ChatRequest) -> ChatReply:
        """The model's reply to `request` (one attempt, no retry)."""

    @abstractmethod
    def close(self) -> None:
        """Release the client's connections."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
