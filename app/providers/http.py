"""HTTP for provider adapters: explicit timeouts, retries with backoff, final errors.

Retried: 408, 429, 5xx and transport errors (connect/read timeouts, resets), with exponential
backoff and full jitter, honouring Retry-After (seconds or an HTTP date) and retry-after-ms,
capped. Never retried: a submit whose response was lost (the caller looks the job up instead),
out-of-credit and content-policy failures (the adapter classifies those as final).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from app.core.context import CancelToken
from app.core.limits import limit
from app.core.redact import redact

log = logging.getLogger("reelgraph.providers")

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# answers to a submit after which the job may exist (503 too: a gateway may answer it after the
# provider took the job): never sent again unless the submit is idempotent, looked up instead
SUBMIT_UNCERTAIN_STATUS = frozenset({500, 502, 503, 504})
TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)


class ProviderError(Exception):
    """A failure to show the user. ``final`` ones are never retried (credit, policy, input)."""

    def __init__(
        self,
        message: str,
        *,
        final: bool = True,
        status: int | None = None,
        code: Any = None,
        retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.final, self.status, self.code = final, status, code
        # retried here with backoff (busy, rate-limited); False hands it to the caller at once
        self.retry = (not final) if retry is None else retry


class SubmitUncertain(ProviderError):
    """The submit may have reached the provider but no answer came back: do not re-submit
    blindly; look the job up by its client id (or report it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, final=False)


def _short(text: str, limit: int = 300) -> str:
    """Provider text for a message: redacted first (a cut could split a key), then cut."""
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _detail(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return _short(resp.text, 200)
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            return _short(str(err.get("message") or err))
        return _short(str(data.get("detail") or data.get("failure") or err or data))
    return _short(str(data))


POLICY_WORDS = ("moderation", "safety", "policy", "inappropriate", "content")
CREDIT_WORDS = ("credit", "insufficient", "balance", "quota", "billing", "payment")


def classify_common(name: str, resp: httpx.Response) -> ProviderError | None:
    detail = _detail(resp)
    low = detail.lower()
    if resp.status_code in (401, 403):
        return ProviderError(
            f"{name} refused the key (HTTP {resp.status_code}: {detail}); set it again in Settings",
            status=resp.status_code,
        )
    if resp.status_code == 402 or any(w in low for w in CREDIT_WORDS):
        return ProviderError(
            f"{name}: out of credit ({detail}); top up and run again", status=resp.status_code
        )
    if resp.status_code in (400, 422) and any(w in low for w in POLICY_WORDS):
        return ProviderError(
            f"{name}'s content policy refused this request ({detail}); change the prompt or image",
            status=resp.status_code,
        )
    if resp.status_code in (400, 404, 422):
        return ProviderError(
            f"{name} refused the request (HTTP {resp.status_code}: {detail})",
            status=resp.status_code,
        )
    return None


def retry_after(resp: httpx.Response) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or retry-after-ms."""
    ms = resp.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    ra = resp.headers.get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(ra)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Http:
    """One provider's connection: base URL, auth headers (a callable, so tokens can refresh),
    retry policy, and the run's cancel token (a backoff sleep wakes up on cancel)."""

    def __init__(
        self,
        base_url: str,
        headers: Callable[[], dict[str, str]],
        *,
        cancel: CancelToken | None = None,
        max_retries: int = 6,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        timeout: httpx.Timeout = TIMEOUT,
        name: str = "provider",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.cancel = cancel or CancelToken()
        self.max_retries, self.backoff, self.max_wait = max_retries, backoff, max_wait
        self.name = name
        self.origin = _origin(httpx.URL(self.base_url)) if self.base_url else None
        self._auth_names: set[str] = set(CREDENTIAL_HEADERS)
        # every request passes the guard: credentials go only to the provider's own origin
        # (a result URL on a CDN, a redirect elsewhere get none); redirects are followed by hand
        self.client = httpx.Client(
            timeout=timeout, follow_redirects=False, event_hooks={"request": [self._guard]}
        )

    def _guard(self, request: httpx.Request) -> None:
        if self.origin is None or _origin(request.url) == self.origin:
            return
        for name in list(request.headers):
            if name.lower() in self._auth_names:
                del request.headers[name]

    def _send(
        self, method: str, url: str, headers: dict[str, str], *, stream: bool = False, **kw: Any
    ) -> httpx.Response:
        """One request, following up to 5 redirects; a request with a body is never redirected
        to another host (its content and idempotency would go elsewhere)."""
        for _ in range(6):
            resp = self.client.send(
                self.client.build_request(method, url, headers=headers, **kw), stream=stream
            )
            if not resp.is_redirect or "location" not in resp.headers:
                return resp
            target = resp.url.join(resp.headers["location"])
            resp.close()
            if method not in ("GET", "HEAD") and _origin(target) != _origin(httpx.URL(url)):
                raise ProviderError(
                    f"{self.name} redirected a {method} to another host ({target.host}); not "
                    "followed"
                )
            if resp.status_code == 303:
                method, kw = "GET", {}
            url = str(target)
        raise ProviderError(f"{self.name}: too many redirects from {url}")

    def _read(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        """An answer read whole, but bounded: a server that sends without end, or one byte at a
        time, is stopped (answer_bytes, answer_seconds) instead of filling memory or hanging;
        Stop is honoured while it reads."""
        resp = self._send(method, url, headers, stream=True, **kw)
        try:
            cap, deadline = limit("answer_bytes"), time.monotonic() + limit("answer_seconds")
            if int(resp.headers.get("content-length") or 0) > cap:
                raise ProviderError(
                    f"{self.name}'s answer to {method} {httpx.URL(url).path} is "
                    f"{int(resp.headers['content-length']):,} bytes; the limit is {cap:,}"
                )
            body = bytearray()
            for chunk in resp.iter_bytes(1 << 16):
                body += chunk
                if len(body) > cap:
                    raise ProviderError(
                        f"{self.name}'s answer to {method} {httpx.URL(url).path} is larger than "
                        f"{cap:,} bytes; not read"
                    )
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(
                        f"the answer took more than {limit('answer_seconds')} s to arrive"
                    )
                self.cancel.check()
        finally:
            resp.close()
        return httpx.Response(
            resp.status_code, headers=resp.headers, content=bytes(body), request=resp.request
        )

    def close(self) -> None:
        self.client.close()

    def _auth_headers(self) -> dict[str, str]:
        h = dict(self.headers())
        self._auth_names |= {k.lower() for k in h}  # whatever carries the key is a credential
        return h

    def url(self, path: str) -> str:
        return (
            path
            if path.startswith(("http://", "https://"))
            else f"{self.base_url}/{path.lstrip('/')}"
        )

    def _wait(self, attempt: int, resp: httpx.Response | None) -> None:
        hinted = retry_after(resp) if resp is not None else None
        wait = (
            hinted if hinted is not None else self.backoff * (2**attempt) * random.uniform(0.5, 1.0)
        )
        wait = min(self.max_wait, wait)
        log.info("%s: retry %d in %.1f s", self.name, attempt + 1, wait)
        self.cancel.wait(wait)

    def request(
        self,
        method: str,
        path: str,
        *,
        submit: bool = False,
        auth: bool = True,
        idempotent: bool = False,
        classify: Callable[[httpx.Response], ProviderError | None] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """A request with retries. ``submit``: a POST that creates a paid job; if its answer is
        lost (timeout after sending, a gateway error), SubmitUncertain is raised instead of
        sending it again, unless it is ``idempotent`` (it carries an idempotency key the
        provider honours: a resend returns the same job).
        ``classify`` turns a provider's error response into a final ProviderError (or None to
        fall back on the status code)."""
        attempt = 0
        extra_headers = kw.pop("headers", None) or {}
        while True:
            self.cancel.check()
            url = self.url(path)
            headers = self._auth_headers() if auth else {}
            headers.update(extra_headers)
            check_headers(self.name, headers)
            try:
                resp = self._read(method, url, headers, **kw)
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                err: Exception = e  # never reached the server: safe to retry even a submit
            except httpx.RequestError as e:
                if submit and not idempotent:
                    raise SubmitUncertain(
                        f"{self.name}: the submit request got no answer ({type(e).__name__}); "
                        "it may have been accepted"
                    ) from None
                err = e
            else:
                if resp.status_code < 400:
                    return resp
                problem = classify(resp) if classify else None
                if problem is not None and not problem.retry:
                    raise problem
                if submit and not idempotent and resp.status_code in SUBMIT_UNCERTAIN_STATUS:
                    # a gateway error may come after the provider created (and billed) the job
                    raise SubmitUncertain(
                        f"{self.name}: the submit was answered with HTTP {resp.status_code}; "
                        "the job may have been created"
                    )
                if problem is None and resp.status_code not in RETRY_STATUS:
                    raise ProviderError(
                        f"{self.name}: HTTP {resp.status_code}: {_text(resp)}",
                        status=resp.status_code,
                    )
                if attempt >= self.max_retries:
                    raise problem or ProviderError(
                        f"{self.name}: still failing after {attempt + 1} attempts: HTTP {resp.status_code}: "
                        f"{_text(resp)}",
                        final=False,
                        status=resp.status_code,
                    )
                self._wait(attempt, resp)
                attempt += 1
                continue
            if attempt >= self.max_retries:
                raise ProviderError(
                    f"{self.name}: cannot reach {self.base_url}: {type(err).__name__}: {err}",
                    final=False,
                )
            self._wait(attempt, None)
            attempt += 1

    def json(self, method: str, path: str, **kw: Any) -> Any:
        """request() whose answer must be JSON. A garbled answer to a status request is asked
        again (with backoff); a garbled answer to a submit means we cannot know the job id."""
        for attempt in range(self.max_retries + 1):
            resp = self.request(method, path, **dict(kw))
            try:
                return resp.json()
            except ValueError:
                if kw.get("submit") and not kw.get("idempotent"):
                    raise SubmitUncertain(
                        f"{self.name}: the submit's answer was not JSON: {_text(resp)}"
                    ) from None
                if attempt >= self.max_retries:
                    break
                self._wait(attempt, None)
        raise ProviderError(
            f"{self.name}: the answer to {method} {path} is not JSON: {_text(resp)}", final=False
        )

    def download(
        self,
        url: str,
        dest,
        *,
        auth: bool = False,
        progress: Callable[[int, int], None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Stream ``url`` into ``dest`` (a temp name the caller renames). A short body (fewer
        bytes than Content-Length) is an error, retried like a transport failure."""
        attempt = 0
        while True:
            self.cancel.check()
            h = self._auth_headers() if auth else {}
            h.update(headers or {})
            check_headers(self.name, h)
            try:
                resp = self._send("GET", self.url(url), h, stream=True)
                try:
                    if resp.status_code in (401, 403, 404, 410):
                        raise ProviderError(
                            f"{self.name}: the result file cannot be downloaded (HTTP "
                            f"{resp.status_code}); its link may have expired",
                            final=True,
                            status=resp.status_code,
                        )
                    if resp.status_code >= 400:
                        raise httpx.HTTPStatusError("retry", request=resp.request, response=resp)
                    total = int(resp.headers.get("content-length") or 0)
                    got = 0
                    cap = limit("result_bytes")
                    if total > cap:
                        raise ProviderError(
                            f"{self.name}'s result is {total:,} bytes; the limit is {cap:,}"
                        )
                    with open(dest, "wb") as fh:
                        for chunk in resp.iter_bytes(1 << 16):
                            self.cancel.check()
                            fh.write(chunk)
                            got += len(chunk)
                            if got > cap:  # a server that streams without end would fill the disk
                                raise ProviderError(
                                    f"{self.name}'s result is larger than {cap:,} bytes; not kept"
                                )
                            if progress:
                                progress(got, total)
                    if total and got < total:
                        raise httpx.RemoteProtocolError(
                            f"download ended after {got} of {total} bytes"
                        )
                    if got == 0:
                        raise httpx.RemoteProtocolError("download was empty")
                    return
                finally:
                    resp.close()
            except (httpx.RequestError, httpx.HTTPStatusError) as e:
                if attempt >= self.max_retries:
                    raise ProviderError(f"{self.name}: download failed: {e}", final=False) from None
                self._wait(attempt, getattr(e, "response", None))
                attempt += 1


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


# headers that carry a credential for some provider; those a backend sends are added per client
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "cookie"}
)


def check_headers(name: str, headers: dict[str, str]) -> None:
    """A key pasted with a stray line break or a non-ASCII character would make httpx fail
    after the job was journaled as 'submitting'; it is refused before anything is sent, without
    showing the value."""
    for k, v in headers.items():
        text = str(v)
        if any(c in text for c in "\r\n\0") or not text.isascii() or not text.isprintable():
            raise ProviderError(
                f"{name}: the {k} header has a line break or a character that is not plain ASCII "
                "in it (a key pasted with a stray character?); set the key again with "
                "`reelgraph keys set` or in Settings"
            )


def _text(resp: httpx.Response) -> str:
    try:
        return _short(resp.text)
    except Exception:  # noqa: BLE001
        return "(unreadable body)"
