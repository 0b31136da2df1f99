"""What the client knows about each Arr app: API version, minimum version, quirks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SyncLevel(StrEnum):
    """How Prowlarr keeps an application's copies of its indexers (``syncLevel``)."""

    # Nothing is synced.
    DISABLED = "disabled"
    # New indexers are added (and removed when deleted in Prowlarr); an existing
    # copy is never updated, so changes made in the app last.
    ADD_ONLY = "addOnly"
    # Every change of a Prowlarr indexer, its enable flag included, is pushed into
    # the copy, on each update and every 6 hours: changes made in the app are undone.
    FULL_SYNC = "fullSync"


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
    # Query parameters of a full PUT that skip the live test and settings warnings.
    force_save: tuple[tuple[str, str], ...] = (("forceSave", "true"),)
    # Where the connections ("Connect" in the app) live: Sonarr v5 renamed them.
    notification_path: str = "notification"


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

# Sonarr v5 serves /api/v5 (Sonarr.Api.V5); builds that still mount the deprecated
# /api/v3 are spoken to there, like Sonarr v4. Its PUT replaced forceSave with
# skipTesting/skipValidation (v5/Provider/ProviderControllerBase.cs).
SONARR_V5 = AppProfile(
    ArrApp.SONARR,
    "v5",
    (5, 0),
    FAMILY_FLAGS,
    None,
    naming_key="seriesFolderFormat",
    force_save=(("skipTesting", "true"), ("skipValidation", "warnings")),
    notification_path="connection",
)

# Probed in this order: /api/v3 (Radarr, Sonarr, Whisparr), /api/v1 (Prowlarr,
# Lidarr, Readarr), then /api/v5 (Sonarr v5 without the v3 API).
API_VERSIONS = ("v3", "v1", "v5")


def profile_for(app: ArrApp, api_version: str) -> AppProfile | None:
    """The profile of an app served at an API version, or None if it has none."""
    if app is ArrApp.SONARR and api_version == SONARR_V5.api_version:
        return SONARR_V5
    profile = PROFILES[app]
    return profile if profile.api_version == api_version else None


# Implementations that Prowlarr pushes into the apps it syncs.
PROWLARR_SYNC_IMPLEMENTATIONS = frozenset({"Newznab", "Torznab"})

DEFAULT_REQUEST_TIMEOUT = 15.0
# A test makes the Arr app query the indexer site; Arr's own HTTP timeout is 100 s.
DEFAULT_TEST_TIMEOUT = 120.0
# testall tests every enabled indexer one after another.
DEFAULT_TEST_ALL_TIMEOUT = 900.0
MAX_REDIRECTS = 5
