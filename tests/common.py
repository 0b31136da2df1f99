"""Helpers shared by the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "0123456789abcdef0123456789abcdef"
RADARR_URL = "http://radarr.local:7878/radarr"
RADARR_V3 = f"{RADARR_URL}/api/v3"


def load_json(name: str) -> Any:
    """Load a JSON payload shaped like the Arr apps' own, from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text())
