(function () {
  "use strict";
  var link = document.querySelector("[data-copy-link]");
  var status = document.querySelector("[data-copy-status]");
  if (!link || !navigator.clipboard) return;
  link.addEventListener("click", function (event) {
    event.preventDefault();
    navigator.clipboard.writeText(link.href).then(function () {
      if (status) status.textContent = "Link copied.";
    }, function () {
      if (status) status.textContent = "Copy this link: " + link.href;
    });
  });
})();
