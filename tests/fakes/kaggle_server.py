"""A local fake of the Kaggle API on 127.0.0.1 that speaks the real client's wire protocol.

Every call is `POST /api/v1/<package>.<Service>/<Method>` with a camelCase JSON body; data
downloads answer with a 302 to a streamed file; a submission is `StartSubmissionUpload` → `PUT`
of the bytes to the returned URL → `CreateSubmission`. Credentials are checked like Kaggle does
(a bearer token or HTTP basic username:key), and `fail` makes a method answer with an HTTP status
or drop the connection, so error paths are exercised through the real `kaggle` client.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Shaped like a Kaggle access token (the client checks the prefix), built so it never reads as a real one.
FAKE_TOKEN = "KGAT_" + "fake" + "0" * 22

DROP = "drop"


@dataclass
class FakeKernel:
    owner: str
    slug: str
    title: str
    source: str
    competition_sources: list[str] = field(default_factory=list)
    dataset_sources: list[str] = field(default_factory=list)
    language: str = "python"
    kernel_type: str = "notebook"


@dataclass
class FakeCompetition:
    slug: str
    title: str
    evaluation_metric: str
    files: dict[str, bytes]
    description: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    kernels_only: bool = False


class FakeKaggle:
    """State of the fake: what exists, what arrived, and which calls should fail."""

    def __init__(self, token: str = FAKE_TOKEN, username: str = "tester") -> None:
        self.tokens = {token: username}
        self.keys: dict[str, str] = {}
        self.competitions: dict[str, FakeCompetition] = {}
        self.kernels: dict[str, FakeKernel] = {}
        self.saved_kernels: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.submissions: list[dict[str, Any]] = []
        self.kernel_status = "COMPLETE"
        self.calls: list[str] = []
        self.fail: dict[str, int | str] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeKaggle:
        fake = self

        class Handler(_Handler):
            state = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- helpers for tests ------------------------------------------------------------------

    def add_competition(self, competition: FakeCompetition) -> None:
        self.competitions[competition.slug] = competition

    def add_kernel(self, kernel: FakeKernel) -> None:
        self.kernels[f"{kernel.owner}/{kernel.slug}"] = kernel


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class _Handler(BaseHTTPRequestHandler):
    state: FakeKaggle
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on state, not on the server's log."""

    # -- plumbing ---------------------------------------------------------------------------

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"code": status, "message": message})

    def _drop(self) -> None:
        self.close_connection = True
        self.connection.shutdown(2)

    def _user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return self.state.tokens.get(header[len("Bearer ") :])
        if header.startswith("Basic "):
            user, _, key = base64.b64decode(header[len("Basic ") :]).decode().partition(":")
            return user if self.state.keys.get(user) == key else None
        return None

    # -- routes -----------------------------------------------------------------------------

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        prefix = "/api/v1/"
        if not self.path.startswith(prefix):
            return self._error(404, f"no route {self.path}")
        method = self.path[len(prefix) :]
        self.state.calls.append(method)
        failure = self.state.fail.get(method.rsplit("/", 1)[-1])
        if failure == DROP:
            return self._drop()
        if isinstance(failure, int):
            return self._error(failure, f"injected {failure}")
        if method == "security.OAuthService/IntrospectToken":
            user = self.state.tokens.get(body.get("token", ""))
            return self._json(200, {"active": user is not None, "username": user or ""})
        if self._user() is None:
            return self._error(401, "Unauthenticated")
        handler = getattr(self, "rpc_" + method.rsplit("/", 1)[-1], None)
        if handler is None:
            return self._error(404, f"unknown method {method}")
        handler(body)

    def do_GET(self) -> None:
        if self.path.startswith("/files/"):
            slug = self.path[len("/files/") :].removesuffix(".zip")
            if self.state.fail.get("file") == DROP:
                return self._drop()
            data = zip_bytes(self.state.competitions[slug].files)
            return self._send(
                200, data, "application/zip", {"Last-Modified": "Tue, 01 Dec 2026 00:00:00 GMT"}
            )
        self._error(404, "not found")

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        token = self.path.rsplit("/", 1)[-1]
        self.state.uploads[token] = data
        self._json(200, {})

    # -- competitions -----------------------------------------------------------------------

    def _competition(self, body: dict[str, Any]) -> FakeCompetition | None:
        competition = self.state.competitions.get(body.get("competitionName", ""))
        if competition is None:
            self._error(404, "Competition not found")
        return competition

    def rpc_GetCompetition(self, body: dict[str, Any]) -> None:
        c = self._competition(body)
        if c is not None:
            self._json(
                200,
                {
                    "ref": f"https://www.kaggle.com/competitions/{c.slug}",
                    "title": c.title,
                    "description": c.description,
                    "evaluationMetric": c.evaluation_metric,
                    "isKernelsSubmissionsOnly": c.kernels_only,
                    "url": f"https://www.kaggle.com/competitions/{c.slug}",
                },
            )

    def rpc_ListCompetitionPages(self, body: dict[str, Any]) -> None:
        c = self._competition(body)
        if c is not None:
            pages = [{"name": name, "content": text, "isPublished": True} for name, text in c.pages.items()]
            self._json(200, {"pages": pages})

    def rpc_DownloadDataFiles(self, body: dict[str, Any]) -> None:
        c = self._competition(body)
        if c is not None:
            self._send(302, b"", "text/plain", {"Location": f"{self.state.url}/files/{c.slug}.zip"})

    def rpc_StartSubmissionUpload(self, body: dict[str, Any]) -> None:
        if self._competition(body) is not None:
            token = f"blob-{len(self.state.uploads) + 1}"
            self._json(200, {"token": token, "createUrl": f"{self.state.url}/upload/{token}"})

    def rpc_CreateSubmission(self, body: dict[str, Any]) -> None:
        if self._competition(body) is None:
            return
        token = body.get("blobFileTokens", "")
        if token not in self.state.uploads:
            return self._error(400, "no uploaded file for this token")
        ref = 1000 + len(self.state.submissions)
        self.state.submissions.append({**body, "ref": ref, "data": self.state.uploads[token]})
        self._json(200, {"message": "Successfully submitted", "ref": ref})

    def rpc_CreateCodeSubmission(self, body: dict[str, Any]) -> None:
        if self._competition(body) is None:
            return
        ref = 1000 + len(self.state.submissions)
        self.state.submissions.append({**body, "ref": ref})
        self._json(200, {"message": "Your kernel was submitted", "ref": ref})

    def rpc_GetSubmission(self, body: dict[str, Any]) -> None:
        for sub in self.state.submissions:
            if sub["ref"] == body.get("ref"):
                return self._json(
                    200, {"ref": sub["ref"], "status": "COMPLETE", "publicScore": "0.81", "description": ""}
                )
        self._error(404, "Submission not found")

    # -- kernels ----------------------------------------------------------------------------

    def rpc_GetKernel(self, body: dict[str, Any]) -> None:
        kernel = self.state.kernels.get(f"{body.get('userName')}/{body.get('kernelSlug')}")
        if kernel is None:
            return self._error(404, "Kernel not found")
        metadata = {
            "id": 7,
            "ref": f"{kernel.owner}/{kernel.slug}",
            "title": kernel.title,
            "author": kernel.owner,
            "slug": kernel.slug,
            "language": kernel.language,
            "kernelType": kernel.kernel_type,
            "isPrivate": False,
            "enableInternet": True,
            "competitionDataSources": kernel.competition_sources,
            "datasetDataSources": kernel.dataset_sources,
        }
        blob = {
            "source": kernel.source,
            "language": kernel.language,
            "kernelType": kernel.kernel_type,
            "slug": kernel.slug,
        }
        self._json(200, {"metadata": metadata, "blob": blob})

    def rpc_SaveKernel(self, body: dict[str, Any]) -> None:
        self.state.saved_kernels.append(body)
        slug = body.get("slug") or ""
        self._json(
            200, {"ref": f"/code/{slug}", "url": f"https://www.kaggle.com/code/{slug}", "versionNumber": 1}
        )

    def rpc_GetKernelSessionStatus(self, body: dict[str, Any]) -> None:
        ref = f"{body.get('userName')}/{body.get('kernelSlug')}"
        if not any(saved.get("slug") == ref for saved in self.state.saved_kernels):
            return self._error(404, "Kernel not found")
        self._json(200, {"status": self.state.kernel_status, "failureMessage": ""})
