"""What every cloud/GPU-server backend shares: capabilities, translate -> submit -> poll ->
download, the job journal (never pay twice for one result), cancel, costs.

An adapter subclasses RemoteBackend and implements the provider-specific parts: translate
(our request to its body, refusing what the model cannot honour), submit, status, and where the
provider has them, lookup (find a job by our client id) and cancel.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.core.errors import Cancelled, NodeError
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import Mode, Task, catalog, check_generate, price
from app.providers.http import Http, ProviderError, SubmitUncertain, check_headers, classify_common
from app.providers.journal import Job, Journal
from app.providers.settings import base_url, get_key

log = logging.getLogger("reelgraph.providers")
RESUMABLE = (
    "submitted",
    "running",
    "done",
    "downloaded",
)  # paid for: followed, never submitted again


def timing() -> dict[str, float]:
    """Network timing, overridable for slow links or tests: REELGRAPH_HTTP_READ_TIMEOUT (s),
    REELGRAPH_RETRY_BACKOFF (s, the first retry's base wait), REELGRAPH_POLL_INTERVAL (s),
    REELGRAPH_UNREACHABLE_GRACE (s a submitted job's provider may stay silent: a restart, a blip)."""

    def env(name: str, default: float) -> float:
        try:
            return float(os.environ.get(name, default))
        except ValueError:
            return default

    return {
        "read_timeout": env("REELGRAPH_HTTP_READ_TIMEOUT", 60.0),
        "backoff": env("REELGRAPH_RETRY_BACKOFF", 1.0),
        "poll": env("REELGRAPH_POLL_INTERVAL", 0.0),
        "grace": env("REELGRAPH_UNREACHABLE_GRACE", 90.0),
    }


@dataclass
class Status:
    state: str  # "running" | "done" | "failed" | "cancelled"
    progress: float | None = None
    detail: str = ""
    outputs: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # provider facts worth keeping (result ids)


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...], sep: str = ":") -> str:
    """The supported ratio closest to width/height (in log space); among equal shapes, the one
    nearest in size (Runway names ratios by pixel size: 1280:720 and 1920:1080)."""
    import math

    want = math.log(width / height)

    def key(r: str) -> tuple[float, float]:
        a, b = (float(x) for x in r.split(sep))
        return round(abs(math.log(a / b) - want), 6), abs(math.log(a * b / (width * height)))

    return min(ratios, key=key)


class RemoteBackend:
    name = "remote"
    title = "Remote"
    task: Task = "generate"
    poll_interval = 2.0
    extension = ".mp4"
    supports_lookup = False  # jobs can be found by our client id (Kling external_task_id)
    idempotent = False  # a resend with the same idempotency key never makes a second job (sync.so)
    supports_cancel = False

    # -- catalog ------------------------------------------------------------------------------------
    @property
    def default_base(self) -> str:
        b = catalog().backend(self.name)
        return b.base_url if b else ""

    def models(self) -> list[str]:
        return list(catalog().models(self.name, self.task))

    def spec(self, model: str, mode: str = "") -> Mode:
        """What the catalog says this model/mode honours (the check refused anything else)."""
        md = catalog().mode(self.name, self.task, model, mode)
        if md is None:
            raise NodeError(
                f"{self.title} has no model {model!r} (mode {mode or 'default'!r}) in the catalog",
                field="param 'model'",
            )
        return md

    def key(self) -> dict[str, str] | None:
        return get_key(self.name)

    def key_problem(self) -> list[tuple[str | None, str]]:
        if self.key() is None:
            return [
                (
                    "param 'backend'",
                    f"no API key for {self.name}: set one with `reelgraph keys set "
                    f"{self.name}` or in Settings",
                )
            ]
        return []

    def check(self, connected: frozenset[str], params: Any) -> list[tuple[str | None, str]]:
        problems = check_generate(
            self.name, params.model, params.mode, duration=params.duration, connected=connected
        )
        return problems + self.key_problem()

    def cost(self, req: GenerateRequest) -> float:
        return price(self.name, self.task, req.model, req.mode, req.duration, req.takes)

    def refuse(self, req: GenerateRequest) -> None:
        """The catalog's check again on the request itself, so nothing the model cannot honour is
        ever sent, whoever calls (validation normally refused it already)."""
        if self.task != "generate":
            return
        connected = frozenset(
            n
            for n, v in (
                ("image", req.image),
                ("end_image", req.end_image),
                ("motion", req.motion),
                ("camera", req.camera),
            )
            if v is not None
        )
        problems = check_generate(
            self.name, req.model, req.mode, duration=req.duration, connected=connected
        )
        if problems:
            where, msg = problems[0]
            raise NodeError(msg, field=where)

    # -- provider specifics ------------------------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        raise NotImplementedError

    def prepare(self, http: Http, body: dict[str, Any], job: GenerateJob) -> dict[str, Any]:
        """Last touches that need the provider (uploads, live option lists), once per node."""
        return body

    def body_for_take(
        self, body: dict[str, Any], req: GenerateRequest, take: int
    ) -> dict[str, Any]:
        return body

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def status(self, http: Http, job: Job) -> Status:
        raise NotImplementedError

    def lookup(self, http: Http, job: Job) -> str | None:
        return None

    def is_duplicate(self, error: ProviderError) -> bool:
        """Whether a refusal says our client id is already taken (the job exists)."""
        text = str(error).lower()
        return any(
            w in text for w in ("already exist", "duplicate", "already used", "external_task_id")
        )

    def cancel(self, http: Http, job: Job) -> None:
        return None

    def classify(self, resp: httpx.Response) -> ProviderError | None:
        """A provider error response as a final ProviderError, or None to retry (busy, rate
        limits) or fall back on the status code."""
        if resp.status_code == 429 or resp.status_code >= 500:
            return None
        return classify_common(self.title, resp)

    def api_key(self) -> str:
        key = self.key()
        if key is None:
            raise ProviderError(
                f"no {self.title} key: `reelgraph keys set {self.name}` or Edit > Settings"
            )
        return key["api_key"]

    def download_headers(self) -> dict[str, str]:
        return {}

    def fetch(
        self, http: Http, job: Job, output: str, dest: Path, headers: dict[str, str] | None
    ) -> None:
        """Write one finished output to ``dest`` (a temp name); a URL by default."""
        http.download(output, dest, auth=bool(headers), headers=headers)

    # -- the shared loop ---------------------------------------------------------------------------------
    def http(self, job: GenerateJob) -> Http:
        t = timing()
        return Http(
            base_url(self.name, self.default_base),
            self.headers,
            cancel=job.cancel,
            name=self.title,
            backoff=t["backoff"],
            timeout=httpx.Timeout(connect=10.0, read=t["read_timeout"], write=60.0, pool=10.0),
        )

    @property
    def interval(self) -> float:
        return timing()["poll"] or self.poll_interval

    def journal(self, job: GenerateJob) -> Journal:
        root = job.cache_dir or Path(os.environ.get("REELGRAPH_CACHE_DIR", job.work_dir.parent))
        return Journal(Path(root) / "jobs.sqlite")

    def generate(self, req: GenerateRequest, job: GenerateJob) -> list[Path]:
        self.refuse(req)
        try:
            check_headers(self.title, self.headers())  # a mangled key: refused before the journal
        except ProviderError as e:
            raise NodeError(str(e), field="param 'backend'") from None
        body = self.translate(req, job)  # refuses what the model cannot honour, before paying
        journal = self.journal(job)
        http = self.http(job)
        jobs: list[Job] = []
        prepared: dict[str, Any] = {}

        def ready() -> dict[str, Any]:
            # uploads and live lists only when a take is really submitted (not when resuming)
            if "body" not in prepared:
                prepared["body"] = self.prepare(http, body, job)
            return prepared["body"]

        try:
            try:
                for t in range(1, req.takes + 1):
                    job.cancel.check()  # nothing is begun in the journal after Stop

                    def body_of(take: int = t) -> dict[str, Any]:
                        return self.body_for_take(ready(), req, take)

                    jobs.append(self._ensure_submitted(http, journal, job, body_of, t))
                return self._follow(http, journal, job, jobs, req)
            except Cancelled:
                self._cancel_open(http, journal, jobs)
                raise
        except ProviderError as e:
            raise NodeError(str(e), field="param 'backend'") from None
        except (sqlite3.Error, OSError) as e:
            raise NodeError(
                f"{self.title}: cannot keep the job journal or write the result ({e}); "
                "check the disk and run again (paid jobs are resumed)"
            ) from None
        finally:
            http.close()

    def _job_key(self, job: GenerateJob, take: int) -> str:
        if not job.key:
            raise NodeError("internal: a remote job needs the node's cache key")
        return f"{job.key}#take{take}"

    def _ensure_submitted(
        self,
        http: Http,
        journal: Journal,
        job: GenerateJob,
        body: Callable[[], dict[str, Any]],
        take: int,
    ) -> Job:
        key = self._job_key(job, take)
        j = journal.get(key)
        if j is not None and j.state in RESUMABLE:
            job.info.setdefault("resumed", []).append(take)
            if j.urls.get("_meta"):
                job.take_meta[take] = dict(j.urls["_meta"])
            return j  # already paid for: follow it, never submit again
        if j is not None and j.state == "submitting":
            if self.idempotent:
                return self._submit(
                    http, journal, j, body()
                )  # same idempotency key: never a second job
            found = self.lookup(http, j) if self.supports_lookup else None
            if found:
                job.info.setdefault("resumed", []).append(take)
                return journal.update(j, provider_id=found, state="submitted")
            if not self.supports_lookup:
                raise ProviderError(
                    f"{self.title}: take {take} was being submitted when Reelgraph stopped, and {self.title} cannot "
                    "look jobs up, so it may exist already. Check your dashboard; to submit it again, run "
                    f"`reelgraph jobs forget {key}`",
                    final=True,
                )
            # the provider has no job under our client id: the submit never arrived; resend it
            # under the same id, so a late arrival of the first one is refused as a duplicate
            return self._submit(http, journal, j, body(), resend=True)
        if j is not None and j.state == "expired":
            job.info.setdefault("notes", []).append(
                f"take {take}: the earlier result's link had expired; made again"
            )
        payload = body()
        j = journal.begin(key, self.name, payload.get("model") or payload.get("model_name") or "")
        return self._submit(http, journal, j, payload)

    def _submit(
        self, http: Http, journal: Journal, j: Job, body: dict[str, Any], resend: bool = False
    ) -> Job:
        try:
            provider_id, urls = self.submit(http, body, j)
        except SubmitUncertain:
            found = self.lookup(http, j) if self.supports_lookup else None
            if found:
                return journal.update(j, provider_id=found, state="submitted")
            if self.supports_lookup and not resend:
                # the provider has nothing under our id: resend under the same id (a late arrival
                # of the first submit is then refused as a duplicate, and found by the next lookup)
                return self._submit(http, journal, j, body, resend=True)
            raise ProviderError(
                f"{self.title}: the submit got no clear answer, so the job may or may not exist; "
                + (
                    "run again to look it up by our id"
                    if self.supports_lookup or self.idempotent
                    else f"check your dashboard, then `reelgraph jobs forget {j.job_key}` to submit "
                    "again"
                ),
                final=True,
            ) from None
        except ProviderError as e:
            if e.final and resend and self.supports_lookup:
                # a resend refused (say, as a duplicate id): the first submit may have arrived
                # after all; only a second lookup that finds nothing makes it a real refusal
                found = self.lookup(http, j)
                if found:
                    return journal.update(j, provider_id=found, state="submitted")
                if self.is_duplicate(e):
                    # the provider has a job under our id that it cannot show yet: it exists and
                    # is paid for, so the row stays 'submitting' and the next run looks again
                    raise ProviderError(
                        f"{self.title}: the job was submitted (the provider refuses our id as "
                        "taken) but cannot be found yet; run again in a minute to pick it up",
                        final=True,
                    ) from None
            if e.final:
                journal.update(j, state="failed", detail=str(e))  # refused: nothing was made
            raise  # not final (still busy after retries): stays 'submitting' for a lookup next time
        except (KeyError, TypeError, ValueError) as e:
            raise ProviderError(
                f"{self.title}: the submit's answer had no job id ({e}); the job may exist: check "
                "your dashboard",
                final=True,
            ) from None
        return journal.update(j, provider_id=provider_id, urls=urls, state="submitted")

    def _follow(
        self, http: Http, journal: Journal, job: GenerateJob, jobs: list[Job], req: GenerateRequest
    ) -> list[Path]:
        paths: list[Path | None] = [None] * len(jobs)
        progress = [0.0] * len(jobs)
        details = [""] * len(jobs)
        silent: dict[int, float] = {}  # take -> when its provider stopped answering
        started = {i: time.monotonic() for i, j in enumerate(jobs) if j.state == "submitted"}
        while True:
            pending = 0
            for i, j in enumerate(jobs):
                if paths[i] is not None:
                    continue
                if j.state not in ("done", "downloaded"):
                    try:
                        st = self.status(http, j)
                    except ProviderError as e:
                        # a job already paid for outlives a restart or a network blip: wait a while
                        since = silent.setdefault(i, time.monotonic())
                        if e.final or time.monotonic() - since > timing()["grace"]:
                            raise
                        details[i] = (
                            f"not answering for {time.monotonic() - since:.0f} s, still waiting"
                        )
                        pending += 1
                        continue
                    silent.pop(i, None)
                    if st.state == "failed":
                        journal.update(j, state="failed", detail=st.detail)
                        raise NodeError(
                            f"{self.title} failed take {i + 1}: {st.detail}",
                            field="param 'backend'",
                        )
                    if st.state == "cancelled":
                        journal.update(j, state="cancelled", detail=st.detail)
                        raise NodeError(
                            f"{self.title} cancelled take {i + 1}: {st.detail or 'by the provider'}"
                        )
                    if st.state != "done":
                        if j.state != "running" or st.detail != j.detail:
                            journal.update(j, state="running", detail=st.detail)
                        progress[i] = st.progress if st.progress is not None else progress[i]
                        details[i] = st.detail
                        pending += 1
                        continue
                    if not st.outputs:
                        journal.update(j, state="failed", detail="finished without a result file")
                        raise NodeError(f"{self.title} finished take {i + 1} without a result file")
                    # done and paid for: recorded before downloading, so Stop or a crash never loses it
                    journal.update(
                        j,
                        state="done",
                        outputs=st.outputs,
                        detail=st.detail,
                        urls=dict(j.urls, _meta=dict(st.meta)),
                    )
                    job.take_meta[i + 1] = dict(st.meta)
                    if started.get(i) is not None:  # followed from submit to done in this run
                        job.take_meta[i + 1]["took_s"] = round(time.monotonic() - started[i], 2)
                paths[i] = self._download(http, journal, j, job, i + 1)
                progress[i], details[i] = 1.0, ""
            said = next(
                (d for d in details if d), ""
            )  # what the provider says of a job still being made
            job.progress(
                sum(progress) / len(jobs) * 0.95,
                f"{self.title}: {sum(p is not None for p in paths)}/"
                f"{len(jobs)} done" + (f"; {said}" if said else ""),
            )
            if pending == 0:
                return [p for p in paths if p is not None]
            job.cancel.wait(self.interval)

    def _cancel_open(self, http: Http, journal: Journal, jobs: list[Job]) -> None:
        """Stop: cancel the provider jobs still being made (never a finished one)."""
        if not self.supports_cancel:
            return
        # the run's token is cancelled, so the cancel calls go out on a connection of their own
        quiet = Http(
            http.base_url,
            self.headers,
            name=self.title,
            max_retries=2,
            backoff=0.2,
            timeout=httpx.Timeout(10.0),
        )
        try:
            for j in jobs:
                if j.state in ("submitted", "running") and not j.outputs:
                    try:
                        self.cancel(quiet, j)
                        journal.update(j, state="cancelled", detail="cancelled by the user")
                    except Exception as e:  # noqa: BLE001 - a failed cancel leaves the job to resume
                        log.warning("%s: could not cancel %s: %s", self.title, j.provider_id, e)
        finally:
            quiet.close()

    def _download(self, http: Http, journal: Journal, j: Job, job: GenerateJob, take: int) -> Path:
        dest = job.work_dir / f"take_{take:02d}{self.extension}"
        tmp = dest.with_suffix(dest.suffix + ".part")
        headers = self.download_headers() or None
        try:
            self.fetch(http, j, j.outputs[0], tmp, headers)
        except ProviderError as e:
            if not e.final or not j.provider_id:
                raise
            # the stored link expired: ask the provider for the result again
            fresh = self.status(http, j)
            if fresh.state == "done" and fresh.outputs and fresh.outputs != j.outputs:
                journal.update(j, outputs=fresh.outputs)
                self.fetch(http, j, j.outputs[0], tmp, headers)
            else:
                journal.update(j, state="expired", detail=str(e))
                raise ProviderError(
                    f"{self.title}: take {take}'s result can no longer be downloaded (its link "
                    "expired and the provider has no fresh one); run again to make it again — "
                    "that is a new, paid job"
                ) from None
        os.replace(tmp, dest)
        journal.update(j, state="downloaded")
        return dest
