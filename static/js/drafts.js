// Drafts of long forms kept in this browser, so a dropped network at submit costs nothing.
// Opt in with data-draft="<form>-<record>" on a <form>; the draft is stored in localStorage
// under the signed-in user (body[data-user]) and that key. On return the typed values come
// back with a notice and a button to discard them; a submit that succeeds (the server answers
// with a redirect to a page without an error, or htmx swaps in an answer without one) clears it.
// Never stored: passwords, files, hidden fields (tokens, versions), anything marked
// data-draft-skip or named like a password or signature. Forms work the same without JS.
(function () {
  "use strict";

  var PREFIX = "ims-draft:v1:";
  var PENDING = "ims-draft-pending";
  var MAX_AGE = 14 * 24 * 3600 * 1000;
  var SECRET = /pass|signature|csrf|token|otp/i;

  function storage(kind) {
    try {
      var s = window[kind];
      s.setItem("ims-draft-probe", "1");
      s.removeItem("ims-draft-probe");
      return s;
    } catch (e) {
      return null; // private mode, storage full or off: forms simply work as before
    }
  }
  var local = storage("localStorage");
  var session = storage("sessionStorage");

  function user() {
    return document.body.getAttribute("data-user") || "";
  }

  // data-draft="<form>-<record>" on the form, or data-draft-forms="<record>" on an element
  // around several forms (a record's steps): each keyed by the record and its action.
  function keyOf(form) {
    var name = form.getAttribute("data-draft");
    var scope = !name && form.closest("[data-draft-forms]");
    if (scope) {
      var action = new URL(form.getAttribute("action") || "", window.location.href).pathname;
      name = scope.getAttribute("data-draft-forms") + ":" + action;
    }
    return name && name !== "off" && user() ? PREFIX + user() + ":" + name : null;
  }

  function draftForms(root) {
    var selector = "form[data-draft], [data-draft-forms] form[method=post]";
    var forms = root.matches && root.matches(selector) ? [root] : [];
    if (root.querySelectorAll) {
      root.querySelectorAll(selector).forEach(function (f) { forms.push(f); });
    }
    return forms.filter(function (f) { return keyOf(f) && fields(f).length; });
  }

  function text(name, fallback) {
    var holder = document.getElementById("ims-ui-texts");
    return (holder && holder.getAttribute("data-" + name)) || fallback;
  }

  function kept(el) {
    if (!el.name || el.disabled || el.hasAttribute("data-draft-skip")) return false;
    if (SECRET.test(el.name) || SECRET.test(el.autocomplete || "")) return false;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName !== "INPUT") return false;
    return ["password", "file", "hidden", "submit", "button", "image", "reset"].indexOf(el.type) < 0;
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  function valueOf(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.checked;
    if (el.tagName === "SELECT" && el.multiple) {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    }
    return el.value;
  }

  function defaultOf(el) {
    if (el.type === "checkbox" || el.type === "radio") return el.defaultChecked;
    if (el.tagName === "SELECT") {
      var chosen = Array.prototype.filter.call(el.options, function (o) { return o.defaultSelected; })
        .map(function (o) { return o.value; });
      if (el.multiple) return chosen;
      return chosen.length ? chosen[0] : (el.options.length ? el.options[0].value : "");
    }
    return el.defaultValue;
  }

  function setValue(el, value) {
    if (el.type === "checkbox" || el.type === "radio") el.checked = !!value;
    else if (el.tagName === "SELECT" && el.multiple) {
      Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
    } else el.value = value;
  }

  // A field is told apart by its name, and for checkboxes and radios by its value too.
  function id(el) {
    return el.type === "checkbox" || el.type === "radio" ? el.name + "=" + el.value : el.name;
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function read(key) {
    try {
      var draft = JSON.parse(local.getItem(key));
      if (draft && Date.now() - draft.saved < MAX_AGE) return draft;
    } catch (e) { /* unreadable: treated as none */ }
    local.removeItem(key);
    return null;
  }

  function save(form) {
    var key = keyOf(form);
    if (!key) return;
    var values = {};
    var typed = false;
    fields(form).forEach(function (el) {
      var value = valueOf(el);
      values[id(el)] = value;
      if (!same(value, defaultOf(el))) typed = true;
    });
    if (typed) local.setItem(key, JSON.stringify({ saved: Date.now(), values: values }));
    else local.removeItem(key); // back to what the page shows: nothing to keep
  }

  function discard(form, notice) {
    var key = keyOf(form);
    if (key) local.removeItem(key);
    fields(form).forEach(function (el) { setValue(el, defaultOf(el)); });
    if (notice) notice.remove();
  }

  function showNotice(form, saved) {
    var notice = document.createElement("div");
    notice.className = "draft-notice";
    notice.setAttribute("role", "status");
    notice.setAttribute("data-testid", "draft-restored");
    var message = document.createElement("p");
    var when = new Date(saved);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    message.textContent = text("draft-restored", "Restored a draft you had not sent") + " (" +
      pad(when.getDate()) + "/" + pad(when.getMonth() + 1) + "/" + when.getFullYear() + " " +
      pad(when.getHours()) + ":" + pad(when.getMinutes()) + ").";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn secondary small";
    button.setAttribute("data-testid", "draft-discard");
    button.textContent = text("draft-discard", "Discard the draft");
    button.addEventListener("click", function () { discard(form, notice); });
    notice.appendChild(message);
    notice.appendChild(button);
    form.insertAdjacentElement("beforebegin", notice);
  }

  function restore(form) {
    var key = keyOf(form);
    var draft = key && read(key);
    if (!draft) return;
    var changed = false;
    fields(form).forEach(function (el) {
      if (!Object.prototype.hasOwnProperty.call(draft.values, id(el))) return;
      var value = draft.values[id(el)];
      if (!same(value, valueOf(el))) {
        setValue(el, value);
        changed = true;
      }
    });
    if (changed) showNotice(form, draft.saved);
  }

  function hasError(root) {
    return !!root.querySelector(".errorlist, .messages .error, [role=alert]");
  }

  // The page the last submit led to: arrived at by a redirect and showing no error means the
  // server took it (Django answers a refused form with the form again, or an error message).
  function settlePending() {
    if (!session || !local) return;
    var pending = null;
    try { pending = JSON.parse(session.getItem(PENDING)); } catch (e) { /* none */ }
    session.removeItem(PENDING);
    if (!pending || Date.now() - pending.at > 10 * 60 * 1000) return;
    var nav = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (!nav || nav.type !== "navigate" || !nav.redirectCount || hasError(document)) return;
    local.removeItem(pending.key);
  }

  function start(root) {
    if (!local) return;
    draftForms(root).forEach(function (form) {
      if (form.hasAttribute("data-draft-ready")) return;
      form.setAttribute("data-draft-ready", "true");
      restore(form);
      var timer = null;
      var later = function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { save(form); }, 300);
      };
      form.addEventListener("input", later);
      form.addEventListener("change", later);
      form.addEventListener("submit", function (event) {
        window.clearTimeout(timer);
        save(form);
        window.setTimeout(function () {
          // htmx sends its forms itself (default prevented): its answer settles the draft.
          var key = keyOf(form);
          if (event.defaultPrevented || !key || !session) return;
          session.setItem(PENDING, JSON.stringify({ key: key, at: Date.now() }));
        }, 0);
      });
    });
  }

  // htmx forms: a 2xx answer without an error in it means the step was taken.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var form = elt && elt.closest && elt.closest("form[data-draft-ready]");
    if (!form || !local || !event.detail.successful) return;
    var answer = new DOMParser().parseFromString(event.detail.xhr ? event.detail.xhr.responseText : "", "text/html");
    var key = keyOf(form);
    if (key && !hasError(answer)) local.removeItem(key);
  });

  document.addEventListener("htmx:load", function (event) { start(event.detail.elt); });

  // Back on this page without reloading it (bfcache): the submit did not get through.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && session) session.removeItem(PENDING);
  });

  function boot() {
    settlePending();
    start(document);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
