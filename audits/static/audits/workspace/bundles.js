// Preparing audits for offline work: the bundle from the API goes into IndexedDB.
import { all, get, put } from "./db.js";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function apiGet(api, path) {
  const response = await fetch(api + path, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    cache: "no-store",
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// ``user``: the signed-in person; the workspace shows a person only the audits they prepared.
export async function prepareAudit(api, auditId, user) {
  const bundle = await apiGet(api, `audits/${auditId}/workspace`);
  const id = Number((bundle.audit && bundle.audit.id) || auditId);
  await put("bundles", { id, bundle, preparedAt: new Date().toISOString(), user: String(user || "") });
  return bundle;
}

function listOf(data) {
  if (Array.isArray(data)) return data;
  return (data && (data.items || data.results || data.audits)) || [];
}

// The auditor's audits of today and the next ``days`` days.
export async function prepareMine(api, user, days = 7) {
  const audits = listOf(await apiGet(api, `audits/mine?days=${days}`));
  const prepared = [];
  for (const audit of audits) {
    prepared.push(await prepareAudit(api, audit.id, user));
  }
  return prepared;
}

const mine = (stored, user) => stored && (!stored.user || stored.user === String(user || ""));
export const bundle = async (id, user) => {
  const stored = await get("bundles", Number(id));
  return mine(stored, user) ? stored : undefined;
};
export const bundles = async (user) => (await all("bundles")).filter((stored) => mine(stored, user));
