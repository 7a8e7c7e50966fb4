"""Benchmark of label-sheet printing in ``traceability.labels.sheets``: QR cost, and long print runs.

    python benchmarks/labels.py [--labels 1000] [--run 10000] [--short-run 1000] [--repeat 3]
                                [--run-repeat 1] [--skip-runs]
    python benchmarks/labels.py --quick        # small numbers, a smoke run of half a minute

Builds a temporary SQLite database with the project's own services (organisation, manager, plot,
season, harvest, processing run into turmeric starch, and one sale lot with a random serial per
unit for each measurement below, packed with ``serials=True``), then measures, in an application
context only (as the job worker runs):

1. **QR cost.** ``--labels`` unique-QR labels of 50×30 mm, one per unit serial, on A4 sheets of 27:
   ``render_sheet(per_unit=True)`` (WeasyPrint lays out one page of the labels' text, reused for
   every page; each code is drawn in as vector rectangles, the symbols computed in a second
   process), against the same sheet with the QR boxes left empty (``codes=False``). The median of ``--repeat`` runs after one warm-up, QR and text runs
   interleaved; the QR symbols alone in one process are timed too. Targets: QR/text ratio ≤ 1.5,
   and ≥ 150 labels/s with QR (2 cores).
2. **Long print runs.** ``render_sheet_in_chunks()`` (the job worker's code path, default chunk) on
   ``--short-run`` and ``--run`` labels, each in a fresh child process (this script with a hidden
   flag) so its peak memory is its own. The child reports its RSS with the app and database ready,
   after rendering one warm-up page, after each chunk, and its peak (``VmHWM``); the parent
   counts the PDF's pages with pypdf (27 labels of 50×30 to an A4 page: 10,000 → 371 pages).
   Bounded memory is the claim: the peak should be roughly the same for both run lengths (here:
   within ×1.25). The progress callback only records RSS: the worker's own commits a progress row,
   and the worker then stores the PDF in the jobs table, neither of which is measured here.

Every PDF is checked: page count, the QR codes a decoder reads on page 1 at 300 dpi, and the lot
code in the text of every label on page 1, so a template and code out of step (a label
without its text lays out much faster) shows up as a suspect figure rather than a fast one. The
commit and a hash of the label code are printed, and a change during the run is reported.

This is a script, not a test: it says when a measurement misses the target, it never fails.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run from anywhere, installed or not

SIZE = "50x30"
PER_PAGE = 27  # 50×30 mm on A4 with 8 mm margins: 3 columns × 9 rows
TARGET_RATIO = 1.5  # QR sheet time / text-only sheet time
TARGET_RATE = 150.0  # labels/s with QR
WARMUP = 1
NET_G = Decimal(100)  # grams of starch per unit
STARCH_YIELD = Decimal("0.04")  # fresh turmeric → starch (the rules expect 3–6 %)
PUBLIC_BASE_URL = "https://truyxuat.example.vn"  # a production-like host: the QR's size depends on the URI
BOUNDED = 1.25  # "roughly flat": the long run's peak RSS within this factor of the short run's
LABEL_CODE = (
    "traceability/labels/*.py",
    "traceability/pdf.py",
    "templates/labels/*.html",
    "traceability/provenance/services.py",
)
CHILD_FLAG = "--_child"  # hidden: one measured print run in this (fresh) process


def say(*args) -> None:
    print(*args, flush=True)


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """This process's resident set size now (VmRSS), in MB."""
    return _status_mb("VmRSS")


def peak_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB.

    Not ``ru_maxrss``: Linux carries the parent's high-water mark into a child at exec (Python's
    subprocess uses vfork), so a child started by a parent that had just rendered 1,000 QR labels
    reported a 330 MB peak while its own never passed 210 MB. VmHWM belongs to the child's own
    address space."""
    return _status_mb("VmHWM")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def code_version() -> str:
    """The commit the figures belong to, and whether the label code differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "log", "-1", "--format=%h %ad", "--date=short"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--", "traceability", "templates"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return (head or "unknown") + (" + uncommitted changes in traceability/ or templates/" if dirty else "")


def label_code_fingerprint() -> str:
    """A hash of the files that make a label sheet, to tell whether they changed during the run."""
    digest = hashlib.sha256()
    for pattern in LABEL_CODE:
        for path in sorted(PROJECT_ROOT.glob(pattern)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def weasyprint_version() -> str:
    import weasyprint

    return weasyprint.__version__


def make_app(url: str, instance: Path):
    from traceability import create_app

    # A throwaway instance folder: the app compiles its catalogues there, and no developer's
    # instance/config.py can change the figures.
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True, "PUBLIC_BASE_URL": PUBLIC_BASE_URL},
        instance_path=str(instance),
    )


# ---------------------------------------------------------------------------------------------
# The data: built with the services, as tests/jobs/test_print_runs_on_both_backends.py does
# ---------------------------------------------------------------------------------------------


def build(app, sizes: dict[str, int]) -> dict[str, int]:
    """One sale lot with per-unit serials for each named size; returns name → lot id."""

    from tests.factories import days_ago, make_harvest, make_org, make_planting, make_plot, make_user
    from traceability.accounts.models import Role
    from traceability.extensions import db
    from traceability.lots.processing import RunInput, RunOutput, pack, record_processing
    from traceability.products import services as products

    total_units = sum(sizes.values())
    starch_kg = NET_G * total_units / 1000
    harvest_kg = (starch_kg / STARCH_YIELD).quantize(Decimal(1))
    area_m2 = max(1000, int(harvest_kg / 4))  # 4 kg/m², under the 5 kg/m² plausible for turmeric
    with app.app_context():
        db.create_all()
        org = make_org("nghe-lai-ha", name="Hợp tác xã tinh bột nghệ Lai Hà")
        org.address_line = "Thôn Lai Hà"
        manager = make_user(org, Role.MANAGER, login="0988888888")
        plot = make_plot(org, code="N1", area=str(area_m2))
        planting = make_planting(org, manager, plot, sown_days_ago=280, crop="Nghệ")
        harvest = make_harvest(org, manager, planting, days_ago_=3, kg=str(harvest_kg))
        products.save_product(
            org,
            None,
            code="TBN",
            name_vi="Tinh bột nghệ",
            kind="processed",
            unit="kg",
            gtin="09520123000035",
            shelf_life_days=365,
            ingredients="Nghệ 100%",
            usage_instructions="Pha nước ấm",
            storage_instructions="Nơi khô ráo, thoáng mát",
        )
        (starch,) = record_processing(
            org,
            manager,
            processed_on=days_ago(2),
            inputs=[RunInput(harvest.code, harvest_kg)],
            outputs=[RunOutput("TBN", starch_kg)],
        ).outputs
        ids = {}
        for name, units in sizes.items():
            lot = pack(
                org,
                manager,
                source_lot_code=starch.code,
                product_code="TBN",
                units=units,
                net_content=NET_G,
                net_unit="g",
                packed_on=days_ago(1),
                serials=True,
            )
            ids[name] = lot.id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


# ---------------------------------------------------------------------------------------------
# 1. QR labels against text-only labels, in this process
# ---------------------------------------------------------------------------------------------


def pdf_facts(data: bytes, lot_code: str) -> dict:
    """Pages; the QR codes a decoder reads on page 1 rasterised at 300 dpi (zxing-cpp, pdftoppm); and
    how many labels on page 1 show the lot code in their text (a check that the template and the code
    that fills it agree: a label without its text lays out much faster)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = reader.pages[0].extract_text() or ""
    return {"pages": len(reader.pages), "decoded": decoded_on_page_one(data), "coded": text.count(lot_code)}


def decoded_on_page_one(data: bytes) -> int | None:
    """Distinct QR codes read on page 1, or None when pdftoppm or zxing-cpp is missing."""
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "page.pdf"
        pdf.write_bytes(data)
        try:
            subprocess.run(
                ["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-png", str(pdf), str(Path(tmp) / "p")],
                check=True,
                capture_output=True,
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        png = next(Path(tmp).glob("p*.png"))
        return len({r.text for r in zxingcpp.read_barcodes(Image.open(png))})


def text_only_sheet(org, lot) -> bytes:
    """The same sheet as render_sheet with the QR boxes left empty (serials still printed): the
    text-only baseline."""
    from traceability.labels.sheets import render_sheet_in_chunks

    return render_sheet_in_chunks(
        org, lot, size=SIZE, per_unit=True, roll=False, copies=1, report=lambda done, total: None, codes=False
    )


def measure_qr(app, lot_id: int, repeat: int) -> dict:
    from traceability.accounts.models import Organisation
    from traceability.extensions import db
    from traceability.labels import vector
    from traceability.labels.qr import modules
    from traceability.labels.sheets import labels_for, render_sheet
    from traceability.lots.models import Lot

    with app.app_context():
        lot = db.session.get(Lot, lot_id)
        org = db.session.get(Organisation, lot.organisation_id)
        urls = [label.url for label in labels_for(org, lot, per_unit=True)]
        runs = {"qr_total": [], "text_total": [], "symbols": []}
        last = {}
        for i in range(WARMUP + repeat):
            t0 = time.perf_counter()
            qr_pdf = render_sheet(org, lot, size=SIZE, per_unit=True)
            t1 = time.perf_counter()
            text_pdf = text_only_sheet(org, lot)
            t2 = time.perf_counter()
            for url in urls:  # the QR symbols alone, in this one process (for the record)
                vector.qr_matrix(url)
            t3 = time.perf_counter()
            tag = "warm-up" if i < WARMUP else f"run {i - WARMUP + 1}/{repeat}"
            say(
                f"  {tag}: QR sheet {t1 - t0:.2f} s; text-only sheet {t2 - t1:.2f} s; "
                f"the {len(urls):,} QR symbols alone {t3 - t2:.2f} s"
            )
            if i >= WARMUP:
                for key, value in zip(runs, (t1 - t0, t2 - t1, t3 - t2)):
                    runs[key].append(value)
            last = {"qr_pdf": qr_pdf, "text_pdf": text_pdf}
        result = {key: statistics.median(values) for key, values in runs.items()}
        result.update(
            n=len(urls),
            url=urls[0],
            url_chars=len(urls[0]),
            qr_modules=modules(urls[0]),
            qr_pdf_bytes=len(last["qr_pdf"]),
            text_pdf_bytes=len(last["text_pdf"]),
            qr_facts=pdf_facts(last["qr_pdf"], lot.code),
            text_facts=pdf_facts(last["text_pdf"], lot.code),
        )
        db.session.remove()
        db.engine.dispose()
    return result


# ---------------------------------------------------------------------------------------------
# 2. Long print runs, each in a fresh child process
# ---------------------------------------------------------------------------------------------


def child(spec: dict) -> int:
    """One print run through render_sheet_in_chunks, in this fresh process; prints JSON figures."""
    t_start = time.perf_counter()
    app = make_app(spec["url"], Path(spec["instance"]))
    import pypdf  # noqa: F401  (imported by render_sheet_in_chunks: count it in the baseline)

    from traceability.accounts.models import Organisation
    from traceability.extensions import db
    from traceability.labels.sheets import _prepare, _sheet_pdf, render_sheet_in_chunks
    from traceability.lots.models import Lot

    with app.app_context():
        lot = db.session.get(Lot, spec["lot_id"])
        org = db.session.get(Organisation, lot.organisation_id)
        out = {"rss_ready": rss_mb(), "peak_ready": peak_mb(), "setup_s": time.perf_counter() - t_start}
        # One page first, as a worker that has printed before would be: WeasyPrint's fonts loaded.
        _labels, facts = _prepare(org, lot, SIZE, False, PER_PAGE)
        _sheet_pdf(org, lot, facts, PER_PAGE, SIZE, False)
        out.update(rss_warm=rss_mb(), peak_warm=peak_mb())
        samples = []  # (labels done, seconds since start, RSS MB) after each chunk
        t0 = time.perf_counter()

        def report(done: int, total: int) -> None:
            samples.append((done, time.perf_counter() - t0, rss_mb()))

        pdf = render_sheet_in_chunks(org, lot, size=SIZE, per_unit=True, roll=False, copies=1, report=report)
        out["seconds"] = time.perf_counter() - t0
        out.update(
            rss_end=rss_mb(), peak=peak_mb(), maxrss=maxrss_mb(), samples=samples, pdf_bytes=len(pdf), lot_code=lot.code
        )
        Path(spec["pdf"]).write_bytes(pdf)
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(out), flush=True)
    return 0


def measure_run(url: str, instance: Path, lot_id: int, n: int, workdir: Path) -> dict:
    pdf_path = workdir / f"run-{n}.pdf"
    spec = {"url": url, "instance": str(instance), "lot_id": lot_id, "pdf": str(pdf_path)}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, json.dumps(spec)],
        check=False,
        capture_output=True,
        text=True,
        cwd=str(PROJECT_ROOT),
    )
    wall = time.perf_counter() - t0
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode != 0 or not proc.stdout.strip():
        say(f"  the child process failed (exit {proc.returncode}):")
        for line in warnings[-30:]:
            say("    " + line)
        return {"n": n, "failed": True}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    facts = pdf_facts(pdf_path.read_bytes(), out["lot_code"])
    out.update(
        n=n,
        process_wall=wall,
        stderr_lines=len(warnings),
        stderr_sample=warnings[:3],
        pages=facts["pages"],
        decoded=facts["decoded"],
        coded=facts["coded"],
        expected_pages=math.ceil(n / PER_PAGE),
    )
    pdf_path.unlink(missing_ok=True)
    return out


def combine(tries: list[dict]) -> dict:
    """Several fresh-process runs of one length: the median-time run, with every run's peak."""
    done = sorted((r for r in tries if not r.get("failed")), key=lambda r: r["seconds"])
    if not done:
        return tries[0]
    r = dict(done[(len(done) - 1) // 2])
    r["peaks"] = [t["peak"] for t in done]
    r["chunk_max"] = statistics.median(max(s[2] for s in t["samples"]) for t in done)
    return r


def growth_per_1000(r: dict) -> float:
    """RSS growth between the first and the last chunk, in MB per 1,000 labels."""
    (n0, _t0, m0), (n1, _t1, m1) = r["samples"][0], r["samples"][-1]
    return (m1 - m0) / (n1 - n0) * 1000 if n1 > n0 else float("nan")


def describe_run(r: dict) -> None:
    samples = r["samples"]
    say(
        f"  {r['n']:,} labels: {r['seconds']:.1f} s ({r['n'] / r['seconds']:.0f} labels/s), "
        f"{len(samples)} chunks, {r['pages']} pages (expected {r['expected_pages']}), "
        f"{r['decoded']} QR codes read on page 1, lot code on {r['coded']} labels of page 1, PDF {r['pdf_bytes'] / 1e6:.1f} MB; child process "
        f"{r['process_wall']:.1f} s in all (setup {r['setup_s']:.1f} s)"
    )
    say(
        f"    RSS: {r['rss_ready']:.0f} MB app + database ready, {r['rss_warm']:.0f} MB after one warm-up "
        f"page, peak {r['peak']:.0f} MB (VmHWM; ru_maxrss says {r['maxrss']:.0f}), {r['rss_end']:.0f} MB at the end"
    )
    if samples:
        picks = sorted({0, len(samples) // 4, len(samples) // 2, 3 * len(samples) // 4, len(samples) - 1})
        say(
            "    RSS after chunk: "
            + ", ".join(f"{samples[i][0]:,} labels {samples[i][2]:.0f} MB ({samples[i][1]:.0f} s)" for i in picks)
        )
    if r["stderr_lines"]:
        say(f"    {r['stderr_lines']} line(s) on stderr, first: {r['stderr_sample'][0][:160]}")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD_FLAG]:
        return child(json.loads(argv[1]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=int, help="unique-QR labels in the QR/text comparison (default 1000)")
    parser.add_argument("--run", type=int, help="labels in the long print run (default 10000)")
    parser.add_argument(
        "--short-run", type=int, help="labels in the short print run, to compare peak memory with (default 1000)"
    )
    parser.add_argument("--repeat", type=int, help="timed runs of the QR/text comparison (default 3)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 108 labels, print runs of 108 and 540, 1 repeat (explicit options win)",
    )
    parser.add_argument(
        "--run-repeat",
        type=int,
        default=1,
        help="fresh-process runs of each print-run length (default 1); the median time is reported",
    )
    parser.add_argument("--skip-runs", action="store_true", help="only the QR/text comparison")
    args = parser.parse_args(argv)
    defaults = (
        {"labels": 108, "run": 540, "short_run": 108, "repeat": 1}
        if args.quick
        else {"labels": 1000, "run": 10_000, "short_run": 1000, "repeat": 3}
    )
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.labels, args.run, args.short_run, args.repeat, args.run_repeat) < 1:
        parser.error("--labels, --run, --short-run, --repeat and --run-repeat must be at least 1")
    if max(args.labels, args.run, args.short_run) > 100_000:
        parser.error("at most 100,000 units in a sale lot")

    sizes = {"qr": args.labels}
    if not args.skip_runs:
        sizes.update(short=args.short_run, long=args.run)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="labels-bench-") as tmp:
        workdir = Path(tmp)
        instance = workdir / "instance"
        instance.mkdir()
        url = f"sqlite:///{workdir / 'labels.db'}"
        app = make_app(url, instance)
        t0 = time.perf_counter()
        ids = build(app, sizes)
        version = code_version(), label_code_fingerprint()
        say(
            f"== Code: commit {version[0]}, label code {version[1]}; WeasyPrint {weasyprint_version()}, {os.cpu_count()} CPUs =="
        )
        say(
            f"== Built {len(ids)} sale lot(s) of {', '.join(f'{n:,}' for n in sizes.values())} unit serials "
            f"with the services in {time.perf_counter() - t0:.1f} s (SQLite, {workdir}) =="
        )

        say(
            f"\n== 1. {args.labels:,} labels of {SIZE} on A4 ({PER_PAGE} a page): unique QR vs text only, "
            f"median of {args.repeat} after {WARMUP} warm-up =="
        )
        q = measure_qr(app, ids["qr"], args.repeat)
        qr_total, text_total = q["qr_total"], q["text_total"]
        ratio = qr_total / text_total
        rate = q["n"] / qr_total
        say(
            f"  QR: {q['url_chars']}-character URI ({q['url']}), {q['qr_modules']}×{q['qr_modules']} modules, "
            "drawn as vector rectangles"
        )
        for name, f, size in (
            ("QR", q["qr_facts"], q["qr_pdf_bytes"]),
            ("text-only", q["text_facts"], q["text_pdf_bytes"]),
        ):
            say(
                f"  {name} PDF: {f['pages']} pages (expected {math.ceil(q['n'] / PER_PAGE)}), {f['decoded']} QR "
                f"codes read on page 1 at 300 dpi, lot code on {f['coded']} labels of page 1, {size / 1e6:.2f} MB"
            )

        runs = []
        if not args.skip_runs:
            say("\n== 2. Print runs through render_sheet_in_chunks (default chunk), each in a fresh process ==")
            for name in ("short", "long"):
                tries = []
                for _ in range(args.run_repeat):
                    r = measure_run(url, instance, ids[name], sizes[name], workdir)
                    if not r.get("failed"):
                        describe_run(r)
                    tries.append(r)
                runs.append(combine(tries))
    load_after = os.getloadavg()[0]
    now = code_version(), label_code_fingerprint()
    if now[1] != version[1]:
        say(
            f"\nWARNING: the label code changed during the run (now {now[1]}, commit {now[0]}): the figures may "
            "mix versions."
        )
    elif now[0] != version[0]:
        say(f"\n(The working tree moved to commit {now[0]} during the run; the label code is unchanged.)")

    # ---- the table --------------------------------------------------------------------------
    say(
        f"\n== Summary ({os.cpu_count()} CPUs, load average {load_before:.2f} before, {load_after:.2f} after; "
        f"Python {sys.version.split()[0]}) =="
    )
    rows = [("measurement", "seconds", "labels/s", "note")]
    n = q["n"]
    rows += [
        (
            f"{n:,} QR symbols alone, one process",
            f"{q['symbols']:.2f}",
            f"{n / q['symbols']:.0f}",
            f"{1000 * q['symbols'] / n:.1f} ms a label",
        ),
        (f"{n:,} QR labels: sheet", f"{qr_total:.2f}", f"{rate:.0f}", f"target ≥ {TARGET_RATE:.0f}/s"),
        (f"{n:,} text-only labels: sheet", f"{text_total:.2f}", f"{n / text_total:.0f}", ""),
        ("ratio QR / text-only", f"{ratio:.2f}", "", f"target ≤ {TARGET_RATIO}"),
    ]
    for r in runs:
        if r.get("failed"):
            rows.append((f"print run of {r['n']:,}", "failed", "", ""))
            continue
        peaks = r["peaks"]
        peak = statistics.median(peaks)
        rows.append(
            (
                f"print run of {r['n']:,} (fresh process)",
                f"{r['seconds']:.1f}",
                f"{r['n'] / r['seconds']:.0f}",
                f"RSS ready {r['rss_ready']:.0f} MB, warm {r['rss_warm']:.0f} MB, after chunks ≤ "
                f"{r['chunk_max']:.0f} MB, peak {peak:.0f} MB"
                + (f" (max {max(peaks):.0f} of {len(peaks)})" if len(peaks) > 1 else "")
                + f"; {r['pages']}/{r['expected_pages']} pages",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        say(
            "  "
            + "  ".join(
                cell.ljust(w) if c in (0, 3) else cell.rjust(w) for c, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()
        )
        if i == 0:
            say("  " + "  ".join("-" * w for w in widths))

    misses = []
    page_one = min(PER_PAGE, q["n"])
    if q["qr_facts"]["decoded"] is not None and q["qr_facts"]["decoded"] != page_one:
        misses.append(f"QR sheet: {q['qr_facts']['decoded']} codes read on page 1, expected {page_one}")
    for name, f in (("QR", q["qr_facts"]), ("text-only", q["text_facts"])):
        if f["coded"] != page_one:  # not a target: the figures are suspect
            misses.append(
                f"{name} sheet: the lot code is on {f['coded']} labels of page 1, expected {page_one} "
                "(label text missing? the figures are suspect)"
            )
    if ratio > TARGET_RATIO:
        misses.append(f"QR/text-only ratio {ratio:.2f} > {TARGET_RATIO}")
    if rate < TARGET_RATE:
        misses.append(f"{rate:.0f} labels/s with QR < {TARGET_RATE:.0f}")
    for r in runs:
        if not r.get("failed") and r["pages"] != r["expected_pages"]:
            misses.append(f"print run of {r['n']:,}: {r['pages']} pages, expected {r['expected_pages']}")
        if not r.get("failed") and r["coded"] != min(PER_PAGE, r["n"]):
            misses.append(
                f"print run of {r['n']:,}: the lot code is on {r['coded']} labels of page 1 (label text "
                "missing? the figures are suspect)"
            )
        if not r.get("failed") and r["decoded"] is not None and r["decoded"] != min(PER_PAGE, r["n"]):
            misses.append(
                f"print run of {r['n']:,}: {r['decoded']} QR codes read on page 1, expected {min(PER_PAGE, r['n'])}"
            )
    done = [r for r in runs if not r.get("failed")]
    if len(done) == 2:
        short, long_ = done
        p_short, p_long = statistics.median(short["peaks"]), statistics.median(long_["peaks"])
        say(
            f"\n  Peak memory, {long_['n']:,} vs {short['n']:,} labels: {p_long:.0f} MB vs {p_short:.0f} MB "
            f"({p_long - p_short:+.0f} MB, ×{p_long / p_short:.2f}); above the warm baseline: "
            f"+{p_long - long_['rss_warm']:.0f} MB vs +{p_short - short['rss_warm']:.0f} MB. RSS after each chunk "
            f"grows {growth_per_1000(long_):.1f} MB per 1,000 labels over the {long_['n']:,}-label run."
        )
        if p_long > BOUNDED * p_short:
            misses.append(
                f"peak memory not bounded: {p_long:.0f} MB for {long_['n']:,} labels vs {p_short:.0f} MB "
                f"for {short['n']:,} (×{p_long / p_short:.2f} > {BOUNDED})"
            )
    say("")
    if misses:
        say(f"{len(misses)} measurement(s) MISS the target:")
        for miss in misses:
            say("  - " + miss)
    else:
        say(
            f"All measurements meet the targets (QR/text ≤ {TARGET_RATIO}, ≥ {TARGET_RATE:.0f} labels/s with QR"
            + (f", peak memory within ×{BOUNDED}, page counts)." if runs else ").")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
