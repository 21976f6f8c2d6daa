// The multi-choice widget (ims/multichoice.py): a filter box above the checkbox list and the
// chosen items as chips. The checkboxes remain the form's data; without JavaScript the list
// is all there is. "quy trinh" finds "quy trình" (accents and đ are ignored).
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase();
  }

  function labelText(label) {
    var span = label.querySelector("span");
    return (span ? span.textContent : label.textContent).trim();
  }

  function setUp(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    box.classList.add("enhanced");
    var tools = box.querySelector(".multichoice-tools");
    var filter = box.querySelector(".multichoice-filter");
    var chips = box.querySelector(".multichoice-chips");
    var none = box.querySelector(".multichoice-none");
    var options = box.querySelector(".multichoice-options");
    var labels = Array.prototype.slice.call(options.querySelectorAll("label.choice"));
    var groups = Array.prototype.slice.call(options.querySelectorAll(".multichoice-group"));
    var group = "";
    var words = [];
    labels.forEach(function (label) {
      var previous = label.previousElementSibling;
      while (previous && !previous.classList.contains("multichoice-group")) {
        previous = previous.previousElementSibling;
      }
      group = previous ? previous.textContent : "";
      words.push(fold(group + " " + labelText(label)));
    });
    tools.hidden = false;

    function renderChips() {
      chips.textContent = "";
      labels.forEach(function (label) {
        var input = label.querySelector("input");
        if (!input.checked) return;
        var chip = document.createElement("li");
        chip.className = "chip";
        var text = document.createElement("span");
        text.textContent = label.dataset.chip || labelText(label);
        chip.appendChild(text);
        if (!input.disabled) {
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "chip-remove";
          remove.textContent = "×";
          remove.setAttribute("aria-label", box.dataset.removeLabel + ": " + text.textContent);
          remove.addEventListener("click", function () {
            input.checked = false;
            input.dispatchEvent(new Event("change", { bubbles: true }));
            filter.focus();
          });
          chip.appendChild(remove);
        }
        chips.appendChild(chip);
      });
      if (!chips.children.length) {
        var empty = document.createElement("li");
        empty.className = "muted small";
        empty.textContent = box.dataset.noneLabel;
        chips.appendChild(empty);
      }
    }

    function applyFilter() {
      var query = fold(filter.value.trim()).split(/\s+/).filter(Boolean);
      var shown = 0;
      labels.forEach(function (label, i) {
        var match = query.every(function (word) { return words[i].indexOf(word) !== -1; });
        label.hidden = !match;
        if (match) shown += 1;
      });
      groups.forEach(function (heading) {
        var next = heading.nextElementSibling;
        var any = false;
        while (next && !next.classList.contains("multichoice-group")) {
          if (!next.hidden) { any = true; break; }
          next = next.nextElementSibling;
        }
        heading.hidden = !any;
      });
      none.hidden = shown > 0;
    }

    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault(); // filtering never submits the form
    });
    options.addEventListener("change", renderChips);
    renderChips();
  }

  function setUpAll(root) {
    var boxes = (root || document).querySelectorAll("[data-multichoice]");
    Array.prototype.forEach.call(boxes, setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpAll(); });
  } else {
    setUpAll();
  }
  document.addEventListener("htmx:load", function (event) { setUpAll(event.target); });
})();
