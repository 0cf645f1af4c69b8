"""A fake chat-model server on 127.0.0.1 speaking Gemini's `:generateContent` or OpenAI's
`/v1/chat/completions`, replaying scripted replies routed by the prompt's `# Role:` line.

Faults are queued per role (or for any role): an HTTP status with an optional Retry-After, or a
hung connection that never answers (released when the server stops). Every request is recorded,
headers included, so tests can check what the real clients sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ROLE = re.compile(r"^# Role: (\w+)", re.MULTILINE)
ANY = "*"

Responder = Callable[[str, str], str]


@dataclass
class Fault:
    status: int = 0  # 0: hang without answering
    retry_after: str | None = None


@dataclass
class Seen:
    role: str
    path: str
    headers: dict[str, str]
    prompt: str
    search: bool
    status: int = 200


@dataclass
class FakeLLMServer:
    protocol: str  # "gemini" or "openai"
    respond: Responder
    api_key: str
    model: str = "fake-model"
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}" + ("/v1" if self.protocol == "openai" else "")

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def fail(self, count: int, status: int = 0, retry_after: str | None = None, role: str = ANY) -> None:
        """The next `count` requests (of `role`) get `status` (0: hang) instead of a reply."""
        with self._lock:
            self._faults[role].extend(Fault(status, retry_after) for _ in range(count))

    def roles(self) -> list[str]:
        return [s.role for s in self.seen if s.status == 200]

    def _fault(self, role: str) -> Fault | None:
        with self._lock:
            for key in (role, ANY):
                if self._faults[key]:
                    return self._faults[key].popleft()
        return None

    # -- the two wire protocols --------------------------------------------------------------

    def authorised(self, headers: Any) -> bool:
        if self.protocol == "gemini":
            return headers.get("x-goog-api-key") == self.api_key
        return headers.get("Authorization") == f"Bearer {self.api_key}"

    def read_request(self, body: dict[str, Any]) -> tuple[str, bool]:
        if self.protocol == "gemini":
            texts = [p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", [])]
            search = any("googleSearch" in tool for tool in body.get("tools") or [])
            return "\n".join(texts), search
        return str(body["messages"][-1]["content"]), False

    def reply_body(self, text: str, prompt: str, search: bool) -> dict[str, Any]:
        prompt_tokens, output_tokens = 1000 + len(prompt) // 400, 500 + len(text) // 400
        if self.protocol == "openai":
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": self.model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": prompt_tokens + output_tokens,
                },
            }
        candidate: dict[str, Any] = {
            "content": {"role": "model", "parts": [{"text": text}]},
            "finishReason": "STOP",
            "index": 0,
        }
        if search:
            candidate["groundingMetadata"] = {
                "webSearchQueries": ["state of the art tabular regression models"],
                "groundingChunks": [
                    {"web": {"uri": "https://example.org/tabular-benchmarks", "title": "Tabular benchmarks"}},
                    {"web": {"uri": "https://example.org/gbdt-guide", "title": "Gradient boosting guide"}},
                ],
            }
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
            "modelVersion": self.model,
        }


def _handler(fake: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `fake.seen` instead."""

        def do_POST(self) -> None:
            expected = ":generateContent" if fake.protocol == "gemini" else "/v1/chat/completions"
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.path.endswith(expected):
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            prompt, search = fake.read_request(body)
            match = ROLE.search(prompt)
            role = match.group(1) if match else "unknown"
            seen = Seen(role, self.path, dict(self.headers.items()), prompt, search)
            fake.seen.append(seen)
            if not fake.authorised(self.headers):
                seen.status = 400 if fake.protocol == "gemini" else 401
                message = "API key not valid. Please pass a valid API key."
                return self._send(seen.status, {"error": {"code": seen.status, "message": message}})
            fault = fake._fault(role)
            if fault is not None and fault.status == 0:
                seen.status = 0
                fake.release.wait()
                return None
            if fault is not None:
                seen.status = fault.status
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                error = {
                    "error": {"code": fault.status, "message": "scripted fault", "status": "UNAVAILABLE"}
                }
                return self._send(fault.status, error, headers)
            return self._send(200, fake.reply_body(fake.respond(role, prompt), prompt, search))

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
