// Every submit shows that it is working, so nobody taps twice on a slow network: the button
// that sent the form is disabled, shows a spinner and aria-busy="true" until the answer comes
// back. Plain forms stay busy until the next page replaces this one (re-enabled if the browser
// brings this page back: Back, bfcache); htmx requests until their answer or their failure.
// An htmx request that fails (no network, a refused answer) says so next to what was tapped,
// and the page keeps showing the state the server last confirmed.
// Texts come from the page (#ims-ui-texts, translated by the server). No inline script or
// handler anywhere: the CSP allows this site's script files only.
(function () {
  "use strict";

  var BUSY = "data-busy";

  function text(name, fallback) {
    var holder = document.getElementById("ims-ui-texts");
    return (holder && holder.getAttribute("data-" + name)) || fallback;
  }

  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return (el.tagName === "BUTTON" && (el.type || "submit") === "submit") ||
        (el.tagName === "INPUT" && (el.type === "submit" || el.type === "image"));
    });
  }

  function setBusy(form, submitter) {
    if (form) form.setAttribute(BUSY, "true");
    var buttons = form ? submitButtons(form) : [];
    if (submitter && buttons.indexOf(submitter) < 0) buttons.push(submitter);
    buttons.forEach(function (button) {
      if (button.disabled) return;
      button.disabled = true;
      button.setAttribute("data-busy-disabled", "true");
    });
    var shown = submitter || buttons[0];
    if (shown) shown.setAttribute("aria-busy", "true");
  }

  function clearBusy(root) {
    var scope = root || document;
    scope.querySelectorAll("[data-busy-disabled]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-busy-disabled");
    });
    scope.querySelectorAll("[aria-busy=true]").forEach(function (el) {
      el.removeAttribute("aria-busy");
    });
    scope.querySelectorAll("form[" + BUSY + "]").forEach(function (form) {
      form.removeAttribute(BUSY);
    });
    if (root && root.removeAttribute) root.removeAttribute(BUSY);
  }

  // Plain (non-htmx) submits. htmx prevents the default of the forms it sends; those are
  // handled by its own events below.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute(BUSY)) {
      event.preventDefault(); // a second tap while the first is on its way
      return;
    }
    var submitter = event.submitter || null;
    // After the browser has read the form: a button disabled now would drop its name=value.
    window.setTimeout(function () {
      if (event.defaultPrevented || form.hasAttribute("data-no-busy")) return;
      if (form.target && form.target !== "_self") return; // the page stays: nothing to wait for
      setBusy(form, submitter);
      if ((form.method || "get").toLowerCase() === "get") {
        // A GET may answer with a download (exports), which leaves this page in place.
        window.setTimeout(function () { clearBusy(form); }, 8000);
      }
    }, 0);
  });

  // Back to this page (bfcache, or the browser's error page after a dropped network).
  window.addEventListener("pageshow", function () { clearBusy(); });

  function requestForm(detail) {
    var elt = detail.elt;
    return elt && (elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form"));
  }

  function fromATap(detail) {
    var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    if (!trigger) return false;
    return trigger.type === "submit" || (trigger.type === "click" && detail.elt.tagName === "BUTTON");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail;
    if (!fromATap(detail)) return; // search-as-you-type, polling: nobody is waiting on a button
    var form = detail.elt.tagName === "FORM" ? detail.elt : null;
    var trigger = detail.requestConfig.triggeringEvent;
    var submitter = trigger.submitter || (detail.elt.tagName === "BUTTON" ? detail.elt : null);
    var where = form || detail.elt;
    where.setAttribute("data-htmx-busy", "true");
    removeError(where);
    setBusy(form, submitter);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var where = event.detail.elt;
    if (!where.getAttribute("data-htmx-busy")) return;
    where.removeAttribute("data-htmx-busy");
    clearBusy(where.tagName === "FORM" ? where : where.parentNode);
  });

  function errorAnchor(elt) {
    return (elt.closest && elt.closest("[data-request-error-here]")) || requestForm({ elt: elt }) || elt;
  }

  function removeError(elt) {
    var anchor = errorAnchor(elt);
    var next = anchor.nextElementSibling;
    if (next && next.hasAttribute("data-request-error")) next.remove();
  }

  function showError(elt, message) {
    removeError(elt);
    var anchor = errorAnchor(elt);
    var box = document.createElement("p");
    box.className = "request-error";
    box.setAttribute("role", "alert");
    box.setAttribute("data-request-error", "");
    box.setAttribute("data-testid", "request-error");
    box.textContent = message;
    anchor.insertAdjacentElement("afterend", box);
  }

  // No answer at all: offline, or the network dropped on the way.
  document.addEventListener("htmx:sendError", function (event) {
    showError(event.detail.elt, text("offline", "Not saved: no connection. Nothing changed; try again when you are back online."));
  });

  // An answer htmx does not show (4xx, 5xx): say so rather than leave the tap without effect.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    showError(event.detail.elt, text("refused", "Not saved: the server did not accept it. Reload the page and try again.") + " (" + status + ")");
  });
})();
