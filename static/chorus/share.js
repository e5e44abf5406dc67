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
      if (status) status.textContent = "Link copied. Paste it wherever your friends are.";
    }, function () {
      if (status) status.textContent = "Copy this link: " + link.href;
    });
  });
})();

// After an invalid "send a new link", take the visitor to the problem.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();
