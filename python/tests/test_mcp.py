"""The MCP Python SDK with a real MCP server from the same SDK over its in-memory transport: a
guarded client and a guarding proxy that any MCP client talks to."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from palisade import Guard
from palisade.adapters.mcp import GuardedClient, proxy_server

from .service import Service

ran: list[tuple[str, Any]] = []


def upstream() -> MCPServer:
    ran.clear()
    server = MCPServer("upstream")

    @server.tool()
    def search(query: str, limit: int = 50) -> str:
        """Searches."""
        ran.append(("search", limit))
        return f"{limit} hits; contact bob@example.com"

    @server.tool()
    def delete_file(path: str) -> str:
        """Deletes."""
        ran.append(("delete_file", path))
        return "gone"

    @server.tool()
    def read(doc: str) -> str:
        """Reads."""
        ran.append(("read", doc))
        return "TOP SECRET plans"

    return server


def texts(r: Any) -> str:
    return "\n".join(c.text for c in r.content if getattr(c, "type", "") == "text")


def test_guarded_client(guard: Guard) -> None:
    async def main() -> None:
        async with Client(upstream()) as client:
            g = GuardedClient(client, guard.session(f"mcp-{uuid.uuid4().hex}", "u1"))
            r = await g.call_tool("search", {"query": "x"})
            assert ran == [("search", 10)] and texts(r) == "10 hits; contact [EMAIL]"
            r = await g.call_tool("delete_file", {"path": "/etc"})
            assert r.is_error and texts(r) == "blocked by policy: deleting files is not allowed"
            r = await g.call_tool("read", {"doc": "x"})
            assert r.is_error and "classified" in texts(r)
            assert [t.name for t in (await g.list_tools()).tools] == ["search", "delete_file", "read"]
        await guard.aclose()

    asyncio.run(main())
    assert ("delete_file", "/etc") not in ran


def test_proxy_is_a_full_mcp_server_in_front_of_the_upstream(guard: Guard) -> None:
    async def main() -> None:
        async with Client(upstream()) as up, Client(proxy_server(up, guard)) as client:
            assert {t.name for t in (await client.list_tools()).tools} == {"search", "delete_file", "read"}
            r = await client.call_tool("search", {"query": "x", "limit": 99})
            assert texts(r) == "10 hits; contact [EMAIL]"
            r = await client.call_tool("delete_file", {"path": "/etc"})
            assert r.is_error and "deleting files is not allowed" in texts(r)
        await guard.aclose()

    asyncio.run(main())
    assert ran == [("search", 10)]


def test_a_tool_that_fails_upstream_is_an_error_outcome(service: Service) -> None:
    # The MCP server answers a tool's failure with an is_error result: the client sees no
    # exception, and the outcome must still count it as the tool's error, not a success.
    server = MCPServer("flaky")

    @server.tool()
    def fetch_page(url: str) -> str:
        """Fetches."""
        raise ToolError("upstream 502")

    events: list[dict[str, Any]] = []

    async def main() -> None:
        guard = Guard(service.url, service.agent_key, telemetry=events.append)
        async with Client(server) as client:
            g = GuardedClient(client, guard.session(f"mcp-{uuid.uuid4().hex}", "u1"))
            r = await g.call_tool("fetch_page", {"url": "x"})
            assert r.is_error and "upstream 502" in texts(r)
        await guard.aclose()

    asyncio.run(main())
    outcomes = [e for e in events if e.get("kind") == "outcome"]
    assert [o["tool"] for o in outcomes] == ["fetch_page"]
    assert outcomes[0]["error"] == {
        "source": "tool",
        "type": "ResultError",
        "message": "the tool's result reports an error",
    }
