// The petition page is the same HTML for everyone (so it can be cached whole);
// this script fills in what differs per visitor. The page works without it,
// except that signing then needs the re-rendered form the server sends back.
(function () {
  "use strict";
  var article = document.querySelector("article.petition");
  if (!article) return;
  var form = document.querySelector("[data-sign-form]");
  var preview = article.hasAttribute("data-preview");
  var locale = document.documentElement.lang || "en";

  // After an invalid submit, take keyboard and screen-reader users to the list of problems.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (target) { event.preventDefault(); target.focus(); }
    });
  }

  // In the staff preview the form is switched off and the petition may not be public yet.
  if (preview) return;

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
      if (/^[A-Z]{2}$/.test(region) && country.querySelector('option[value="' + region + '"]')) {
        country.value = region;
        break;
      }
    }
  }

  // The CSRF token, and whether this browser already signed. "Confirmed" comes from
  // me.json (only a browser that opened the confirmation link is told so); "check your
  // inbox" and "counted" from what the thank-you page left in this browser's storage
  // (share.js). Neither is in the HTML, which stays the same for everyone.
  var csrf = document.querySelector("[data-csrf]");
  var signedState = document.querySelector("[data-signed-state]");
  var signBlock = document.querySelector("[data-sign-block]");
  function showSigned(kind) {
    if (!signedState || !signBlock || summary) return;
    var lines = signedState.querySelectorAll("[data-signed-when]");
    for (var i = 0; i < lines.length; i++) lines[i].hidden = lines[i].getAttribute("data-signed-when") !== kind;
    signedState.hidden = false;
    signBlock.hidden = true;
  }
  var again = document.querySelector("[data-sign-again]");
  if (again) {
    again.addEventListener("click", function () {
      signBlock.hidden = false;
      signedState.hidden = true;
      var first = document.getElementById("id_first_name");
      if (first) first.focus();
    });
  }
  // A member who came through a mailing's link: the click link put a recognition token
  // in the fragment (#mt=...), which no server log or Referer header ever sees. It leaves
  // the address bar at once, so a copied link recognises nobody, and stays for this tab.
  var recognised = document.querySelector("[data-recognised]");
  var mtKey = "chorus.mt." + article.dataset.slug;
  function recognitionToken() {
    var match = /(?:^#|&)mt=([A-Za-z0-9._-]{1,64})(?:&|$)/.exec(window.location.hash);
    if (match) {
      try { window.history.replaceState(null, "", window.location.pathname + window.location.search); } catch (e) { /* old browser */ }
      try { window.sessionStorage.setItem(mtKey, match[1]); } catch (e) { /* storage off */ }
      return match[1];
    }
    try { return window.sessionStorage.getItem(mtKey); } catch (e) { return null; }
  }
  function forgetRecognition() {
    try { window.sessionStorage.removeItem(mtKey); } catch (e) { /* storage off */ }
  }
  var mt = recognised ? recognitionToken() : null;
  function showRecognised(token, who) {
    if (!recognised || !signBlock || summary) return;
    var names = recognised.querySelectorAll("[data-recognised-name]");
    for (var i = 0; i < names.length; i++) names[i].textContent = who.first_name;
    var signNow = recognised.querySelector("[data-recognised-form]");
    signNow.elements.token.value = token;
    signNow.elements.csrfmiddlewaretoken.value = csrf ? csrf.value : "";
    signNow.addEventListener("submit", function () {
      var button = signNow.querySelector("button[type=submit]");
      window.setTimeout(function () { button.disabled = true; button.textContent = button.getAttribute("data-busy") || "Signing…"; }, 0);
    });
    recognised.hidden = false;
    signBlock.hidden = true;
  }
  function recogniseMember(token) {
    var body = new URLSearchParams();
    body.set("token", token);
    body.set("petition", article.dataset.slug);
    fetch(recognised.dataset.recogniseUrl, { method: "POST", body: body, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (who) {
        if (who && who.recognised && who.petition === article.dataset.slug && who.first_name) showRecognised(token, who);
        else forgetRecognition();
      })
      .catch(function () {});
  }
  var notMe = document.querySelector("[data-not-me]");
  if (notMe) {
    notMe.addEventListener("click", function () {
      forgetRecognition();
      recognised.hidden = true;
      signBlock.hidden = false;
      var first = document.getElementById("id_first_name");
      if (first) first.focus();
    });
  }

  fetch(article.dataset.visitorUrl, { credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (state) {
      if (!state) return;
      if (csrf && !csrf.value) csrf.value = state.csrf;
      var kind = state.signed ? "confirmed" : rememberedSigning(article.dataset.slug);
      if (kind) showSigned(kind);
      else if (mt) recogniseMember(mt);
    })
    .catch(function () {});

  function rememberedSigning(slug) {
    try {
      var kept = JSON.parse(window.localStorage.getItem("chorus.signed." + slug) || "null");
      // Thirty days: long enough to confirm, short enough not to outlive a shared device's use.
      if (kept && (kept.state === "pending" || kept.state === "counted") && Date.now() - kept.at < 2592000000) return kept.state;
    } catch (e) { /* storage switched off: the form simply shows */ }
    return null;
  }

  // Stop a double click from sending the form twice.
  if (form) {
    var button = form.querySelector("button[type=submit]");
    var buttonText = button ? button.textContent : "";
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        if (!button) return;
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy") || "Sending…";
      }, 0);
    });
    // Coming back with the Back button must not leave the form stuck.
    window.addEventListener("pageshow", function () {
      if (button) { button.disabled = false; button.textContent = buttonText; }
    });
  }

  // Keep the thermometer fresh without reloading the page. The fill's width is a
  // class (w-0 … w-100) because the CSP forbids inline styles.
  var countEl = document.querySelector("[data-count]");
  var goalEl = document.querySelector("[data-goal]");
  var bar = document.querySelector("[data-bar]");
  var fill = document.querySelector("[data-bar-fill]");
  var label = document.querySelector("[data-count-label]");
  function formatNumber(n) {
    try { return n.toLocaleString(locale); } catch (e) { return String(n); }
  }
  function isOne(n) {  // French counts 0 as singular, English does not
    try { return new Intl.PluralRules(locale).select(n) === "one"; } catch (e) { return n === 1; }
  }
  function refresh() {
    fetch(article.dataset.countUrl, { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || typeof data.count !== "number" || !data.goal) return;
        var percent = Math.max(0, Math.min(100, Math.round(100 * data.count / data.goal)));
        countEl.textContent = formatNumber(data.count);
        goalEl.textContent = formatNumber(data.goal);
        // The words come from the page, in its language (data-one, data-other, data-valuetext).
        if (label) label.textContent = label.getAttribute(isOne(data.count) ? "data-one" : "data-other");
        bar.setAttribute("aria-valuenow", data.count);
        bar.setAttribute("aria-valuemax", data.goal);
        bar.setAttribute("aria-valuetext", (bar.getAttribute("data-valuetext") || "{count} / {goal}")
          .replace("{count}", formatNumber(data.count)).replace("{goal}", formatNumber(data.goal)));
        fill.className = "w-" + percent + (data.count > 0 ? " started" : "");
      })
      .catch(function () {});
  }
  if (countEl && goalEl && bar && fill) {
    refresh();
    // Every 5 s: with the fold (1 s), the per-process cache (1 s) and count.json's
    // max-age (3 s), the count shown is never more than 10 s behind.
    window.setInterval(function () { if (!document.hidden) refresh(); }, 5000);
  }
})();
