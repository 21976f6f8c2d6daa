// The device's store (IndexedDB): prepared audits, the outbox (one record per item) and the
// photos (one blob per photo). Nothing here is in Cache Storage, so a new service worker or a
// cleared HTTP cache leaves it alone.
const DB_NAME = "ims-workspace";
const DB_VERSION = 1;

let opening = null;

export function openDb() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      // bundles: {id: audit id, bundle, preparedAt}
      if (!db.objectStoreNames.contains("bundles")) db.createObjectStore("bundles", { keyPath: "id" });
      // outbox: {id, kind: "finding" | "item" | "photo", seq, state, body, ...}
      if (!db.objectStoreNames.contains("outbox")) {
        const outbox = db.createObjectStore("outbox", { keyPath: "id" });
        outbox.createIndex("seq", "seq");
      }
      // blobs: {id: photo uuid, blob}
      if (!db.objectStoreNames.contains("blobs")) db.createObjectStore("blobs", { keyPath: "id" });
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab opened a newer schema: let it, and reopen next time.
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
    request.onblocked = () => reject(new Error("IndexedDB blocked"));
  });
  return opening;
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function get(store, key) {
  const db = await openDb();
  return result(db.transaction(store).objectStore(store).get(key));
}

export async function all(store) {
  const db = await openDb();
  return result(db.transaction(store).objectStore(store).getAll());
}

export async function put(store, value) {
  const db = await openDb();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).put(value);
  return done(tx);
}

export async function remove(store, key) {
  const db = await openDb();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).delete(key);
  return done(tx);
}

// Several writes in one transaction: all of them, or none (a finding and its photos).
// ``writes`` is a list of [store, value] (put) or [store, key, "delete"].
export async function atomically(writes) {
  const db = await openDb();
  const stores = [...new Set(writes.map((w) => w[0]))];
  const tx = db.transaction(stores, "readwrite");
  for (const [store, value, op] of writes) {
    if (op === "delete") tx.objectStore(store).delete(value);
    else tx.objectStore(store).put(value);
  }
  return done(tx);
}

// Read a record, change it, write it back, in one transaction (no lost update between tabs).
export async function update(store, key, change) {
  const db = await openDb();
  const tx = db.transaction(store, "readwrite");
  const os = tx.objectStore(store);
  let value;
  os.get(key).onsuccess = (event) => {
    const current = event.target.result;
    value = change(current);
    if (value) os.put(value);
  };
  await done(tx);
  return value;
}

export async function nextSeq() {
  const value = await update("meta", "seq", (current) => ({ key: "seq", value: ((current && current.value) || 0) + 1 }));
  return value.value;
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
