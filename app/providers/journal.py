"""The job journal: every paid remote job, written before it is submitted and after each state
change, in SQLite beside the cache. A run that finds an unfinished job for the same node key
and take resumes it (polls and downloads) instead of submitting and paying again.

Never holds keys: only job ids, provider URLs, states and output names.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.redact import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_key TEXT PRIMARY KEY,      -- node cache key + take: the identity of a paid result
    backend TEXT NOT NULL,
    model TEXT,
    client_id TEXT NOT NULL,       -- our id, sent where the provider accepts one
    provider_id TEXT,              -- the provider's task/prediction/operation id
    urls TEXT,                     -- JSON: status/result/cancel URLs the provider returned
    state TEXT NOT NULL,           -- submitting, submitted, running, downloaded, failed, cancelled
    detail TEXT,                   -- the provider's last status / error text
    outputs TEXT,                  -- JSON: result URLs
    created REAL NOT NULL,
    updated REAL NOT NULL
)
"""
OPEN = ("submitting", "submitted", "running")


@dataclass
class Job:
    job_key: str
    backend: str
    model: str
    client_id: str
    provider_id: str | None
    urls: dict[str, Any]
    state: str
    detail: str
    outputs: list[str]

    @property
    def open(self) -> bool:
        return self.state in OPEN


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a paid job id must survive a power cut
        return db

    def get(self, job_key: str) -> Job | None:
        with self._lock, self._connect() as db:
            row = db.execute(
                "SELECT job_key, backend, model, client_id, provider_id, urls, state, detail, outputs "
                "FROM jobs WHERE job_key = ?",
                (job_key,),
            ).fetchone()
        if row is None:
            return None
        return Job(
            row[0],
            row[1],
            row[2] or "",
            row[3],
            row[4],
            json.loads(row[5] or "{}"),
            row[6],
            row[7] or "",
            json.loads(row[8] or "[]"),
        )

    def begin(self, job_key: str, backend: str, model: str) -> Job:
        """Record the intent to submit (state 'submitting') with a fresh client id."""
        now = time.time()
        client_id = f"rg-{uuid.uuid4().hex}"
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO jobs (job_key, backend, model, client_id, provider_id, urls, state, "
                "detail, outputs, created, updated) VALUES (?, ?, ?, ?, NULL, '{}', 'submitting', '', '[]', ?, ?)",
                (job_key, backend, model, client_id, now, now),
            )
        return Job(job_key, backend, model, client_id, None, {}, "submitting", "", [])

    def update(self, job: Job, **changes: Any) -> Job:
        for k, v in changes.items():
            setattr(job, k, redact(v) if k == "detail" and isinstance(v, str) else v)
        with self._lock, self._connect() as db:
            db.execute(
                "UPDATE jobs SET provider_id = ?, urls = ?, state = ?, detail = ?, outputs = ?, updated = ? "
                "WHERE job_key = ?",
                (
                    job.provider_id,
                    redact(json.dumps(job.urls), labelled=False),
                    job.state,
                    job.detail[:2000],
                    redact(json.dumps(job.outputs), labelled=False),
                    time.time(),
                    job.job_key,
                ),
            )
        return job

    def all(self) -> list[Job]:
        with self._lock, self._connect() as db:
            keys = [r[0] for r in db.execute("SELECT job_key FROM jobs ORDER BY updated DESC")]
        return [j for k in keys if (j := self.get(k)) is not None]

    def forget(self, job_key: str) -> bool:
        """Drop a job's record (after checking the provider's dashboard): the next run submits anew."""
        with self._lock, self._connect() as db:
            return db.execute("DELETE FROM jobs WHERE job_key = ?", (job_key,)).rowcount > 0
