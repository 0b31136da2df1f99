"""Why an indexer test failed: one cause per failed test, from the apps' own texts.

The apps answer a failed ``POST /indexer/test`` with 400 and an array of
validation failures; the texts come from ``HttpIndexerBase.TestConnection``
(Radarr, Lidarr, Readarr and Whisparr in English; Sonarr through its
``IndexerValidation*`` translations, whose English texts differ by a trailing
dot; Prowlarr with its own texts), the shared validators that run before any
test (``Download Client does not exist``), and ``HttpException`` ("HTTP request
failed: [429:TooManyRequests] [GET] at [url]"). A test of a copy synced from
Prowlarr goes to Prowlarr's Newznab endpoint, so an HTTP error there is Prowlarr
refusing the copy (410 disabled, 429 blocked or at its query limit), not the
site. A non-English Sonarr still carries the English inner texts matched here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
import re

from .exceptions import ArrError, ArrTimeoutError
from .models import Indexer, IndexerTestResult, ValidationFailure
from .secrets import redact_text, secret_values

# Longer texts are cut: they end up in attributes, events and repairs issues.
MAX_MESSAGE_LENGTH = 500


class Cause(StrEnum):
    """Why an indexer test failed."""

    # Invalid API key, credentials, a suspended account, a login that failed.
    AUTH = "auth"
    # The site's request limit ("Request limit reached", 429 from the site).
    QUOTA = "quota"
    # Cloudflare (or DDoS-Guard) protection, a CAPTCHA, FlareSolverr failing.
    CLOUDFLARE = "cloudflare"
    # DNS, connection refused, TLS, timeouts.
    NETWORK = "network"
    # The site answered 5xx, or something that is not a feed.
    SITE_ERROR = "site_error"
    # A setting to fix: a validation error raised before any test, no results in
    # the configured categories, a query or categories the indexer can't serve.
    CONFIG = "config"
    # Prowlarr refused an app's copy: 429 (blocked, query limit), 410 (disabled
    # in Prowlarr), or Prowlarr could not be reached.
    UPSTREAM = "upstream"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestVerdict:
    """What one test of an indexer says, classified and without secrets."""

    passed: bool
    # The failure text (secrets removed); None when it passed.
    message: str | None = None
    cause: Cause | None = None
    # For ``config``: the setting to fix, as the app labels it.
    setting: str | None = None
    # A pass with warnings only (e.g. Jackett's "all" endpoint): the warning.
    warning: str | None = None
    # A quota or query limit was hit: testing again before it resets only
    # burns more of it.
    limited: bool = False
    response_time: float | None = None
    # False: a verdict from other evidence (real traffic, Prowlarr's verdict on
    # a copy's source); no test was made.
    tested: bool = True
    # A synced copy's failure that is its source site's, seen through Prowlarr
    # (Prowlarr's history shows the app's query failed at the site): not the
    # copy's own, so the app neither reports it nor disables the copy.
    at_source: bool = False


# Properties of the shared resource rules and the settings validators: a failure
# on one of them is raised before any test, and names the setting to fix.
_SETTING_LABELS = {
    "name": "Name",
    "implementation": "Implementation",
    "configcontract": "Implementation",
    "priority": "Indexer Priority",
    "downloadclientid": "Download Client",
    "appprofileid": "Sync Profile",
    "redirect": "Redirect",
    "baseurl": "URL",
    "apipath": "API Path",
    "apikey": "API Key",
    "categories": "Categories",
    "animecategories": "Anime Categories",
    "additionalparameters": "Additional Parameters",
    "seasonsearchmaximumsingleepisodeage": "Season Search Maximum Single Episode Age",
    "username": "Username",
    "password": "Password",
    "cookie": "Cookie",
    "definitionfile": "Definition",
}
_CONFIG_PROPERTIES = frozenset(_SETTING_LABELS) - {"apikey", "username", "password"}

# (cause, alternatives, limited, setting) in the order they are tried: the first
# match wins. Alternatives are regular expressions, matched case-insensitively.
_RULES: tuple[tuple[Cause, tuple[str, ...], bool, str | None], ...] = (
    (
        Cause.CONFIG,
        (
            r"download client does not exist",
            r"app ?profile does not exist",
            r"should be unique",
            r"must be between \d+ and \d+",
            r"must be valid url that starts with http",
            r"must be a valid url path",
            r"must be provided",
            r"must not be empty\.",
            r"must be greater than",
            r"is not in the correct format",
            r"use direct download url",
            r"leads to h&r",
            r"should be greater than zero",
            r"redirect must be enabled for usenet",
            r"jackett's all endpoint is not supported",
            r"correctly formatted date",
        ),
        False,
        None,
    ),
    (
        Cause.CLOUDFLARE,
        (
            r"cloudflare",
            r"flaresolverr",
            r"byparr",
            r"ddos-guard",
            r"captcha",
            r"http statuscode not 200 or 500",
            r"\[post\] at \[[^\]]*/v1\]",
            r"\(\S+:8191\)",
        ),
        False,
        None,
    ),
    (
        Cause.QUOTA,
        (
            r"request limit reached",
            r"api limit reached",
            r"api request limit",
            r"query limit reached",
            r"grab limit",
            r"download limit reached",
            r"requests per hour",
            r"call limit exceeded",
            r"\[429:toomanyrequests\]",
            r"too ?many ?requests",
            r"rate.?limit",
        ),
        True,
        None,
    ),
    (
        Cause.AUTH,
        (
            r"invalid api key",
            r"api key invalid",
            r"requires an api key",
            r"invalid credentials",
            r"credentials appears to be invalid",
            r"\[(?:401:unauthorized|403:forbidden)\]",
            r"unexpected response status (?:unauthorized|forbidden)",
            r"unauthorized request",
            r"not authorized",
            r"incorrect user credentials",
            r"account (?:suspended|disabled|banned)",
            r"insufficient privileges",
            r"login failed",
            r"login error",
            r"couldn't login",
            r"auth(?:entication)? failed",
            r"failed to authenticate",
            r"redirected to (?:the )?(?:\w+ )?login page",
            r"session expired",
            r"invalid cookies",
            r"mam_id expired",
            r"passkey is invalid",
        ),
        False,
        None,
    ),
    (
        Cause.NETWORK,
        (
            r"dns settings",
            r"dns/ssl issues",
            r"connection failure\. check your connection",
            r"possibly due to a timeout",
            r"timed out",
            r"connection refused",
            r"name or service not known",
            r"no such host",
            r"name does not resolve",
            r"temporary failure in name resolution",
            r"resource temporarily unavailable",
            r"nodename nor servname",
            r"no route to host",
            r"network is unreachable",
            r"connection reset",
            r"ssl connection could not be established",
            r"remote certificate",
            r"failed to establish secure https",
            r"proxy tunnel request",
            r"error occurred while sending the request",
            r"response ended prematurely",
            r"failed to read complete http response",
            r"too many automatic redirections",
        ),
        False,
        None,
    ),
    (
        Cause.SITE_ERROR,
        (
            r"server is unavailable",
            r"\[5\d\d:",
            r"data at the root level is invalid",
            r"root element is missing",
            r"is an unexpected token",
            r"unexpected end of file",
            r"invalid xml",
            r"unexpected xml",
            r"start tag on line",
            r"responded with html content",
            r"browser content instead of api data",
            r"site is likely blocked or unavailable",
            r"under maintenance",
            r"internal server error",
            r"error parsing (?:json|rows)",
            r"unexpected response header",
            r"unexpected statuscode",
            r"unexpected response status",
            r"indexer feed is not supported",
            r"torznab error detected",
            r"indexer api call returned",
            r"didn't match",
        ),
        False,
        None,
    ),
    (
        Cause.CONFIG,
        (
            r"query successful, but no results",
            r"does not support any of the selected categories",
        ),
        False,
        "Categories",
    ),
    (
        Cause.CONFIG,
        (
            r"no rss feed query available",
            r"does not support the current query",
            r"does not support searching for",
            r"does not support required search",
        ),
        False,
        None,
    ),
)
_COMPILED = tuple(
    (cause, re.compile("|".join(alternatives), re.IGNORECASE), limited, setting)
    for cause, alternatives, limited, setting in _RULES
)

# What a synced copy's test shows when Prowlarr itself answered with an error, or
# could not be reached: its HTTP status, or a connection failure.
_FROM_PROWLARR = re.compile(
    r"HTTP request failed: \[(?P<status>\d{3}):|connection refused|"
    r"name or service not known|no such host|name does not resolve|"
    r"possibly due to a timeout|timed out|no route to host",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Classified:
    """The cause of one failure."""

    cause: Cause
    setting: str | None = None
    limited: bool = False


def classify_failure(failure: ValidationFailure, *, synced: bool) -> Classified:
    """The cause of one validation failure of a test.

    ``synced``: the indexer is a copy an app got from Prowlarr, so its test went
    to Prowlarr, and an HTTP error or a failed connection is Prowlarr's answer.
    """
    text = failure.message
    prop = failure.property_name.replace(".", "").lower()
    if prop.startswith("seedcriteria"):
        return Classified(
            Cause.CONFIG, "Seed Ratio" if "ratio" in prop else "Seed Time"
        )
    if prop == "captchatoken":
        return Classified(Cause.CLOUDFLARE)
    if synced and (match := _FROM_PROWLARR.search(text)):
        # Prowlarr's 429 is its back-off or the indexer's query limit.
        return Classified(Cause.UPSTREAM, limited=match.group("status") == "429")
    for cause, pattern, limited, setting in _COMPILED:
        if pattern.search(text):
            if cause is Cause.CONFIG:
                return Classified(cause, setting or _SETTING_LABELS.get(prop))
            return Classified(cause, setting, limited)
    if prop in _CONFIG_PROPERTIES:
        return Classified(Cause.CONFIG, _SETTING_LABELS[prop])
    if prop == "apikey":
        return Classified(Cause.AUTH)
    return Classified(Cause.UNKNOWN)


def classify(failures: Sequence[ValidationFailure], *, synced: bool) -> Classified:
    """The cause of a failed test: that of its first error a rule recognises."""
    errors = [f for f in failures if not f.is_warning] or list(failures)
    found = [classify_failure(f, synced=synced) for f in errors]
    return next((c for c in found if c.cause is not Cause.UNKNOWN), None) or (
        Classified(Cause.UNKNOWN)
    )


def assess(
    outcome: IndexerTestResult | ArrError,
    indexer: Indexer,
    *,
    secrets: Iterable[str] = (),
) -> TestVerdict:
    """Classify one test of an indexer and remove secrets from its text.

    ``secrets``: more values to keep out of the text (the instance's API key);
    the indexer's own secret settings are always removed.
    """
    if not isinstance(outcome, ArrError) and outcome.passed:
        return TestVerdict(passed=True, response_time=outcome.response_time)
    hidden = secret_values(indexer.resource) | set(secrets)
    synced = indexer.prowlarr_link is not None
    if isinstance(outcome, ArrError):
        cause = (
            (Cause.UPSTREAM if synced else Cause.NETWORK)
            if isinstance(outcome, ArrTimeoutError)
            else Cause.UNKNOWN
        )
        return TestVerdict(
            passed=False, message=_clean(str(outcome), hidden), cause=cause
        )
    if outcome.warning_only:
        # A warning fails the request but not the indexer (Jackett's "all"
        # endpoint): it works for RSS and searches.
        return TestVerdict(
            passed=True,
            warning=_clean(_joined(outcome.failures), hidden),
            response_time=outcome.response_time,
        )
    found = classify(outcome.failures, synced=synced)
    return TestVerdict(
        passed=False,
        message=_clean(
            _joined(f for f in outcome.failures if not f.is_warning)
            or "The indexer test failed",
            hidden,
        ),
        cause=found.cause,
        setting=found.setting,
        limited=found.limited,
        response_time=outcome.response_time,
    )


def _joined(failures: Iterable[ValidationFailure]) -> str:
    return "; ".join(f.message for f in failures if f.message)


def _clean(text: str, secrets: Iterable[str]) -> str:
    text = redact_text(text, secrets)
    if len(text) > MAX_MESSAGE_LENGTH:
        text = f"{text[: MAX_MESSAGE_LENGTH - 1]}…"
    return text
