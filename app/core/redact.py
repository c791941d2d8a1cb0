"""Secrets never shown: one function that every log line, event, error message and journal row
goes through. Keys register themselves when they are read (and derived tokens when they are
made); anything that looks like a credential in a header or a query is masked too, since a
provider may echo request headers in an error body."""

from __future__ import annotations

import base64
import logging
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
_secrets: set[str] = set()
_lock = threading.Lock()
# "Authorization: Bearer x", "x-api-key": "x", x-goog-api-key=x, api_key: x, ...?key=x
# possessive quantifiers keep this linear on hostile text (runs of spaces after a label)
_LABELLED = re.compile(
    r"(?i)(\b(?:proxy-)?authorization|\bx-(?:goog-)?api-key|\bapi[-_]?key|\baccess[-_]?key|\bsecret[-_]?key"
    r"|\bsecret|\btoken|[?&]key)"
    r"(\\?[\"']?\s*+[:=]\s*+\\?[\"']?\s*+)((?:bearer|key|basic|token)\s++)?([^\s\"'\\,;}&\[\]]{4,}+)"
)
MAX_TEXT = 200_000  # longer text is cut (after the cut point nothing is shown anyway)
_JWT = re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")


def register(*values: str | None) -> None:
    """Remember secret values (keys read from the keyring/env, tokens made from them), with
    the forms a server may echo them in (URL-encoded, base64)."""
    with _lock:
        for v in values:
            if not v or len(v) < 4:
                continue
            _secrets.add(v)
            for form in (
                quote(v, safe=""),
                quote_plus(v),
                base64.b64encode(v.encode()).decode().rstrip("="),
            ):
                if form != v and len(form) >= 4:
                    _secrets.add(form)


def redact(text: str, *, labelled: bool = True) -> str:
    """The text with every secret masked. Redact before cutting a text short: a cut can leave
    part of a key that no longer matches. ``labelled=False`` masks only the keys Reelgraph
    knows (for URLs kept to be used again, whose own tokens must survive)."""
    if not text:
        return text
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + " [cut]"
    if labelled:
        text = _LABELLED.sub(lambda m: m.group(1) + m.group(2) + (m.group(3) or "") + MASK, text)
        text = _JWT.sub(MASK, text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for s in known:
        if s in text:
            text = text.replace(s, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments, traceback) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
