"""The MCP Python SDK: a guarded client and a guarding proxy.

- `GuardedClient(client, session)`: wraps an `mcp.Client` (or `ClientSession`); `call_tool` is
  decided on `tool_call` (arguments rewritten, a `require_approval` waited on in the service's
  queue, a deny returned as an error result the model reads, or raised) and its result on
  `tool_result` (text parts and `structuredContent` redacted, or the result replaced by an error).
  `read_resource` is decided as a tool `resources/read` (its text on `tool_result`) and
  `get_prompt` as a tool `prompts/get` (its text on `input`), as the TypeScript proxy does.
  Everything else is the wrapped client's.
- `proxy_server(upstream, guard)`: an MCP server (the SDK's low-level `Server`) that lists the
  upstream's tools and forwards each call through a `GuardedClient`: put it between any MCP
  client and a server it should not reach unguarded. One session per proxy.
"""

from __future__ import annotations

import base64
import json
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


def _blob_text(blob: str) -> str | None:
    """A blob's text when its bytes are UTF-8 text (a file served as bytes, which a client
    decodes for its model), else None (an image, an archive: not text)."""
    try:
        return base64.b64decode(blob, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def _part_text(c: Any) -> str | None:
    """The text a client's model reads from one content part: a text part, an embedded text
    resource (or a blob that is UTF-8 text), a resource link's title and description."""
    if isinstance(c, types.TextContent):
        return c.text
    if isinstance(c, types.EmbeddedResource):
        r = c.resource
        if isinstance(r, types.TextResourceContents):
            return r.text
        return _blob_text(r.blob) if isinstance(r, types.BlobResourceContents) else None
    if isinstance(c, types.ResourceLink):
        words = [w for w in (c.title, c.description) if w]
        return "\n".join(words) if words else None
    return None


def _json_of(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [s for x in v.values() for s in _strings(x)]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return []


def _wraps(structured: Any, texts: list[str]) -> bool:
    """Whether `structured` only wraps the text (`{"result": text}`, as servers wrap a plain
    answer): every string in it is a whole text part."""
    leaves = _strings(structured)
    return bool(leaves) and all(s in texts for s in leaves)


def _result_input(r: types.CallToolResult) -> dict[str, Any]:
    """`tool.result` of an MCP result (spec/sdk.md): every text its client's model may read,
    joined; a `structuredContent` that no text part serialises (nor merely wraps) is added as its JSON."""
    texts = [t for c in r.content if (t := _part_text(c)) is not None]
    structured = r.structured_content
    if structured is not None and not any(_json_of(t) == structured for t in texts) and not _wraps(structured, texts):
        texts.append(json.dumps(structured, ensure_ascii=False))
    out: dict[str, Any] = {"text": "\n".join(texts), "isError": bool(r.is_error)}
    if structured is not None:
        out["json"] = structured
    return out


def _kept(c: Any) -> Any:
    """A content part as it stays once the text was rewritten: a part that is text is gone (the
    rewritten text holds it), a link keeps its address without the words it carried."""
    if isinstance(c, types.ResourceLink):
        return c.model_copy(update={"title": None, "description": None})
    return None if _part_text(c) is not None else c


def _replaced(v: Any, old: str, new: str) -> Any:
    if isinstance(v, dict):
        return {k: _replaced(x, old, new) for k, x in v.items()}
    if isinstance(v, list):
        return [_replaced(x, old, new) for x in v]
    return new if v == old else v


def _structured_of(r: types.CallToolResult, given: str, text: str) -> Any:
    """The structured copy of a rewritten text: the one text it wraps rewritten, else the text
    (or its last line, where an added copy goes) when it is JSON of the same kind; else None:
    a copy the guard cannot rewrite is not handed on."""
    like = r.structured_content
    texts = [t for c in r.content if (t := _part_text(c)) is not None]
    if len(texts) == 1 and _wraps(like, texts):
        return _replaced(like, given, text)
    for candidate in (text, text.rsplit("\n", 1)[-1]):
        parsed = _json_of(candidate)
        if parsed is not None and type(parsed) is type(like):
            return parsed
    return None


def _rewritten(r: types.CallToolResult, given: dict[str, Any], decided: Any) -> types.CallToolResult:
    if not isinstance(decided, dict) or decided == given:
        return r
    update: dict[str, Any] = {}
    got = decided.get("text")
    text = got if isinstance(got, str) else given["text"]
    text_changed = text != given["text"]
    if text_changed:
        # Every part a model reads as text, decided as one text, comes back as one text part.
        others = [k for c in r.content if (k := _kept(c)) is not None]
        update["content"] = [types.TextContent(type="text", text=text), *others]
    if "json" in given and decided.get("json") != given["json"] and decided.get("json") is not None:
        update["structured_content"] = decided["json"]
    elif text_changed and r.structured_content is not None:
        # The same answer, structured: a redaction of the text must not leave it raw there.
        update["structured_content"] = _structured_of(r, given["text"], text)
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

    async def read_resource(self, uri: str, *args: Any, **kwargs: Any) -> types.ReadResourceResult:
        """The resource decided as a tool `resources/read` (spec/sdk.md): `tool_call` on `{uri}`,
        `tool_result` on its text (text contents and blobs that are UTF-8 text, joined). A deny
        raises PolicyDeniedError: there is no result shape a refusal fits in."""
        s = self.session
        g = await s.aenforce("tool_call", {"tool": {"name": "resources/read", "args": {"uri": uri}}})
        args_ = g.payload.get("tool", {}).get("args", {"uri": uri})
        decided_uri = args_.get("uri", uri) if isinstance(args_, dict) else uri
        started = time.perf_counter()
        try:
            r: types.ReadResourceResult = await self._client.read_resource(decided_uri, *args, **kwargs)
        except Exception as e:
            s.tool_outcome("resources/read", g, started, error=e)
            raise
        texts = [t for c in r.contents if (t := _contents_text(c)) is not None]
        given: dict[str, Any] = {"text": "\n".join(texts), "isError": False}
        s.tool_outcome("resources/read", g, started, size=len(given["text"]))
        out = await s.aenforce("tool_result", {"tool": {"name": "resources/read", "args": args_, "result": given}})
        decided = out.payload.get("tool", {}).get("result")
        text = decided.get("text") if isinstance(decided, dict) else None
        if not isinstance(text, str) or text == given["text"]:
            return r
        at = [i for i, c in enumerate(r.contents) if _contents_text(c) is not None]
        if len(at) == 1:
            contents = [_with_contents_text(c, text) if i == at[0] else c for i, c in enumerate(r.contents)]
        else:
            # Several texts decided as one: one text content holds it.
            others = [c for i, c in enumerate(r.contents) if i not in at]
            contents = [types.TextResourceContents(uri=decided_uri, mime_type="text/plain", text=text), *others]
        return r.model_copy(update={"contents": contents})

    async def get_prompt(
        self, name: str, arguments: dict[str, str] | None = None, *args: Any, **kwargs: Any
    ) -> types.GetPromptResult:
        """The prompt decided as a tool `prompts/get` on `{name, arguments}`; its text (text
        messages and embedded text resources, joined: the conversation's input) on `input`, a
        rewrite in its first text message and the others emptied. A deny raises PolicyDeniedError."""
        s = self.session
        g = await s.aenforce(
            "tool_call", {"tool": {"name": "prompts/get", "args": {"name": name, "arguments": arguments or {}}}}
        )
        decided_args = g.payload.get("tool", {}).get("args", {})
        given_args = decided_args.get("arguments") if isinstance(decided_args, dict) else None
        p: types.GetPromptResult = await self._client.get_prompt(
            name, given_args if isinstance(given_args, dict) else arguments, *args, **kwargs
        )
        at = [i for i, m in enumerate(p.messages) if _prompt_text(m) is not None]
        whole = "".join(_prompt_text(p.messages[i]) or "" for i in at)
        if not whole:
            return p
        text = await s.atext("input", whole)
        if text == whole:
            return p
        messages = [_prompt_with(m, text if i == at[0] else "") if i in at else m for i, m in enumerate(p.messages)]
        return p.model_copy(update={"messages": messages})


def _contents_text(c: Any) -> str | None:
    if isinstance(c, types.TextResourceContents):
        return c.text
    return _blob_text(c.blob) if isinstance(c, types.BlobResourceContents) else None


def _with_contents_text(c: Any, text: str) -> Any:
    """`c` holding `text` (a blob, the same bytes, becomes text)."""
    if isinstance(c, types.TextResourceContents):
        return c.model_copy(update={"text": text})
    return types.TextResourceContents(uri=c.uri, mime_type=c.mime_type or "text/plain", text=text)


def _prompt_text(m: Any) -> str | None:
    c = m.content
    if isinstance(c, types.TextContent):
        return c.text
    if isinstance(c, types.EmbeddedResource):
        return _contents_text(c.resource)
    return None


def _prompt_with(m: Any, text: str) -> Any:
    c = m.content
    if isinstance(c, types.TextContent):
        return m.model_copy(update={"content": c.model_copy(update={"text": text})})
    return m.model_copy(update={"content": c.model_copy(update={"resource": _with_contents_text(c.resource, text)})})


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
