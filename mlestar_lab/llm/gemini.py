"""Gemini through `google-genai`, the maintained successor of `google-generativeai`.

Retrieval requests turn on the Google Search tool; the pages the answer was grounded on come back
as `ChatReply.sources`. The SDK's own retries are switched off: `mlestar_lab.llm.retry` retries
every provider the same way and honours Retry-After.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import httpx

from mlestar_lab.llm.base import (
    ChatClient,
    ChatReply,
    ChatRequest,
    LLMError,
    Source,
    TransientError,
    parse_retry_after,
)


class GeminiClient(ChatClient):
    provider = "gemini"

    def __init__(self, model: str, api_key: str, base_url: str | None = None, timeout: float = 300.0):
        super().__init__(model)
        from google import genai
        from google.genai import types

        self._types = types
        self._client = genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=base_url,
                timeout=int(timeout * 1000),
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )

    @property
    def supports_search(self) -> bool:
        return True

    def complete(self, request: ChatRequest) -> ChatReply:
        from google.genai import errors

        types = self._types
        config = types.GenerateContentConfig(
            system_instruction=request.system,
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens,
            tools=[types.Tool(google_search=types.GoogleSearch())] if request.search else None,
        )
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=request.prompt, config=config
            )
        except errors.APIError as exc:
            raise _api_error(exc) from exc
        except _http_errors("TimeoutException") as exc:
            raise TransientError(f"Gemini did not answer in time ({type(exc).__name__})") from exc
        except _http_errors("TransportError") as exc:
            raise TransientError(f"cannot reach Gemini: {type(exc).__name__}: {exc}") from exc
        return _reply(response, self.model)

    def close(self) -> None:
        self._client.close()


def _http_errors(name: str) -> tuple[type[Exception], ...]:
    """`httpx.<name>` and, when installed, `httpx2.<name>`: the SDK uses the httpx2 fork if present."""
    modules = [httpx]
    if importlib.util.find_spec("httpx2") is not None:
        modules.append(importlib.import_module("httpx2"))
    return tuple(getattr(module, name) for module in modules)


def _api_error(exc: Any) -> LLMError:
    code = int(getattr(exc, "code", 0) or 0)
    text = f"Gemini answered {code} {exc.status or ''}: {exc.message or ''}".strip()
    if code == 429 or code == 408 or code >= 500:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        return TransientError(text, parse_retry_after(headers.get("retry-after")))
    if code in (401, 403) or "API key" in (exc.message or ""):
        return LLMError(f"{text} — check GEMINI_API_KEY / GOOGLE_API_KEY")
    if code == 404:
        return LLMError(f"{text} — check the model name (--model)")
    return LLMError(text)


def _reply(response: Any, model: str) -> ChatReply:
    candidates = response.candidates or []
    if not candidates:
        feedback = getattr(response, "prompt_feedback", None)
        raise LLMError(f"Gemini returned no answer (prompt feedback: {feedback})")
    candidate = candidates[0]
    parts = (candidate.content.parts if candidate.content else None) or []
    text = "".join(p.text for p in parts if getattr(p, "text", None) and not getattr(p, "thought", False))
    finish = str(getattr(candidate.finish_reason, "value", candidate.finish_reason) or "")
    if not text:
        raise LLMError(f"Gemini returned an empty answer (finish reason {finish or 'unknown'})")
    usage = response.usage_metadata
    prompt_tokens = (usage.prompt_token_count or 0) if usage else 0
    output_tokens = ((usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)) if usage else 0
    sources, queries = [], []
    grounding = candidate.grounding_metadata
    if grounding is not None:
        queries = list(grounding.web_search_queries or [])
        for chunk in grounding.grounding_chunks or []:
            web = chunk.web
            if web is not None and web.uri:
                sources.append(Source(uri=web.uri, title=web.title or ""))
    return ChatReply(
        text=text,
        model=getattr(response, "model_version", None) or model,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        finish_reason=finish,
        sources=sources,
        search_queries=queries,
    )
