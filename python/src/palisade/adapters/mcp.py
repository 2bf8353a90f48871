"""The MCP Python SDK: a guarded client and a guarding proxy.

- `GuardedClient(client, session)`: wraps an `mcp.Client` (or `ClientSession`); `call_tool` is
  decided on `tool_call` (arguments rewritten, a `require_approval` waited on in the service's
  queue, a deny returned as an error result the model reads, or raised) and its result on
  `tool_result` (text parts and `structuredContent` redacted, or the result replaced by an error).
  Everything else is the wrapped client's.
- `proxy_server(upstream, guard)`: an MCP server (the SDK's low-level `Server`) that lists the
  upstream's tools and forwards each call through a `GuardedClient`: put it between any MCP
  client and a server it should not reach unguarded. One session per proxy.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from mcp import types
from mcp.server.lowlevel.server import Server

from .._schema import with_defaults
from ..errors import PolicyDeniedError
from ..guard import Guard, OnDeny, Session, denied_tool_message

__all__ = ["GuardedClient", "proxy_server"]


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def _result_input(r: types.CallToolResult) -> dict[str, Any]:
    text = "\n".join(c.text for c in r.content if isinstance(c, types.TextContent))
    out: dict[str, Any] = {"text": text, "isError": bool(r.is_error)}
    if r.structured_content is not None:
        out["json"] = r.structured_content
    return out


def _rewritten(r: types.CallToolResult, given: dict[str, Any], decided: Any) -> types.CallToolResult:
    if not isinstance(decided, dict) or decided == given:
        return r
    update: dict[str, Any] = {}
    if decided.get("text") != given["text"] and isinstance(decided.get("text"), str):
        # The text parts, decided as one text, come back as one text part; other parts stay.
        others = [c for c in r.content if not isinstance(c, types.TextContent)]
        update["content"] = [types.TextContent(type="text", text=decided["text"]), *others]
    if "json" in given and decided.get("json") != given["json"] and isinstance(decided.get("json"), dict):
        update["structured_content"] = decided["json"]
    return r.model_copy(update=update)


class GuardedClient:
    """An MCP client whose tool calls are decided by `session` (see the module's doc)."""

    def __init__(self, client: Any, session: Session, *, on_deny: OnDeny = "message") -> None:
        self._client = client
        self.session = session
        self.on_deny: OnDeny = on_deny
        self._schemas: dict[str, dict[str, Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def _schema(self, name: str) -> dict[str, Any] | None:
        if self._schemas is None:
            listed = await self._client.list_tools()
            self._schemas = {t.name: dict(t.input_schema) for t in listed.tools}
        return self._schemas.get(name)

    def _denied(self, err: PolicyDeniedError) -> types.CallToolResult:
        if self.on_deny == "raise":
            raise err
        return _error(denied_tool_message(err) if self.on_deny == "message" else str(self.on_deny(err)))

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *args: Any, **kwargs: Any
    ) -> types.CallToolResult:
        s = self.session
        given = with_defaults(arguments or {}, await self._schema(name))
        try:
            g = await s.aenforce("tool_call", {"tool": {"name": name, "args": given}})
        except PolicyDeniedError as e:
            return self._denied(e)
        decided = g.payload.get("tool", {}).get("args", given)
        started = time.perf_counter()
        try:
            r: types.CallToolResult = await self._client.call_tool(name, decided, *args, **kwargs)
        except Exception as e:
            s.tool_outcome(name, g, started, error=e)
            raise
        result = _result_input(r)
        s.tool_outcome(name, g, started, size=len(result["text"]), is_error=bool(result["isError"]))
        try:
            out = await s.aenforce("tool_result", {"tool": {"name": name, "args": decided, "result": result}})
        except PolicyDeniedError as e:
            return self._denied(e)
        return _rewritten(r, result, out.payload.get("tool", {}).get("result"))


def proxy_server(
    upstream: Any, target: Guard | Session, *, name: str = "palisade-proxy", on_deny: OnDeny = "message"
) -> Server[Any]:
    """An MCP server in front of `upstream` (a connected `mcp.Client`), every call guarded."""
    session = target if isinstance(target, Session) else target.session(f"mcp-{uuid.uuid4().hex}")
    guarded = GuardedClient(upstream, session, on_deny=on_deny)

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        listed: types.ListToolsResult = await upstream.list_tools()
        return listed

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await guarded.call_tool(params.name, dict(params.arguments or {}))

    return Server(name, on_list_tools=list_tools, on_call_tool=call_tool)
