/* The outbox: records saved on this phone, kept in IndexedDB until the server has them.

   Loaded by the pages (field.js) and by the service worker (sw.js), so both send the same way.
   One database per scope (a member in an organisation), so nobody sees another's records.

   A record: {uuid, kind, method, path, body, form, labels, page, label, saved_at, order, state,
   message, field, stored, stored_request, answer, after}; `order` (milliseconds at first save) sends them in the order made. Its state is "saved" (on the phone), "sent", "attention" (refused by the
   server: the message says why; editable, sendable again) or "conflict" (the server has other
   content under this UUID: both versions are kept until a person chooses). Photos are kept beside
   their record under their own UUIDs and sent after it. Nothing unsent is ever deleted except by
   the member; what was sent is kept a week, to be seen on the outbox page.
*/
(function (global) {
  "use strict";

  const KEEP_SENT_MS = 7 * 24 * 3600 * 1000;
  const RECORD_TIMEOUT_MS = 30000;
  const PHOTO_TIMEOUT_MS = 120000; // a 300 kB photo on a 400 kbit/s link takes 6 s; a weaker one far longer
  const PHOTO_BUDGET = 64 * 1024;
  const PHOTO_STEPS = [[1600, 0.7], [1600, 0.55], [1280, 0.55], [1280, 0.4], [1024, 0.4]];
  const PARALLEL = 4; // requests in flight at once: fewer than the browser's six connections to a server

  function done(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function open(scope) {
    const request = indexedDB.open("outbox-" + scope, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("records", { keyPath: "uuid" });
      db.createObjectStore("photos", { keyPath: "uuid" }).createIndex("record", "record");
    };
    return done(request);
  }

  /* Run `work` in one transaction over `stores`; resolves when the transaction has committed. */
  async function transaction(scope, stores, mode, work) {
    const db = await open(scope);
    try {
      // Strict: "saved on this phone" is said only once it is on the disk, not in a buffer a
      // switched-off phone would lose.
      const tx = db.transaction(stores, mode, { durability: mode === "readwrite" ? "strict" : "default" });
      const committed = new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error("aborted"));
      });
      const result = await work(...stores.map((name) => tx.objectStore(name)));
      await committed;
      return result;
    } finally {
      db.close();
    }
  }

  function uuid() {
    if (global.crypto.randomUUID) return global.crypto.randomUUID();
    const b = global.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /* The phone's local time with its offset (2026-12-02T07:32:10+07:00): what the member saw. */
  function now() {
    const d = new Date();
    const pad = (n) => String(Math.abs(n)).padStart(2, "0");
    const offset = -d.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    return (
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:` +
      `${pad(d.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
    );
  }

  /* A camera photo made small enough to send on a weak signal: at most 1,600 px on its longest side,
     JPEG, and stepped down (quality, then size) until it is under PHOTO_BUDGET bytes. 50 photos on a
     400 kbit/s link then take about a minute, not five; a label or a plot still reads at 1,280 px.
     What this phone cannot decode is kept as it is: the server decides, and says why. */
  async function shrink(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (unreadable) {
      return file;
    }
    let best = null;
    for (const [side, quality] of PHOTO_STEPS) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const width = Math.round(bitmap.width * scale);
      const height = Math.round(bitmap.height * scale);
      const canvas = global.OffscreenCanvas
        ? new OffscreenCanvas(width, height)
        : Object.assign(global.document.createElement("canvas"), { width, height });
      canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
      best = canvas.convertToBlob
        ? await canvas.convertToBlob({ type: "image/jpeg", quality })
        : await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
      if (best.size <= PHOTO_BUDGET) break;
    }
    bitmap.close();
    return best;
  }

  async function save(scope, record, photos) {
    await transaction(scope, ["records", "photos"], "readwrite", async (records, photoStore) => {
      records.put(record);
      for (const photo of photos || []) photoStore.put(photo);
    });
    return record;
  }

  async function list(scope) {
    return transaction(scope, ["records", "photos"], "readonly", async (records, photos) => ({
      records: (await done(records.getAll())).sort((a, b) => a.order - b.order),
      photos: await done(photos.getAll()),
    }));
  }

  async function get(scope, id) {
    return transaction(scope, ["records"], "readonly", (records) => done(records.get(id)));
  }

  async function update(scope, id, changes) {
    return transaction(scope, ["records"], "readwrite", async (records) => {
      const record = await done(records.get(id));
      if (record) records.put(Object.assign(record, changes));
      return record;
    });
  }

  async function updatePhoto(scope, id, changes) {
    return transaction(scope, ["photos"], "readwrite", async (photos) => {
      const photo = await done(photos.get(id));
      if (photo) photos.put(Object.assign(photo, changes));
    });
  }

  /* Deleted by the member's choice only; its photos go with it. */
  async function remove(scope, id) {
    return transaction(scope, ["records", "photos"], "readwrite", async (records, photos) => {
      records.delete(id);
      for (const key of await done(photos.index("record").getAllKeys(id))) photos.delete(key);
    });
  }

  /* The same record under a new identity: the member chose to keep theirs beside the server's. */
  async function renew(scope, id) {
    const fresh = uuid();
    await transaction(scope, ["records", "photos"], "readwrite", async (records, photos) => {
      const record = await done(records.get(id));
      if (!record) return;
      records.delete(id);
      record.uuid = fresh;
      record.body = Object.assign({}, record.body, { uuid: fresh });
      Object.assign(record, { state: "saved", message: null, field: null, stored: null });
      records.put(record);
      for (const photo of await done(photos.index("record").getAll(id))) {
        photos.put(Object.assign(photo, { record: fresh }));
      }
    });
    return fresh;
  }

  function unsent(items) {
    return items.records.filter((r) => r.state !== "sent").length + items.photos.filter((p) => p.state !== "sent").length;
  }

  async function pending(scope) {
    return unsent(await list(scope));
  }

  async function forgetOldSent(scope) {
    const items = await list(scope);
    const old = items.records.filter((r) => r.state === "sent" && Date.now() - Date.parse(r.sent_at) > KEEP_SENT_MS);
    const waiting = new Set(items.photos.filter((p) => p.state !== "sent").map((p) => p.record));
    for (const record of old) if (!waiting.has(record.uuid)) await remove(scope, record.uuid);
  }

  async function call(path, options, ms) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    try {
      return await fetch(path, Object.assign({ credentials: "same-origin", redirect: "manual", signal: controller.signal }, options));
    } finally {
      clearTimeout(timer);
    }
  }

  function headers(scope, type) {
    return { "Content-Type": type, Accept: "application/json", "X-Requested-With": "outbox", "X-Organisation": scope.split("-o")[1] };
  }

  /* What one answer means for the item sent. A network failure or a server in trouble stops the round. */
  async function outcome(response) {
    let data = null;
    try {
      data = await response.json();
    } catch (notJson) {
      data = null;
    }
    const error = (data && data.error) || {};
    if (response.status === 200 || response.status === 201) return { state: "sent", answer: data };
    if (response.status === 401) return { stop: "login" };
    if (response.status === 409 && error.stored) {
      return { state: "conflict", stored: error.stored, stored_request: error.stored_request, message: error.message };
    }
    if ([400, 403, 404, 409, 413, 422].includes(response.status)) {
      return { state: "attention", message: error.message || response.statusText, field: error.field || null };
    }
    return { stop: "server" };
  }

  async function sendRecord(scope, record) {
    const response = await call(
      record.path,
      { method: record.method, headers: headers(scope, "application/json"), body: JSON.stringify(record.body) },
      RECORD_TIMEOUT_MS,
    );
    return outcome(response);
  }

  async function sendPhoto(scope, photo) {
    const response = await call(
      `/api/v1/records/${photo.record}/photos/${photo.uuid}`,
      { method: "PUT", headers: headers(scope, photo.blob.type || "image/jpeg"), body: photo.blob },
      PHOTO_TIMEOUT_MS,
    );
    return outcome(response);
  }

  async function locked(scope, work) {
    if (global.navigator.locks) {
      return global.navigator.locks.request("outbox-" + scope, { ifAvailable: true }, (lock) =>
        lock ? work() : { busy: true },
      );
    }
    return work();
  }

  /* Resolves once no one (this page, another tab, the service worker's background sync) is
     sending: a page that found the outbox busy waits here for the other sender's answers. */
  async function settled(scope) {
    if (global.navigator.locks) await global.navigator.locks.request("outbox-" + scope, () => null);
  }

  /* What an item must wait for: a photo for its record; a record for the season started offline
     that it was recorded on, and a harvest for every spray saved before it on the same season (the
     server judges the pre-harvest interval from the sprays it has). */
  function dependencies(item, earlier) {
    if (item.photo) return [item.photo.record];
    const record = item.record;
    const needs = record.after ? [record.after] : [];
    if (record.kind === "harvest") {
      for (const before of earlier) if (before.kind === "input" && before.planting === record.planting) needs.push(before.uuid);
    }
    return needs;
  }

  /* Send what waits, oldest first, each record's photos right after it, a few at a time: on a slow
     link the wait for each answer, not the bytes, is most of the time. `progress(done, total)`. */
  async function sync(scope, progress) {
    return locked(scope, async () => {
      const items = await list(scope);
      const byId = new Map(items.records.map((r) => [r.uuid, r]));
      const queue = [];
      items.records.forEach((record, n) => {
        if (record.state === "saved") queue.push({ record, needs: dependencies({ record }, items.records.slice(0, n)) });
        for (const photo of items.photos) {
          if (photo.record === record.uuid && photo.state !== "sent") queue.push({ photo, needs: [record.uuid] });
        }
      });
      const result = { total: queue.length, sent: 0, attention: 0, conflict: 0, waiting: 0 };
      const finished = new Map(); // uuid of a record in this round -> settles when its answer is in
      for (const item of queue) {
        if (item.record) finished.set(item.record.uuid, new Promise((resolve) => (item.done = resolve)));
      }
      let done = 0;
      let stopped = null;
      const report = () => progress && progress(done, queue.length);
      report();

      async function one(item) {
        await Promise.all(item.needs.map((id) => finished.get(id)));
        const blocked = item.needs.some((id) => byId.get(id) && byId.get(id).state !== "sent");
        if (stopped || blocked) {
          if (!stopped) result.waiting += 1;
          return;
        }
        let answer;
        try {
          answer = item.photo ? await sendPhoto(scope, item.photo) : await sendRecord(scope, item.record);
        } catch (network) {
          answer = { stop: "offline" };
        }
        if (answer.stop) {
          stopped = stopped || answer.stop;
          return;
        }
        const changes = { state: answer.state, message: answer.message || null, field: answer.field || null };
        if (item.photo) {
          await updatePhoto(scope, item.photo.uuid, changes);
        } else {
          changes.answer = answer.answer || null;
          changes.stored = answer.stored || null;
          changes.stored_request = answer.stored_request || null;
          if (answer.state === "sent") changes.sent_at = new Date().toISOString();
          Object.assign(item.record, changes);
          await update(scope, item.record.uuid, changes);
        }
        result[answer.state === "sent" ? "sent" : answer.state] += 1;
      }

      let next = 0;
      async function worker() {
        while (next < queue.length) {
          const item = queue[next++];
          try {
            await one(item);
          } finally {
            if (item.done) item.done();
            done += 1;
            report();
          }
        }
      }
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      if (stopped) return Object.assign(result, { [stopped]: true, offline: stopped !== "login" });
      await forgetOldSent(scope);
      return result;
    });
  }

  global.Outbox = { uuid, now, shrink, save, list, get, update, remove, renew, pending, unsent, sync, settled };
})(self);
