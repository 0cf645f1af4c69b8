"""Any OpenAI-compatible chat-completions endpoint: OpenAI, Ollama, vLLM, llama.cpp server.

Plain `httpx` against `POST {base_url}/chat/completions`, so the same code serves every server
that speaks the protocol. None of them offers web search through this API, so retrieval falls
back to the local model catalog (`supports_search` is False).
"""

from __future__ import annotations

from typing import Any

import httpx

from mlestar_lab.llm.base import (
    ChatClient,
    ChatReply,
    ChatRequest,
    LLMError,
    TransientError,
    parse_retry_after,
)


class OpenAICompatClient(ChatClient):
    provider = "openai"

    def __init__(self, model: str, api_key: str, base_url: str, timeout: float = 300.0):
        super().__init__(model)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)))

    @property
    def supports_search(self) -> bool:
        return False

    def complete(self, request: ChatRequest) -> ChatReply:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "temperature": request.temperature,
        }
        if request.max_output_tokens:
            body["max_tokens"] = request.max_output_tokens
        try:
            response = self._http.post(self._url, json=body)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self._url} did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"cannot reach {self._url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise _status_error(response, self._url)
        try:
            data = response.json()
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"{self._url} sent a reply that is not a chat completion: {exc!r}") from exc
        if not text:
            finish = choice.get("finish_reason")
            raise LLMError(f"{self._url} returned an empty answer (finish reason {finish})")
        usage = data.get("usage") or {}
        return ChatReply(
            text=text,
            model=data.get("model") or self.model,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=str(choice.get("finish_reason") or ""),
        )

    def close(self) -> None:
        self._http.close()


def _status_error(response: httpx.Response, url: str) -> LLMError:
    code = response.status_code
    try:
        detail = response.json().get("error", {})
        message = detail.get("message", "") if isinstance(detail, dict) else str(detail)
    except ValueError:
        message = response.text[:300]
    text = f"{url} answered {code}: {message}".strip()
    if code in (408, 409, 429) or code >= 500:
        return TransientError(text, parse_retry_after(response.headers.get("retry-after")))
    if code in (401, 403):
        return LLMError(f"{text} — check OPENAI_API_KEY (or api_key under [openai] in the config file)")
    if code == 404:
        return LLMError(f"{text} — check the model name (--model) and OPENAI_BASE_URL")
    return LLMError(text)
