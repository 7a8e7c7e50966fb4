"""The RQ worker's entry point: ``rq worker traceability`` runs ``run_job`` for each queued job.

A worker process builds its own app for each job, so it sees the configuration and the job
handlers the web app has.
"""

from __future__ import annotations

from traceability import create_app
from traceability.extensions import db
from traceability.jobs.runner import claim, execute


def run_job(job_id: int) -> None:
    app = create_app()
    with app.app_context():
        try:
            if claim(job_id):
                execute(job_id)
        finally:
            db.session.remove()
            db.engine.dispose()  # this app lives for one job: close its connections now, not at GC
