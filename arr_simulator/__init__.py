"""Simulator of Radarr, Sonarr, Lidarr, Readarr, Whisparr and Prowlarr instances.

A development and test tool: aiohttp.web servers on loopback ports that answer
the indexer-related Arr APIs the way the real apps do (see README.md).
"""

from .config import (
    ConfigError,
    GenerateConfig,
    IndexerConfig,
    IndexerFault,
    InstanceConfig,
    SimulatorConfig,
    load_config,
)
from .instance import SimulatedInstance
from .simulator import ArrSimulator
from .state import IndexerStatus, InstanceFaultMode, NotFoundError

__all__ = [
    "ArrSimulator",
    "ConfigError",
    "GenerateConfig",
    "IndexerConfig",
    "IndexerFault",
    "IndexerStatus",
    "InstanceConfig",
    "InstanceFaultMode",
    "NotFoundError",
    "SimulatedInstance",
    "SimulatorConfig",
    "load_config",
]
