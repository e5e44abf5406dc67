// The Embed tab (templates/staff/petition_tabs/embed.html): copy the snippet in one press.
(function () {
  "use strict";
  var button = document.querySelector("[data-copy-button]");
  var status = document.querySelector("[data-copy-status]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy-button"));

  // The page's words, in its language, from the button's data-t-* attributes.
  function said(name, english) {
    if (status) status.textContent = button.dataset[name] || english;
  }

  button.addEventListener("click", function () {
    var copied = function () { said("tCopied", "Copied. Paste it into the partner's page, or send it to them."); };
    var selectIt = function () {
      source.focus();
      source.select();
      said("tSelect", "Press Ctrl+C (or Cmd+C) to copy the selected code.");
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.value).then(copied, selectIt);
    } else {
      selectIt();
    }
  });
})();
