"""A capture server for contract tests: real HTTP on 127.0.0.1 that records every request and
answers canned JSON, so an official SDK and Reelgraph can send the same call to it and their
requests be compared."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Captured:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def multipart(self) -> dict[str, tuple[str | None, bytes]]:
        """Form fields by name: (file name or None, content)."""
        ctype = self.headers.get("content-type", "")
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self.body
        )
        out = {}
        for part in msg.iter_parts():
            out[part.get_param("name", header="content-disposition")] = (
                part.get_filename(),
                part.get_payload(decode=True),
            )
        return out


Route = tuple[str, str, Callable[["CaptureServer", Captured], tuple[int, Any]] | tuple[int, Any]]


class CaptureServer:
    def __init__(self) -> None:
        self.requests: list[Captured] = []
        self.routes: list[Route] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                parts = urlsplit(self.path)
                rec = Captured(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                outer.requests.append(rec)
                status, payload = outer.answer(rec)
                data = (
                    b""
                    if payload is None
                    else payload
                    if isinstance(payload, bytes)
                    else json.dumps(payload).encode()
                )
                self.send_response(status)
                if payload is not None and not isinstance(payload, bytes):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, rec: Captured) -> tuple[int, Any]:
        for method, pattern, reply in self.routes:
            if method == rec.method and re.fullmatch(pattern, rec.path):
                return reply(self, rec) if callable(reply) else reply
        return 404, {"error": f"no route for {rec.method} {rec.path}"}

    def route(self, method: str, pattern: str, reply: Any) -> None:
        self.routes.append((method, pattern, reply))

    def take(self) -> list[Captured]:
        out, self.requests = self.requests, []
        return out

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def shape(value: Any) -> Any:
    """The JSON 'shape' of a value: field names with the types of their values (lists by their
    first item), for comparing two requests whose values may differ."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__
