// A failed form: focus its error summary, and make each link in it take the person to the
// field (scrolled into view with its label, and focused). Without JavaScript the summary is
// at the top of the form and its links are plain anchors.
(function () {
  "use strict";

  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (!summary) return;
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  function control(target) {
    if (target.matches("input, select, textarea, button")) return target;
    var inputs = target.querySelectorAll("input, select, textarea");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].type !== "hidden" && !inputs[i].closest("[hidden]")) return inputs[i];
    }
    return target;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    (target.closest(".field") || target).scrollIntoView({ block: "start" });
    control(target).focus({ preventScroll: true });
  });

  // Fields that apply only for one value of another field (data-show-if-name / -value, e.g.
  // the external-origin fields of a document): hidden otherwise. The server ignores them then.
  function applyConditions(root) {
    var controls = (root || document).querySelectorAll("[data-show-if-name]");
    Array.prototype.forEach.call(controls, function (control) {
      var form = control.form;
      var other = form && form.elements[control.dataset.showIfName];
      if (!other) return;
      var box = control.closest(".field") || control;
      var update = function () { box.hidden = other.value !== control.dataset.showIfValue; };
      if (!control.dataset.showIfReady) {
        control.dataset.showIfReady = "1";
        other.addEventListener("change", update);
      }
      update();
    });
  }

  // A campaign's instrument sets its respondent group (surveys/forms.py), unless the person
  // chose a group themselves.
  function applyGroupDefaults(root) {
    var selects = (root || document).querySelectorAll("select[data-sets-group]");
    Array.prototype.forEach.call(selects, function (select) {
      var group = select.form && select.form.elements.group;
      if (!group || select.dataset.setsGroupReady) return;
      select.dataset.setsGroupReady = "1";
      var groups = JSON.parse(select.dataset.setsGroup);
      var touched = group.value !== "";
      group.addEventListener("change", function () { touched = true; });
      select.addEventListener("change", function () {
        if (!touched && groups[select.value]) group.value = groups[select.value];
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      applyConditions();
      applyGroupDefaults();
      focusSummary();
    });
  } else {
    applyConditions();
    applyGroupDefaults();
    focusSummary();
  }
  // A step swapped in place by htmx that comes back with errors.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.querySelector) focusSummary(event.target);
  });
})();
