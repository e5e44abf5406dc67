// Chorus's embeddable widget, on the partner's page (docs/widget.md). Paste it after the
// widget's <iframe data-chorus-embed>: it fits every such frame to the height the widget
// reports, so there is no scrollbar inside it. Without it, or without JavaScript, the
// frame keeps the fixed height written in the snippet and scrolls.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.URL || !window.postMessage) return;
  var origin = new URL(script.src, window.location.href).origin;
  var key = "chorusEmbed:" + origin;
  if (window[key]) return; // pasted twice: one listener is enough
  window[key] = true;
  var MIN_HEIGHT = 120;
  var MAX_HEIGHT = 6000;

  function frames() {
    var found = [];
    var all = document.querySelectorAll("iframe[data-chorus-embed]");
    for (var i = 0; i < all.length; i++) {
      if (new URL(all[i].src, window.location.href).origin === origin) found.push(all[i]);
    }
    return found;
  }

  window.addEventListener("message", function (event) {
    // Only the widget's own pages, from Chorus's origin, may resize its frames.
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== "chorus:embed-height" || typeof data.height !== "number") return;
    if (!isFinite(data.height)) return;
    var height = Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, data.height)));
    var list = frames();
    for (var i = 0; i < list.length; i++) {
      if (list[i].contentWindow === event.source) {
        list[i].style.height = height + "px";
        list[i].setAttribute("data-chorus-height", String(height));
      }
    }
  });

  // A frame that loaded before this script ran has already spoken: ask it again.
  var list = frames();
  for (var i = 0; i < list.length; i++) {
    if (list[i].contentWindow) list[i].contentWindow.postMessage({ type: "chorus:embed-hello" }, origin);
  }
})();
