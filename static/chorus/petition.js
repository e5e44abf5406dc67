// The petition page is the same HTML for everyone (so it can be cached whole);
// this script fills in what differs per visitor.
(function () {
  "use strict";
  var article = document.querySelector("article.petition");
  if (!article) return;
  var form = document.querySelector("[data-sign-form]");

  // The share link's channel tag (?ch=...) travels with the signature.
  var channel = new URLSearchParams(window.location.search).get("ch");
  var channelInput = document.querySelector("[data-channel]");
  if (channel && channelInput && !channelInput.value) channelInput.value = channel.slice(0, 40);

  // Pre-select the country from the browser's language (en-GB -> GB).
  var country = document.querySelector("[data-country]");
  if (country && !country.value) {
    var langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    for (var i = 0; i < langs.length; i++) {
      var parts = (langs[i] || "").split("-");
      var region = parts.length > 1 ? parts[parts.length - 1].toUpperCase() : "";
      if (region.length === 2 && country.querySelector('option[value="' + region + '"]')) {
        country.value = region;
        break;
      }
    }
  }

  // The CSRF token, and whether this browser already signed.
  var csrf = document.querySelector("[data-csrf]");
  fetch(article.dataset.visitorUrl, { credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (state) {
      if (!state) return;
      if (csrf && !csrf.value) csrf.value = state.csrf;
      if (state.signed) {
        var notice = document.querySelector("[data-signed-notice]");
        if (notice) notice.hidden = false;
      }
    })
    .catch(function () {});

  // Stop a double click from sending the form twice.
  if (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      window.setTimeout(function () { if (button) button.disabled = true; }, 0);
    });
  }

  // Keep the thermometer fresh without reloading the page.
  var countEl = document.querySelector("[data-count]");
  var goalEl = document.querySelector("[data-goal]");
  var bar = document.querySelector("[data-bar]");
  var fill = document.querySelector("[data-bar-fill]");
  var label = document.querySelector("[data-count-label]");
  function refresh() {
    fetch(article.dataset.countUrl, { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        countEl.textContent = data.count.toLocaleString("en");
        goalEl.textContent = data.goal.toLocaleString("en");
        if (label) label.textContent = data.count === 1 ? "signature" : "signatures";
        bar.setAttribute("aria-valuenow", data.count);
        bar.setAttribute("aria-valuemax", data.goal);
        fill.style.width = Math.min(100, Math.round(100 * data.count / data.goal)) + "%";
      })
      .catch(function () {});
  }
  refresh();
  window.setInterval(refresh, 10000);
})();
