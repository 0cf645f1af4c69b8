"""The real clients (`google-genai`, httpx) against local fakes of each wire protocol: replies,
usage, grounding, error mapping (what is retried, what is a message for the user), timeouts."""

from __future__ import annotations

import random
import time

import pytest
from fakes.llm_server import FakeLLMServer
from llm_fixtures import model_env_fixture, new_key  # noqa: F401  (the model_env fixture)

from mlestar_lab.llm.base import ChatRequest, LLMError, TransientError, parse_retry_after
from mlestar_lab.llm.gemini import GeminiClient
from mlestar_lab.llm.openai_compat import OpenAICompatClient
from mlestar_lab.llm.retry import RetryPolicy, with_retries

PROMPT = "# Role: retrieval\nFind 2 model families"


def _echo(role: str, prompt: str) -> str:
    return f"answer to {role}"


def _client(fake: FakeLLMServer, key: str, timeout: float = 5.0):
    if fake.protocol == "gemini":
        return GeminiClient("gemini-2.5-flash", key, fake.url, timeout)
    return OpenAICompatClient("gpt-4o-mini", key, fake.url, timeout)


@pytest.mark.usefixtures("model_env")
@pytest.mark.parametrize("protocol", ["gemini", "openai"])
def test_a_reply_with_its_usage(protocol):
    key = new_key("k")
    with FakeLLMServer(protocol, _echo, key, model="served-model") as fake:
        client = _client(fake, key)
        reply = client.complete(ChatRequest(system="be brief", prompt=PROMPT, search=True))
        client.close()
    assert reply.text == "answer to retrieval"
    assert reply.prompt_tokens > 0 and reply.output_tokens > 0 and reply.model == "served-model"
    assert fake.seen[0].role == "retrieval"
    if protocol == "gemini":
        assert fake.seen[0].path.endswith("/models/gemini-2.5-flash:generateContent")
        assert fake.seen[0].headers["x-goog-api-key"] == key
        assert fake.seen[0].search, "retrieval turns on the Google Search tool"
        assert [s.uri for s in reply.sources] == [
            "https://example.org/tabular-benchmarks",
            "https://example.org/gbdt-guide",
        ]
        assert reply.search_queries
    else:
        assert fake.seen[0].path == "/v1/chat/completions" and not client.supports_search


@pytest.mark.usefixtures("model_env")
@pytest.mark.parametrize("protocol", ["gemini", "openai"])
def test_429_is_transient_and_carries_retry_after(protocol):
    key = new_key("k")
    with FakeLLMServer(protocol, _echo, key) as fake:
        fake.fail(1, 429, retry_after="7")
        fake.fail(1, 503)
        client = _client(fake, key)
        with pytest.raises(TransientError) as first:
            client.complete(ChatRequest(system="", prompt=PROMPT))
        with pytest.raises(TransientError) as second:
            client.complete(ChatRequest(system="", prompt=PROMPT))
        assert client.complete(ChatRequest(system="", prompt=PROMPT)).text == "answer to retrieval"
    assert first.value.retry_after == 7.0 and second.value.retry_after is None


@pytest.mark.usefixtures("model_env")
@pytest.mark.parametrize("protocol", ["gemini", "openai"])
def test_a_wrong_key_is_a_clear_error_not_retried(protocol):
    with FakeLLMServer(protocol, _echo, "the-right-key") as fake:
        client = _client(fake, "a-wrong-key")
        with pytest.raises(LLMError) as error:
            with_retries(lambda: client.complete(ChatRequest(system="", prompt=PROMPT)), RetryPolicy())
    assert not isinstance(error.value, TransientError)
    assert "API_KEY" in str(error.value) and len(fake.seen) == 1


@pytest.mark.usefixtures("model_env")
@pytest.mark.parametrize("protocol", ["gemini", "openai"])
def test_a_hung_connection_times_out(protocol):
    key = new_key("k")
    with FakeLLMServer(protocol, _echo, key) as fake:
        fake.fail(1, 0)
        client = _client(fake, key, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(TransientError, match="did not answer in time"):
            client.complete(ChatRequest(system="", prompt=PROMPT))
        waited = time.monotonic() - started
        assert client.complete(ChatRequest(system="", prompt=PROMPT)).text == "answer to retrieval"
    assert waited >= 1.0


def test_retries_honour_retry_after_and_back_off_with_jitter():
    pauses: list[float] = []
    errors = [TransientError("429", retry_after=3.0), TransientError("503"), TransientError("503")]

    def call() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=1.5)
    assert with_retries(call, policy, sleep=pauses.append, rng=random.Random(0)) == "ok"
    assert pauses[0] == 3.0, "the server's Retry-After is honoured"
    assert 0 <= pauses[1] <= 2.0 and 0 <= pauses[2] <= 1.5, "jittered, capped exponential backoff"


def test_retries_give_up_after_the_last_attempt():
    calls = []

    def call() -> str:
        calls.append(1)
        raise TransientError("503 overloaded")

    with pytest.raises(LLMError, match="gave up after 3 attempts: 503 overloaded"):
        with_retries(call, RetryPolicy(attempts=3), sleep=lambda s: None)
    assert len(calls) == 3


def test_retry_after_forms():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert 0 <= parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
