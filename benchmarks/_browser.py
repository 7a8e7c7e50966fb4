"""The phone's side of ``benchmarks/offline_sync.py``: Chromium driven by Playwright, and the scripts it runs.

Everything here happens in the page, with the app's own scripts: the service worker keeps the pages,
``Outbox.save`` queues the records and photos, ``Outbox.sync`` sends them.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import time

# Set before Playwright starts: the service worker's own requests are reported like the page's.
os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/browser/conftest.py launches it
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="vi-VN")

WARMED = """async () => Boolean(await (await caches.open("meta")).match("/__offline/warmed"))"""

CACHE_STORAGE = """async () => {
  const gzipped = async (blob) => (await new Response(blob.stream().pipeThrough(new CompressionStream("gzip"))).blob()).size;
  const found = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    found[name] = [];
    for (const request of await cache.keys()) {
      const blob = await (await cache.match(request)).blob();
      found[name].push([new URL(request.url).pathname, blob.size, await gzipped(blob)]);
    }
  }
  return found;
}"""

# A photo as a phone's camera takes it (3200×2400 JPEG at quality 0.9, of a field: sky, soil, thousands
# of leaves, sensor grain, so it compresses like a photo), then made small by the app's own
# Outbox.shrink(), as field.js does before it queues a photo.
PHOTO = """(seed) => new Promise((resolve) => {
  const W = 3200, H = 2400;
  const canvas = document.createElement("canvas");
  canvas.width = W;
  canvas.height = H;
  const x = canvas.getContext("2d");
  let s = seed * 7919 + 1;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const sky = x.createLinearGradient(0, 0, 0, 1000);
  sky.addColorStop(0, "#9ec5e8");
  sky.addColorStop(1, "#e8eef0");
  x.fillStyle = sky;
  x.fillRect(0, 0, W, H);
  x.fillStyle = "#5b4a32";
  x.fillRect(0, 840, W, H - 840);
  for (let k = 0; k < 4000; k++) {
    x.fillStyle = `rgb(${(20 + rnd() * 80) | 0},${(60 + rnd() * 120) | 0},${(20 + rnd() * 50) | 0})`;
    x.beginPath();
    x.ellipse(rnd() * W, 760 + rnd() * 1640, 12 + rnd() * 80, 6 + rnd() * 36, rnd() * Math.PI, 0, 2 * Math.PI);
    x.fill();
  }
  const image = x.getImageData(0, 0, W, H);
  for (let p = 0; p < image.data.length; p += 4) {
    const v = (rnd() - 0.5) * 16;
    image.data[p] += v;
    image.data[p + 1] += v;
    image.data[p + 2] += v;
  }
  x.putImageData(image, 0, 0);
  canvas.toBlob((taken) => resolve(Outbox.shrink(taken)), "image/jpeg", 0.9);
})"""

# The records as field.js's build() and submit() make them: a UUID made on the phone, saved_at in the
# phone's local time, the body the form's fields give, the path of the API they are sent to.
FILL_OUTBOX = (
    """async ({records, photos}) => {
  const scope = document.body.dataset.offlineScope;
  const photo = """
    + PHOTO
    + """;
  let sizes = [];
  for (const [n, spec] of records.entries()) {
    const id = Outbox.uuid();
    const body = Object.assign({}, spec.body, {uuid: id, saved_at: spec.saved_at});
    const record = {
      uuid: id, kind: spec.kind, method: "POST", path: spec.path, page: spec.page, planting: spec.planting,
      after: null, label: spec.label, form: spec.form, fields: [], body, saved_at: spec.saved_at,
      state: "saved", message: null, field: null, stored: null,
    };
    const kept = [];
    if (n < photos) {
      const blob = await photo(n);
      sizes.push(blob.size);
      kept.push({uuid: Outbox.uuid(), record: id, blob, state: "saved"});
    }
    await Outbox.save(scope, record, kept);
  }
  const items = await Outbox.list(scope);
  return {records: items.records.length, photos: items.photos.length, photo_bytes: sizes};
}"""
)

SYNC = """async () => {
  const scope = document.body.dataset.offlineScope;
  let last = 0;
  const started = performance.now();
  const result = await Outbox.sync(scope, (done, total) => { last = done; });
  const items = await Outbox.list(scope);
  const states = {};
  for (const item of [...items.records, ...items.photos]) states[item.state] = (states[item.state] || 0) + 1;
  const refused = items.records.filter((r) => r.state !== "sent").slice(0, 5).map((r) => [r.label, r.message]);
  return {seconds: (performance.now() - started) / 1000, result, states, progress: last, refused};
}"""

TIMED_FETCH = """async ({path, method, body}) => {
  const started = performance.now();
  const response = await fetch(path, {
    method, body, credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-Requested-With": "outbox",
              "X-Organisation": document.body.dataset.offlineScope.split("-o")[1]},
  });
  await response.arrayBuffer();
  return {status: response.status, ms: performance.now() - started};
}"""

OUTBOX_ITEMS = """async () => {
  const items = await Outbox.list(document.body.dataset.offlineScope);
  const photos = [];
  for (const p of items.photos) {
    const bytes = new Uint8Array(await p.blob.arrayBuffer());
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    photos.push({uuid: p.uuid, record: p.record, type: p.blob.type, data: btoa(text)});
  }
  return {records: items.records.map((r) => ({method: r.method, path: r.path, body: r.body})), photos};
}"""


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def visit_online(browser, base: str, login: str, password: str, timeout: float = 60.0):
    """Log in on a new phone, let the worker install and warm the member's pages, wait until it is quiet.

    Returns the context, the page, every response the phone received (the page's and the worker's) and
    whether the worker marked its warming done."""
    context = browser.new_context(base_url=base, service_workers="allow", **PHONE)
    responses = []
    context.on("response", lambda response: responses.append(response))
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.record-form button[type=submit]")
    settle(page, responses, timeout)
    return context, page, responses, page.evaluate(WARMED)


def settle(page, responses: list, timeout: float = 60.0, quiet: float = 2.0) -> None:
    """Until the worker controls the page and nothing has arrived for ``quiet`` seconds."""
    page.wait_for_load_state("load")
    deadline, seen, since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(responses) != seen:
            seen, since = len(responses), time.monotonic()
        elif time.monotonic() - since > quiet and page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        time.sleep(0.2)
    raise SystemExit("the service worker did not take control of the page in time")


def cache_storage(page) -> dict[str, list[tuple[str, int, int]]]:
    """Each cache's entries: path, bytes, bytes gzipped (what a compressing proxy would send)."""
    return {name: [tuple(e) for e in entries] for name, entries in page.evaluate(CACHE_STORAGE).items()}


def fill_outbox(page, records: list[dict], photos: int) -> dict:
    return page.evaluate(FILL_OUTBOX, {"records": records, "photos": photos})


def throttle(cdp, kbit_s: float | None, latency_ms: float = 0) -> None:
    """CDP network emulation of the page: ``kbit_s`` up and down (None: no emulation)."""
    if kbit_s is None:
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        return
    rate = kbit_s * 1000 / 8  # CDP wants bytes per second
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": rate, "uploadThroughput": rate},
    )


def timed_fetch(page, path: str, method: str = "GET", body: str | None = None) -> dict:
    return page.evaluate(TIMED_FETCH, {"path": path, "method": method, "body": body})


def sync(page) -> dict:
    return page.evaluate(SYNC)


def outbox_items(page) -> dict:
    """The outbox as the phone holds it: each record's method, path and body, each photo's bytes."""
    items = page.evaluate(OUTBOX_ITEMS)
    for photo in items["photos"]:
        photo["data"] = base64.b64decode(photo["data"])
    return items


def last_run(days: list[dt.date]) -> list[dt.date]:
    """The last run of consecutive days."""
    run = days[-1:]
    for day in reversed(days[:-1]):
        if (run[0] - day).days != 1:
            break
        run.insert(0, day)
    return run


def field_record(n, kind, planting, open_days, other_days, sprays, fertilisers) -> dict:
    """The n-th record to queue, as field.js's build() makes it from the form (a harvest, a spray or a fertiliser)."""
    days = open_days if kind == "harvest" else other_days
    day = days[n % len(days)]
    saved_at = f"{day}T17:{n // 60 % 60:02d}:{n % 60:02d}+07:00"  # the evening of the day, the phone's time
    where = f"{planting.plot_name} · {day:%d/%m/%Y}"
    if kind == "harvest":
        kg = str(15 + n % 26)
        body = {"harvested_on": str(day), "quantity_kg": kg, "grade": "Loại 1", "planting_id": planting.id}
        form = {"planting_id": str(planting.id), "harvested_on": str(day), "quantity_kg": kg, "grade": "Loại 1"}
        return dict(
            kind="harvest", path="/api/v1/harvests", page="/harvests/new", planting=str(planting.id),
            label=f"Thu hoạch · {where} · {kg} kg", body=body, form=form, saved_at=saved_at,
        )  # fmt: skip
    product = (sprays if kind == "spray" else fertilisers)[n % len(sprays if kind == "spray" else fertilisers)]
    dose, method = ("20", "phun") if kind == "spray" else ("8", "bón")
    body = {"applied_on": str(day), "dose": dose, "dose_unit": product.dose_unit, "method": method}
    body["trade_name"] = product.trade_name
    form = {"planting_id": str(planting.id), "applied_on": str(day), "product": product.trade_name, "dose": dose}
    return dict(
        kind="input", path=f"/api/v1/plantings/{planting.id}/inputs", page="/inputs/new", planting=str(planting.id),
        label=f"Phun thuốc / bón phân · {where} · {product.trade_name}", body=body, form=form, saved_at=saved_at,
    )  # fmt: skip
