"""Running jobs: claim, report progress, store the result. Back-end agnostic.

Each feature writes its handlers (``labels/jobs.py``); the app factory registers them in
``app.extensions["job_handlers"]``, so this module knows no feature.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from traceability import blobs
from traceability.config import RQ_MISSING, ConfigError
from traceability.database import utcnow
from traceability.errors import DomainError
from traceability.extensions import db
from traceability.jobs.models import Job, JobStatus
from traceability.transactions import after_commit, unit_of_work

log = logging.getLogger(__name__)
Handler = Callable  # function(job, report) -> (bytes, filename)


def register_handlers(app, handlers: dict[str, Handler]) -> None:
    app.extensions.setdefault("job_handlers", {}).update(handlers)


def enqueue(org_id: int, user_id: int, kind: str, params: dict) -> Job:
    job = Job(organisation_id=org_id, user_id=user_id, kind=kind, params=params)
    db.session.add(job)
    db.session.flush()
    after_commit(lambda: dispatch(job.id))  # a worker must find the row it is handed
    return job


def dispatch(job_id: int) -> None:
    """After commit: hand the job to RQ when configured; the embedded worker polls the table itself."""
    url = current_app.config.get("REDIS_URL")
    if url:
        # Named, not imported: the worker's entry point builds an app, a layer above this one.
        rq_queue(url).enqueue("traceability.worker.run_job", job_id, job_timeout=3600)


def rq_queue(url: str):
    """The RQ queue on the Redis at ``url``. rq and redis are the optional ``rq`` extra, so they are
    imported here, the one place that needs them, and only when REDIS_URL is set."""
    try:
        from redis import Redis
        from rq import Queue
    except ImportError as error:
        raise ConfigError(RQ_MISSING) from error
    return Queue("traceability", connection=Redis.from_url(url))


def queue_depth() -> int:
    """Jobs queued and not yet started (the table is the truth, whichever worker runs them); with Redis, the
    queue it hands them over is reached too, or this raises."""
    url = current_app.config.get("REDIS_URL")
    if url:
        rq_queue(url).connection.ping()
    return db.session.scalar(sa.select(sa.func.count()).where(Job.status == JobStatus.QUEUED))


def claim(job_id: int | None = None) -> int | None:
    """Take a queued job atomically (one conditional UPDATE): two workers never run the same job."""
    query = sa.select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1)
    candidate = job_id or db.session.scalar(query)
    if candidate is None:
        return None
    with unit_of_work():
        taken = db.session.execute(
            sa.update(Job)
            .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, done=0, error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    return candidate if taken == 1 else None


def execute(job_id: int) -> None:
    job = db.session.get(Job, job_id)

    def report(done: int, total: int) -> None:
        # Progress is committed as it goes, so any server can show it.
        with unit_of_work():
            db.session.execute(sa.update(Job).where(Job.id == job_id).values(done=done, total=total))

    try:
        data, name = current_app.extensions["job_handlers"][job.kind](job, report)
    except Exception as error:  # a failed job must be visible and retryable, whatever went wrong
        db.session.rollback()
        log.exception("job %s failed", job_id)
        with unit_of_work():
            db.session.execute(
                sa.update(Job)
                .where(Job.id == job_id)
                .values(status=JobStatus.FAILED, error=str(error)[:2000], finished_at=utcnow())
            )
        return
    try:
        key = blobs.store(job.organisation_id, "jobs", data, ".pdf")
    except DomainError as error:  # storage down: the job fails, visibly, and can be retried
        with unit_of_work():
            db.session.execute(
                sa.update(Job)
                .where(Job.id == job_id)
                .values(status=JobStatus.FAILED, error=error.message, finished_at=utcnow())
            )
        return
    with unit_of_work():
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.DONE,
                result=None if key else data,
                result_key=key,
                result_name=name,
                finished_at=utcnow(),
                done=Job.total,
            )
        )


def retry(job: Job) -> None:
    if job.status is not JobStatus.FAILED:
        return
    job.status, job.error = JobStatus.QUEUED, None
    after_commit(lambda: dispatch(job.id))


class EmbeddedWorker:
    """A daemon thread that claims and runs queued jobs, for the single-process default."""

    def __init__(self, app, interval: float = 1.0):
        self.app, self.interval = app, interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="traceability-jobs", daemon=True)

    def start(self) -> EmbeddedWorker:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            busy = False
            with self.app.app_context():
                try:
                    job_id = claim()
                    if job_id:
                        execute(job_id)
                        busy = True
                except Exception:  # the database may be briefly locked: try again on the next tick
                    log.exception("job worker")
                    db.session.rollback()
                finally:
                    db.session.remove()
            if not busy:
                self.stopping.wait(self.interval)
