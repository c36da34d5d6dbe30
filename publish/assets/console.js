// The staff console's progressive script (served at /admin/assets/console.js).
// Every action is a plain HTML form that works without it; this only adds:
// - a confirmation before destructive actions (forms with data-confirm);
// - forms with data-swap="#id" (the URL preview) answered in place: the
//   same POST is sent with fetch and the element #id of the answer replaces
//   ours, the result announced through the page's aria-live region;
// - the time fields of an all-day event and the unused recurrence fields
//   hidden while they do not apply.
"use strict";
(function () {
  var live = document.getElementById("live");
  function announce(text) {
    if (live) {
      live.textContent = "";
      live.textContent = text;
    }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      ev.preventDefault();
      return;
    }
    var target = form.getAttribute("data-swap");
    if (!target || !window.fetch || !window.DOMParser) return;
    var here = document.querySelector(target);
    if (!here) return;
    ev.preventDefault();
    var busy = form.getAttribute("data-busy");
    if (busy) announce(busy);
    here.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)).toString(),
    })
      .then(function (r) {
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector(target);
        if (!fresh) throw new Error("no " + target);
        here.replaceWith(fresh);
        wire(fresh);
        var heading = fresh.querySelector("h2, [role=alert]");
        announce(heading ? heading.textContent : fresh.textContent.slice(0, 200));
        if (heading) {
          heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
      })
      .catch(function () {
        // Whatever went wrong, the plain form still works.
        here.removeAttribute("aria-busy");
        form.removeAttribute("data-swap");
        form.submit();
      });
  });

  function toggle(scope) {
    scope.querySelectorAll("input[data-all-day]").forEach(function (box) {
      var form = box.form;
      if (!form) return;
      form.querySelectorAll("[data-timed]").forEach(function (el) {
        el.hidden = box.checked;
      });
    });
    scope.querySelectorAll("fieldset[data-recurrence]").forEach(function (set) {
      var chosen = set.querySelector("input[name=recurrence]:checked");
      var value = chosen ? chosen.value : "none";
      set.querySelectorAll("[data-for]").forEach(function (el) {
        el.hidden = el.getAttribute("data-for").split(" ").indexOf(value) < 0;
      });
    });
  }
  function wire(scope) {
    toggle(scope);
  }
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && (t.hasAttribute("data-all-day") || t.name === "recurrence")) toggle(document);
  });
  wire(document);
})();
