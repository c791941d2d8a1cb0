"""Secrets never shown: one function that every log line, event, error message and journal row
goes through. Keys register themselves when they are read (and derived tokens when they are
made); anything that looks like a credential in a header or a query is masked too, since a
provider may echo request headers in an error body."""

from __future__ import annotations

import logging
import re
import threading

MASK = "[redacted]"
_secrets: set[str] = set()
_lock = threading.Lock()
# "Authorization: Bearer x", "x-api-key": "x", x-goog-api-key=x, api_key: x, ...?key=x
_LABELLED = re.compile(
    r"(?i)(\b(?:proxy-)?authorization|\bx-(?:goog-)?api-key|\bapi[-_]?key|\baccess[-_]?key|\bsecret[-_]?key"
    r"|\bsecret|\btoken|[?&]key)"
    r"(\\?[\"']?\s*[:=]\s*\\?[\"']?\s*)((?:bearer|key|basic|token)\s+)?([^\s\"'\\,;}&\[\]]{4,})")
_JWT = re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")


def register(*values: str | None) -> None:
    """Remember secret values (keys read from the keyring/env, tokens made from them)."""
    with _lock:
        for v in values:
            if v and len(v) >= 6:
                _secrets.add(v)


def redact(text: str) -> str:
    if not text:
        return text
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
