// A background job's progress (a member import, a bulk action on signatures): fetch this
// page again every few seconds and swap in the panel its script tag names (data-panel),
// until the panel no longer asks to be refreshed.
(function () {
  "use strict";
  var script = document.currentScript;
  var id = script && script.dataset.panel;
  var panel = id && document.getElementById(id);
  if (!panel || !panel.dataset.refresh) return;
  var seconds = Number(panel.dataset.refresh) || 3;
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
        if (!fresh) return;
        panel.replaceWith(fresh);
        panel = fresh;
        if (fresh.dataset.refresh) window.setTimeout(refresh, seconds * 1000);
        else window.location.reload();  // done: show the error report and messages too
      })
      .catch(function () { window.setTimeout(refresh, seconds * 4000); });
  }
  window.setTimeout(refresh, seconds * 1000);
})();
