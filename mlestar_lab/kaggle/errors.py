"""Kaggle failures a user can act on; the server maps each kind to its HTTP status."""

from __future__ import annotations

from mlestar_lab.errors import UserError


class KaggleError(UserError):
    """Kaggle refused or failed a request; the message says what to do. Nothing local was changed."""


class KaggleAuthError(KaggleError):
    """Credentials are missing, unreadable or rejected (HTTP 401)."""


class KaggleNotFound(KaggleError):
    """No such competition, kernel or submission on Kaggle (HTTP 404)."""


class KaggleUnavailable(KaggleError):
    """The connection dropped or Kaggle answered with a server error: retrying later may work."""


class NotebookImportError(UserError):
    """A Kaggle notebook that cannot become a candidate as it is; the message says what to change."""
