// Segments: the builder shows only the boxes each condition takes, adds and removes
// rows, and counts the members as the campaigner edits (a debounced POST of the
// definition to the count endpoint); the list counts each segment, one after another.
// Without this script both pages work as plain forms.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function postCount(url, token, body, signal) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      signal: signal,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () {
        return { errors: ["The count could not be made (" + response.status + ")."] };
      });
    });
  }

  function grouped(n) {
    return Number(n).toLocaleString("en-GB");
  }

  // ---- The builder ------------------------------------------------------------------

  // The page's words, in its language, from the element's data-t-* attributes.
  function words(element, name, english) {
    return element.dataset[name] || english;
  }

  function builder(form) {
    var url = form.dataset.countUrl;
    var token = csrfToken(form);
    var list = form.querySelector("[data-rows]");
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-row]"));
    var addButton = form.querySelector("[data-add]");
    var output = form.querySelector("[data-count-output]");
    var timer = null;
    var controller = null;
    var sequence = 0;

    form.classList.add("sg-live");

    function field(row, name) {
      return row.querySelector("[name$='-" + name + "']");
    }

    function kindOf(row) {
      return field(row, "kind").value;
    }

    function showParams(row) {
      var kind = kindOf(row);
      row.querySelectorAll("[data-param]").forEach(function (box) {
        box.hidden = box.dataset.param.split(" ").indexOf(kind) === -1;
      });
    }

    function isBlank(row) {
      return !kindOf(row);
    }

    function visibleRows() {
      return rows.filter(function (row) { return !row.hidden; });
    }

    function renumber() {
      visibleRows().forEach(function (row, index) {
        row.querySelector("[data-legend]").textContent =
          words(form, "tCondition", "Condition #").replace("#", index + 1);
        var hidden = row.querySelector("[data-remove] .visually-hidden");
        if (hidden) hidden.textContent = " condition " + (index + 1);
      });
      addButton.hidden = rows.every(function (row) { return !row.hidden; });
    }

    function clearRow(row) {
      row.querySelectorAll("input, select").forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") input.checked = false;
        else if (input.tagName === "SELECT") input.selectedIndex = 0;
        else input.value = "";
      });
      showParams(row);
    }

    function condition(row) {
      var kind = kindOf(row);
      var found = { kind: kind, negate: field(row, "negate").checked };
      if (kind === "signed") found.petition = field(row, "petition").value;
      else if (kind === "received_mailing" || kind === "clicked_mailing") found.mailing = field(row, "mailing").value;
      else if (kind === "country_in") found.countries = field(row, "countries").value;
      else if (kind === "language") found.languages = field(row, "languages").value;
      else if (kind === "status") {
        found.statuses = Array.prototype.map.call(
          row.querySelectorAll("[name$='-statuses']:checked"), function (box) { return box.value; });
      } else if (kind === "joined_between") {
        found.from = field(row, "joined_from").value;
        found.to = field(row, "joined_to").value;
      } else if (kind === "signed_recent") found.days = field(row, "days").value;
      return found;
    }

    function definition() {
      var numbers = [];
      var conditions = [];
      visibleRows().forEach(function (row, index) {
        if (isBlank(row)) return;
        numbers.push(index + 1);
        conditions.push(condition(row));
      });
      var match = form.querySelector("input[name=match]:checked");
      return { numbers: numbers, body: { match: match ? match.value : "all", conditions: conditions } };
    }

    function show(nodes, busy) {
      output.replaceChildren.apply(output, nodes);
      output.setAttribute("aria-busy", busy ? "true" : "false");
    }

    function paragraph(text, className) {
      var p = document.createElement("p");
      if (className) p.className = className;
      p.textContent = text;
      return p;
    }

    function showCounts(result) {
      var first = document.createElement("p");
      var strong = document.createElement("strong");
      strong.className = "sg-count-n";
      strong.dataset.count = "";
      strong.textContent = grouped(result.count);
      first.append(strong, " " + (result.count === 1 ? words(form, "tOne", "member matches") : words(form, "tOther", "members match")));
      var second = paragraph("", "sg-muted");
      var mailable = document.createElement("span");
      mailable.dataset.mailable = "";
      mailable.textContent = grouped(result.mailable);
      second.append(mailable, " " + words(form, "tMailable", "of them can be mailed (subscribed, address not suppressed)."));
      show([first, second], false);
    }

    function showErrors(errors, numbers) {
      var list = document.createElement("ul");
      list.className = "sg-count-errors";
      errors.forEach(function (error) {
        var li = document.createElement("li");
        // The server numbers the conditions it was sent; the page numbers every row shown.
        li.textContent = error.replace(/^Condition (\d+):/, function (_, n) {
          return "Condition " + (numbers[Number(n) - 1] || n) + ":";
        });
        list.append(li);
      });
      show([paragraph(words(form, "tNotYet", "Not counted yet:")), list], false);
    }

    function count() {
      var current = definition();
      var mine = ++sequence;
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      output.setAttribute("aria-busy", "true");
      output.classList.add("sg-counting");
      postCount(url, token, { definition: current.body }, controller && controller.signal)
        .then(function (result) {
          if (mine !== sequence) return;
          output.classList.remove("sg-counting");
          if (result.errors) showErrors(result.errors, current.numbers);
          else showCounts(result);
        })
        .catch(function (error) {
          if (mine !== sequence || (error && error.name === "AbortError")) return;
          output.classList.remove("sg-counting");
          show([paragraph(words(form, "tFailed", "The count could not be made. Check the connection and press Count."))], false);
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(count, 400);
    }

    rows.forEach(function (row, index) {
      showParams(row);
      var remove = row.querySelector("[data-remove]");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        clearRow(row);
        row.hidden = true;
        if (!visibleRows().length) rows[0].hidden = false;
        renumber();
        later();
        addButton.focus();
      });
      field(row, "kind").addEventListener("change", function () {
        showParams(row);
      });
      // Blank rows after the first blank one wait behind "Add a condition".
      var firstBlank = rows.filter(isBlank)[0];
      row.hidden = isBlank(row) && row !== firstBlank && !row.classList.contains("has-error");
    });
    addButton.addEventListener("click", function () {
      var next = rows.filter(function (row) { return row.hidden; })[0];
      if (!next) return;
      list.appendChild(next);  // the new row goes last, where the person looks for it
      next.hidden = false;
      renumber();
      field(next, "kind").focus();
    });
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", function (event) {
      var action = event.submitter && event.submitter.value;
      if (action === "count") {
        event.preventDefault();
        count();
      }
    });
    renumber();
    count();
  }

  // ---- The list ---------------------------------------------------------------------

  function segmentList(table) {
    var url = table.dataset.countUrl;
    var token = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
    var cells = Array.prototype.slice.call(table.querySelectorAll("[data-segment-count]"));
    if (!token || !cells.length) return;
    var note = document.querySelector("[data-count-note]");
    if (note) note.closest("form").hidden = true;
    function next(index) {
      var cell = cells[index];
      if (!cell) return;
      var id = Number(cell.dataset.segmentCount);
      var mailable = table.querySelector("[data-segment-mailable='" + id + "']");
      cell.textContent = words(table, "tCounting", "Counting…");
      postCount(url, token, { segment: id })
        .then(function (result) {
          cell.textContent = result.errors ? words(table, "tNotCounted", "Not counted") : grouped(result.count);
          if (mailable) mailable.textContent = result.errors ? "—" : grouped(result.mailable);
          if (result.errors) cell.title = result.errors.join(" ");
        })
        .catch(function () { cell.textContent = words(table, "tNotCounted", "Not counted"); })
        .then(function () { next(index + 1); });
    }
    next(0);
  }

  document.querySelectorAll("[data-segment-builder]").forEach(builder);
  document.querySelectorAll("[data-segment-list]").forEach(segmentList);
})();
