// Applies the saved theme before first paint so a dark-mode user never sees a white flash.
// A file rather than an inline script so a strict Content-Security-Policy can allow it.
(function () {
  try {
    var t = localStorage.getItem("crawlscope.theme");
    if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
  } catch (e) {
    /* storage may be disabled */
  }
})();
