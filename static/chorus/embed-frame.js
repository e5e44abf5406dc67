// The widget inside another site's frame (templates/petitions/embed.html): tell the page
// around it how tall it is, so the frame fits it with no scrollbar. The partner's page
// listens with static/chorus/embed.js, which accepts only messages from Chorus's origin.
// The height says nothing about the person, so it goes to whichever page frames this one.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
  if (window.parent === window) return;
  var MESSAGE = "chorus:embed-height";
  var last = 0;

  function height() {
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  }

  function post(force) {
    var now = height();
    if (now === last && !force) return;
    last = now;
    window.parent.postMessage({ type: MESSAGE, height: now }, "*");
  }

  // The partner's script asks again when it starts, in case it missed the first message.
  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.data && event.data.type === "chorus:embed-hello") {
      post(true);
    }
  });
  if ("ResizeObserver" in window) {
    new ResizeObserver(function () { post(false); }).observe(document.body);
  } else {
    window.addEventListener("resize", function () { post(false); });
  }
  window.addEventListener("load", function () { post(true); });
  post(true);
})();
