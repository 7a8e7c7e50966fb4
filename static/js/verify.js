/* Checks, in the buyer's own browser and only when asked, that this lot's records are in the
   producer's log: each event's inclusion proof (RFC 9162 §2.1.3.2) against the checkpoint's root
   with WebCrypto's SHA-256, then the checkpoint's signatures (C2SP signed note and cosignature,
   Ed25519) where the browser has Ed25519. The answer is one sentence. Without this script, or
   without WebCrypto, the page stays as it is. */
(() => {
  "use strict";
  const box = document.querySelector("[data-verify]");
  if (!box || !window.crypto || !crypto.subtle) return;
  const words = JSON.parse(box.dataset.verify);
  const say = box.querySelector("[role=status]");
  const enc = new TextEncoder();

  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const hex = (s) => Uint8Array.from(s.match(/../g), (h) => parseInt(h, 16));
  const join = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
    return out;
  };
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const sha = async (...parts) => new Uint8Array(await crypto.subtle.digest("SHA-256", join(...parts)));
  const node = (left, right) => sha(Uint8Array.of(1), left, right);

  async function rootFromInclusion(index, size, leaf, proof) {
    if (index >= size) return null;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await node(p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await node(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  function parseNote(text) {
    const cut = text.lastIndexOf("\n\n");
    const body = text.slice(0, cut + 1);
    const [origin, size, root] = body.split("\n");
    const signatures = text.slice(cut + 2).split("\n").filter(Boolean).map((line) => {
      const [, name, sig] = line.split(" ");
      return { name, raw: b64(sig) };
    });
    return { body, origin, size: Number(size), root: b64(root), signatures };
  }

  // A verifier key: name+hex(key id)+base64(type ‖ public key); base64 may hold "+" too.
  const splitKey = (vkey) => {
    const first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
    return [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  };

  // Whether a signature of ``vkey`` on the note verifies; null when this browser has no Ed25519.
  async function signedBy(note, vkey) {
    const [name, id, encoded] = splitKey(vkey.trim());
    const raw = b64(encoded);
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return null;
    }
    const mine = note.signatures.filter((s) => s.name === name && same(s.raw.slice(0, 4), hex(id)));
    for (const { raw: sig } of mine) {
      const cosigned = raw[0] === 4;
      const message = cosigned
        ? enc.encode(`cosignature/v1\ntime ${new DataView(sig.buffer, 4, 8).getBigUint64(0)}\n${note.body}`)
        : enc.encode(note.body);
      if (await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(cosigned ? 12 : 4), message)) return true;
    }
    return false;
  }
  async function check() {
    say.textContent = words.checking;
    // A static mirror keeps the page's facts in a file beside it; the live page answers JSON itself.
    const facts = box.dataset.facts;
    const asked = facts ? fetch(facts) : fetch(location.href, { headers: { Accept: "application/json" } });
    const page = await (await asked).json();
    const log = page.log;
    const note = parseNote(log.checkpoint);
    for (const event of log.events) {
      const leaf = await sha(Uint8Array.of(0), hex(event.hash));
      const proof = event.proof.map((at) => b64(log.nodes[at]));
      const root = await rootFromInclusion(event.leaf_index, note.size, leaf, proof);
      if (!root || !same(root, note.root)) return words.failed;
    }
    const keys = (await (await fetch(box.dataset.keys)).text()).split("\n").filter(Boolean);
    const signed = await signedBy(note, keys[0]);
    if (signed === null) return words.unsigned;
    if (!signed) return words.failed;
    const witnesses = log.witnesses.map((w) => w.key).filter(Boolean);
    for (const vkey of witnesses) if ((await signedBy(note, vkey)) === false) return words.failed;
    return witnesses.length ? words.witnessed : words.ok;
  }

  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = words.button;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      say.textContent = await check();
    } catch (e) {
      say.textContent = words.error;
    }
    button.disabled = false;
  });
  box.prepend(button);
})();
