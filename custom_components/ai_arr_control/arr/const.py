"""What the client knows about each Arr app: API version, minimum version, quirks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ArrApp(StrEnum):
    """The Arr apps this client supports, by their ``appName``."""

    RADARR = "Radarr"
    SONARR = "Sonarr"
    LIDARR = "Lidarr"
    READARR = "Readarr"
    WHISPARR = "Whisparr"
    PROWLARR = "Prowlarr"


# The Radarr family switches an indexer with three flags; Prowlarr has one.
FAMILY_FLAGS = ("enableRss", "enableAutomaticSearch", "enableInteractiveSearch")
PROWLARR_FLAGS = ("enable",)


@dataclass(frozen=True, slots=True)
class AppProfile:
    """One Arr app's API facts, read from the apps' source (arr-api.md)."""

    app: ArrApp
    api_version: str
    minimum_version: tuple[int, ...]
    flag_keys: tuple[str, ...]
    # First version with PUT /indexer/bulk where it is known; older ones fall back to
    # GET + full PUT. Where unknown (None) bulk is tried, with the same fallback.
    bulk_since: tuple[int, ...] | None
    # Only Prowlarr exposes /indexerstatus, /indexerstats and /applications.
    is_prowlarr: bool = False
    # The key of config/naming that only this app has; identifies old instances
    # whose system/status lacks appName.
    naming_key: str | None = None


PROFILES: dict[ArrApp, AppProfile] = {
    ArrApp.RADARR: AppProfile(
        ArrApp.RADARR,
        "v3",
        (3, 0),
        FAMILY_FLAGS,
        (4, 6),
        naming_key="movieFolderFormat",
    ),
    ArrApp.SONARR: AppProfile(
        ArrApp.SONARR,
        "v3",
        (3, 0),
        FAMILY_FLAGS,
        (4, 0),
        naming_key="seriesFolderFormat",
    ),
    ArrApp.WHISPARR: AppProfile(ArrApp.WHISPARR, "v3", (2, 0), FAMILY_FLAGS, None),
    ArrApp.LIDARR: AppProfile(
        ArrApp.LIDARR, "v1", (1, 0), FAMILY_FLAGS, None, naming_key="artistFolderFormat"
    ),
    ArrApp.READARR: AppProfile(
        ArrApp.READARR,
        "v1",
        (0, 1),
        FAMILY_FLAGS,
        None,
        naming_key="authorFolderFormat",
    ),
    ArrApp.PROWLARR: AppProfile(
        ArrApp.PROWLARR, "v1", (1, 0), PROWLARR_FLAGS, None, is_prowlarr=True
    ),
}

# Probed in this order: /api/v3 (Radarr, Sonarr, Whisparr), then /api/v1.
API_VERSIONS = ("v3", "v1")

# Implementations that Prowlarr pushes into the apps it syncs.
PROWLARR_SYNC_IMPLEMENTATIONS = frozenset({"Newznab", "Torznab"})

DEFAULT_REQUEST_TIMEOUT = 15.0
# A test makes the Arr app query the indexer site; Arr's own HTTP timeout is 100 s.
DEFAULT_TEST_TIMEOUT = 120.0
# testall tests every enabled indexer one after another.
DEFAULT_TEST_ALL_TIMEOUT = 900.0
MAX_REDIRECTS = 5
