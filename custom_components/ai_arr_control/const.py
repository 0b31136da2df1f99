"""Constants for AI Arr Control."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "ai_arr_control"
LOGGER = logging.getLogger(__package__)
