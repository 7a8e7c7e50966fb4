/* The field pages on a phone with or without signal (progressive enhancement: without this script
   every form posts to the server as before).

   - Registers the service worker and asks it to keep the field pages of the signed-in member.
   - A field form (form[data-offline]) saves to the outbox first (outbox.js), under a UUID made
     here, then sends at once if it can; a refusal is shown on the form like the server's own.
   - Shows how many records wait (the badge), the outbox page, the pre-harvest warning from the
     lists kept with the page, the "add to home screen" hint; warns before logging out with
     records unsent, and empties the kept pages at logout.
*/
(function () {
  "use strict";

  const scope = document.body.dataset.offlineScope || "";
  const setup = readJSON("offline-setup") || { messages: {}, pages: [] };
  const lists = readJSON("field-lists") || { plantings: {}, products: {}, plots: {} };
  const lang = document.documentElement.lang || "vi";
  let syncing = null;

  function readJSON(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function t(key, values) {
    let text = setup.messages[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.split(`%(${name})s`).join(String(value));
    return text;
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function day(iso) {
    const [y, m, d] = iso.slice(0, 10).split("-");
    return `${d}/${m}/${y}`;
  }

  function moment(iso) {
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    return `${pad(d.getHours())}:${pad(d.getMinutes())} ${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`;
  }

  /* ---- the kept pages and the worker ------------------------------------------------------ */

  async function startWorker() {
    if (!("serviceWorker" in navigator)) return;
    if (!scope) {
      // Signed out (or a page that keeps nothing): nothing of the last member stays on the phone.
      forgetPages();
      return;
    }
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    const registration = await navigator.serviceWorker.ready;
    warm(registration, false);
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox") refresh();
    });
  }

  function warm(registration, force) {
    if (registration.active && navigator.onLine) {
      registration.active.postMessage({ type: "warm", scope, urls: setup.pages, force });
    }
  }

  async function forgetPages() {
    if (!("caches" in window)) return;
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k.startsWith("pages-")).map((k) => caches.delete(k)));
    const registration = await navigator.serviceWorker.getRegistration("/");
    if (registration && registration.active) registration.active.postMessage({ type: "forget" });
  }

  /* ---- the badge, sending, the status line -------------------------------------------------- */

  async function refresh() {
    const badge = document.getElementById("outbox-badge");
    const items = await Outbox.list(scope);
    const waiting = Outbox.unsent(items);
    if (badge && !syncing) {
      badge.hidden = waiting === 0;
      badge.textContent = t("waiting", { n: waiting });
    }
    const send = document.getElementById("outbox-send");
    if (send) send.hidden = waiting === 0;
    if (document.getElementById("outbox-list")) renderOutbox(items);
    return waiting;
  }

  function progress(done, total) {
    const text = t("sending", { done, total });
    const badge = document.getElementById("outbox-badge");
    if (badge && total) {
      badge.hidden = false;
      badge.textContent = text;
    }
    const line = document.getElementById("outbox-progress");
    if (line && total) {
      line.hidden = false;
      line.textContent = text;
    }
  }

  function sync() {
    if (!syncing) {
      syncing = Outbox.sync(scope, progress)
        .then(async (result) => {
          syncing = null;
          await report(result);
          await refresh();
          if (result.sent) navigator.serviceWorker.ready.then((r) => warm(r, true)); // new seasons, new intervals
          return result;
        })
        .catch((error) => {
          syncing = null;
          throw error;
        });
    }
    return syncing;
  }

  /* Said from what is left on the phone, not from this round alone. */
  async function report(result) {
    const line = document.getElementById("outbox-progress");
    const login = document.getElementById("outbox-login");
    if (login) {
      login.hidden = !result.login;
      login.querySelector("span").textContent = t("login");
    }
    if (!line || result.busy) return;
    const records = (await Outbox.list(scope)).records;
    const toLook = records.filter((r) => r.state === "attention" || r.state === "conflict").length;
    line.hidden = false;
    line.classList.toggle("flash-error", toLook > 0);
    if (result.login) line.textContent = t("login");
    else if (result.offline) line.textContent = t(navigator.onLine ? "server_busy" : "offline");
    else if (toLook) line.textContent = t("to_look", { n: toLook });
    else line.textContent = t("all_sent");
  }

  function askBackgroundSync() {
    navigator.serviceWorker?.ready.then((r) => r.sync && r.sync.register("outbox-" + scope)).catch(() => null);
  }

  function flashNext(messages) {
    sessionStorage.setItem("outbox-flash", JSON.stringify(messages));
  }

  function showFlash() {
    const kept = sessionStorage.getItem("outbox-flash");
    if (!kept) return;
    sessionStorage.removeItem("outbox-flash");
    const main = document.getElementById("main");
    for (const text of JSON.parse(kept).reverse()) main.prepend(el("p", { class: "flash flash-success", role: "status", text }));
  }

  /* ---- field forms --------------------------------------------------------------------------- */

  const KINDS = {
    input: { required: ["planting_id", "applied_on", "product"], decimals: ["dose", "area_m2"], date: "applied_on" },
    harvest: { required: ["planting_id", "harvested_on", "quantity_kg"], decimals: ["quantity_kg"], date: "harvested_on" },
    planting: { required: ["plot_id", "sown_on"], decimals: ["area_m2"], date: "sown_on" },
  };
  const BODY = {
    input: ["applied_on", "dose", "dose_unit", "active_ingredient", "phi_days", "area_m2", "method", "operator"],
    harvest: ["harvested_on", "quantity_kg", "grade", "harvester"],
    planting: [
      "sown_on",
      "crop",
      "variety",
      "seed_source",
      "seed_lot",
      "area_m2",
      "expected_harvest_from",
      "expected_harvest_to",
    ],
  };

  /* A number as typed on the page's keypad ("85,5" in Vietnamese), as plain digits; null if empty. */
  function decimal(text) {
    const typed = text.replace(/\s/g, "");
    if (!typed) return null;
    const [group, point] = lang === "vi" ? [".", ","] : [",", "."];
    const plain = typed.split(group).join("").replace(point, ".");
    return /^\d+(\.\d+)?$/.test(plain) ? plain : undefined;
  }

  function values(form) {
    const found = {};
    for (const [name, value] of new FormData(form)) {
      if (name !== "csrf_token" && typeof value === "string") found[name] = value.trim();
    }
    return found;
  }

  function choiceText(form, name) {
    const select = form.elements[name];
    return select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].text : "";
  }

  /* The form's own words for its fields (a record's fields are named as the form names them), so a
     conflict can be shown field by field in the member's terms. */
  function labels(form) {
    const names = {};
    for (const label of form.querySelectorAll("label[for]")) {
      const input = form.querySelector(`#${CSS.escape(label.htmlFor)}`);
      if (input && input.name) names[input.name] = label.textContent.replace("*", "").trim();
    }
    names.trade_name = names.product || names.trade_name;
    names.planting_uuid = names.planting_id;
    return names;
  }

  function build(form, kind) {
    const v = values(form);
    const errors = {};
    for (const name of KINDS[kind].required) if (!v[name]) errors[name] = t("required");
    const body = {};
    for (const name of BODY[kind]) {
      if (!v[name]) continue;
      if (KINDS[kind].decimals.includes(name)) {
        const number = decimal(v[name]);
        if (number === undefined) errors[name] = t("number");
        else body[name] = number;
      } else if (name === "phi_days") {
        body[name] = Number(v[name]);
        if (!Number.isInteger(body[name])) errors[name] = t("number");
      } else {
        body[name] = v[name];
      }
    }
    const record = { kind, method: "POST", page: location.pathname, planting: v.planting_id || null, after: null };
    const planting = v.planting_id || "";
    const byUuid = planting.startsWith("uuid:") ? planting.slice(5) : null;
    if (byUuid) record.after = byUuid;
    if (kind === "input") {
      if (v.product === "__other__") {
        if (!v.trade_name) errors.trade_name = t("trade_name");
        body.trade_name = v.trade_name;
        if (v.kind) body.kind = v.kind;
      } else {
        body.trade_name = v.product;
      }
      record.path = `/api/v1/plantings/${byUuid || planting}/inputs`;
    } else if (kind === "harvest") {
      if (byUuid) body.planting_uuid = byUuid;
      else if (planting) body.planting_id = Number(planting);
      record.path = "/api/v1/harvests";
    } else {
      body.plot_id = Number(v.plot_id);
      record.path = "/api/v1/plantings";
    }
    // The plot as the member names it; the season's sowing date would only crowd the line.
    const where = choiceText(form, kind === "planting" ? "plot_id" : "planting_id").split(" · ")[kind === "planting" ? 1 : 0];
    const what = kind === "input" ? body.trade_name : kind === "harvest" ? `${v.quantity_kg || ""} kg` : body.crop;
    const date = body[KINDS[kind].date];
    const sort = kind === "input" ? lists.products[body.trade_name]?.kind || body.kind : null;
    record.where = where;
    record.label = [t(sort ? "kind_" + sort : "kind_" + kind), where, date && day(date), what].filter(Boolean).join(" · ");
    record.form = v;
    record.labels = labels(form);
    record.body = body;
    return { record, errors };
  }

  function clearErrors(form) {
    form.querySelectorAll(".js-error").forEach((node) => node.remove());
    form.querySelectorAll(".field.has-error").forEach((node) => node.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  /* Errors shown as the server shows them: next to the field, the form's values kept. */
  function showErrors(form, errors) {
    clearErrors(form);
    const general = [];
    for (const [name, message] of Object.entries(errors)) {
      const input = form.elements[name === "planting_uuid" ? "planting_id" : name];
      const field = input && input.closest && input.closest(".field");
      if (!field) {
        general.push(message);
        continue;
      }
      field.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      field.append(el("p", { class: "error js-error", id: `${input.id}-js-error`, text: message }));
      input.setAttribute("aria-describedby", `${input.id}-js-error`);
      if (!field.closest("details")?.open) field.closest("details")?.setAttribute("open", "");
    }
    const top = el("div", { class: "flash flash-error js-error", role: "alert" });
    for (const message of general.length ? general : [t("correct_fields")]) top.append(el("p", { text: message }));
    form.prepend(top);
  }

  function status(form, text) {
    let line = form.parentNode.querySelector(".outbox-status");
    if (!line) {
      line = el("p", { class: "flash flash-info outbox-status", role: "status" });
      form.before(line);
    }
    line.textContent = text;
  }

  function recordUrl(record, all) {
    const answer = record.answer || {};
    if (record.kind === "harvest" && answer.id) return `/lots/${answer.id}`;
    if (record.kind === "planting" && answer.id) return `/plantings/${answer.id}`;
    if (record.kind === "input") {
      const season = record.after ? all.get(record.after)?.answer?.id : record.planting;
      if (season) return `/plantings/${season}`;
    }
    return "/outbox";
  }

  function sentMessages(record) {
    const answer = record.answer || {};
    if (record.kind === "harvest") return [t("harvest_lot", { code: answer.code })];
    if (record.kind === "planting") return [t("season_started", { code: answer.plot })];
    const said = [t("sent")];
    if (answer.harvest_allowed_from) said.push(t("harvest_from", { date: day(answer.harvest_allowed_from) }));
    return said;
  }

  async function enhance(form) {
    const kind = form.dataset.offline;
    // First, before anything is awaited: a quick tap must never post around the outbox.
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form, kind).catch((error) => showErrors(form, { _: String(error) }));
    });
    const query = new URLSearchParams(location.search);
    await addOfflineSeasons(form);
    // A kept page opened for /harvests/new?planting=5 is the same page: choose what its link asked for.
    for (const [param, name] of [["planting", "planting_id"], ["plot", "plot_id"]]) {
      const select = form.elements[name];
      if (query.get(param) && select && [...select.options].some((o) => o.value === query.get(param))) {
        select.value = query.get(param);
      }
    }
    const editing = query.get("outbox") && (await Outbox.get(scope, query.get("outbox")));
    if (editing) {
      for (const [name, value] of Object.entries(editing.form)) {
        if (form.elements[name] && form.elements[name].type !== "file") form.elements[name].value = value;
      }
      form.dataset.editing = editing.uuid;
      status(form, t("editing"));
      if (editing.message) showErrors(form, { [editing.field || "_"]: editing.message });
    }
    if (kind === "harvest") watchInterval(form);
    form.dataset.ready = "true";
  }

  async function submit(form, kind) {
    const { record, errors } = build(form, kind);
    if (Object.keys(errors).length) return showErrors(form, errors);
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const earlier = form.dataset.editing && (await Outbox.get(scope, form.dataset.editing));
      // A record the server refused was never stored: corrected, it keeps its identity. One in
      // conflict gets a new one, so both versions stay until a person chooses.
      let id = earlier ? earlier.uuid : Outbox.uuid();
      if (earlier && earlier.state === "conflict") id = await Outbox.renew(scope, earlier.uuid);
      Object.assign(record, {
        uuid: id,
        saved_at: earlier ? earlier.saved_at : Outbox.now(),
        order: earlier ? earlier.order : Date.now(),
        state: "saved",
        message: null,
        field: null,
        stored: null,
      });
      record.body.uuid = id;
      record.body.saved_at = record.saved_at;
      const file = form.elements.photo && form.elements.photo.files[0];
      const photos = file ? [{ uuid: Outbox.uuid(), record: id, blob: await Outbox.shrink(file), state: "saved" }] : [];
      await Outbox.save(scope, record, photos);
      form.dataset.editing = id;
      status(form, t("saved"));
      await refresh();
      askBackgroundSync();
      if (navigator.onLine) {
        let result = await sync();
        if (result.busy) {
          // The service worker's background sync was sending (perhaps this very record): wait for
          // its answers, then send what it left, so a refusal still shows on this form.
          await Outbox.settled(scope);
          result = await sync();
        }
        const now = await Outbox.get(scope, id);
        if (now.state === "sent" && !result.waiting) {
          const all = new Map((await Outbox.list(scope)).records.map((r) => [r.uuid, r]));
          flashNext(sentMessages(now));
          location.assign(recordUrl(now, all));
          return;
        }
        if (now.state === "attention") return showErrors(form, { [now.field || "_"]: now.message });
        if (now.state === "conflict") return location.assign("/outbox");
      }
      readyForNext(form, kind);
    } finally {
      button.disabled = false;
    }
  }

  /* Saved on the phone: the form is cleared for the next record; the season and the date stay. */
  function readyForNext(form, kind) {
    const keep = ["planting_id", "plot_id", KINDS[kind].date, "product"].map((n) => [n, form.elements[n]?.value]);
    form.reset();
    for (const [name, value] of keep) if (form.elements[name] && value !== undefined) form.elements[name].value = value;
    delete form.dataset.editing;
    if (location.search.includes("outbox=")) history.replaceState(null, "", location.pathname);
    status(form, t("saved"));
    form.querySelector("select, input:not([type=hidden])")?.focus();
  }

  /* Seasons started on this phone and not yet in the kept lists can be sprayed and harvested too. */
  async function addOfflineSeasons(form) {
    const select = form.elements.planting_id;
    if (!select) return;
    const known = new Set([...select.options].map((o) => o.value));
    for (const record of (await Outbox.list(scope)).records) {
      if (record.kind !== "planting" || record.state === "attention" || record.state === "conflict") continue;
      const value = record.answer && record.answer.id ? String(record.answer.id) : "uuid:" + record.uuid;
      if (known.has(value)) continue;
      const name = record.form.plot_id ? lists.plots[record.form.plot_id]?.name : "";
      const option = el("option", { value, text: `${name || record.label} · ${day(record.body.sown_on)} (${t("pending")})` });
      select.append(option);
      known.add(value);
    }
  }

  /* "Ruộng A3: được thu hoạch từ 09/12/2026", from the kept lists and the sprays saved on this phone. */
  function watchInterval(form) {
    const select = form.elements.planting_id;
    const date = form.elements.harvested_on;
    const line = el("p", { class: "phi phi-wait", id: "phi-warning", role: "status", hidden: true });
    date.closest(".field").append(line);
    const check = async () => {
      const until = await harvestFrom(select.value);
      const wait = until && date.value && date.value < until.date;
      line.hidden = !wait;
      line.textContent = wait ? t("phi_wait", { plot: until.plot, date: day(until.date) }) : "";
    };
    select.addEventListener("change", check);
    date.addEventListener("change", check);
    date.addEventListener("input", check);
    check();
  }

  async function harvestFrom(value) {
    if (!value) return null;
    const kept = lists.plantings[value];
    let latest = kept && kept.harvest_from ? kept.harvest_from : null;
    for (const record of (await Outbox.list(scope)).records) {
      if (record.kind !== "input" || record.planting !== value) continue;
      const phi = record.body.phi_days ?? lists.products[record.body.trade_name]?.phi_days;
      if (phi === undefined || phi === null) continue;
      const end = new Date(record.body.applied_on + "T00:00:00Z");
      end.setUTCDate(end.getUTCDate() + phi);
      const iso = end.toISOString().slice(0, 10);
      if (!latest || iso > latest) latest = iso;
    }
    const plot = kept ? kept.plot : choiceText(document.querySelector("form[data-offline]"), "planting_id").split(" · ")[0];
    return latest ? { date: latest, plot } : null;
  }

  /* ---- the outbox page ----------------------------------------------------------------------- */

  function renderOutbox(items) {
    const list = document.getElementById("outbox-list");
    const empty = document.getElementById("outbox-empty");
    list.replaceChildren();
    empty.hidden = items.records.length > 0;
    empty.textContent = t("nothing");
    for (const record of [...items.records].reverse()) list.append(card(record, items.photos.filter((p) => p.record === record.uuid)));
  }

  function card(record, photos) {
    const item = el("li", { class: `card outbox-item state-${record.state}`, "data-uuid": record.uuid });
    item.append(el("h2", { text: record.label }));
    const when = [t("saved_at", { time: moment(record.saved_at) })];
    if (record.sent_at) when.push(t("sent_at", { time: moment(record.sent_at) }));
    item.append(el("p", { class: "meta", text: when.join(" · ") }));
    item.append(el("p", {}, el("span", { class: `badge badge-${record.state}`, text: t("state_" + record.state) })));
    if (record.state === "attention") item.append(el("p", { class: "error", text: record.message }));
    if (photos.length) {
      const row = el("div", { class: "thumbs" });
      for (const photo of photos) {
        row.append(el("img", { class: "thumb", src: URL.createObjectURL(photo.blob), alt: t("photos", { n: 1 }) }));
      }
      item.append(el("p", { class: "meta", text: t("photos", { n: photos.length }) }), row);
    }
    if (record.state === "conflict") item.append(conflict(record));
    item.append(actions(record));
    return item;
  }

  /* Both versions, field by field in the form's words; the fields that differ are marked. */
  function conflict(record) {
    const box = el("div", { class: "conflict" });
    box.append(el("p", { text: t("conflict_help") }));
    const theirs = record.stored_request || {};
    const list = el("dl", { class: "versions" });
    const names = new Set([...Object.keys(record.body), ...Object.keys(theirs)]);
    for (const name of names) {
      if (name === "uuid" || name === "saved_at") continue;
      // Ids are shown as the plot the member chose, not as numbers.
      const id = ["planting_id", "planting_uuid", "plot_id"].includes(name);
      const mine = id && record.body[name] !== undefined ? record.where : shown(record.body[name]);
      const stored = id && theirs[name] === record.body[name] ? mine : shown(theirs[name]);
      if (!mine && !stored) continue;
      const differs = mine !== stored;
      list.append(el("dt", { class: differs ? "differs" : null, text: (record.labels || {})[name] || name }));
      list.append(el("dd", { text: `${t("mine")}: ${mine || "–"}` }));
      list.append(el("dd", { class: differs ? "differs" : null, text: `${t("stored")}: ${stored || "–"}` }));
    }
    box.append(list);
    return box;
  }

  function shown(value) {
    if (value === null || value === undefined) return "";
    const text = String(value);
    return /^\d{4}-\d{2}-\d{2}$/.test(text) ? day(text) : text;
  }

  function actions(record) {
    const row = el("div", { class: "actions" });
    const button = (text, handler, secondary) => {
      const b = el("button", { type: "button", class: secondary ? "secondary" : null, text });
      b.addEventListener("click", handler);
      return b;
    };
    if (record.state === "sent") {
      row.append(el("a", { class: "button secondary", href: recordUrl(record, new Map()), text: t("open") }));
    }
    if (record.state === "attention") {
      row.append(el("a", { class: "button", href: `${record.page}?outbox=${record.uuid}`, text: t("edit") }));
      row.append(
        button(t("retry"), async () => {
          await Outbox.update(scope, record.uuid, { state: "saved", message: null });
          sync();
        }, true),
      );
    }
    if (record.state === "conflict") {
      row.append(
        button(t("send_as_new"), async () => {
          await Outbox.renew(scope, record.uuid);
          sync();
        }),
      );
      row.append(button(t("keep_stored"), async () => (await Outbox.remove(scope, record.uuid), refresh()), true));
    }
    if (record.state === "attention" || record.state === "saved") {
      row.append(
        button(t("discard"), async () => {
          if (confirm(t("discard_confirm"))) await Outbox.remove(scope, record.uuid);
          refresh();
        }, true),
      );
    }
    return row;
  }

  /* ---- home screen, logout ------------------------------------------------------------------- */

  function installHint() {
    const hint = document.getElementById("install-hint");
    if (!hint || matchMedia("(display-mode: standalone)").matches || localStorage.getItem("install-hint-done")) return;
    hint.hidden = false;
    const install = document.getElementById("install-button");
    let offer = null;
    window.addEventListener("beforeinstallprompt", (event) => {
      event.preventDefault();
      offer = event;
      install.hidden = false;
    });
    install.addEventListener("click", async () => {
      if (!offer) return;
      offer.prompt();
      await offer.userChoice;
      hint.hidden = true;
    });
    document.getElementById("install-dismiss").addEventListener("click", () => {
      localStorage.setItem("install-hint-done", "1");
      hint.hidden = true;
    });
  }

  function guardLogout() {
    for (const form of document.querySelectorAll("form[data-logout]")) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const waiting = scope ? await Outbox.pending(scope) : 0;
        if (waiting && !confirm(t("logout_unsent", { n: waiting }))) return;
        await forgetPages(); // the records stay in the outbox; the pages with their lists go
        form.submit();
      });
    }
  }

  /* ---- start ----------------------------------------------------------------------------------- */

  guardLogout();
  startWorker().catch(() => null);
  if (!scope || !("indexedDB" in window)) return;
  showFlash();
  installHint();
  document.querySelectorAll("form[data-offline]").forEach((form) => enhance(form));
  document.getElementById("outbox-send")?.addEventListener("click", () => sync());
  window.addEventListener("online", () => sync());
  refresh().then((waiting) => {
    if (waiting && navigator.onLine) sync();
  });
  setInterval(async () => {
    if (navigator.onLine && (await Outbox.pending(scope))) sync();
  }, 120000);
})();
