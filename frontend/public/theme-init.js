// Applies the theme before first paint so a dark-mode user never sees a white flash: the
// saved choice, else the system's. The app keeps `data-theme` current (src/lib/theme.ts),
// so the stylesheet has one dark palette, keyed on the attribute only.
// A file rather than an inline script so a strict Content-Security-Policy can allow it.
(function () {
  var t = null;
  try {
    t = localStorage.getItem("crawlscope.theme");
  } catch {
    /* storage may be disabled */
  }
  if (t !== "light" && t !== "dark") {
    t = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.dataset.theme = t;
})();
