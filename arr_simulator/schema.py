"""Static knowledge about each app: traits, indexer settings schemas, categories.

Field names, labels and defaults follow the apps' `*Settings` classes (Radarr
`NzbDrone.Core/Indexers/Newznab/NewznabSettings.cs`, `Torznab/TorznabSettings.cs`,
Prowlarr `Indexers/Definitions/Cardigann/CardigannSettings.cs`, ...), trimmed to
the fields an integration is likely to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MASK = "********"

# Radarr-family `IndexerDefinition.Enable` is the OR of these three flags.
APP_ENABLE_FLAGS = ("enableRss", "enableAutomaticSearch", "enableInteractiveSearch")


@dataclass(frozen=True, slots=True)
class AppTraits:
    """How one app differs from the others (arr-api.md §1, §4, §9)."""

    app: str
    api_version: str
    # Readarr never masks secrets and never merges "********" back (§1).
    masks_secrets: bool
    # Radarr/Sonarr/Lidarr/Whisparr skip unchanged PUTs; Prowlarr and Readarr
    # always test and save (§4).
    change_detection: bool
    # UrlBaseMiddleware: 307 everywhere except Readarr, which still sends 302 (§1).
    redirect_status: int
    default_categories: tuple[int, ...]
    # Prowlarr's default "Sync Categories" for an application of this type.
    sync_categories: tuple[int, ...]
    anime_sync_categories: tuple[int, ...] = ()
    # Sonarr v4 and Whisparr v2 carry seasonSearchMaximumSingleEpisodeAge.
    season_search: bool = False
    migration_version: int = 1
    branch: str = "master"

    @property
    def is_prowlarr(self) -> bool:
        """Return True for Prowlarr, whose indexers have one `enable` flag."""
        return self.app == "Prowlarr"

    @property
    def wiki_slug(self) -> str:
        """Return the app's path segment on wiki.servarr.com."""
        return self.app.lower()


TRAITS: dict[str, AppTraits] = {
    "Radarr": AppTraits(
        app="Radarr",
        api_version="v3",
        masks_secrets=True,
        change_detection=True,
        redirect_status=307,
        default_categories=(2000, 2010, 2020, 2030, 2040, 2045, 2050, 2060),
        sync_categories=(2000, 2010, 2020, 2030, 2040, 2045, 2050, 2060, 2070, 2080),
        migration_version=242,
    ),
    "Sonarr": AppTraits(
        app="Sonarr",
        api_version="v3",
        masks_secrets=True,
        change_detection=True,
        redirect_status=307,
        default_categories=(5030, 5040),
        sync_categories=(5000, 5010, 5020, 5030, 5040, 5045, 5050, 5090),
        anime_sync_categories=(5070,),
        season_search=True,
        migration_version=217,
        branch="main",
    ),
    "Lidarr": AppTraits(
        app="Lidarr",
        api_version="v1",
        masks_secrets=True,
        change_detection=True,
        redirect_status=307,
        default_categories=(3000, 3010, 3020, 3030, 3040),
        sync_categories=(3000, 3010, 3030, 3040, 3050, 3060),
        migration_version=85,
    ),
    "Readarr": AppTraits(
        app="Readarr",
        api_version="v1",
        masks_secrets=False,
        change_detection=False,
        redirect_status=302,
        default_categories=(3030, 7000, 7020),
        sync_categories=(3030, 7000, 7010, 7020, 7030, 7040, 7050, 7060),
        migration_version=40,
        branch="develop",
    ),
    "Whisparr": AppTraits(
        app="Whisparr",
        api_version="v3",
        masks_secrets=True,
        change_detection=True,
        redirect_status=307,
        default_categories=(6000, 6010, 6020, 6030, 6040, 6045, 6050, 6060, 6070),
        sync_categories=(6000, 6010, 6020, 6030, 6040, 6045, 6050, 6060, 6070, 6080),
        season_search=True,
        migration_version=200,
        branch="nightly",
    ),
    "Prowlarr": AppTraits(
        app="Prowlarr",
        api_version="v1",
        masks_secrets=True,
        change_detection=False,
        redirect_status=307,
        default_categories=(),
        sync_categories=(),
        migration_version=42,
    ),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One settings field as the apps' SchemaBuilder renders it."""

    name: str
    label: str
    type: str = "textbox"
    default: Any = None
    privacy: str = "normal"
    advanced: bool = False
    is_float: bool = False
    unit: str | None = None
    help_text: str | None = None
    hidden: str | None = None
    select_options_provider_action: str | None = None


def _newznab_head(app: str, categories: tuple[int, ...]) -> list[FieldSpec]:
    head = [
        FieldSpec("baseUrl", "URL"),
        FieldSpec("apiPath", "API Path", default="/api", advanced=True),
        FieldSpec("apiKey", "API Key", privacy="apiKey"),
        FieldSpec(
            "categories",
            "Categories",
            type="select",
            default=list(categories),
            select_options_provider_action="newznabCategories",
        ),
    ]
    if app == "Sonarr":
        head += [
            FieldSpec(
                "animeCategories",
                "Anime Categories",
                type="select",
                default=[],
                select_options_provider_action="newznabCategories",
            ),
            FieldSpec(
                "animeStandardFormatSearch",
                "Anime Standard Format Search",
                type="checkbox",
                default=False,
            ),
        ]
    head += [
        FieldSpec("additionalParameters", "Additional Parameters", advanced=True),
        FieldSpec(
            "multiLanguages",
            "Multi Languages",
            type="select",
            default=[],
            advanced=True,
        ),
    ]
    if app in ("Lidarr", "Readarr"):
        head.append(
            FieldSpec(
                "earlyReleaseLimit",
                "Early Download Limit",
                type="number",
                advanced=True,
                unit="days",
            )
        )
    return head


def _torznab_tail(app: str) -> list[FieldSpec]:
    tail = [
        FieldSpec(
            "minimumSeeders",
            "Minimum Seeders",
            type="number",
            default=1,
            advanced=True,
        ),
        FieldSpec(
            "seedCriteria.seedRatio",
            "Seed Ratio",
            type="number",
            advanced=True,
            is_float=True,
        ),
        FieldSpec(
            "seedCriteria.seedTime",
            "Seed Time",
            type="number",
            advanced=True,
            unit="minutes",
        ),
    ]
    if app in ("Sonarr", "Whisparr"):
        tail.append(
            FieldSpec(
                "seedCriteria.seasonPackSeedTime",
                "Season-Pack Seed Time",
                type="number",
                advanced=True,
                unit="minutes",
            )
        )
    if app in ("Lidarr", "Readarr"):
        tail.append(
            FieldSpec(
                "seedCriteria.discographySeedTime",
                "Discography Seed Time",
                type="number",
                advanced=True,
                unit="minutes",
            )
        )
    tail.append(
        FieldSpec(
            "rejectBlocklistedTorrentHashesWhileGrabbing",
            "Reject Blocklisted Torrent Hashes While Grabbing",
            type="checkbox",
            default=False,
            advanced=True,
        )
    )
    return tail


_PROWLARR_LIMITS = [
    FieldSpec("baseSettings.queryLimit", "Query Limit", type="number", advanced=True),
    FieldSpec("baseSettings.grabLimit", "Grab Limit", type="number", advanced=True),
    FieldSpec(
        "baseSettings.limitsUnit",
        "Limits Unit",
        type="select",
        default=0,
        advanced=True,
    ),
]
_PROWLARR_TORRENT = [
    FieldSpec(
        "torrentBaseSettings.appMinimumSeeders",
        "Apps Minimum Seeders",
        type="number",
        advanced=True,
    ),
    FieldSpec(
        "torrentBaseSettings.seedRatio",
        "Seed Ratio",
        type="number",
        advanced=True,
        is_float=True,
    ),
    FieldSpec(
        "torrentBaseSettings.seedTime",
        "Seed Time",
        type="number",
        advanced=True,
        unit="minutes",
    ),
    FieldSpec(
        "torrentBaseSettings.packSeedTime",
        "Pack Seed Time",
        type="number",
        advanced=True,
        unit="minutes",
    ),
    FieldSpec(
        "torrentBaseSettings.preferMagnetUrl",
        "Prefer Magnet URL",
        type="checkbox",
        default=False,
        advanced=True,
    ),
]


def settings_schema(app: str, implementation: str) -> tuple[FieldSpec, ...]:
    """Return the settings fields of `implementation` in `app`.

    Raises KeyError for an implementation the simulator does not know.
    """
    traits = TRAITS[app]
    if traits.is_prowlarr:
        if implementation == "Cardigann":
            # CardigannSettings itself; the definition's own settings (username,
            # password, apikey, cookie ...) are extra fields (see extra_field).
            return (
                FieldSpec("definitionFile", "Definition File", hidden="hidden"),
                FieldSpec("baseUrl", "Base Url", type="select"),
                *_PROWLARR_LIMITS,
                *_PROWLARR_TORRENT,
            )
        if implementation in ("Newznab", "Torznab"):
            fields = [
                FieldSpec("baseUrl", "URL"),
                FieldSpec("apiPath", "API Path", default="/api", advanced=True),
                FieldSpec("apiKey", "API Key", privacy="apiKey"),
                FieldSpec(
                    "additionalParameters", "Additional Parameters", advanced=True
                ),
            ]
            # NewznabSettings.VipExpiration; TorznabSettings inherits it.
            fields.append(FieldSpec("vipExpiration", "VIP Expiration", advanced=True))
            fields += _PROWLARR_LIMITS
            if implementation == "Torznab":
                fields += _PROWLARR_TORRENT
            return tuple(fields)
        raise KeyError(implementation)
    if implementation == "Newznab":
        fields = _newznab_head(app, traits.default_categories)
        if app == "Radarr":
            fields.append(
                FieldSpec("removeYear", "Remove Year", type="checkbox", default=False)
            )
        return tuple(fields)
    if implementation == "Torznab":
        return (*_newznab_head(app, traits.default_categories), *_torznab_tail(app))
    raise KeyError(implementation)


def extra_field(order: int, name: str, value: Any) -> dict[str, Any]:
    """A Cardigann definition setting as Prowlarr's GET shows it.

    IndexerResource.MapCardigannField: the value as stored, in clear, and no
    privacy ("normal"), whatever the setting holds; a definition's ``text``
    becomes "textbox", ``password`` stays "password" (only the UI hides it).
    """
    if isinstance(value, bool):
        kind = "checkbox"
    elif isinstance(value, int):
        kind = "select"
    elif name in ("password", "pass"):
        kind = "password"
    else:
        kind = "textbox"
    label = name.replace("_", " ").capitalize()
    field: dict[str, Any] = {"order": order, "name": name, "label": label}
    if value is not None:
        field["value"] = value
    return field | {
        "type": kind,
        "advanced": False,
        "privacy": "normal",
        "isFloat": False,
    }


def implementation_protocol(implementation: str) -> str | None:
    """Return the protocol an implementation implies (None when it varies)."""
    return {"Newznab": "usenet", "Torznab": "torrent"}.get(implementation)


# Newznab standard categories (Prowlarr NzbDrone.Core/Indexers/NewznabStandardCategory.cs).
CATEGORY_NAMES: dict[int, str] = {
    2000: "Movies",
    2010: "Movies/Foreign",
    2020: "Movies/Other",
    2030: "Movies/SD",
    2040: "Movies/HD",
    2045: "Movies/UHD",
    2050: "Movies/BluRay",
    2060: "Movies/3D",
    2070: "Movies/DVD",
    2080: "Movies/WEB-DL",
    3000: "Audio",
    3010: "Audio/MP3",
    3030: "Audio/Audiobook",
    3040: "Audio/Lossless",
    5000: "TV",
    5010: "TV/WEB-DL",
    5020: "TV/Foreign",
    5030: "TV/SD",
    5040: "TV/HD",
    5045: "TV/UHD",
    5050: "TV/Other",
    5070: "TV/Anime",
    5090: "TV/Documentary",
    6000: "XXX",
    7000: "Books",
    7020: "Books/EBook",
    8000: "Other",
}


def category_tree(ids: list[int]) -> list[dict[str, Any]]:
    """Build Prowlarr `capabilities.categories` (parents with subCategories)."""
    parents: dict[int, dict[str, Any]] = {}
    for category in sorted(set(ids)):
        parent_id = category // 1000 * 1000
        parent = parents.setdefault(
            parent_id,
            {
                "id": parent_id,
                "name": CATEGORY_NAMES.get(parent_id, str(parent_id)),
                "subCategories": [],
            },
        )
        if category != parent_id:
            parent["subCategories"].append(
                {
                    "id": category,
                    "name": CATEGORY_NAMES.get(category, str(category)),
                    "subCategories": [],
                }
            )
    return list(parents.values())


def flatten_categories(tree: list[dict[str, Any]]) -> set[int]:
    """Return every category id in a capabilities tree."""
    ids: set[int] = set()
    for node in tree:
        ids.add(int(node["id"]))
        ids |= flatten_categories(node.get("subCategories", []))
    return ids
