// The outbox: unsent work, one IndexedDB record per item and one blob per photo, sent from the
// page (on open, when the browser comes online, on "Sync now"), one request at a time.
// A record leaves the queue only on the server's 200/201; a failed request backs off from 5 s to
// 10 min; a 401 keeps everything and asks the auditor to sign in again.
import { all, atomically, get, nextSeq, put, remove, update, uuid } from "./db.js";

export const CHUNK = 128 * 1024; // small enough for one try on a weak 2G/3G link
const BACKOFF_FIRST = 5000;
const BACKOFF_MAX = 10 * 60 * 1000;

export const STATES = { QUEUED: "queued", SENDING: "sending", SENT: "sent", ATTENTION: "attention" };

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : document.body.dataset.csrf || "";
}

class NetworkError extends Error {}

export class SignInNeeded extends Error {}

export class Outbox {
  // ``user``: the signed-in person. Work recorded on this browser by someone else is neither
  // shown nor sent under this person's session (a shared computer).
  constructor(api, user) {
    this.api = api;
    this.user = String(user || "");
    this.running = false;
    this.failures = 0;
    this.timer = null;
    this.listeners = new Set();
    this.signInNeeded = false;
    this.current = null;
  }

  onChange(listener) { this.listeners.add(listener); }

  changed() { for (const listener of this.listeners) listener(); }

  async records() {
    const records = (await all("outbox")).filter((r) => !r.user || r.user === this.user);
    return records.sort((a, b) => a.seq - b.seq);
  }

  async counts() {
    const counts = { queued: 0, sending: 0, sent: 0, attention: 0, unsent: 0 };
    for (const record of await this.records()) {
      counts[record.state] += 1;
      if (record.state !== STATES.SENT) counts.unsent += 1;
    }
    return counts;
  }

  // After a crash or a closed tab, nothing is "sending": send it again (the API is idempotent).
  async recover() {
    for (const record of await this.records()) {
      if (record.state === STATES.SENDING) {
        await update("outbox", record.id, (r) => r && { ...r, state: STATES.QUEUED });
      }
    }
  }

  // A finding and its photos are stored in one transaction: all of them or none.
  async queueFinding({ id, auditId, body, photos, ifMatch = null }) {
    const existing = await get("outbox", id);
    if (existing && existing.state !== STATES.QUEUED && existing.state !== STATES.ATTENTION) {
      throw new Error("finding already sent");
    }
    const seq = existing ? existing.seq : await nextSeq();
    const writes = [];
    const now = new Date().toISOString();
    const photoIds = [];
    for (const photo of photos) {
      photoIds.push(photo.id);
      if (photo.blob) {
        writes.push(["blobs", { id: photo.id, blob: photo.blob }]);
        writes.push(["outbox", {
          id: photo.id, kind: "photo", findingId: id, auditId, user: this.user, seq: await nextSeq(),
          state: STATES.QUEUED, size: photo.blob.size, digest: photo.digest, sentBytes: 0,
          attempts: 0, nextAt: 0, createdAt: now,
        }]);
      }
    }
    // Photos the auditor removed while editing leave with the finding's new version.
    for (const r of await this.records()) {
      if (r.kind === "photo" && r.findingId === id && !photoIds.includes(r.id)) {
        writes.push(["outbox", r.id, "delete"], ["blobs", r.id, "delete"]);
      }
    }
    writes.push(["outbox", {
      ...(existing || {}), id, kind: "finding", auditId, user: this.user, seq, state: STATES.QUEUED,
      body: { ...body, photos: photoIds }, ifMatch, attempts: 0, nextAt: 0, error: null,
      conflict: null, createdAt: (existing && existing.createdAt) || now, updatedAt: now,
    }]);
    await atomically(writes);
    this.changed();
  }

  async queueItem({ auditId, itemId, body, version }) {
    const id = `item-${itemId}`;
    const seq = await nextSeq();
    await update("outbox", id, (current) => {
      if (current && current.state === STATES.SENDING) return { ...current, pendingBody: body };
      const ifMatch = current && current.state === STATES.SENT ? current.version : (current ? current.ifMatch : version);
      return {
        id, kind: "item", itemId, auditId, user: this.user, seq: current && current.state !== STATES.SENT ? current.seq : seq,
        state: STATES.QUEUED, body, ifMatch, version: current ? current.version : version,
        attempts: 0, nextAt: 0, error: null, conflict: null,
        createdAt: new Date().toISOString(),
      };
    });
    this.changed();
  }

  // "Keep mine as a new finding": a new finding id and new photo ids, the same content.
  async keepMineAsNew(findingId) {
    const record = await get("outbox", findingId);
    const records = await this.records();
    const newId = uuid();
    const photos = [];
    const writes = [["outbox", findingId, "delete"]];
    for (const photoRecord of records.filter((r) => r.kind === "photo" && r.findingId === findingId)) {
      const blob = await get("blobs", photoRecord.id);
      if (!blob) continue;
      photos.push({ id: uuid(), blob: blob.blob, digest: photoRecord.digest });
      writes.push(["outbox", photoRecord.id, "delete"], ["blobs", photoRecord.id, "delete"]);
    }
    await this.queueFinding({ id: newId, auditId: record.auditId, body: record.body, photos });
    await atomically(writes);
    this.changed();
    return newId;
  }

  // "Take the server's": the auditor chose to drop their version (never done silently).
  async takeServers(recordId) {
    const record = await get("outbox", recordId);
    if (!record) return;
    const writes = [["outbox", recordId, "delete"]];
    if (record.kind === "finding") {
      for (const r of await this.records()) {
        if (r.kind === "photo" && r.findingId === recordId) writes.push(["outbox", r.id, "delete"], ["blobs", r.id, "delete"]);
      }
    }
    await atomically(writes);
    this.changed();
  }

  // Checklist answer: "keep mine" sends it again over the server's current version.
  async overwriteWithMine(recordId) {
    await update("outbox", recordId, (r) => r && {
      ...r, state: STATES.QUEUED, ifMatch: r.conflict && r.conflict.version, conflict: null, error: null, nextAt: 0,
    });
    this.changed();
    return this.sync({ now: true });
  }

  async retry(recordId) {
    await update("outbox", recordId, (r) => r && { ...r, state: STATES.QUEUED, error: null, nextAt: 0, attempts: 0 });
    this.changed();
    return this.sync({ now: true });
  }

  // Sent records are kept as a receipt until the auditor clears them.
  async clearSent() {
    const writes = [];
    for (const r of await this.records()) if (r.state === STATES.SENT) writes.push(["outbox", r.id, "delete"]);
    if (writes.length) await atomically(writes);
    this.changed();
  }

  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sync(), Math.max(0, delay));
  }

  async sync({ now = false } = {}) {
    if (this.running) { this.again = this.again || now; return; }
    this.running = true;
    try {
      if (now) {
        this.failures = 0;
        for (const r of await this.records()) {
          if (r.state === STATES.QUEUED && r.nextAt) await update("outbox", r.id, (x) => x && { ...x, nextAt: 0 });
        }
      }
      for (;;) {
        const next = await this.next();
        if (!next) break;
        if (next.wait > 0) { this.schedule(next.wait); break; }
        const ok = await this.sendOne(next.record);
        if (!ok) break;
      }
    } finally {
      this.running = false;
      this.changed();
      if (this.again) { this.again = false; this.sync({ now: true }); }
    }
  }

  // The next record to send, in the order they were made. A photo waits for its finding.
  async next() {
    const records = await this.records();
    const byId = new Map(records.map((r) => [r.id, r]));
    let soonest = null;
    for (const record of records) {
      if (record.state !== STATES.QUEUED) continue;
      if (record.kind === "photo") {
        const finding = byId.get(record.findingId);
        if (finding && finding.state !== STATES.SENT) continue;
      }
      const wait = (record.nextAt || 0) - Date.now();
      if (wait <= 0) return { record, wait: 0 };
      if (!soonest || wait < soonest.wait) soonest = { record, wait };
    }
    return soonest;
  }

  async setState(id, changes) {
    const value = await update("outbox", id, (r) => r && { ...r, ...changes });
    this.changed();
    return value;
  }

  async sendOne(record) {
    this.signInNeeded = false;
    await this.setState(record.id, { state: STATES.SENDING });
    try {
      if (record.kind === "finding") await this.sendFinding(record);
      else if (record.kind === "item") await this.sendItem(record);
      else if (record.kind === "photo") await this.sendPhoto(record);
      this.failures = 0;
      return true;
    } catch (error) {
      if (error instanceof SignInNeeded) {
        this.signInNeeded = true;
        await this.setState(record.id, { state: STATES.QUEUED });
        return false;
      }
      // The network or the server failed: keep it, wait longer each time (5 s … 10 min).
      this.failures += 1;
      const delay = Math.min(BACKOFF_FIRST * 2 ** (this.failures - 1), BACKOFF_MAX);
      await this.setState(record.id, {
        state: STATES.QUEUED, attempts: (record.attempts || 0) + 1, nextAt: Date.now() + delay,
        error: { code: "network", detail: String(error && error.message) },
      });
      this.schedule(delay);
      return false;
    }
  }

  async request(method, path, { body, headers = {} } = {}) {
    let response;
    try {
      response = await fetch(this.api + path, {
        method,
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(), ...headers },
        body,
      });
    } catch (error) {
      throw new NetworkError(error.message);
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (response.status === 401) throw new SignInNeeded();
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new NetworkError(`HTTP ${response.status}`);
    }
    return { status: response.status, data };
  }

  // 409, 422, 403, 404: the server answered and refused; the auditor decides.
  async attention(record, status, data) {
    await this.setState(record.id, {
      state: STATES.ATTENTION,
      error: { status, code: (data && data.code) || String(status), detail: (data && data.detail) || "", errors: data && data.errors },
      conflict: status === 409 && data ? data.current : null,
    });
  }

  async sendFinding(record) {
    const headers = { "Content-Type": "application/json" };
    if (record.ifMatch !== null && record.ifMatch !== undefined) headers["If-Match"] = `"${record.ifMatch}"`;
    const { status, data } = await this.request("PUT", `findings/${record.id}`, { body: JSON.stringify(record.body), headers });
    if (status === 200 || status === 201) {
      await this.setState(record.id, { state: STATES.SENT, sentAt: new Date().toISOString(), version: data && data.version, error: null });
    } else {
      await this.attention(record, status, data);
    }
  }

  async sendItem(record) {
    const headers = { "Content-Type": "application/json" };
    if (record.ifMatch !== null && record.ifMatch !== undefined) headers["If-Match"] = `"${record.ifMatch}"`;
    const { status, data } = await this.request("PUT", `checklist-items/${record.itemId}`, { body: JSON.stringify(record.body), headers });
    if (status === 200 || status === 201) {
      const version = data && data.version !== undefined ? data.version : record.ifMatch;
      await update("outbox", record.id, (r) => {
        if (!r) return r;
        if (r.pendingBody) {
          // The auditor changed the answer while it was being sent: send the newer one next.
          return { ...r, state: STATES.QUEUED, body: r.pendingBody, pendingBody: null, ifMatch: version, version, error: null };
        }
        return { ...r, state: STATES.SENT, sentAt: new Date().toISOString(), version, ifMatch: version, error: null };
      });
      this.changed();
    } else {
      await this.attention(record, status, data);
    }
  }

  // Chunks with Content-Range and Repr-Digest; the GET says what has arrived, so an interrupted
  // upload resumes where it stopped instead of starting again.
  async sendPhoto(record) {
    const path = `findings/${record.findingId}/photos/${record.id}`;
    const stored = await get("blobs", record.id);
    if (!stored) {
      await this.attention(record, 0, { code: "photo_missing", detail: "" });
      return;
    }
    const blob = stored.blob;
    const size = blob.size;
    let { status, data } = await this.request("GET", path);
    let received = [];
    if (status === 200 && data) {
      if (data.complete) return this.photoSent(record);
      received = data.received || [];
    } else if (status !== 404) {
      return this.attention(record, status, data);
    }
    const covered = (start, end) => received.some(([a, b]) => a <= start && end <= b);
    for (let start = 0; start < size; start += CHUNK) {
      const end = Math.min(start + CHUNK, size);
      if (covered(start, end)) continue;
      ({ status, data } = await this.request("PUT", path, {
        body: blob.slice(start, end),
        headers: {
          "Content-Type": "application/octet-stream",
          "Content-Range": `bytes ${start}-${end - 1}/${size}`,
          "Repr-Digest": record.digest,
        },
      }));
      if (status === 200 || status === 201) return this.photoSent(record);
      if (status !== 202) return this.attention(record, status, data);
      received = (data && data.received) || received;
      await this.setState(record.id, { sentBytes: end });
    }
    // Every chunk went but the server still waits for some (e.g. a chunk it discarded): again.
    throw new NetworkError("photo incomplete");
  }

  async photoSent(record) {
    // Confirmed by the server: now, and only now, the photo's bytes leave the device.
    await atomically([
      ["outbox", { ...(await get("outbox", record.id)), state: STATES.SENT, sentAt: new Date().toISOString(), sentBytes: record.size, error: null }],
      ["blobs", record.id, "delete"],
    ]);
    this.changed();
  }

  // --- the file for the worst case ------------------------------------------------------------

  async exportUnsent(bytesToBase64) {
    const records = (await this.records()).filter((r) => r.state !== STATES.SENT);
    const photos = {};
    for (const r of records) {
      if (r.kind !== "photo") continue;
      const stored = await get("blobs", r.id);
      if (stored) photos[r.id] = bytesToBase64(new Uint8Array(await stored.blob.arrayBuffer()));
    }
    return {
      format: "ims-audit-outbox",
      version: 1,
      exported_at: new Date().toISOString(),
      records: records.map((r) => ({ ...r, state: STATES.QUEUED, pendingBody: undefined })),
      photos,
    };
  }

  // Import: the records go into this device's outbox under their own ids and are sent through
  // the same idempotent API, so a second import, or one after a partial sync, creates nothing twice.
  async importFile(data, base64ToBytes) {
    if (!data || data.format !== "ims-audit-outbox" || !Array.isArray(data.records)) throw new Error("bad-file");
    let added = 0;
    for (const r of data.records) {
      if (!r || !r.id || !["finding", "item", "photo"].includes(r.kind)) throw new Error("bad-file");
      if (r.kind === "photo" && !(data.photos && data.photos[r.id])) throw new Error("bad-file");
    }
    for (const r of data.records) {
      const existing = await get("outbox", r.id);
      if (existing) continue;
      const writes = [["outbox", { ...r, user: this.user, seq: await nextSeq(), state: STATES.QUEUED, attempts: 0, nextAt: 0, error: null, imported: true }]];
      if (r.kind === "photo") {
        writes.push(["blobs", { id: r.id, blob: new Blob([base64ToBytes(data.photos[r.id])], { type: "image/jpeg" }) }]);
      }
      await atomically(writes);
      added += 1;
    }
    this.changed();
    return added;
  }
}

export { put, remove };
