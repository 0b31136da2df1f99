"""Tests for the simulator configuration and the command line."""

from pathlib import Path
import re
import subprocess
import sys

import pytest

from arr_simulator import ArrSimulator, ConfigError, load_config
from arr_simulator.pytest_plugin import ArrSimulatorFactory
from arr_simulator.state import InstanceState

REPO_ROOT = Path(__file__).parents[2]

MINIMAL = """
[[instance]]
name = "radarr"
app = "Radarr"
api_key = "00000000000000000000000000000001"
"""


def test_default_config_layout() -> None:
    """The bundled config has two Radarrs, a Sonarr and a Prowlarr with own keys."""
    config = load_config()
    assert [(i.name, i.app, i.port) for i in config.instances] == [
        ("prowlarr", "Prowlarr", 19696),
        ("radarr", "Radarr", 17878),
        ("radarr4k", "Radarr", 17879),
        ("sonarr", "Sonarr", 18989),
    ]
    keys = [instance.api_key for instance in config.instances]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert config.instance("radarr4k").url_base == "/radarr4k"
    assert config.instance("radarr").prowlarr == "prowlarr"
    assert config.instance("prowlarr").api_version == "v1"
    assert config.instance("sonarr").api_version == "v3"


def test_load_from_path_and_string(tmp_path: Path) -> None:
    """A config loads from a Path, a path string or a TOML string."""
    path = tmp_path / "sim.toml"
    path.write_text(MINIMAL)
    for source in (path, str(path), MINIMAL):
        config = load_config(source)
        instance = config.instance("radarr")
        assert instance.version == "6.0.4.10291"
        assert instance.instance_name == "Radarr"
        assert instance.url_base == ""


def test_ephemeral_ports() -> None:
    """with_ephemeral_ports replaces every port by 0 and leaves the rest."""
    config = load_config().with_ephemeral_ports()
    assert {instance.port for instance in config.instances} == {0}
    assert config.instance("radarr4k").url_base == "/radarr4k"


def test_url_base_is_normalized() -> None:
    """The url base gets a leading slash and loses a trailing one, like the apps."""
    config = load_config(
        MINIMAL.replace('app = "Radarr"', 'app = "Radarr"\nurl_base = "movies/"')
    )
    assert config.instance("radarr").url_base == "/movies"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('app2 = "x"', "unknown keys app2"),
        ('prowlarr = "radarr"', "prowlarr must name a Prowlarr instance"),
        ("port = 'x'", "'port' must be an integer"),
        ('[[instance.indexer]]\nname = "A"\nfieldz = {}', "unknown keys fieldz"),
        (
            '[[instance.indexer]]\nname = "A"\nprotocol = "ftp"',
            "protocol must be usenet or torrent",
        ),
    ],
)
def test_invalid_config(extra: str, message: str) -> None:
    """Typos and broken references fail loudly."""
    with pytest.raises(ConfigError, match=message):
        load_config(f"{MINIMAL}{extra}\n")


def test_unknown_app_and_duplicate_names() -> None:
    """Only the six Arr apps exist, and instance names are unique."""
    with pytest.raises(ConfigError, match="app must be one of"):
        load_config(MINIMAL.replace("Radarr", "Plex"))
    with pytest.raises(ConfigError, match="names must be unique"):
        load_config(MINIMAL + MINIMAL)


def test_unknown_indexer_field_is_rejected() -> None:
    """Indexer fields must exist in the implementation's settings."""
    config = load_config(
        MINIMAL + '[[instance.indexer]]\nname = "A"\nfields = { baseUrll = "x" }\n'
    )
    with pytest.raises(ConfigError, match="unknown fields baseUrll"):
        ArrSimulator(config)


async def test_generated_indexers(arr_simulator_factory: ArrSimulatorFactory) -> None:
    """[instance.generate] adds N indexers with the given test latency."""
    simulator = await arr_simulator_factory(
        MINIMAL
        + '[[instance.indexer]]\nname = "Own"\nimplementation = "Newznab"\n'
        + "fields = { baseUrl = 'https://api.own.example-nzb.test' }\n"
        + "[instance.generate]\ncount = 50\nlatency = 0.5\n"
    )
    radarr = simulator.instance("radarr")
    assert len(radarr.indexers) == 51
    assert radarr.indexers[1]["name"] == "Own"
    assert radarr.indexers[2]["name"] == "Generated Indexer 01"
    assert radarr.indexers[51]["name"] == "Generated Indexer 50"
    assert {r["implementation"] for r in radarr.indexers.values()} == {
        "Newznab",
        "Torznab",
    }
    fault = radarr.indexer_fault(51)
    assert fault is not None
    assert fault.latency == 0.5
    assert radarr.indexer_fault(1) is None


def test_module_help() -> None:
    """`python -m arr_simulator --help` documents the options."""
    result = subprocess.run(
        [sys.executable, "-m", "arr_simulator", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for option in ("--config", "--host", "--control-port"):
        assert option in result.stdout


def test_module_rejects_missing_config(tmp_path: Path) -> None:
    """A missing config file is reported without a traceback."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "arr_simulator",
            "--config",
            str(tmp_path / "nope.toml"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "arr_simulator:" in result.stderr
    assert "Traceback" not in result.stderr


async def test_flaky_fault_and_queries_used_from_toml(
    arr_simulator_factory: ArrSimulatorFactory,
) -> None:
    """`fault.every` and a Prowlarr indexer's `queries_used` are read from TOML."""
    simulator = await arr_simulator_factory(
        """
        [[instance]]
        name = "prowlarr"
        app = "Prowlarr"
        api_key = "00000000000000000000000000000002"
        [[instance.indexer]]
        name = "Limited"
        implementation = "Newznab"
        categories = [2000]
        queries_used = 7
        fault = { kind = "server_error", every = 2 }
        fields = { baseUrl = "https://api.limited.example-nzb.test", apiKey = "k", "baseSettings.queryLimit" = 10 }
        """
    )
    prowlarr = simulator.instance("prowlarr")
    assert len(prowlarr.state.history) == 7
    assert prowlarr.state.faults[1].every == 2


def test_queries_used_is_prowlarr_only() -> None:
    """An app keeps no query history: `queries_used` there is refused."""
    with pytest.raises(ConfigError, match="only Prowlarr"):
        InstanceState(
            load_config(
                """
                [[instance]]
                name = "radarr"
                app = "Radarr"
                api_key = "00000000000000000000000000000001"
                [[instance.indexer]]
                name = "X"
                queries_used = 1
                """
            ).instances[0]
        )
