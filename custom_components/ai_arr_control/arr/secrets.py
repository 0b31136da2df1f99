"""Which indexer settings are secret, and how to keep them out of text.

The apps mask only the settings their schema marks as secret: Prowlarr returns a
Cardigann indexer's definition settings (``apikey`` of UNIT3D trackers,
``alt2fatoken``, ``cookie``, ``pid``, ``rsskey`` ...) as plain fields with
``privacy: "normal"`` and their real values (``IndexerResource.MapCardigannField``),
and Readarr masks nothing. So a setting's value is shown only when its name is on
an allow-list of settings known not to be secret; everything else is redacted,
whatever its privacy says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import re
from typing import Any

from yarl import URL

REDACTED = "**REDACTED**"
MASK = "********"

# Settings known to hold no secret: the apps' own Newznab/Torznab settings, the
# Cardigann base settings, and common Cardigann definition options.
NON_SECRET_SETTINGS = frozenset(
    {
        # Newznab/Torznab in the apps (baseUrl is shown without credentials).
        "baseUrl",
        "apiPath",
        "categories",
        "animeCategories",
        "animeStandardFormatSearch",
        "multiLanguages",
        "earlyReleaseLimit",
        "minimumSeeders",
        "removeYear",
        "rejectBlocklistedTorrentHashesWhileGrabbing",
        "failDownloads",
        # Prowlarr.
        "definitionFile",
        "vipExpiration",
        # Cardigann definition options that are choices, not credentials.
        "sort",
        "type",
        "order",
        "freeleech",
        "freeleech_only",
        "onlyfreeleech",
        "single_file_release_use_folder_name",
        "multilang",
        "multilanguage",
        "language",
        "search_by_imdb",
        "search_imdb",
        "useSearchApi",
    }
)
# Settings under these prefixes are limits and seeding goals.
NON_SECRET_PREFIXES = ("baseSettings.", "torrentBaseSettings.", "seedCriteria.")

# URL query parameters that carry credentials.
_SECRET_QUERY = re.compile(
    r"(?i)([?&;](?:api_?key|apikey|passkey|rsskey|torrent_pass|authkey|auth|"
    r"token|pid|uid|key|sid|session|cookie|password|pass|secret)=)[^&\s\]\)\"']+"
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
# Shorter values are too likely to match ordinary words.
_MIN_SECRET_LENGTH = 4


def is_secret_setting(name: str) -> bool:
    """Whether a setting may hold a secret (every name not known to be safe)."""
    return not (name in NON_SECRET_SETTINGS or name.startswith(NON_SECRET_PREFIXES))


def _fields(resource: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    fields = resource.get("fields")
    if isinstance(fields, list):
        for item in fields:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                yield item


def secret_values(resource: Mapping[str, Any]) -> set[str]:
    """The values of an indexer's secret settings, as text to look for."""
    values: set[str] = set()
    for item in _fields(resource):
        value = item.get("value")
        if not is_secret_setting(item["name"]):
            if item["name"] == "baseUrl" and isinstance(value, str):
                values.update(_url_credentials(value))
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            value = str(value)
        if (
            isinstance(value, str)
            and len(value) >= _MIN_SECRET_LENGTH
            and value != MASK
        ):
            values.add(value)
    return values


def _url_credentials(url: str) -> set[str]:
    try:
        parsed = URL(url)
    except ValueError:
        return set()
    return {
        part
        for part in (parsed.user, parsed.password)
        if part and len(part) >= _MIN_SECRET_LENGTH
    }


def strip_url_credentials(url: str) -> str:
    """A URL without user name and password."""
    return _URL_CREDENTIALS.sub(r"\1", url)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Text without the given secret values, URL credentials and key parameters."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS.sub(r"\1", text)
    return _SECRET_QUERY.sub(rf"\g<1>{REDACTED}", text)


def redact_resource(resource: Mapping[str, Any]) -> dict[str, Any]:
    """An indexer resource fit to share: only known non-secret values are kept."""
    shown: dict[str, Any] = {}
    for key, value in resource.items():
        if key != "fields":
            shown[key] = value
            continue
        fields: list[Any] = []
        for item in value if isinstance(value, list) else []:
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                continue
            field = dict(item)
            current = field.get("value")
            if field["name"] == "baseUrl" and isinstance(current, str):
                field["value"] = strip_url_credentials(current)
            elif is_secret_setting(field["name"]) and current not in (None, "", []):
                field["value"] = REDACTED
            fields.append(field)
        shown[key] = fields
    return shown
