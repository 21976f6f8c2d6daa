// Copy a campaign's link, or hand it to the phone's share sheet (Zalo, Messenger, ...).
// Without JavaScript the link stays visible as text to select and copy by hand.
(function () {
  document.querySelectorAll("[data-share-url]").forEach(function (box) {
    var url = box.getAttribute("data-share-url");
    var copy = box.querySelector("[data-copy]");
    var share = box.querySelector("[data-share]");
    var copied = box.querySelector("[data-copied]");
    if (navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(url).then(function () {
          copied.hidden = false;
          setTimeout(function () { copied.hidden = true; }, 2500);
        });
      });
    }
    if (navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: box.getAttribute("data-share-title"), url: url }).catch(function () {});
      });
    }
  });
})();
