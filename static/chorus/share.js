// "Copy link" on the thank-you and confirmed pages. Without the clipboard API
// the link simply opens the petition, whose address can be copied from there.
(function () {
  "use strict";
  var link = document.querySelector("[data-copy-link]");
  var status = document.querySelector("[data-copy-status]");
  if (!link || !navigator.clipboard) return;
  link.addEventListener("click", function (event) {
    event.preventDefault();
    navigator.clipboard.writeText(link.href).then(function () {
      // The words come from the page, in its language.
      if (status) status.textContent = status.getAttribute("data-copied");
    }, function () {
      if (status) status.textContent = status.getAttribute("data-copy-this") + " " + link.href;
    });
  });
})();

// After an invalid "send a new link", take the visitor to the problem.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();

// The thank-you page tells this browser's petition page what to show in place of the
// form (petition.js): "check your inbox" or "counted". Kept in this browser only; the
// server learns nothing from it and sends the same HTML to everyone.
(function () {
  "use strict";
  var marker = document.querySelector("[data-remember-signing]");
  if (!marker) return;
  try {
    window.localStorage.setItem(
      "chorus.signed." + marker.getAttribute("data-remember-signing"),
      JSON.stringify({ state: marker.getAttribute("data-signing-state"), at: Date.now() })
    );
  } catch (e) { /* storage switched off: the petition page shows the form again */ }
})();
