"""Async client for the indexer APIs of the Arr apps.

Radarr, Sonarr, Whisparr (API v3), Lidarr, Readarr and Prowlarr (API v1). No Home
Assistant imports: this package could be published on its own.
"""

from .client import ArrClient, ArrInvalidUrlError, normalize_url, safe_url
from .const import ArrApp
from .exceptions import (
    ArrAuthenticationError,
    ArrConnectionError,
    ArrError,
    ArrNotArrAppError,
    ArrNotFoundError,
    ArrRedirectError,
    ArrResponseError,
    ArrTimeoutError,
    ArrUnsupportedError,
    ArrUnsupportedVersionError,
    ArrValidationError,
)
from .models import (
    HealthCheck,
    Indexer,
    IndexerStats,
    IndexerStatus,
    IndexerTestResult,
    ProwlarrApplication,
    ProwlarrLink,
    SystemStatus,
    ValidationFailure,
)

__all__ = [
    "ArrApp",
    "ArrAuthenticationError",
    "ArrClient",
    "ArrConnectionError",
    "ArrError",
    "ArrInvalidUrlError",
    "ArrNotArrAppError",
    "ArrNotFoundError",
    "ArrRedirectError",
    "ArrResponseError",
    "ArrTimeoutError",
    "ArrUnsupportedError",
    "ArrUnsupportedVersionError",
    "ArrValidationError",
    "HealthCheck",
    "Indexer",
    "IndexerStats",
    "IndexerStatus",
    "IndexerTestResult",
    "ProwlarrApplication",
    "ProwlarrLink",
    "SystemStatus",
    "ValidationFailure",
    "normalize_url",
    "safe_url",
]
