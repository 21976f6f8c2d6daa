// The audit workspace: one page that works from the device (docs/adr/0006-offline-audit-sync.md).
// Views are chosen by the address's hash: #/ (prepared audits), #/audit/<id>, #/audit/<id>/new[/<item>],
// #/audit/<id>/edit/<finding>, #/outbox, #/conflict/<record>.
import { get } from "./db.js";
import { bundle as loadBundle, bundles as loadBundles, prepareMine, ApiError } from "./bundles.js";
import { Outbox, STATES } from "./sync.js";
import { downscale, reprDigest, bytesToBase64, base64ToBytes } from "./photos.js";
import { uuid } from "./db.js";

const root = document.getElementById("ws");
const view = document.getElementById("ws-view");
const API = root.dataset.api;
const USER = root.dataset.user;
const outbox = new Outbox(API, USER);
const t = (s) => (window.gettext ? window.gettext(s) : s);
const nt = (s, p, n) => (window.ngettext ? window.ngettext(s, p, n) : n === 1 ? s : p);
// interpolate("%s of %s", [1, 2]) or interpolate("%(a)s", {a: 1}, true), as Django's catalogue does.
const fmt = (s, values) => {
  const named = !Array.isArray(values);
  if (window.interpolate) return window.interpolate(s, values, named);
  if (named) return s.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));
  let i = 0;
  return s.replace(/%s/g, () => String(values[i++]));
};

// --- tiny DOM helpers: text always goes in as text, never as HTML --------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "testid") el.dataset.testid = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let keepScroll = false;
function show(...nodes) {
  const y = window.scrollY;
  view.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  window.scrollTo(0, keepScroll ? y : 0);
}

const STATE_LABELS = () => ({
  [STATES.QUEUED]: t("Queued"),
  [STATES.SENDING]: t("Sending"),
  [STATES.SENT]: t("Sent"),
  [STATES.ATTENTION]: t("Needs attention"),
});

function stateBadge(state) {
  const cls = { sent: "badge ok", attention: "badge bad", sending: "badge warn", queued: "badge" }[state];
  return h("span", { class: cls, "data-state": state, testid: "record-state" }, STATE_LABELS()[state]);
}

function date(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleDateString(document.documentElement.lang || undefined);
}

// --- the bundle's shape, read defensively (docs/api-sync.md) -----------------------------------

const labelOf = (x) => (x && (x.label || x.name || x.display_name || x.title || x.code)) || "";
function clauseMap(b) {
  return new Map((b.clauses || []).map((c) => [Number(c.id), c]));
}
function clauseLabel(c) {
  if (!c) return "";
  const ref = c.reference || c.number || "";
  const title = c.title || "";
  return [ref, title].filter(Boolean).join(" ");
}
const gradesOf = (b) => b.grades || [];
// "ISO 9001:2015 — Hệ thống quản lý chất lượng: 7.1.3, 7.5.3"
const criteriaOf = (b) => {
  const sets = new Map();
  for (const c of b.clauses || []) {
    const key = c.criteria_title || c.criteria_set || "";
    if (!sets.has(key)) sets.set(key, []);
    sets.get(key).push(c.number || c.reference);
  }
  return [...sets].map(([title, numbers]) => `${title}: ${numbers.join(", ")}`);
};
const unitsOf = (b) => b.units || [];
// The audit's scope as units (the bundle lists scope ids, and every unit in scope).
const scopeOf = (b) => {
  const units = new Map(unitsOf(b).map((u) => [Number(u.id), u]));
  return (b.audit.scope_units || []).map((u) => (typeof u === "object" ? u : units.get(Number(u)))).filter(Boolean);
};
const itemsOf = (b) => b.checklist || b.checklist_items || [];
const revisionsOf = (b) => b.revisions || b.cited_revisions || [];
const earlierOf = (b) => b.earlier_findings || [];
const canRecord = (b) => {
  const p = b.permissions || b.can || {};
  return p.can_record !== undefined ? !!p.can_record : b.can_record !== undefined ? !!b.can_record : true;
};

// --- header: counts, network, storage -----------------------------------------------------------

async function refreshHeader() {
  const counts = await outbox.counts();
  const count = document.getElementById("ws-count");
  count.textContent = String(counts.unsent);
  count.classList.toggle("bad", counts.attention > 0);
  count.setAttribute("aria-label", fmt(nt("%s item to send", "%s items to send", counts.unsent), [counts.unsent]));
  document.getElementById("ws-net").textContent = navigator.onLine ? t("Online") : t("Offline");
  document.getElementById("ws-signin").hidden = !outbox.signInNeeded;
}

async function storageLine() {
  const line = h("p", { class: "small muted", testid: "storage" });
  if (!navigator.storage || !navigator.storage.estimate) return line;
  const [estimate, persisted] = await Promise.all([
    navigator.storage.estimate(),
    navigator.storage.persisted ? navigator.storage.persisted() : Promise.resolve(false),
  ]);
  const mb = (n) => (n / (1024 * 1024)).toFixed(1);
  line.append(
    fmt(t("Storage on this device: %(used)s MB used of %(quota)s MB."), { used: mb(estimate.usage || 0), quota: mb(estimate.quota || 0) }),
    " ",
    persisted ? t("Kept: the browser will not clear it.") : t("Not protected: the browser may clear it when space runs low.")
  );
  return line;
}

// --- views ----------------------------------------------------------------------------------------

async function homeView() {
  const list = (await loadBundles(USER)).sort((a, b) => String(a.bundle.audit.planned_start).localeCompare(String(b.bundle.audit.planned_start)));
  const status = h("p", { class: "small muted", role: "status", testid: "prepare-status" });
  const cards = list.map(({ id, bundle: b, preparedAt }) =>
    h("article", { class: "card ws-audit", testid: "prepared-audit" },
      h("h2", {}, h("a", { href: `#/audit/${id}` }, `${b.audit.code} · ${b.audit.title}`)),
      h("p", { class: "small muted" }, `${date(b.audit.planned_start)} – ${date(b.audit.planned_end)} · `,
        fmt(t("prepared %s"), [new Date(preparedAt).toLocaleString(document.documentElement.lang || undefined)])),
      h("a", { class: "btn", href: `#/audit/${id}` }, t("Open"))));
  show(
    h("h1", {}, t("Audits on this device")),
    status,
    cards.length ? cards : h("p", { class: "card empty" }, t("No audit prepared yet. Open an audit online and tap \"Prepare for offline\".")),
    h("p", {}, h("a", { class: "btn secondary", href: "#/outbox" }, t("Unsent work and sync"))),
    await storageLine()
  );
  return status;
}

async function autoPrepare(status) {
  if (!navigator.onLine) return;
  try {
    if (status) status.textContent = t("Preparing your audits of the next 7 days…");
    const prepared = await prepareMine(API, USER, 7);
    if (status) status.textContent = fmt(nt("%s audit ready offline.", "%s audits ready offline.", prepared.length), [prepared.length]);
    if (location.hash === "" || location.hash === "#/") route();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      outbox.signInNeeded = true;
      refreshHeader();
    }
    if (status) status.textContent = t("Could not refresh your audits now; the ones on this device are still here.");
  }
}

function localItemState(records, item) {
  const r = records.find((x) => x.kind === "item" && Number(x.itemId) === Number(item.id));
  if (!r) return { result: item.result, note: item.note || "", evidence: item.evidence || "", record: null };
  const body = r.pendingBody || r.body;
  return { result: body.result, note: body.note || "", evidence: body.evidence || "", record: r };
}

async function auditView(id) {
  const stored = await loadBundle(id, USER);
  if (!stored) {
    show(h("h1", {}, t("This audit is not on this device")),
      h("p", {}, t("Open it online and tap \"Prepare for offline\".")),
      h("a", { class: "btn secondary", href: "#/" }, t("Back")));
    return;
  }
  const b = stored.bundle;
  const clauses = clauseMap(b);
  const records = await outbox.records();
  const items = itemsOf(b);
  const states = items.map((item) => localItemState(records, item));
  const checked = states.filter((s) => s.result && s.result !== "not_checked").length;
  const recording = canRecord(b);
  const findings = records.filter((r) => r.kind === "finding" && Number(r.auditId) === Number(id));
  const photoCount = (f) => records.filter((r) => r.kind === "photo" && r.findingId === f.id).length;
  const grades = new Map(gradesOf(b).map((g) => [g.code, g]));

  const itemCard = (item, state) => {
    const results = [
      ["conforming", t("Conforming"), "ok"],
      ["nonconforming", t("Not conforming"), "bad"],
      ["not_applicable", t("Not applicable"), "na"],
    ];
    const note = h("textarea", { rows: 2, class: "ws-note", "aria-label": t("Note"), disabled: !recording }, state.note);
    const save = async (result) => {
      await outbox.queueItem({ auditId: id, itemId: item.id, body: { result, note: note.value, evidence: state.evidence }, version: item.version });
      state.result = result;
      outbox.sync();
    };
    note.addEventListener("change", () => save(state.result || "not_checked"));
    const buttons = results.map(([value, label, tone]) =>
      h("button", {
        type: "button", class: `ws-result ${tone}`, "aria-pressed": String(state.result === value),
        disabled: !recording, testid: `result-${value}`,
        onclick: async (event) => {
          for (const other of event.currentTarget.parentElement.children) other.setAttribute("aria-pressed", "false");
          event.currentTarget.setAttribute("aria-pressed", "true");
          await save(value);
          if (value === "nonconforming" && recording) location.hash = `#/audit/${id}/new/${item.id}`;
        },
      }, label));
    const refs = (item.clauses || []).map((c) => clauseLabel(typeof c === "object" ? c : clauses.get(Number(c)))).filter(Boolean);
    return h("article", { class: "card ws-item", id: `item-${item.id}`, testid: "checklist-item" },
      h("p", { class: "ws-question" }, item.question),
      refs.length ? h("p", { class: "small muted" }, refs.join("; ")) : null,
      h("div", { class: "ws-results", role: "group", "aria-label": t("Result") }, buttons),
      note,
      state.record ? h("p", { class: "small" }, stateBadge(state.record.state)) : null,
      recording ? h("a", { class: "btn secondary small", href: `#/audit/${id}/new/${item.id}`, testid: "item-record-finding" }, t("Record a finding")) : null);
  };

  const audit = b.audit;
  const plan = h("details", { class: "card" }, h("summary", {}, t("Plan, scope and auditees")),
    h("dl", { class: "fields" },
      h("dt", {}, t("Objectives")), h("dd", {}, audit.plan || audit.objectives || "—"),
      h("dt", {}, t("Audited units")), h("dd", {}, scopeOf(b).map(labelOf).join("; ") || "—"),
      h("dt", {}, t("Criteria")), h("dd", {}, criteriaOf(b).map((c) => h("div", {}, c))),
      h("dt", {}, t("Places")), h("dd", {}, audit.places || "—"),
      h("dt", {}, t("Auditees")), h("dd", {}, (audit.auditees || []).map(labelOf).join("; ") || "—"),
      h("dt", {}, t("Audit team")), h("dd", {}, (audit.team || []).map(labelOf).join("; ") || "—")));
  const unitById = new Map(unitsOf(b).map((u) => [Number(u.id), u]));
  const earlier = earlierOf(b);
  const earlierBox = h("details", { class: "card" }, h("summary", {}, fmt(t("Earlier findings (%s)"), [earlier.length])),
    earlier.length ? h("ul", {}, earlier.map((f) => h("li", {},
      h("span", { class: "badge" }, labelOf(grades.get(f.grade)) || f.grade || ""), " ", f.statement,
      h("span", { class: "small muted" }, " · ", [f.audit_code, labelOf(unitById.get(Number(f.unit))),
        (f.clauses || []).map((c) => (clauses.get(Number(c)) || {}).number).filter(Boolean).join(", "), date(f.created_at)].filter(Boolean).join(" · "))))) : h("p", { class: "muted" }, "—"));
  const revisions = revisionsOf(b);
  const revisionBox = h("details", { class: "card" }, h("summary", {}, fmt(t("Documents cited (%s)"), [revisions.length])),
    revisions.length ? h("ul", {}, revisions.map((r) => h("li", {}, labelOf(r), r.text ? h("pre", { class: "ws-text" }, r.text) : null))) : h("p", { class: "muted" }, "—"));

  const findingCards = findings.map((f) => h("article", { class: "card", testid: "device-finding" },
    h("p", {}, stateBadge(f.state), " ", h("span", { class: "badge" }, labelOf(grades.get(f.body.grade)) || f.body.grade), " ",
      h("span", { class: "small muted" }, fmt(nt("%s photo", "%s photos", photoCount(f)), [photoCount(f)]))),
    h("p", {}, f.body.statement),
    f.state === STATES.ATTENTION ? h("a", { class: "btn small", href: `#/conflict/${f.id}` }, t("Resolve")) : null,
    f.state === STATES.QUEUED ? h("a", { class: "btn secondary small", href: `#/audit/${id}/edit/${f.id}` }, t("Edit")) : null));

  show(
    h("nav", { class: "breadcrumb" }, h("a", { href: "#/" }, t("Audits on this device"))),
    h("h1", {}, `${audit.code} · ${audit.title}`),
    h("p", { class: "small muted" }, `${date(audit.planned_start)} – ${date(audit.planned_end)}`,
      recording ? "" : ` · ${t("You can read this audit; you cannot record on it.")}`),
    plan, earlierBox, revisionBox,
    h("h2", { id: "checklist" }, t("Checklist"), " ",
      h("span", { class: "badge", testid: "checklist-progress" }, fmt(t("%(checked)s of %(total)s checked"), { checked, total: items.length }))),
    items.map((item, i) => itemCard(item, states[i])),
    h("h2", {}, fmt(t("Findings on this device (%s)"), [findings.length])),
    recording ? h("a", { class: "btn", href: `#/audit/${id}/new`, testid: "record-finding" }, t("Record a finding")) : null,
    findingCards
  );
}

// The finding form. Its photos stay in memory (and in the preview) through validation errors;
// they are written to IndexedDB with the finding in one transaction.
async function findingView(auditId, itemId, findingId) {
  const stored = await loadBundle(auditId, USER);
  if (!stored) return auditView(auditId);
  const b = stored.bundle;
  const existing = findingId ? await get("outbox", findingId) : null;
  const items = itemsOf(b);
  const item = itemId ? items.find((x) => Number(x.id) === Number(itemId)) : existing && existing.body.checklist_item ? items.find((x) => Number(x.id) === Number(existing.body.checklist_item)) : null;
  const body = existing ? existing.body : {};
  const clauses = clauseMap(b);
  const photos = [];
  if (existing) {
    for (const r of await outbox.records()) {
      if (r.kind === "photo" && r.findingId === existing.id) {
        const blob = await get("blobs", r.id);
        if (blob) photos.push({ id: r.id, blob: blob.blob, digest: r.digest, kept: true });
      }
    }
  }
  const errors = h("div", { class: "error-summary", hidden: true, tabindex: "-1", role: "alert", testid: "form-errors" });

  const localRecords = await outbox.records();
  const localResult = (it) => localItemState(localRecords, it).result;
  const grades = gradesOf(b);
  const minor = grades.find((g) => g.code === "minor_nc") || grades.find((g) => g.is_nonconformity);
  const defaultGrade = body.grade || (item && localResult(item) === "nonconforming" && minor ? minor.code : null);
  const gradeBox = h("fieldset", { class: "field" }, h("legend", {}, t("Grade")),
    grades.map((g) => h("label", { class: "ws-choice" },
      h("input", { type: "radio", name: "grade", value: g.code, checked: g.code === defaultGrade }), " ", labelOf(g))));

  const chosenClauses = new Set((body.clauses || (item ? (item.clauses || []).map((c) => (typeof c === "object" ? c.id : c)) : [])).map(Number));
  // One group per standard: ISO 9001 7.1.3 and ISO 21001 7.1.3 are different clauses.
  const clauseGroups = new Map();
  for (const c of clauses.values()) {
    const key = c.criteria_title || c.criteria_set || "";
    if (!clauseGroups.has(key)) clauseGroups.set(key, []);
    clauseGroups.get(key).push(c);
  }
  const clauseBox = h("fieldset", { class: "field" }, h("legend", {}, t("Clauses")),
    [...clauseGroups].map(([title, group]) => h("div", { class: "ws-group", testid: "clause-group" },
      clauseGroups.size > 1 && title ? h("p", { class: "ws-group-title" }, title) : null,
      group.map((c) => h("label", { class: "ws-choice" },
        h("input", { type: "checkbox", name: "clauses", value: c.id, checked: chosenClauses.has(Number(c.id)) }), " ", clauseLabel(c))))));

  const units = unitsOf(b);
  const scope = scopeOf(b);
  const defaultUnit = body.unit || (scope.length === 1 ? scope[0].id : units.length === 1 ? units[0].id : null);
  const unitSelect = h("select", { name: "unit", id: "ws-unit" },
    h("option", { value: "" }, t("Choose the unit where you are auditing")),
    units.map((u) => h("option", { value: u.id, selected: Number(defaultUnit) === Number(u.id) }, labelOf(u))));
  const statement = h("textarea", { name: "statement", id: "ws-statement", rows: 4, maxlength: 5000 }, body.statement || "");
  const note = h("textarea", { name: "note", id: "ws-evidence-note", rows: 3 }, (body.notes || []).join("\n\n"));
  const reference = h("input", { type: "text", name: "reference", id: "ws-reference", maxlength: 200, value: (body.references || [])[0] || "" });
  const revisions = revisionsOf(b);
  const chosenRevisions = new Set((body.revisions || []).map(Number));
  const revisionBox = revisions.length ? h("fieldset", { class: "field" }, h("legend", {}, t("Document revision")),
    revisions.map((r) => h("label", { class: "ws-choice" }, h("input", { type: "checkbox", name: "revisions", value: r.id, checked: chosenRevisions.has(Number(r.id)) }), " ", labelOf(r)))) : null;

  const previews = h("div", { class: "ws-photos", testid: "photo-previews" });
  const photoStatus = h("p", { class: "small muted", role: "status" });
  const drawPhotos = () => {
    previews.replaceChildren(...photos.map((p, i) => {
      const url = URL.createObjectURL(p.blob);
      return h("figure", { class: "ws-photo", testid: "photo-preview" },
        h("img", { src: url, alt: fmt(t("Photo %s"), [i + 1]), onload: () => URL.revokeObjectURL(url) }),
        h("button", { type: "button", class: "btn secondary small", onclick: () => { photos.splice(i, 1); drawPhotos(); } }, t("Remove")));
    }));
  };
  const addFiles = async (input) => {
    const files = [...input.files];
    input.value = "";
    for (const file of files) {
      photoStatus.textContent = t("Preparing the photo…");
      try {
        const { blob } = await downscale(file);
        photos.push({ id: uuid(), blob, digest: await reprDigest(blob) });
        photoStatus.textContent = "";
      } catch (error) {
        photoStatus.textContent = fmt(t("%s is not a photo this device can read."), [file.name]);
      }
      drawPhotos();
    }
  };
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", class: "visually-hidden", id: "ws-camera", testid: "photo-camera", onchange: (e) => addFiles(e.target) });
  const gallery = h("input", { type: "file", accept: "image/*", multiple: true, class: "visually-hidden", id: "ws-gallery", testid: "photo-gallery", onchange: (e) => addFiles(e.target) });
  drawPhotos();

  const field = (label, control, help) => h("div", { class: "field" }, h("label", { for: control.id }, label), control, help ? h("p", { class: "help" }, help) : null);

  const form = h("form", { class: "ws-form", novalidate: true },
    errors, gradeBox, clauseBox,
    field(t("Audited unit"), unitSelect),
    field(t("Statement"), statement),
    field(t("Evidence note"), note, t("What you saw, heard or read: an interview, an observation, a sampled record.")),
    field(t("External document"), reference),
    revisionBox,
    h("div", { class: "field" }, h("span", { class: "label" }, t("Photos")),
      h("div", { class: "ws-photo-buttons" },
        h("label", { class: "btn secondary", for: "ws-camera" }, t("Take a photo")),
        h("label", { class: "btn secondary", for: "ws-gallery" }, t("From the gallery"))),
      camera, gallery, photoStatus, previews),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "btn", testid: "finding-save" }, t("Save on this device")),
      h("a", { class: "btn secondary", href: `#/audit/${auditId}` }, t("Cancel"))));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const problems = [];
    const grade = data.get("grade");
    const clauseIds = data.getAll("clauses").map(Number);
    const unit = Number(data.get("unit")) || null;
    const text = String(data.get("statement") || "").trim();
    const noteText = String(data.get("note") || "").trim();
    const ref = String(data.get("reference") || "").trim();
    const revisionIds = data.getAll("revisions").map(Number);
    if (!grade) problems.push(t("Choose a grade."));
    if (!clauseIds.length) problems.push(t("Choose at least one clause."));
    if (!unit) problems.push(t("Choose the audited unit."));
    if (!text) problems.push(t("Write the statement."));
    if (!noteText && !ref && !revisionIds.length && !photos.length) {
      problems.push(t("AUD-R3: add at least one evidence item: a photo, a note or a document."));
    }
    if (photos.length > 10) problems.push(t("At most 10 photos per finding."));
    if (problems.length) {
      // Nothing is queued and nothing is lost: the form, its photos and their previews stay.
      errors.replaceChildren(h("p", { class: "error-summary-title" }, t("Please correct the following:")), h("ul", {}, problems.map((p) => h("li", {}, p))));
      errors.hidden = false;
      errors.focus();
      return;
    }
    const id = existing ? existing.id : uuid();
    await outbox.queueFinding({
      id, auditId: Number(auditId), ifMatch: existing ? existing.ifMatch : null,
      body: {
        audit: Number(auditId), checklist_item: item ? Number(item.id) : null, grade, clauses: clauseIds, unit,
        statement: text, notes: noteText ? [noteText] : [], references: ref ? [ref] : [], revisions: revisionIds,
      },
      photos: photos.map((p) => (p.kept ? { id: p.id } : p)),
    });
    location.hash = `#/audit/${auditId}`;
    outbox.sync();
    if (item) setTimeout(() => { const el = document.getElementById(`item-${item.id}`); if (el) el.scrollIntoView(); }, 50);
  });

  show(
    h("nav", { class: "breadcrumb" }, h("a", { href: `#/audit/${auditId}` }, `${b.audit.code}`)),
    h("h1", {}, existing ? t("Edit the finding") : t("Record a finding")),
    item ? h("p", { class: "small muted", testid: "finding-item" }, item.question) : null,
    form
  );
}

let importMessage = "";
// The view may have been redrawn while the file was read: write into the one on screen.
function setImportMessage(message) {
  importMessage = message;
  const status = document.querySelector("[data-testid=import-status]");
  if (status) status.textContent = message;
}

async function outboxView() {
  const records = await outbox.records();
  const counts = await outbox.counts();
  const bundles = new Map((await loadBundles(USER)).map((x) => [x.id, x.bundle]));
  const describe = (r) => {
    if (r.kind === "finding") return [t("Finding"), ": ", r.body.statement];
    if (r.kind === "item") {
      const b = bundles.get(Number(r.auditId));
      const item = b && itemsOf(b).find((x) => Number(x.id) === Number(r.itemId));
      return [t("Checklist answer"), ": ", item ? item.question : `#${r.itemId}`];
    }
    return [t("Photo"), ` · ${Math.round((r.sentBytes || 0) / 1024)} / ${Math.round((r.size || 0) / 1024)} KB`];
  };
  const rows = records.map((r) => h("li", { class: "ws-record", "data-kind": r.kind, testid: "outbox-record" },
    stateBadge(r.state), " ", describe(r),
    r.error && r.state !== STATES.SENT ? h("p", { class: "small muted" }, r.error.code === "network" ? t("No connection yet: it will be sent later.") : r.error.detail || r.error.code) : null,
    r.state === STATES.ATTENTION && r.kind !== "photo" ? h("a", { class: "btn small", href: `#/conflict/${r.id}`, testid: "resolve" }, t("Resolve")) : null,
    r.state === STATES.ATTENTION && r.kind === "photo" ? h("button", { class: "btn small", type: "button", onclick: () => outbox.retry(r.id) }, t("Try again")) : null));
  const importInput = h("input", { type: "file", accept: "application/json,.json", id: "ws-import", class: "visually-hidden", testid: "import-file" });
  // The outbox view is redrawn as items are sent: the import's result is kept across redraws.
  const importStatus = h("p", { class: "small", role: "status", testid: "import-status" }, importMessage);
  importInput.addEventListener("change", async () => {
    const file = importInput.files[0];
    importInput.value = "";
    if (!file) return;
    try {
      const added = await outbox.importFile(JSON.parse(await file.text()), base64ToBytes);
      setImportMessage(fmt(nt("%s item added to send.", "%s items added to send.", added), [added]));
      outbox.sync({ now: true });
    } catch (error) {
      setImportMessage(t("This file is not an export of unsent work. Nothing was added."));
    }
  });
  show(
    h("h1", {}, t("Unsent work")),
    h("p", { testid: "outbox-summary" }, fmt(t("To send: %(unsent)s · needs attention: %(attention)s · sent: %(sent)s"), counts)),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn", testid: "sync-now", onclick: () => outbox.sync({ now: true }) }, t("Sync now")),
      h("button", { type: "button", class: "btn secondary", testid: "export", onclick: exportUnsent }, t("Export unsent work")),
      h("label", { class: "btn secondary", for: "ws-import" }, t("Import")),
      counts.sent ? h("button", { type: "button", class: "btn secondary", onclick: () => outbox.clearSent() }, t("Clear sent items")) : null),
    importInput, importStatus,
    records.length ? h("ul", { class: "ws-records" }, rows) : h("p", { class: "card empty" }, t("Nothing waiting: everything is on the server.")),
    await storageLine()
  );
}

async function exportUnsent() {
  const data = await outbox.exportUnsent(bytesToBase64);
  const blob = new Blob([JSON.stringify(data)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
  const a = h("a", { href: url, download: `unsent-audit-work-${stamp}.json`, hidden: true });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}

// Both versions side by side; the auditor chooses. Nothing is dropped without that choice.
async function conflictView(recordId) {
  const record = await get("outbox", recordId);
  if (!record) { location.hash = "#/outbox"; return; }
  const stored = await loadBundle(record.auditId, USER);
  const b = stored ? stored.bundle : { clauses: [], grades: [], units: [], audit: {} };
  const clauses = clauseMap(b);
  const grades = new Map(gradesOf(b).map((g) => [g.code, g]));
  const units = new Map(unitsOf(b).map((u) => [Number(u.id), u]));
  const server = record.conflict;
  const error = record.error || {};
  const column = (title, v, testid) => {
    if (!v) return h("section", { class: "card ws-version", testid }, h("h2", {}, title), h("p", { class: "muted" }, "—"));
    const rows = record.kind === "item"
      ? [[t("Result"), v.result], [t("Note"), v.note]]
      : [[t("Grade"), labelOf(grades.get(v.grade)) || v.grade], [t("Audited unit"), labelOf(units.get(Number(v.unit))) || v.unit],
        [t("Clauses"), (v.clauses || []).map((c) => clauseLabel(clauses.get(Number(c))) || c).join("; ")],
        [t("Statement"), v.statement], [t("Evidence note"), (v.notes || []).join(" ")], [t("Photos"), String((v.photos || []).length)]];
    return h("section", { class: "card ws-version", testid },
      h("h2", {}, title), h("dl", { class: "fields" }, rows.map(([k, val]) => [h("dt", {}, k), h("dd", {}, val === undefined || val === null || val === "" ? "—" : String(val))])));
  };
  const mine = record.kind === "item" ? (record.pendingBody || record.body) : record.body;
  const actions = record.kind === "finding"
    ? [h("button", { type: "button", class: "btn", testid: "keep-mine", onclick: async () => { await outbox.keepMineAsNew(record.id); location.hash = `#/audit/${record.auditId}`; outbox.sync({ now: true }); } }, t("Keep mine as a new finding")),
       h("button", { type: "button", class: "btn secondary", testid: "take-server", onclick: async () => { if (confirm(t("Drop your version and keep the server's?"))) { await outbox.takeServers(record.id); location.hash = "#/outbox"; } } }, t("Take the server's"))]
    : [h("button", { type: "button", class: "btn", testid: "keep-mine", onclick: async () => { await outbox.overwriteWithMine(record.id); location.hash = "#/outbox"; } }, t("Keep mine")),
       h("button", { type: "button", class: "btn secondary", testid: "take-server", onclick: async () => { if (confirm(t("Drop your version and keep the server's?"))) { await outbox.takeServers(record.id); location.hash = "#/outbox"; } } }, t("Take the server's"))];
  show(
    h("nav", { class: "breadcrumb" }, h("a", { href: "#/outbox" }, t("Unsent work"))),
    h("h1", {}, server ? t("Changed on the server too") : t("The server did not accept this")),
    server ? h("p", {}, t("Someone changed this on the server after you started. Compare and choose.")) : h("p", { testid: "refusal" }, error.detail || error.code || ""),
    error.errors ? h("ul", {}, Object.values(error.errors).flat().map((m) => h("li", {}, m))) : null,
    h("div", { class: "ws-compare", testid: "conflict" }, column(t("Yours (on this device)"), mine, "conflict-mine"), server ? column(t("On the server"), server, "conflict-server") : null),
    h("div", { class: "actions" }, server ? actions : [
      h("button", { type: "button", class: "btn", onclick: () => outbox.retry(record.id).then(() => { location.hash = "#/outbox"; }) }, t("Try again")),
      record.kind === "finding" ? h("a", { class: "btn secondary", href: `#/audit/${record.auditId}/edit/${record.id}` }, t("Edit")) : null,
    ])
  );
}

// --- routing ---------------------------------------------------------------------------------------

let lastHash = null;
async function route() {
  const hash = location.hash || "#/";
  lastHash = hash;
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  try {
    if (parts[0] === "audit" && parts[2] === "new") return await findingView(parts[1], parts[3] || null, null);
    if (parts[0] === "audit" && parts[2] === "edit") return await findingView(parts[1], null, parts[3]);
    if (parts[0] === "audit") return await auditView(parts[1]);
    if (parts[0] === "outbox") return await outboxView();
    if (parts[0] === "conflict") return await conflictView(parts[1]);
    const status = await homeView();
    return status;
  } catch (error) {
    show(h("p", { class: "card" }, t("Something went wrong on this device:"), " ", String(error && error.message)));
  }
}

// Views that only show state are redrawn when the outbox changes; forms are never redrawn.
let redraw = null;
function outboxChanged() {
  refreshHeader();
  clearTimeout(redraw);
  redraw = setTimeout(() => {
    const hash = location.hash || "#/";
    const typing = document.activeElement && document.activeElement.tagName === "TEXTAREA";
    if (hash.startsWith("#/outbox") || (/^#\/audit\/\d+$/.test(hash) && !typing)) {
      keepScroll = true;
      route().finally(() => { keepScroll = false; });
    }
  }, 150);
}

// --- service worker: install, and updates the auditor applies ----------------------------------

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope });
  const banner = document.getElementById("ws-update");
  const offer = () => { if (registration.waiting && navigator.serviceWorker.controller) banner.hidden = false; };
  offer();
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    if (worker) worker.addEventListener("statechange", () => { if (worker.state === "installed") offer(); });
  });
  document.getElementById("ws-update-apply").addEventListener("click", async () => {
    const counts = await outbox.counts();
    if (outbox.running || counts.sending > 0) {
      banner.querySelector("span").textContent = t("Sending now: update when it has finished.");
      return;
    }
    if (registration.waiting) registration.waiting.postMessage({ type: "skipWaiting" });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading) return;
    reloading = true;
    location.reload();
  });
  // Check for a new release now and then (the browser also checks on each visit).
  setInterval(() => registration.update().catch(() => {}), 30 * 60 * 1000);
}

async function start() {
  outbox.onChange(outboxChanged);
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { refreshHeader(); outbox.sync({ now: true }); autoPrepare(null); });
  window.addEventListener("offline", refreshHeader);
  await outbox.recover();
  await refreshHeader();
  const status = await route();
  registerWorker().catch(() => {});
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  outbox.sync({ now: true });
  autoPrepare(status instanceof Node ? status : null);
}

start();
