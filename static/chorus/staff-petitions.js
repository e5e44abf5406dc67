/* The petition form in the workspace: the story's live preview and adding source rows.
   Without this script the form still works: the Preview button renders the story on the
   server, and three empty source rows are always there. */
(function () {
  "use strict";
  var form = document.querySelector("[data-petition-form]");
  if (!form) return;

  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  var story = form.querySelector("#id_story");
  var target = form.querySelector("[data-preview-target]");
  var button = form.querySelector("[data-preview-button]");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]");
  if (story && target && window.fetch) {
    if (button) button.hidden = true;
    var timer = null;
    var sent = 0;
    var render = function () {
      var body = new FormData();
      body.append("story", story.value);
      body.append("csrfmiddlewaretoken", csrf.value);
      var mine = ++sent;
      fetch(target.getAttribute("data-preview-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf.value }
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        // Only the latest answer counts: an older, slower one must not overwrite it.
        if (html === null || mine !== sent) return;
        // The server sanitised it with the public page's own allowlist (petitions.pages).
        target.innerHTML = html || "<p class=\"pt-preview-empty\">The story appears here as you type.</p>";
      }).catch(function () {});
    };
    story.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(render, 400);
    });
  }

  var rows = form.querySelector("[data-source-rows]");
  var template = form.querySelector("[data-source-template]");
  var add = form.querySelector("[data-source-add]");
  var total = form.querySelector("#id_sources-TOTAL_FORMS");
  var max = form.querySelector("#id_sources-MAX_NUM_FORMS");
  if (rows && template && add && total) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) return;
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var added = rows.lastElementChild.querySelector("input[type=text], input[type=url]");
      if (added) added.focus();
    });
  }
})();
