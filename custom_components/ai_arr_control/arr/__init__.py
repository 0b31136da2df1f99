"""Async client for the indexer APIs of the Arr apps.

Radarr, Sonarr, Whisparr (API v3), Lidarr, Readarr and Prowlarr (API v1). No Home
Assistant imports: this package could be published on its own.
"""

from .causes import Cause, TestVerdict, assess
from .client import ArrClient, ArrInvalidUrlError, normalize_url, safe_url
from .const import ArrApp, SyncLevel
from .exceptions import (
    ArrAuthenticationError,
    ArrConnectionError,
    ArrError,
    ArrNotArrAppError,
    ArrNotFoundError,
    ArrOtherAppError,
    ArrRedirectError,
    ArrResponseError,
    ArrTimeoutError,
    ArrUnsupportedError,
    ArrUnsupportedVersionError,
    ArrValidationError,
)
from .models import (
    HealthCheck,
    HistoryRecord,
    Indexer,
    IndexerLimits,
    IndexerStats,
    IndexerStatus,
    IndexerTestResult,
    Notification,
    ProwlarrApplication,
    ProwlarrLink,
    SystemStatus,
    ValidationFailure,
)
from .secrets import (
    REDACTED,
    redact_resource,
    redact_text,
    secret_values,
    strip_url_credentials,
)

__all__ = [
    "REDACTED",
    "ArrApp",
    "ArrAuthenticationError",
    "ArrClient",
    "ArrConnectionError",
    "ArrError",
    "ArrInvalidUrlError",
    "ArrNotArrAppError",
    "ArrNotFoundError",
    "ArrOtherAppError",
    "ArrRedirectError",
    "ArrResponseError",
    "ArrTimeoutError",
    "ArrUnsupportedError",
    "ArrUnsupportedVersionError",
    "ArrValidationError",
    "Cause",
    "HealthCheck",
    "HistoryRecord",
    "Indexer",
    "IndexerLimits",
    "IndexerStats",
    "IndexerStatus",
    "IndexerTestResult",
    "Notification",
    "ProwlarrApplication",
    "ProwlarrLink",
    "SyncLevel",
    "SystemStatus",
    "TestVerdict",
    "ValidationFailure",
    "assess",
    "normalize_url",
    "redact_resource",
    "redact_text",
    "safe_url",
    "secret_values",
    "strip_url_credentials",
]
