"""Small HTTP helpers shared by the simulator tests."""

from dataclasses import dataclass
from datetime import datetime
import json
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from arr_simulator import SimulatedInstance


@dataclass
class Reply:
    """A finished HTTP exchange."""

    status: int
    headers: CIMultiDictProxy[str]
    text: str

    @property
    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.text)


async def call(
    session: aiohttp.ClientSession,
    instance: SimulatedInstance,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: dict[str, str] | None = None,
    key: str | None = None,
    time_limit: float = 10.0,
) -> Reply:
    """Call `instance`'s API at `path` (relative to /api/vN) with its API key."""
    headers = {"X-Api-Key": instance.api_key if key is None else key}
    async with session.request(
        method,
        f"{instance.api_url}{path}",
        json=body,
        params=params,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=time_limit),
    ) as response:
        return Reply(response.status, response.headers, await response.text())


async def get_json(
    session: aiohttp.ClientSession, instance: SimulatedInstance, path: str
) -> Any:
    """GET `path` and return the JSON body, asserting a 200."""
    reply = await call(session, instance, "GET", path)
    assert reply.status == 200, reply.text
    return reply.json


def field(resource: dict[str, Any], name: str) -> Any:
    """Return the value of one settings field (None when omitted)."""
    for item in resource["fields"]:
        if item["name"] == name:
            return item.get("value")
    raise KeyError(name)


def with_field(resource: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """Return a copy of `resource` with one settings field changed."""
    copy: dict[str, Any] = json.loads(json.dumps(resource))
    for item in copy["fields"]:
        if item["name"] == name:
            item["value"] = value
    return copy


class FakeClock:
    """A settable clock for the simulator."""

    def __init__(self, now: datetime) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now
