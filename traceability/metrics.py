"""Prometheus metrics: the counters every feature may add to, and the page a scraper reads (``operations``).

Under gunicorn, each worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (by the start
script, before the workers fork; emptied at each start) the workers write their figures there and whichever
answers ``/metrics`` reads them all. Without it (one process: ``flask run``, the tests) the process's own.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Histogram(
    "traceability_request_seconds",
    "Requests answered, by method, route (the rule, never the path: no identifiers) and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS = Counter("traceability_events_recorded_total", "Records appended to the hash chain, by kind", ["kind"])
SCANS = Counter("traceability_scans_written_total", "Buyers' scans written from the spool")
EPCIS_CAPTURED = Counter("traceability_epcis_events_captured_total", "Suppliers' EPCIS events stored")
