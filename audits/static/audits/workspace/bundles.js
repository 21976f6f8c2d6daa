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

export async function prepareAudit(api, auditId) {
  const bundle = await apiGet(api, `audits/${auditId}/workspace`);
  const id = Number((bundle.audit && bundle.audit.id) || auditId);
  await put("bundles", { id, bundle, preparedAt: new Date().toISOString() });
  return bundle;
}

function listOf(data) {
  if (Array.isArray(data)) return data;
  return (data && (data.items || data.results || data.audits)) || [];
}

// The auditor's audits of today and the next ``days`` days.
export async function prepareMine(api, days = 7) {
  const audits = listOf(await apiGet(api, `audits/mine?days=${days}`));
  const prepared = [];
  for (const audit of audits) {
    prepared.push(await prepareAudit(api, audit.id));
  }
  return prepared;
}

export const bundle = (id) => get("bundles", Number(id));
export const bundles = () => all("bundles");
