"""Tests of the diagnostics download."""

from __future__ import annotations

import json
from unittest.mock import MagicMock

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from arr_simulator import ArrSimulator
from custom_components.ai_arr_control.arr import Indexer
from custom_components.ai_arr_control.arr.const import FAMILY_FLAGS
from custom_components.ai_arr_control.const import DOMAIN
from homeassistant.const import CONF_API_KEY, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant

from .common import API_KEY, entry_for, radarr_indexer

SECRET_URL = "https://admin:hunter2@media.example.com/radarr"


@pytest.mark.freeze_time("2026-11-28 12:00:00+00:00")
async def test_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_arr_client: MagicMock,
    snapshot: SnapshotAssertion,
) -> None:
    """Entry, options and the coordinator's view, without key, passwords or URL logins."""
    # Readarr returns secrets in plain text; diagnostics must not.
    plain = radarr_indexer(
        id=9,
        name="Plaintext",
        fields=[
            {"name": "baseUrl", "value": "https://t.example", "privacy": "normal"},
            {"name": "apiKey", "value": "plain-indexer-key", "privacy": "apiKey"},
            {"name": "username", "value": "me", "privacy": "userName"},
            {"name": "password", "value": "plain-password", "privacy": "password"},
        ],
    )
    mock_arr_client.stored_indexers[9] = Indexer.from_json(plain, FAMILY_FLAGS)
    mock_arr_client.url = SECRET_URL
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Radarr",
        entry_id="01KARRC0NTR0L0RADARR000000",
        data={
            CONF_URL: SECRET_URL,
            CONF_API_KEY: API_KEY,
            CONF_VERIFY_SSL: True,
            "app": "Radarr",
        },
        options={"health_check_interval": 30, "heal_interval": 120, "push": False},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    for secret in (API_KEY, "hunter2", "plain-indexer-key", "plain-password", "admin"):
        assert secret not in text
    assert diagnostics == snapshot


@pytest.mark.usefixtures("socket_enabled")
async def test_cardigann_secrets_never_leak(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    arr_simulator: ArrSimulator,
) -> None:
    """Prowlarr returns Cardigann settings (UNIT3D API keys, TorrentLeech 2FA
    tokens, passwords) in clear with privacy "normal": only allow-listed
    settings keep their value, in the Prowlarr's diagnostics and the apps'."""
    prowlarr = arr_simulator.instance("prowlarr")
    prowlarr.set_indexer_fault(7, kind="server_error")
    entries = [entry_for(prowlarr), entry_for(arr_simulator.instance("radarr"))]
    for entry in entries:
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    secrets = [
        "AITHER-SECRET-APIKEY-7f3e9b1c5d",
        "TL-SECRET-PASSWORD-a81f",
        "TL-SECRET-2FA-TOKEN-4c2d",
        "hunter2",
        "simuser",
        "leech-user",
        prowlarr.api_key,
        arr_simulator.instance("radarr").api_key,
        "0d4f6a8c2e1b3d5f7a9c1e3b5d7f9a2c",
    ]
    for entry in entries:
        text = json.dumps(
            await get_diagnostics_for_config_entry(hass, hass_client, entry)
        )
        for secret in secrets:
            assert secret not in text, secret
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entries[0])
    leech = next(
        i for i in diagnostics["health"]["indexers"] if i["name"] == "TorrentLeech"
    )
    fields = {f["name"]: f.get("value") for f in leech["resource"]["fields"]}
    assert fields["alt2fatoken"] == "**REDACTED**"
    assert fields["password"] == "**REDACTED**"
    # Known non-secret settings stay useful.
    assert fields["definitionFile"] == "torrentleech"
    assert fields["freeleech"] is True
    assert fields["baseUrl"] == "https://tleech.example-tracker.test/"
    # The API key in a failure message is gone too (HttpException shows URLs).
    aither = next(i for i in diagnostics["health"]["indexers"] if i["name"] == "Aither")
    assert aither["cause"] == "site_error"
    assert "AITHER" not in json.dumps(aither)
