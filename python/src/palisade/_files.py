"""Files that are text: a document a user attaches in base64, as bytes or in a data URL is text
its reader's model reads, so the guard decides it as text (spec/sdk.md, "Earlier turns"). Only
media types that are text, and bytes that are well-formed UTF-8, count: an image stays what it is."""

from __future__ import annotations

import base64
import re
from typing import Any

_TEXT_MEDIA = re.compile(r"^(text/|application/(json|xml|x-yaml|yaml)\b)")
_DATA_URL = re.compile(r"^data:([^;,]*)(;[^,]*)?;base64,(.*)$", re.S)


def is_text_media(media_type: Any) -> bool:
    return isinstance(media_type, str) and _TEXT_MEDIA.match(media_type) is not None


def bytes_text(data: str | bytes) -> str | None:
    """`data` (base64 text, or bytes) as UTF-8 text; None when it is not well-formed UTF-8."""
    try:
        raw = base64.b64decode(data, validate=True) if isinstance(data, str) else data
        return raw.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def data_url_text(url: Any) -> str | None:
    """The text of a `data:` URL of a text media type in base64."""
    m = _DATA_URL.match(url) if isinstance(url, str) else None
    return bytes_text(m.group(3)) if m is not None and is_text_media(m.group(1)) else None
