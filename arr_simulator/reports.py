"""Read-only views of an instance: health, Prowlarr status/stats/apps, system status.

Section numbers (§) refer to the team's Arr API reference (arr-api.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .schema import MASK
from .state import LONG_TERM_FAILURE, Resource, format_time, is_enabled

if TYPE_CHECKING:
    from .state import HistoryEntry, InstanceState


def health(state: InstanceState) -> list[Resource]:
    """Compute GET /health: only the failing indexer checks (§7)."""
    now = state.clock()
    wiki = f"https://wiki.servarr.com/{state.traits.wiki_slug}/system"
    results: list[Resource] = []

    def check(source: str, kind: str, message: str, anchor: str) -> None:
        results.append(
            {
                "source": source,
                "type": kind,
                "message": message,
                "wikiUrl": f"{wiki}#{anchor}",
                "id": 0,
            }
        )

    enabled = [r for _, r in sorted(state.indexers.items()) if is_enabled(r)]
    blocked = set(state.blocked_ids())
    app = state.config.app
    if not state.traits.is_prowlarr:
        rss = [r for r in enabled if r.get("enableRss")]
        if not rss:
            check(
                "IndexerRssCheck",
                "error",
                f"No indexers available with RSS sync enabled, {app} will not "
                "grab new releases automatically",
                f"no-indexers-available-with-rss-sync-enabled-{app.lower()}-will-"
                "not-grab-new-releases-automatically",
            )
        elif all(r["id"] in blocked for r in rss):
            check(
                "IndexerRssCheck",
                "warning",
                "All rss-capable indexers are temporarily unavailable due to "
                "recent indexer errors",
                "indexers-are-unavailable-due-to-failures",
            )
        automatic = [r for r in enabled if r.get("enableAutomaticSearch")]
        interactive = [r for r in enabled if r.get("enableInteractiveSearch")]
        if not automatic:
            check(
                "IndexerSearchCheck",
                "warning",
                "No indexers available with Automatic Search enabled, "
                f"{app} will not provide any automatic search results",
                "no-indexers-available-with-automatic-search-enabled-"
                f"{app.lower()}-will-not-provide-any-automatic-search-results",
            )
        elif not interactive:
            check(
                "IndexerSearchCheck",
                "warning",
                "No indexers available with Interactive Search enabled, "
                f"{app} will not provide any interactive search results",
                "no-indexers-available-with-interactive-search-enabled",
            )
        elif all(r["id"] in blocked for r in automatic):
            check(
                "IndexerSearchCheck",
                "warning",
                "All search-capable indexers are temporarily unavailable due to "
                "recent indexer errors",
                "indexers-are-unavailable-due-to-failures",
            )
    if state.traits.is_prowlarr:
        _vip_checks(state, enabled, now, check)
    recent: list[str] = []
    long_term: list[str] = []
    for resource in enabled:
        status = state.statuses.get(resource["id"])
        if status is None or resource["id"] not in blocked:
            continue
        if status.initial_failure is None:
            continue
        if status.initial_failure < now - LONG_TERM_FAILURE:
            long_term.append(str(resource.get("name", "")))
        else:
            recent.append(str(resource.get("name", "")))
    anchor = "indexers-are-unavailable-due-to-failures"
    if recent:
        if len(recent) == len(enabled):
            check(
                "IndexerStatusCheck",
                "error",
                "All indexers are unavailable due to failures",
                anchor,
            )
        else:
            check(
                "IndexerStatusCheck",
                "warning",
                f"Indexers unavailable due to failures: {', '.join(recent)}",
                anchor,
            )
    if long_term:
        if len(long_term) == len(enabled):
            check(
                "IndexerLongTermStatusCheck",
                "error",
                "All indexers are unavailable due to failures for more than 6 hours",
                anchor,
            )
        else:
            check(
                "IndexerLongTermStatusCheck",
                "warning",
                "Indexers unavailable due to failures for more than 6 hours: "
                f"{', '.join(long_term)}",
                anchor,
            )
    return results


def _vip_checks(
    state: InstanceState,
    enabled: list[Resource],
    now: datetime,
    check: Callable[[str, str, str, str], None],
) -> None:
    """Prowlarr's IndexerVIPCheck (within 7 days) and IndexerVIPExpiredCheck."""
    expiring: list[str] = []
    expired: list[str] = []
    for resource in enabled:
        value = next(
            (
                f.get("value")
                for f in resource.get("fields", [])
                if f.get("name") == "vipExpiration"
            ),
            None,
        )
        if not isinstance(value, str) or not value:
            continue
        try:
            expires = datetime.fromisoformat(value)
        except ValueError:
            continue
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=now.tzinfo)
        if expires < now:
            expired.append(str(resource.get("name", "")))
        elif expires < now + timedelta(days=7):
            expiring.append(str(resource.get("name", "")))
    if expiring:
        check(
            "IndexerVIPCheck",
            "warning",
            f"Indexer VIP benefits expiring soon: {', '.join(expiring)}",
            "indexer-vip-expiring",
        )
    if expired:
        check(
            "IndexerVIPExpiredCheck",
            "error",
            f"Indexer VIP benefits have expired: {', '.join(expired)}",
            "indexer-vip-expired",
        )


def indexer_status_list(state: InstanceState) -> list[Resource]:
    """Prowlarr GET /indexerstatus: only currently blocked indexers (§2)."""
    rows: list[Resource] = []
    for indexer_id in state.blocked_ids():
        status = state.statuses[indexer_id]
        row: Resource = {"indexerId": indexer_id}
        for key, value in (
            ("disabledTill", status.disabled_till),
            ("mostRecentFailure", status.most_recent_failure),
            ("initialFailure", status.initial_failure),
        ):
            if value is not None:
                row[key] = format_time(value)
        row["id"] = 0
        rows.append(row)
    return rows


def indexer_stats(
    state: InstanceState,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    indexer_ids: set[int] | None = None,
    protocols: set[str] | None = None,
) -> Resource:
    """Prowlarr GET /indexerstats from the recorded query history (§3)."""
    end = end or state.clock()
    entries = [
        entry
        for entry in state.history
        if (start is None or entry.time >= start)
        and entry.time <= end
        and entry.indexer_id in state.indexers
        and (indexer_ids is None or entry.indexer_id in indexer_ids)
        and (
            protocols is None
            or state.indexers[entry.indexer_id]["protocol"] in protocols
        )
    ]
    indexers: list[Resource] = []
    for indexer_id in sorted({entry.indexer_id for entry in entries}):
        own = [entry for entry in entries if entry.indexer_id == indexer_id]
        count = _counter(own)

        # IndexerStatisticsService: queries and RSS are counted apart; the
        # average response time is over both.
        timed = [e for e in own if e.event_type in ("indexerQuery", "indexerRss")]
        indexers.append(
            {
                "indexerId": indexer_id,
                "indexerName": state.indexers[indexer_id].get("name", ""),
                "averageResponseTime": round(
                    sum(entry.elapsed_ms for entry in timed) / len(timed)
                )
                if timed
                else 0,
                "averageGrabResponseTime": 0,
                "numberOfQueries": count("indexerQuery"),
                "numberOfGrabs": count("releaseGrabbed"),
                "numberOfRssQueries": count("indexerRss"),
                "numberOfAuthQueries": count("indexerAuth"),
                "numberOfFailedQueries": count("indexerQuery", failed=True),
                "numberOfFailedGrabs": count("releaseGrabbed", failed=True),
                "numberOfFailedRssQueries": count("indexerRss", failed=True),
                "numberOfFailedAuthQueries": count("indexerAuth", failed=True),
            }
        )

    def grouped(key: str, attribute: str) -> list[Resource]:
        counts: dict[str, int] = {}
        for entry in entries:
            if entry.event_type not in ("indexerQuery", "indexerRss"):
                continue
            value = getattr(entry, attribute)
            counts[value] = counts.get(value, 0) + 1
        return [
            {key: value, "numberOfQueries": number, "numberOfGrabs": 0}
            for value, number in sorted(counts.items())
        ]

    return {
        "indexers": indexers,
        "userAgents": grouped("userAgent", "user_agent"),
        "hosts": grouped("host", "host"),
        "id": 0,
    }


def _counter(entries: list[HistoryEntry]) -> Callable[..., int]:
    def count(event_type: str, *, failed: bool = False) -> int:
        return sum(
            1
            for entry in entries
            if entry.event_type == event_type and not (failed and entry.successful)
        )

    return count


def history_record(entry: HistoryEntry, state: InstanceState) -> Resource:
    """One HistoryResource (Prowlarr.Api.V1/History/HistoryResource.cs)."""
    return {
        "indexerId": entry.indexer_id,
        "date": format_time(entry.time),
        "successful": entry.successful,
        "eventType": entry.event_type,
        "data": {
            "elapsedTime": str(entry.elapsed_ms),
            "query": "",
            "source": entry.source,
            "host": entry.host,
            "cached": "0",
        },
        "id": entry.id,
    }


def history_since(
    state: InstanceState, since: datetime, event_type: str | None = None
) -> list[Resource]:
    """GET /history/since: a plain array, oldest first (HistoryRepository.Since)."""
    return [
        history_record(entry, state)
        for entry in sorted(state.history, key=lambda e: (e.time, e.id))
        if entry.time >= since
        and (event_type is None or entry.event_type.lower() == event_type.lower())
    ]


def history_page(
    state: InstanceState,
    *,
    page: int,
    page_size: int,
    indexer_ids: set[int] | None,
    event_types: set[str] | None,
) -> Resource:
    """GET /history: newest first, paged (PagingResource)."""
    rows = [
        entry
        for entry in sorted(state.history, key=lambda e: (e.time, e.id), reverse=True)
        if (indexer_ids is None or entry.indexer_id in indexer_ids)
        and (event_types is None or entry.event_type in event_types)
    ]
    start = (page - 1) * page_size
    return {
        "page": page,
        "pageSize": page_size,
        "sortKey": "date",
        "sortDirection": "descending",
        "totalRecords": len(rows),
        "records": [history_record(e, state) for e in rows[start : start + page_size]],
    }


def applications(state: InstanceState) -> list[Resource]:
    """Prowlarr GET /applications: one application per linked app, with its level."""
    result: list[Resource] = []
    for number, app in enumerate(state.downstream, start=1):
        fields: list[dict[str, Any]] = [
            {"name": "prowlarrUrl", "label": "Prowlarr Server", "value": state.url},
            {
                "name": "baseUrl",
                "label": f"{app.config.app} Server",
                "value": app.url,
            },
            {
                "name": "apiKey",
                "label": "API Key",
                "value": MASK,
                "privacy": "apiKey",
            },
            {
                "name": "syncCategories",
                "label": "Sync Categories",
                "value": list(app.traits.sync_categories),
                "type": "select",
                "advanced": True,
            },
        ]
        result.append(
            {
                "syncLevel": app.config.sync_level,
                "enable": app.config.sync_level != "disabled",
                "name": app.config.instance_name,
                "fields": [
                    {
                        "order": order,
                        "name": item["name"],
                        "label": item["label"],
                        "value": item["value"],
                        "type": item.get("type", "textbox"),
                        "advanced": item.get("advanced", False),
                        "privacy": item.get("privacy", "normal"),
                        "isFloat": False,
                    }
                    for order, item in enumerate(fields)
                ],
                "implementationName": app.config.app,
                "implementation": app.config.app,
                "configContract": f"{app.config.app}Settings",
                "infoLink": f"https://wiki.servarr.com/prowlarr/supported#{app.traits.wiki_slug}",
                "tags": [],
                "id": number,
            }
        )
    return result


def system_status(state: InstanceState) -> Resource:
    """GET /system/status (shape of arr-examples/radarr-system-status.json)."""
    config = state.config
    status: Resource = {}
    if not config.legacy_status:
        status |= {"appName": config.app, "instanceName": config.instance_name}
    status |= {
        "version": config.version,
        "buildTime": "2025-11-09T10:20:36Z",
        "isDebug": False,
        "isProduction": True,
        "isAdmin": False,
        "isUserInteractive": False,
        "startupPath": f"/app/{state.traits.wiki_slug}/bin",
        "appData": "/config",
        "osName": "alpine",
        "osVersion": "3.22.0",
        "isNetCore": True,
        "isLinux": True,
        "isOsx": False,
        "isWindows": False,
        "isDocker": True,
        "mode": "console",
        "branch": state.traits.branch,
        "databaseType": "sqLite",
        "databaseVersion": "3.49.2",
        "authentication": "forms",
        "migrationVersion": state.traits.migration_version,
        "urlBase": config.url_base,
        "runtimeVersion": "8.0.20",
        "runtimeName": "netcore",
        "startTime": format_time(state.started_at),
        "packageVersion": f"{config.version}-ls288",
        "packageAuthor": "[linuxserver.io](https://linuxserver.io)",
        "packageUpdateMechanism": "docker",
    }
    return status


# GET /config/naming: the one settings page whose keys differ per app, which is how
# a client tells old instances (system/status without appName) apart.
_NAMING: dict[str, Resource] = {
    "Radarr": {
        "renameMovies": True,
        "replaceIllegalCharacters": True,
        "colonReplacementFormat": "smart",
        "standardMovieFormat": "{Movie Title} ({Release Year}) {Quality Full}",
        "movieFolderFormat": "{Movie Title} ({Release Year})",
    },
    "Sonarr": {
        "renameEpisodes": True,
        "replaceIllegalCharacters": True,
        "standardEpisodeFormat": "{Series Title} - S{season:00}E{episode:00} - {Episode Title}",
        "dailyEpisodeFormat": "{Series Title} - {Air-Date} - {Episode Title}",
        "animeEpisodeFormat": "{Series Title} - S{season:00}E{episode:00} - {Episode Title}",
        "seriesFolderFormat": "{Series Title}",
        "seasonFolderFormat": "Season {season}",
        "specialsFolderFormat": "Specials",
        "multiEpisodeStyle": "prefixedRange",
    },
    "Lidarr": {
        "renameTracks": True,
        "standardTrackFormat": "{Album Title} ({Release Year})/{Artist Name} - {track:00} - {Track Title}",
        "artistFolderFormat": "{Artist Name}",
    },
    "Readarr": {
        "renameBooks": True,
        "standardBookFormat": "{Book Title}/{Author Name} - {Book Title}",
        "authorFolderFormat": "{Author Name}",
    },
    "Whisparr": {
        "renameMovies": True,
        "standardMovieFormat": "{Movie Title} ({Release Year})",
        "movieFolderFormat": "{Movie Title}",
    },
}


def naming_config(state: InstanceState) -> Resource:
    """GET /config/naming (not in Prowlarr, which has no media library)."""
    return {**_NAMING[state.config.app], "id": 1}
