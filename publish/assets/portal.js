// The portal's only script, served from /assets/portal.js (a strict
// Content-Security-Policy allows no inline script): a "copy" button after
// each embed snippet, where the clipboard exists. The words come from the
// page (data-copy, data-copied on the snippets' section), in its language.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (section) {
    var copy = section.getAttribute("data-copy") || "";
    var done = section.getAttribute("data-copied") || "";
    section.querySelectorAll("pre.snippet").forEach(function (p) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = copy;
      b.addEventListener("click", function () {
        navigator.clipboard.writeText(p.textContent).then(function () {
          b.textContent = done;
        });
      });
      p.after(b);
    });
  });
})();
