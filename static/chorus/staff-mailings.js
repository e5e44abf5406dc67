// A mailing's live progress: ask the JSON endpoint every two seconds and write the
// figures into the panel; when the send is no longer running, reload the page once so
// the report, the buttons and the failures show the final state. Without this script
// the page shows the figures as they were when it was rendered.
(function () {
  "use strict";
  var panel = document.getElementById("mc-progress");
  if (!panel || !panel.dataset.running || !window.fetch) return;
  var bar = document.getElementById("mc-bar");
  var url = panel.dataset.url;
  function text(key, value) {
    panel.querySelectorAll('[data-k="' + key + '"]').forEach(function (node) {
      node.textContent = value;
    });
  }
  function show(p) {
    ["state_label", "sent", "total", "percent", "failed", "left"].forEach(function (key) {
      text(key, String(p[key]));
    });
    text("rate", p.rate === null ? "—" : String(p.rate));
    text("minutes_left", p.minutes_left ? "about " + p.minutes_left + " min" : "—");
    if (bar) { bar.value = p.percent; bar.textContent = p.percent + " %"; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (p) {
        if (!p) { window.setTimeout(poll, 8000); return; }
        show(p);
        if (p.running) window.setTimeout(poll, 2000);
        else window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 8000); });
  }
  window.setTimeout(poll, 2000);
})();
// The compose page's preview follows the typing: the "Update preview" button, pressed
// for you a moment after you stop.
(function () {
  "use strict";
  var form = document.getElementById("mc-compose");
  var button = document.getElementById("mc-preview-button");
  if (!form || !button || !form.requestSubmit) return;
  var timer = null;
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { form.requestSubmit(button); }, 900);
  }
  form.addEventListener("input", later);
  form.requestSubmit(button);
})();
