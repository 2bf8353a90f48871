from mcp import Client

from palisade import Guard
from palisade.adapters.mcp import GuardedClient, proxy_server


async def guarded_call(guard: Guard, server: object, chat_id: str) -> str:
    async with Client(server) as client:  # type: ignore[arg-type]
        tools = GuardedClient(client, guard.session(chat_id, "joe"))
        result = await tools.call_tool("search", {"query": "invoices"})
        return "\n".join(getattr(c, "text", "") for c in result.content)


async def serve_guarded(guard: Guard, upstream: Client) -> object:
    return proxy_server(upstream, guard)  # an MCP server: point any MCP client at it
