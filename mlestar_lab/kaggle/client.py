"""The one door to the `kaggle` package: lazy import, explicit credentials, one error translator.

`import kaggle` authenticates at import time (it may print help, call the network or swallow a
`SystemExit`), so it happens only inside `KaggleSession.api`, its output captured (see `quiet`).
The session hands the credentials found by `credentials.find_credentials` to the client itself
rather than letting it look again, so what the user was told is exactly what is sent.

Every call goes through `KaggleSession.call`, the single place where requests' exceptions, HTTP
statuses and the package's own `ValueError`s become `KaggleError`s. Their messages are redacted
with the credential values, so a token echoed by a server can never reach a log or an event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from mlestar_lab.kaggle.credentials import HOW_TO_SET, Credentials, find_credentials
from mlestar_lab.kaggle.errors import KaggleAuthError, KaggleError, KaggleNotFound, KaggleUnavailable
from mlestar_lab.kaggle.quiet import captured_stdout
from mlestar_lab.store.redact import env_secrets, redact

T = TypeVar("T")
log = logging.getLogger(__name__)


class KaggleSession:
    """Credentials plus a configured `KaggleApi`, created on first use."""

    def __init__(self, credentials: Credentials | None = None) -> None:
        self.credentials = credentials or find_credentials()
        self._api: Any = None
        self._username: str | None = self.credentials.username

    @property
    def api(self) -> Any:
        if self._api is None:
            self._api = _configured_api(self.credentials)
        return self._api

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)`, with any failure turned into a `KaggleError` about `what`."""
        try:
            with captured_stdout() as printed:
                result = fn(*args, **kwargs)
        except KaggleError:
            raise
        except Exception as exc:
            raise self.translate(exc, what) from None
        if printed.getvalue().strip():
            log.debug("kaggle printed while %s: %s", what, self.redact(printed.getvalue()))
        return result

    def client(self) -> Any:
        """The low-level kagglesdk client, for the calls `KaggleApi` does not wrap."""
        return self.api.build_kaggle_client()

    @property
    def username(self) -> str:
        """The Kaggle user name: given with a legacy key, asked from Kaggle for an access token."""
        if self._username is None:
            self._username = self.call("checking the access token", self._introspect)
        return self._username

    def _introspect(self) -> str:
        from kagglesdk.security.types.oauth_service import IntrospectTokenRequest

        request = IntrospectTokenRequest()
        request.token = self.credentials.token or ""
        with self.client() as kaggle:
            response = kaggle.security.oauth_client.introspect_token(request)
        if not response.active or not response.username:
            raise KaggleAuthError(
                f"Kaggle says the access token from {self.credentials.source} is not active; {HOW_TO_SET}"
            )
        return str(response.username)

    def redact(self, text: str) -> str:
        return redact(text, self.credentials.secrets + env_secrets())

    def translate(self, exc: BaseException, what: str) -> KaggleError:
        """The one mapping from whatever the client raised to a message saying what to do."""
        import requests

        detail = self.redact(_first_line(exc))
        if isinstance(exc, requests.HTTPError):
            status = exc.response.status_code if exc.response is not None else None
            if status == 401:
                return KaggleAuthError(
                    f"Kaggle rejected the credentials from {self.credentials.source} while {what} "
                    f"(HTTP 401); {HOW_TO_SET}"
                )
            if status == 403:
                return KaggleError(
                    f"Kaggle refused access while {what} (HTTP 403): accept the competition's rules on its "
                    "Kaggle page, or check that the kernel is yours or public"
                )
            if status == 404:
                return KaggleNotFound(
                    f"Kaggle found nothing while {what} (HTTP 404): check the spelling; references are the "
                    "slugs in the Kaggle URL (competition name, OWNER/KERNEL)"
                )
            if status == 429:
                return KaggleUnavailable(f"Kaggle rate-limited {what} (HTTP 429): wait a minute and retry")
            if status is not None and status >= 500:
                return KaggleUnavailable(
                    f"Kaggle failed while {what} (HTTP {status}): retry later ({detail})"
                )
            return KaggleError(f"Kaggle refused {what} (HTTP {status}): {detail}")
        if isinstance(
            exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
        ):
            return KaggleUnavailable(
                f"lost the connection to Kaggle while {what}: check the network (or proxy) and retry; "
                "nothing was changed locally"
            )
        if isinstance(exc, (ValueError, OSError)):
            return KaggleError(f"{what} failed: {detail}")
        return KaggleError(f"{what} failed: {type(exc).__name__}: {detail}")


def _configured_api(credentials: Credentials) -> Any:
    """A `KaggleApi` that sends exactly `credentials` (its import-time authentication is muted)."""
    with captured_stdout():
        from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    values: dict[str, str] = {}
    if credentials.token:
        values["token"] = credentials.token
    if credentials.username:
        values["username"] = credentials.username
    if credentials.key:
        values["key"] = credentials.key
    api.config_values = values
    return api


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
