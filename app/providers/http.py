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
from app.core.redact import redact

log = logging.getLogger("reelgraph.providers")

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# answers to a submit after which the job may exist (503 too: a gateway may answer it after the
# provider took the job): never sent again unless the submit is idempotent, looked up instead
SUBMIT_UNCERTAIN_STATUS = frozenset({500, 502, 503, 504})
TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)


class ProviderError(Exception):
    """A failure to show the user. ``final`` ones are never retried (credit, policy, input)."""

    def __init__(self, message: str, *, final: bool = True, status: int | None = None, code: Any = None,
                 retry: bool | None = None) -> None:
        super().__init__(message)
        self.final, self.status, self.code = final, status, code
        # retried here with backoff (busy, rate-limited); False hands it to the caller at once
        self.retry = (not final) if retry is None else retry


class SubmitUncertain(ProviderError):
    """The submit may have reached the provider but no answer came back: do not re-submit
    blindly; look the job up by its client id (or report it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, final=False)


def _detail(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return redact(resp.text[:200])
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            return redact(str(err.get("message") or err))
        return redact(str(data.get("detail") or data.get("failure") or err or data)[:300])
    return redact(str(data)[:300])


POLICY_WORDS = ("moderation", "safety", "policy", "inappropriate", "content")
CREDIT_WORDS = ("credit", "insufficient", "balance", "quota", "billing", "payment")


def classify_common(name: str, resp: httpx.Response) -> ProviderError | None:
    detail = _detail(resp)
    low = detail.lower()
    if resp.status_code in (401, 403):
        return ProviderError(f"{name} refused the key (HTTP {resp.status_code}: {detail}); set it again in Settings",
                             status=resp.status_code)
    if resp.status_code == 402 or any(w in low for w in CREDIT_WORDS):
        return ProviderError(f"{name}: out of credit ({detail}); top up and run again", status=resp.status_code)
    if resp.status_code in (400, 422) and any(w in low for w in POLICY_WORDS):
        return ProviderError(f"{name}'s content policy refused this request ({detail}); change the prompt or image",
                             status=resp.status_code)
    if resp.status_code in (400, 404, 422):
        return ProviderError(f"{name} refused the request (HTTP {resp.status_code}: {detail})", status=resp.status_code)
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

    def __init__(self, base_url: str, headers: Callable[[], dict[str, str]], *, cancel: CancelToken | None = None,
                 max_retries: int = 6, backoff: float = 1.0, max_wait: float = 60.0,
                 timeout: httpx.Timeout = TIMEOUT, name: str = "provider") -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.cancel = cancel or CancelToken()
        self.max_retries, self.backoff, self.max_wait = max_retries, backoff, max_wait
        self.name = name
        self.client = httpx.Client(timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def _wait(self, attempt: int, resp: httpx.Response | None) -> None:
        hinted = retry_after(resp) if resp is not None else None
        wait = hinted if hinted is not None else self.backoff * (2 ** attempt) * random.uniform(0.5, 1.0)
        wait = min(self.max_wait, wait)
        log.info("%s: retry %d in %.1f s", self.name, attempt + 1, wait)
        self.cancel.wait(wait)

    def request(self, method: str, path: str, *, submit: bool = False, auth: bool = True, idempotent: bool = False,
                classify: Callable[[httpx.Response], ProviderError | None] | None = None, **kw: Any) -> httpx.Response:
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
            headers = dict(self.headers()) if auth else {}
            headers.update(extra_headers)
            _check_headers(self.name, headers)
            try:
                resp = self.client.request(method, self.url(path), headers=headers, **kw)
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                err: Exception = e  # never reached the server: safe to retry even a submit
            except httpx.RequestError as e:
                if submit and not idempotent:
                    raise SubmitUncertain(f"{self.name}: the submit request got no answer ({type(e).__name__}); "
                                          "it may have been accepted") from None
                err = e
            else:
                if resp.status_code < 400:
                    return resp
                problem = classify(resp) if classify else None
                if problem is not None and not problem.retry:
                    raise problem
                if submit and not idempotent and resp.status_code in SUBMIT_UNCERTAIN_STATUS:
                    # a gateway error may come after the provider created (and billed) the job
                    raise SubmitUncertain(f"{self.name}: the submit was answered with HTTP {resp.status_code}; "
                                          "the job may have been created")
                if problem is None and resp.status_code not in RETRY_STATUS:
                    raise ProviderError(f"{self.name}: HTTP {resp.status_code}: {_text(resp)}", status=resp.status_code)
                if attempt >= self.max_retries:
                    raise problem or ProviderError(
                        f"{self.name}: still failing after {attempt + 1} attempts: HTTP {resp.status_code}: "
                        f"{_text(resp)}", final=False, status=resp.status_code)
                self._wait(attempt, resp)
                attempt += 1
                continue
            if attempt >= self.max_retries:
                raise ProviderError(f"{self.name}: cannot reach {self.base_url}: {type(err).__name__}: {err}",
                                    final=False)
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
                    raise SubmitUncertain(f"{self.name}: the submit's answer was not JSON: {_text(resp)}") from None
                if attempt >= self.max_retries:
                    break
                self._wait(attempt, None)
        raise ProviderError(f"{self.name}: the answer to {method} {path} is not JSON: {_text(resp)}", final=False)

    def download(self, url: str, dest, *, auth: bool = False, progress: Callable[[int, int], None] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        """Stream ``url`` into ``dest`` (a temp name the caller renames). A short body (fewer
        bytes than Content-Length) is an error, retried like a transport failure."""
        attempt = 0
        while True:
            self.cancel.check()
            h = dict(self.headers()) if auth else {}
            h.update(headers or {})
            try:
                with self.client.stream("GET", self.url(url), headers=h) as resp:
                    if resp.status_code in (401, 403, 404, 410):
                        raise ProviderError(f"{self.name}: the result file cannot be downloaded (HTTP "
                                            f"{resp.status_code}); its link may have expired", final=True,
                                            status=resp.status_code)
                    if resp.status_code >= 400:
                        raise httpx.HTTPStatusError("retry", request=resp.request, response=resp)
                    total = int(resp.headers.get("content-length") or 0)
                    got = 0
                    with open(dest, "wb") as fh:
                        for chunk in resp.iter_bytes(1 << 16):
                            self.cancel.check()
                            fh.write(chunk)
                            got += len(chunk)
                            if progress:
                                progress(got, total)
                    if total and got < total:
                        raise httpx.RemoteProtocolError(f"download ended after {got} of {total} bytes")
                    if got == 0:
                        raise httpx.RemoteProtocolError("download was empty")
                    return
            except (httpx.RequestError, httpx.HTTPStatusError) as e:
                if attempt >= self.max_retries:
                    raise ProviderError(f"{self.name}: download failed: {e}", final=False) from None
                self._wait(attempt, getattr(e, "response", None))
                attempt += 1


def _check_headers(name: str, headers: dict[str, str]) -> None:
    """A key pasted with a stray line break would make httpx fail after the job was journaled
    as 'submitting'; it is refused before anything is sent, without showing the value."""
    for k, v in headers.items():
        if any(c in str(v) for c in "\r\n\0"):
            raise ProviderError(f"{name}: the {k} header has a line break in it (a key pasted with a stray "
                                "character?); set the key again with `reelgraph keys set` or in Settings")


def _text(resp: httpx.Response) -> str:
    try:
        return redact(resp.text[:300])
    except Exception:  # noqa: BLE001
        return "(unreadable body)"
