"""Exceptions raised by the Arr client.

Messages never contain an API key: the key only ever travels in the ``X-Api-Key``
header, and URLs in messages have their credentials removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ValidationFailure


class ArrError(Exception):
    """Base class of every error raised by the Arr client."""


class ArrConnectionError(ArrError):
    """The Arr app could not be reached (refused, DNS, TLS, connection reset)."""


class ArrTimeoutError(ArrConnectionError):
    """The Arr app did not answer in time."""


class ArrAuthenticationError(ArrError):
    """The Arr app refused the API key (401/403)."""


class ArrResponseError(ArrError):
    """The Arr app answered something the client cannot use.

    An unexpected status code, HTML instead of JSON, malformed JSON or JSON of the
    wrong shape.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Initialize with the HTTP status, when there was one."""
        super().__init__(message)
        self.status = status


class ArrRedirectError(ArrResponseError):
    """The Arr app redirected to another host (often a reverse-proxy login page)."""


class ArrNotFoundError(ArrResponseError):
    """The requested resource (an indexer) does not exist (any more)."""


class ArrValidationError(ArrResponseError):
    """The Arr app rejected a request body with validation failures (400)."""

    def __init__(
        self, message: str, failures: list[ValidationFailure], *, status: int = 400
    ) -> None:
        """Initialize with the parsed validation failures."""
        super().__init__(message, status=status)
        self.failures = failures


class ArrUnsupportedError(ArrError):
    """The server is not a supported Arr app, or runs a version that is too old."""


class ArrNotArrAppError(ArrUnsupportedError):
    """The server does not look like an Arr app at all (or an unknown one)."""


class ArrOtherAppError(ArrNotArrAppError):
    """The server is an app of the Servarr family this client does not support."""


class ArrUnsupportedVersionError(ArrUnsupportedError):
    """The Arr app is known but its version is too old for this client."""
