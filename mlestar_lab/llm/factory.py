"""The chat client for resolved settings."""

from __future__ import annotations

from mlestar_lab.llm.base import ChatClient
from mlestar_lab.llm.settings import LLMSettings


def make_client(settings: LLMSettings) -> ChatClient:
    if settings.provider == "gemini":
        from mlestar_lab.llm.gemini import GeminiClient

        return GeminiClient(settings.model, settings.api_key, settings.base_url, settings.timeout)
    from mlestar_lab.llm.openai_compat import OpenAICompatClient

    return OpenAICompatClient(settings.model, settings.api_key, settings.base_url or "", settings.timeout)
