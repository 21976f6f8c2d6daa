// "Prepare for offline" on the audit page and on "My audits today": installs the workspace's
// service worker (which caches the shell) and stores the audit's bundle in IndexedDB.
import { prepareAudit } from "./bundles.js";

function activated(registration) {
  const worker = registration.active || registration.waiting || registration.installing;
  if (registration.active) return Promise.resolve(registration.active);
  return new Promise((resolve, reject) => {
    const watch = (w) => {
      if (!w) return;
      w.addEventListener("statechange", () => {
        if (w.state === "activated") resolve(w);
        if (w.state === "redundant") reject(new Error("service worker failed to install"));
      });
    };
    watch(worker);
    registration.addEventListener("updatefound", () => watch(registration.installing));
  });
}

async function prepare(button) {
  const status = button.parentElement.querySelector("[data-prepare-status]");
  if (!("serviceWorker" in navigator) || !("indexedDB" in window)) {
    status.textContent = button.dataset.unsupported;
    return;
  }
  button.disabled = true;
  status.textContent = button.dataset.busy;
  try {
    const registration = await navigator.serviceWorker.register(button.dataset.sw, { scope: button.dataset.scope });
    await prepareAudit(button.dataset.api, button.dataset.prepareAudit, document.body.dataset.user);
    await activated(registration);
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    status.textContent = "✓ " + button.dataset.done;
    status.dataset.state = "done";
  } catch (error) {
    status.textContent = button.dataset.failed;
    status.dataset.state = "failed";
  } finally {
    button.disabled = false;
  }
}

for (const button of document.querySelectorAll("[data-prepare-audit]")) {
  button.addEventListener("click", () => prepare(button));
}
