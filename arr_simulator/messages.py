"""The apps' own texts for failed indexer tests, by app and kind of failure.

Read from the apps' source: Radarr `NzbDrone.Core/Indexers/HttpIndexerBase.cs`
(`TestConnection`, hard-coded English; Lidarr, Readarr and Whisparr share it),
Sonarr `HttpIndexerBase.cs` with `Localization/Core/en.json`
(`IndexerValidation*` keys, which add a trailing dot and "ensure that IPv6"),
Prowlarr `HttpIndexerBase.cs` (its own English texts), and the shared
`NzbDrone.Common/Http/HttpException.cs` ("HTTP request failed: [{code}:{name}]
[{method}] at [{url}]", with the full URL: the API key included).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

# Kinds a scripted fault can name instead of a literal text.
FAULT_KINDS = (
    "auth",
    "quota",
    "cloudflare",
    "dns",
    "refused",
    "timeout",
    "server_error",
    "no_results",
)

NO_RESULTS_APPS = (
    "Query successful, but no results in the configured categories were returned "
    "from your indexer. This may be an issue with the indexer or your indexer "
    "category settings."
)
NO_RESULTS_PROWLARR = (
    "Query successful, but no results were returned from your indexer. This may be "
    "an issue with the indexer, your indexer category settings, or other indexer "
    "settings such as search freeleech only etc. See the FAQ for details."
)
# Torznab.JackettAll (Radarr, Sonarr): a warning, on property ApiPath.
JACKETT_ALL = (
    "Jackett's all endpoint is not supported, please add indexers individually"
)
JACKETT_ALL_PATHS = ("/torznab/all", "/api/v2.0/indexers/all/results/torznab")
# DownloadClientExistsValidator, a shared rule checked before any test.
DOWNLOAD_CLIENT_MISSING = "Download Client does not exist"
# Prowlarr's NewznabController (the XML body the apps never show).
QUERY_LIMIT = (
    "User configurable Indexer Query Limit of {limit} in last {hours} hour(s) reached."
)
TIMEOUT = "Http request timed out"

_PROWLARR_DNS = (
    "Unable to connect to indexer. This is typically caused by DNS/SSL issues. "
    "Check DNS settings, ensure IPv6 is working or disabled, consider using "
    "different DNS servers, or try a VPN/proxy if needed. See: "
    "'https://wiki.servarr.com/prowlarr/troubleshooting#dns-ssl-connection-issues' "
)


@dataclass(frozen=True, slots=True)
class Failure:
    """One validation failure of a test, as the app returns it in the 400 body."""

    message: str
    property_name: str = ""
    is_warning: bool = False
    # Whether the app records it on the indexer's back-off (IndexerFactory.Test):
    # validation errors raised before the test are not recorded.
    recorded: bool = True

    def as_json(self) -> dict[str, Any]:
        """The NzbDroneValidationFailure a test answers with."""
        return {
            "isWarning": self.is_warning,
            "propertyName": self.property_name,
            "errorMessage": self.message,
            "severity": "warning" if self.is_warning else "error",
        }


def http_error(status: int, method: str, url: str) -> str:
    """HttpException's message (NzbDrone.Common/Http/HttpException.cs)."""
    # .NET writes the HttpStatusCode member's name, or the number when it has none
    # (Cloudflare's 520-526): the HTTP phrases without spaces match those names.
    try:
        name = HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        name = str(status)
    return f"HTTP request failed: [{status}:{name}] [{method}] at [{url}]"


def http_failure(app: str, status: int, url: str) -> str:
    """What a test shows when the indexer's URL answered an HTTP error."""
    inner = http_error(status, "GET", url)
    sonarr = app == "Sonarr"
    if status >= 500:
        text = (
            "Unable to connect to indexer, indexer's server is unavailable. Try "
            f"again later. {inner}"
        )
        return f"{text}." if sonarr else text
    if status in (401, 403) and app != "Prowlarr":
        text = f"Unable to connect to indexer, invalid credentials. {inner}"
        return f"{text}." if sonarr else text
    if sonarr:
        return (
            f"Unable to connect to indexer: {inner}. Check the log surrounding this "
            "error for details"
        )
    return (
        "Unable to connect to indexer, check the log above the ValidationFailure for "
        f"more details. {inner}"
    )


def connection_failure(app: str, error: str) -> str:
    """What a test shows when the connection failed (DNS, refused, TLS)."""
    if app == "Prowlarr":
        return f"{_PROWLARR_DNS}{error}"
    if app == "Sonarr":
        return (
            "Unable to connect to indexer, please check your DNS settings and ensure "
            f"that IPv6 is working or disabled. {error}."
        )
    return (
        "Unable to connect to indexer, please check your DNS settings and ensure "
        f"IPv6 is working or disabled. {error}"
    )


def failure_for(app: str, kind: str, *, host: str, url: str) -> Failure:
    """The app's failure for a kind of site problem (see FAULT_KINDS).

    ``host`` is "host:port" as .NET's socket errors name it.
    """
    sonarr = app == "Sonarr"
    prowlarr = app == "Prowlarr"
    dot = "." if sonarr else ""
    match kind:
        case "auth":
            if prowlarr:
                return Failure(
                    "Indexer returned result for RSS URL, Credentials appears to be "
                    "invalid. Response: Invalid API key"
                )
            return Failure("Invalid API Key", "ApiKey")
        case "quota":
            if prowlarr:
                # Prowlarr swallows "Request limit reached"; a 429 is what fails.
                return Failure(http_failure(app, 429, url))
            return Failure("Request limit reached: API limit reached")
        case "cloudflare":
            if prowlarr:
                site = host.rsplit(":", 1)[0]
                return Failure(
                    f"Unable to access {site}, blocked by CloudFlare Protection."
                )
            return Failure(
                "Site protected by CloudFlare CAPTCHA. Valid CAPTCHA token required.",
                "CaptchaToken",
            )
        case "dns":
            return Failure(
                connection_failure(app, f"Name or service not known ({host})")
            )
        case "refused":
            return Failure(connection_failure(app, f"Connection refused ({host})"))
        case "timeout":
            return Failure(
                "Unable to connect to indexer, indexer's server is unavailable. Try "
                f"again later. {TIMEOUT}{dot}"
            )
        case "server_error":
            return Failure(http_failure(app, 503, url))
        case "no_results":
            return Failure(NO_RESULTS_PROWLARR if prowlarr else NO_RESULTS_APPS)
    raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")


def test_url(app: str, base_url: str, api_path: str, api_key: str | None) -> str:
    """The URL an app's test fetches (with the key, as the apps' messages show it)."""
    search = {"Radarr": "movie", "Sonarr": "tvsearch", "Prowlarr": "search"}.get(
        app, "search"
    )
    url = f"{base_url.rstrip('/')}{api_path or '/api'}?t={search}&extended=1"
    if api_key:
        url += f"&apikey={api_key}"
    return f"{url}&offset=0&limit=100"
