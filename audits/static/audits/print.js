// The "Print" button of the audit report page (no inline handlers: the pages' CSP allows
// scripts from this site only).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
