"""Failure causes from the apps' own texts, and secrets kept out of text.

The texts are the apps' (Radarr/Sonarr/Prowlarr HttpIndexerBase.TestConnection,
Sonarr's Localization/Core/en.json, NzbDrone.Common/Http/HttpException.cs, the
shared validators), not paraphrases.
"""

from __future__ import annotations

import pytest

from custom_components.ai_arr_control.arr import (
    ArrResponseError,
    ArrTimeoutError,
    Cause,
    Indexer,
    IndexerTestResult,
    ValidationFailure,
    assess,
    redact_resource,
    redact_text,
    secret_values,
)
from custom_components.ai_arr_control.arr.causes import MAX_MESSAGE_LENGTH, classify
from custom_components.ai_arr_control.arr.const import FAMILY_FLAGS, PROWLARR_FLAGS

URL = (
    "https://api.site.test/api?t=movie&cat=2000&extended=1"
    "&apikey=0123456789abcdef0123&offset=0&limit=100"
)
PROWLARR = "http://prowlarr:9696/5/api?t=movie&cat=2000&extended=1&apikey=k&offset=0"


@pytest.mark.parametrize(
    ("message", "property_name", "cause", "setting"),
    [
        ("Invalid API Key", "ApiKey", Cause.AUTH, None),
        (
            (
                "Indexer returned result for RSS URL, Credentials appears to be invalid. "
                "Response: Account suspended"
            ),
            "",
            Cause.AUTH,
            None,
        ),
        (
            (
                f"Unable to connect to indexer, invalid credentials. HTTP request failed: "
                f"[401:Unauthorized] [GET] at [{URL}]"
            ),
            "",
            Cause.AUTH,
            None,
        ),
        (
            (
                "Unable to connect to indexer, check the log above the ValidationFailure "
                "for more details. Login failed: No form found on https://t.test/login "
                "using form selector form"
            ),
            "",
            Cause.AUTH,
            None,
        ),
        ("Request limit reached: API limit reached", "", Cause.QUOTA, None),
        (
            (
                "Unable to connect to indexer, check the log above the ValidationFailure "
                f"for more details. HTTP request failed: [429:TooManyRequests] [GET] at "
                f"[{URL}]"
            ),
            "",
            Cause.QUOTA,
            None,
        ),
        (
            "Site protected by CloudFlare CAPTCHA. Valid CAPTCHA token required.",
            "CaptchaToken",
            Cause.CLOUDFLARE,
            None,
        ),
        (
            "Unable to access t.test, blocked by CloudFlare Protection.",
            "",
            Cause.CLOUDFLARE,
            None,
        ),
        (
            (
                "Unable to connect to indexer, indexer's server is unavailable. Try again "
                "later. HTTP request failed: [500:InternalServerError] [POST] at "
                "[http://flaresolverr:8191/v1]"
            ),
            "",
            Cause.CLOUDFLARE,
            None,
        ),
        (
            (
                "Unable to connect to indexer, indexer's server is unavailable. Try again "
                "later. Http request timed out"
            ),
            "",
            Cause.NETWORK,
            None,
        ),
        (
            (
                "Unable to connect to indexer, please check your DNS settings and ensure "
                "that IPv6 is working or disabled. Name or service not known "
                "(t.test:443)."
            ),
            "",
            Cause.NETWORK,
            None,
        ),
        (
            (
                "Unable to connect to indexer. This is typically caused by DNS/SSL issues. "
                "Check DNS settings ... The SSL connection could not be established, see "
                "inner exception."
            ),
            "",
            Cause.NETWORK,
            None,
        ),
        (
            (
                "Unable to connect to indexer, indexer's server is unavailable. Try again "
                f"later. HTTP request failed: [503:ServiceUnavailable] [GET] at [{URL}]"
            ),
            "",
            Cause.SITE_ERROR,
            None,
        ),
        (
            (
                "Unable to connect to indexer: Data at the root level is invalid. Line 1, "
                "position 1.. Check the log surrounding this error for details"
            ),
            "",
            Cause.SITE_ERROR,
            None,
        ),
        (
            (
                "Query successful, but no results in the configured categories were "
                "returned from your indexer. This may be an issue with the indexer or your "
                "indexer category settings."
            ),
            "",
            Cause.CONFIG,
            "Categories",
        ),
        (
            "Download Client does not exist",
            "DownloadClientId",
            Cause.CONFIG,
            "Download Client",
        ),
        (
            "'Priority' must be between 1 and 50. You entered 60.",
            "Priority",
            Cause.CONFIG,
            "Indexer Priority",
        ),
        (
            "App Profile does not exist",
            "AppProfileId",
            Cause.CONFIG,
            "Sync Profile",
        ),
        (
            "must be valid URL that starts with http(s)://",
            "BaseUrl",
            Cause.CONFIG,
            "URL",
        ),
        (
            "Indexer does not support required search parameters",
            "",
            Cause.CONFIG,
            None,
        ),
        (
            "Object reference not set to an instance of an object.",
            "",
            Cause.UNKNOWN,
            None,
        ),
    ],
)
def test_causes_of_direct_indexers(
    message: str, property_name: str, cause: Cause, setting: str | None
) -> None:
    """An indexer's own site: the app's text says why."""
    found = classify([ValidationFailure(message, property_name)], synced=False)
    assert (found.cause, found.setting) == (cause, setting)
    assert found.limited is (cause is Cause.QUOTA)


@pytest.mark.parametrize(
    ("message", "cause", "limited"),
    [
        (
            (
                "Unable to connect to indexer, check the log above the ValidationFailure "
                f"for more details. HTTP request failed: [429:TooManyRequests] [GET] at "
                f"[{PROWLARR}]"
            ),
            Cause.UPSTREAM,
            True,
        ),
        (
            (
                "Unable to connect to indexer: HTTP request failed: [410:Gone] [GET] at "
                f"[{PROWLARR}]. Check the log surrounding this error for details"
            ),
            Cause.UPSTREAM,
            False,
        ),
        (
            (
                "Unable to connect to indexer, please check your DNS settings and ensure "
                "IPv6 is working or disabled. Connection refused (prowlarr:9696)"
            ),
            Cause.UPSTREAM,
            False,
        ),
        (
            (
                "Query successful, but no results in the configured categories were "
                "returned from your indexer."
            ),
            Cause.CONFIG,
            False,
        ),
    ],
)
def test_causes_of_synced_copies(message: str, cause: Cause, limited: bool) -> None:
    """A copy's test goes to Prowlarr: an HTTP error or failed connection there
    is Prowlarr refusing it (its 429 is its back-off or the query limit)."""
    found = classify([ValidationFailure(message)], synced=True)
    assert (found.cause, found.limited) == (cause, limited)


def indexer(fields: list[dict[str, object]], **changes: object) -> Indexer:
    """A Radarr indexer resource with these settings."""
    return Indexer.from_json(
        {
            "id": 1,
            "name": "T",
            "implementation": "Newznab",
            "configContract": "NewznabSettings",
            "enableRss": True,
            "fields": fields,
            **changes,
        },
        FAMILY_FLAGS,
    )


def test_assess_removes_secrets_and_keeps_warnings_as_passes() -> None:
    """The verdict: classified, without the indexer's secrets or URL keys."""
    site = indexer(
        [
            {"name": "baseUrl", "value": "https://user:pa55word@api.site.test"},
            {"name": "apiKey", "value": "********", "privacy": "apiKey"},
            {"name": "additionalParameters", "value": "&token=s3cret-token"},
        ]
    )
    failed = IndexerTestResult(
        1,
        False,
        (
            ValidationFailure(
                "Unable to connect to indexer, indexer's server is unavailable. Try "
                f"again later. HTTP request failed: [503:ServiceUnavailable] [GET] at "
                f"[{URL}&token=s3cret-token] pa55word"
            ),
        ),
        response_time=1.5,
    )
    verdict = assess(failed, site, secrets=("0123456789abcdef0123",))
    assert (verdict.passed, verdict.cause, verdict.response_time) == (
        False,
        Cause.SITE_ERROR,
        1.5,
    )
    assert verdict.message is not None
    for secret in ("0123456789abcdef0123", "s3cret-token", "pa55word"):
        assert secret not in verdict.message
    warning = IndexerTestResult(
        1,
        False,
        (
            ValidationFailure(
                "Jackett's all endpoint is not supported, please add indexers "
                "individually",
                "ApiPath",
                is_warning=True,
            ),
        ),
    )
    verdict = assess(warning, site)
    assert (verdict.passed, verdict.cause) == (True, None)
    assert verdict.warning is not None


def test_assess_client_errors_and_long_texts() -> None:
    """Our own timeout is a network cause (through Prowlarr: upstream); any other
    error of the app an unknown one; long texts are cut."""
    site = indexer([{"name": "baseUrl", "value": "https://api.site.test"}])
    copy = indexer(
        [{"name": "baseUrl", "value": "http://prowlarr:9696/5/"}],
        implementation="Torznab",
    )
    assert assess(ArrTimeoutError("slow"), site).cause is Cause.NETWORK
    assert assess(ArrTimeoutError("slow"), copy).cause is Cause.UPSTREAM
    assert assess(ArrResponseError("HTTP 500"), site).cause is Cause.UNKNOWN
    long = IndexerTestResult(1, False, (ValidationFailure("x" * 2000),))
    message = assess(long, site).message
    assert message is not None
    assert len(message) == MAX_MESSAGE_LENGTH


def test_allow_listed_settings_only() -> None:
    """A Cardigann indexer as Prowlarr returns it: only known non-secret settings
    keep their values, whatever the field's privacy says."""
    resource = {
        "id": 7,
        "name": "Aither",
        "implementation": "Cardigann",
        "fields": [
            {"name": "definitionFile", "value": "aither-api", "privacy": "normal"},
            {"name": "baseUrl", "value": "https://u:p4ss@aither.test/"},
            {"name": "apikey", "value": "AITHER-KEY-123", "privacy": "normal"},
            {"name": "alt2fatoken", "value": "2FA-TOKEN-9", "privacy": "normal"},
            {"name": "cookie", "value": "uid=1; pass=abc", "privacy": "normal"},
            {"name": "freeleech", "value": True, "type": "checkbox"},
            {"name": "baseSettings.queryLimit", "value": 100},
            {"name": "pin", "value": 1234},
            {"name": "empty", "value": ""},
        ],
    }
    shown = {f["name"]: f.get("value") for f in redact_resource(resource)["fields"]}
    assert shown == {
        "definitionFile": "aither-api",
        "baseUrl": "https://aither.test/",
        "apikey": "**REDACTED**",
        "alt2fatoken": "**REDACTED**",
        "cookie": "**REDACTED**",
        "freeleech": True,
        "baseSettings.queryLimit": 100,
        "pin": "**REDACTED**",
        "empty": "",
    }
    prowlarr = Indexer.from_json(resource, PROWLARR_FLAGS)
    assert secret_values(prowlarr.resource) == {
        "AITHER-KEY-123",
        "2FA-TOKEN-9",
        "uid=1; pass=abc",
        "1234",
        "p4ss",
    }


def test_redact_text() -> None:
    """Known values, URL logins and key parameters go; the rest stays readable."""
    text = (
        "failed at [https://me:pw123@site.test/rss?passkey=abcdef&cat=5] "
        "with AITHER-KEY-123 and api_key=zzz999"
    )
    assert redact_text(text, {"AITHER-KEY-123"}) == (
        "failed at [https://site.test/rss?passkey=**REDACTED**&cat=5] with "
        "**REDACTED** and api_key=zzz999"
    )
