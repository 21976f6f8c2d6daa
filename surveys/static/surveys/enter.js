// The QR code of a one-time code slip opens /s/#CODE: the code is in the URL's fragment, which
// browsers never send to a server, so no server or proxy log holds it. This script types it
// into the code field, removes it from the address bar and the history, and sends the form
// (a POST). Without JavaScript the person types the code printed under the QR code.
// No inline script anywhere: the CSP allows this site's script files only.
(function () {
  "use strict";

  var code = window.location.hash.replace(/^#/, "");
  if (!code) return;
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  try {
    code = decodeURIComponent(code);
  } catch (error) {
    return;
  }
  code = code.replace(/[^0-9A-Za-z]/g, "");
  var form = document.getElementById("code-form");
  var field = document.getElementById("code");
  if (!code || !form || !field) return;
  field.value = code;
  form.submit();
})();
