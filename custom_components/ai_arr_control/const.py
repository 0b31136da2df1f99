"""Constants for AI Arr Control."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "ai_arr_control"
# The entry data key of the app the config flow detected.
CONF_APP: Final = "app"
# The API version the app was found at (tried first at the next start).
CONF_API_VERSION: Final = "api_version"
LOGGER = logging.getLogger(__package__)

# Options, in minutes.
CONF_HEALTH_INTERVAL: Final = "health_check_interval"
CONF_HEAL_INTERVAL: Final = "heal_interval"
DEFAULT_HEALTH_INTERVAL: Final = 30
MIN_HEALTH_INTERVAL: Final = 5
MAX_HEALTH_INTERVAL: Final = 24 * 60
DEFAULT_HEAL_INTERVAL: Final = 120
MIN_HEAL_INTERVAL: Final = 15
MAX_HEAL_INTERVAL: Final = 24 * 60

# Indexer tests run at once per instance. Each test makes the Arr app query one
# indexer site, so the load spreads over the sites; the cap keeps the Arr app (and
# Prowlarr behind synced indexers) from being flooded by a large instance.
TEST_CONCURRENCY: Final = 16

# Prowlarr's indexer statistics are read over this window.
STATS_WINDOW: Final = timedelta(hours=24)
# Prowlarr's history is kept for this long: its limits count over at most a day.
HISTORY_WINDOW: Final = timedelta(hours=24)

# Seconds to gather the indexers the apps' pushed health events name into one
# check (the apps send one event per health check, debounced by 5 s themselves).
PUSH_DEBOUNCE: Final = 2.0
# The apps' health is read this often between checks (no query to any site):
# their pushes say only when a check starts or stops failing.
HEALTH_WATCH_INTERVAL: Final = timedelta(minutes=5)
# Push: the apps send their health to Home Assistant (a Webhook connection).
CONF_PUSH: Final = "push"
CONF_WEBHOOK_ID: Final = "webhook_id"
# How the connection is named in the apps' Settings → Connect.
PUSH_CONNECTION_NAME: Final = "Home Assistant (AI Arr Control)"

# Queries of a limited Prowlarr indexer kept for real searches: no test is made
# once only this share of its limit (at least 1) is left.
CONF_QUERY_RESERVE: Final = "query_reserve_percent"
DEFAULT_QUERY_RESERVE: Final = 10

# Heal options.
CONF_FAILURES_TO_DISABLE: Final = "failures_to_disable"
CONF_OUTAGE_PERCENT: Final = "outage_percent"
CONF_DRY_RUN: Final = "dry_run"
DEFAULT_FAILURES_TO_DISABLE: Final = 2
DEFAULT_OUTAGE_PERCENT: Final = 50
# Fewer failing indexers than this are never taken for an outage.
OUTAGE_MIN_FAILING: Final = 3

# Events for automations.
EVENT_INDEXER_FAILED: Final = f"{DOMAIN}_indexer_failed"
EVENT_INDEXER_RECOVERED: Final = f"{DOMAIN}_indexer_recovered"
EVENT_INDEXER_DISABLED: Final = f"{DOMAIN}_indexer_disabled"
EVENT_INDEXER_ENABLED: Final = f"{DOMAIN}_indexer_enabled"

# Repairs issues, one of each per instance (suffixed with the entry id).
ISSUE_AUTO_DISABLED: Final = "auto_disabled"
ISSUE_OUTAGE: Final = "outage"
ISSUE_PROWLARR_UNCONFIGURED: Final = "prowlarr_unconfigured"
