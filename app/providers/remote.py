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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.core.errors import Cancelled, NodeError
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.costs import estimate
from app.providers.http import Http, ProviderError, SubmitUncertain, classify_common
from app.providers.journal import Job, Journal
from app.providers.settings import base_url, get_key

log = logging.getLogger("reelgraph.providers")
RESUMABLE = ("submitted", "running", "done", "downloaded")  # paid for: followed, never submitted again


def timing() -> dict[str, float]:
    """Network timing, overridable for slow links or tests: REELGRAPH_HTTP_READ_TIMEOUT (s),
    REELGRAPH_RETRY_BACKOFF (s, the first retry's base wait), REELGRAPH_POLL_INTERVAL (s)."""
    def env(name: str, default: float) -> float:
        try:
            return float(os.environ.get(name, default))
        except ValueError:
            return default

    return {"read_timeout": env("REELGRAPH_HTTP_READ_TIMEOUT", 60.0), "backoff": env("REELGRAPH_RETRY_BACKOFF", 1.0),
            "poll": env("REELGRAPH_POLL_INTERVAL", 0.0)}


@dataclass(frozen=True)
class Caps:
    """What one model can take and do."""

    start_image: bool = True
    image_required: bool = False
    end_image: bool = False
    motion: bool = False  # motion brush masks + trajectories
    camera: str = "none"  # "numeric" | "presets" | "none"
    durations: tuple[float, ...] | None = None  # allowed clip lengths (None: any)
    ratios: tuple[str, ...] | None = None
    seed: bool = False
    lipsync: bool = False
    upscale: bool = False
    audio: bool = False


@dataclass
class Status:
    state: str  # "running" | "done" | "failed" | "cancelled"
    progress: float | None = None
    detail: str = ""
    outputs: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # provider facts worth keeping (result ids)


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...], sep: str = ":") -> str:
    """The supported ratio closest to width/height (in log space)."""
    import math

    want = math.log(width / height)

    def value(r: str) -> float:
        a, b = r.split(sep)
        return math.log(float(a) / float(b))

    return min(ratios, key=lambda r: abs(value(r) - want))


class RemoteBackend:
    name = "remote"
    title = "Remote"
    default_base = ""
    poll_interval = 2.0
    extension = ".mp4"
    supports_lookup = False
    supports_cancel = False
    MODELS: dict[str, Caps] = {}

    # -- catalog ------------------------------------------------------------------------------------
    def models(self) -> list[str]:
        return list(self.MODELS)

    def caps(self, model: str) -> Caps:
        return self.MODELS.get(model) or next(iter(self.MODELS.values()))

    def key(self) -> dict[str, str] | None:
        return get_key(self.name)

    def check(self, connected: frozenset[str], params: Any) -> list[tuple[str | None, str]]:
        problems: list[tuple[str | None, str]] = []
        model = params.model or self.models()[0]
        if params.model and params.model not in self.MODELS:
            problems.append(("param 'model'", f"{self.name} has no model {params.model!r}; models: "
                             f"{', '.join(self.MODELS)}"))
            return problems
        caps = self.caps(model)
        if "end_image" in connected and not caps.end_image:
            problems.append(("input 'end_image'", f"{self.name} {model} cannot aim for an end frame; disconnect it "
                             "or pick a model that takes one"))
        if "motion" in connected and not caps.motion:
            problems.append(("input 'motion'", f"{self.name} {model} has no motion brush; disconnect it or pick a "
                             "model with one (kling-v1)"))
        if "camera" in connected and caps.camera == "none":
            problems.append(("input 'camera'", f"{self.name} {model} takes no camera control; disconnect it or "
                             "describe the move in the prompt"))
        if caps.image_required and "image" not in connected:
            problems.append(("input 'image'", f"{self.name} {model} animates a start frame; connect an image"))
        if caps.durations and not any(abs(params.duration - d) < 1e-6 for d in caps.durations):
            allowed = ", ".join(f"{d:g}" for d in caps.durations)
            problems.append(("param 'duration'", f"{self.name} {model} makes {allowed} s clips; set duration to one "
                             "of those"))
        if self.key() is None:
            problems.append(("param 'backend'", f"no API key for {self.name}: set one with `reelgraph keys set "
                             f"{self.name}` or in Settings"))
        return problems

    def cost(self, req: GenerateRequest) -> float:
        return estimate(self.name, req.model, req.duration, req.takes)

    # -- provider specifics ------------------------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        raise NotImplementedError

    def prepare(self, http: Http, body: dict[str, Any], job: GenerateJob) -> dict[str, Any]:
        """Last touches that need the provider (uploads, live option lists), once per node."""
        return body

    def body_for_take(self, body: dict[str, Any], req: GenerateRequest, take: int) -> dict[str, Any]:
        return body

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def status(self, http: Http, job: Job) -> Status:
        raise NotImplementedError

    def lookup(self, http: Http, job: Job) -> str | None:
        return None

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
            raise ProviderError(f"no {self.title} key: `reelgraph keys set {self.name}` or Edit > Settings")
        return key["api_key"]

    def download_headers(self) -> dict[str, str]:
        return {}

    # -- the shared loop ---------------------------------------------------------------------------------
    def http(self, job: GenerateJob) -> Http:
        t = timing()
        return Http(base_url(self.name, self.default_base), self.headers, cancel=job.cancel, name=self.title,
                    backoff=t["backoff"], timeout=httpx.Timeout(connect=10.0, read=t["read_timeout"], write=60.0,
                                                                pool=10.0))

    @property
    def interval(self) -> float:
        return timing()["poll"] or self.poll_interval

    def journal(self, job: GenerateJob) -> Journal:
        root = job.cache_dir or Path(os.environ.get("REELGRAPH_CACHE_DIR", job.work_dir.parent))
        return Journal(Path(root) / "jobs.sqlite")

    def generate(self, req: GenerateRequest, job: GenerateJob) -> list[Path]:
        body = self.translate(req, job)  # refuses what the model cannot honour, before paying
        journal = self.journal(job)
        http = self.http(job)
        jobs: list[Job] = []
        try:
            body = self.prepare(http, body, job)
            try:
                for t in range(1, req.takes + 1):
                    job.cancel.check()  # nothing is begun in the journal after Stop
                    jobs.append(self._ensure_submitted(http, journal, job, self.body_for_take(body, req, t), t))
                return self._follow(http, journal, job, jobs, req)
            except Cancelled:
                self._cancel_open(http, journal, jobs)
                raise
        except ProviderError as e:
            raise NodeError(str(e), field="param 'backend'") from None
        except (sqlite3.Error, OSError) as e:
            raise NodeError(f"{self.title}: cannot keep the job journal or write the result ({e}); "
                            "check the disk and run again (paid jobs are resumed)") from None
        finally:
            http.close()

    def _job_key(self, job: GenerateJob, take: int) -> str:
        if not job.key:
            raise NodeError("internal: a remote job needs the node's cache key")
        return f"{job.key}#take{take}"

    def _ensure_submitted(self, http: Http, journal: Journal, job: GenerateJob, body: dict[str, Any],
                          take: int) -> Job:
        key = self._job_key(job, take)
        j = journal.get(key)
        if j is not None and j.state in RESUMABLE:
            job.info.setdefault("resumed", []).append(take)
            if j.urls.get("_meta"):
                job.take_meta[take] = dict(j.urls["_meta"])
            return j  # already paid for: follow it, never submit again
        if j is not None and j.state == "submitting":
            found = self.lookup(http, j) if self.supports_lookup else None
            if found:
                job.info.setdefault("resumed", []).append(take)
                return journal.update(j, provider_id=found, state="submitted")
            if not self.supports_lookup:
                raise ProviderError(
                    f"{self.title}: take {take} was being submitted when Reelgraph stopped, and {self.title} cannot "
                    "look jobs up, so it may exist already. Check your dashboard; to submit it again, run "
                    f"`reelgraph jobs forget {key}`", final=True)
            # the provider has no job under our client id: the submit never arrived
            return self._submit(http, journal, j, body)
        if j is not None and j.state == "expired":
            job.info.setdefault("notes", []).append(f"take {take}: the earlier result's link had expired; made again")
        j = journal.begin(key, self.name, body.get("model") or body.get("model_name") or "")
        return self._submit(http, journal, j, body)

    def _submit(self, http: Http, journal: Journal, j: Job, body: dict[str, Any]) -> Job:
        try:
            provider_id, urls = self.submit(http, body, j)
        except SubmitUncertain:
            found = self.lookup(http, j) if self.supports_lookup else None
            if found:
                return journal.update(j, provider_id=found, state="submitted")
            raise ProviderError(f"{self.title}: the submit got no clear answer, so the job may or may not exist; "
                                + ("run again to look it up by our id" if self.supports_lookup else
                                   f"check your dashboard, then `reelgraph jobs forget {j.job_key}` to submit again"),
                                final=True) from None
        except ProviderError as e:
            if e.final:
                journal.update(j, state="failed", detail=str(e))  # refused: nothing was made
            raise  # not final (still busy after retries): stays 'submitting' for a lookup next time
        except (KeyError, TypeError, ValueError) as e:
            raise ProviderError(f"{self.title}: the submit's answer had no job id ({e}); the job may exist: check "
                                "your dashboard", final=True) from None
        return journal.update(j, provider_id=provider_id, urls=urls, state="submitted")

    def _follow(self, http: Http, journal: Journal, job: GenerateJob, jobs: list[Job], req: GenerateRequest) -> list[Path]:
        paths: list[Path | None] = [None] * len(jobs)
        progress = [0.0] * len(jobs)
        while True:
            pending = 0
            for i, j in enumerate(jobs):
                if paths[i] is not None:
                    continue
                if j.state not in ("done", "downloaded"):
                    st = self.status(http, j)
                    if st.state == "failed":
                        journal.update(j, state="failed", detail=st.detail)
                        raise NodeError(f"{self.title} failed take {i + 1}: {st.detail}", field="param 'backend'")
                    if st.state == "cancelled":
                        journal.update(j, state="cancelled", detail=st.detail)
                        raise NodeError(f"{self.title} cancelled take {i + 1}: {st.detail or 'by the provider'}")
                    if st.state != "done":
                        if j.state != "running" or st.detail != j.detail:
                            journal.update(j, state="running", detail=st.detail)
                        progress[i] = st.progress if st.progress is not None else progress[i]
                        pending += 1
                        continue
                    if not st.outputs:
                        journal.update(j, state="failed", detail="finished without a result file")
                        raise NodeError(f"{self.title} finished take {i + 1} without a result file")
                    # done and paid for: recorded before downloading, so Stop or a crash never loses it
                    journal.update(j, state="done", outputs=st.outputs, detail=st.detail,
                                   urls=dict(j.urls, _meta=dict(st.meta)))
                    job.take_meta[i + 1] = dict(st.meta)
                paths[i] = self._download(http, journal, j, job, i + 1)
                progress[i] = 1.0
            job.progress(sum(progress) / len(jobs) * 0.95, f"{self.title}: {sum(p is not None for p in paths)}/"
                         f"{len(jobs)} done")
            if pending == 0:
                return [p for p in paths if p is not None]
            job.cancel.wait(self.interval)

    def _cancel_open(self, http: Http, journal: Journal, jobs: list[Job]) -> None:
        """Stop: cancel the provider jobs still being made (never a finished one)."""
        if not self.supports_cancel:
            return
        # the run's token is cancelled, so the cancel calls go out on a connection of their own
        quiet = Http(http.base_url, self.headers, name=self.title, max_retries=2, backoff=0.2,
                     timeout=httpx.Timeout(10.0))
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
            http.download(j.outputs[0], tmp, auth=bool(headers), headers=headers)
        except ProviderError as e:
            if not e.final or not j.provider_id:
                raise
            # the stored link expired: ask the provider for the result again
            fresh = self.status(http, j)
            if fresh.state == "done" and fresh.outputs and fresh.outputs != j.outputs:
                journal.update(j, outputs=fresh.outputs)
                http.download(j.outputs[0], tmp, auth=bool(headers), headers=headers)
            else:
                journal.update(j, state="expired", detail=str(e))
                raise ProviderError(f"{self.title}: take {take}'s result can no longer be downloaded (its link "
                                    "expired and the provider has no fresh one); run again to make it again — "
                                    "that is a new, paid job") from None
        os.replace(tmp, dest)
        journal.update(j, state="downloaded")
        return dest
