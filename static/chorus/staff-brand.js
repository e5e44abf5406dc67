/* The brand page: the preview follows the colour as it is typed or picked, with its
   WCAG contrast; a chosen logo shows before it is uploaded. The server checks the
   colour again on save (orgs/brand.py), with the same rule and numbers: this is only
   a quicker answer. Without scripts the preview shows the saved colour. */
(function () {
  "use strict";

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  var WHITE = "#ffffff";
  var INK = "#1b1f1c";
  // orgs/brand.py LIGHT_BACKGROUNDS: where the colour is written as text.
  var LIGHT = ["#ffffff", "#f1f4ef", "#eef2ec", "#f5f7f4"];
  var AA = 4.5;

  function normalise(value) {
    var hex = value.trim().toLowerCase().replace(/^#/, "");
    if (/^[0-9a-f]{3}$/.test(hex)) hex = hex.replace(/./g, "$&$&");
    return /^[0-9a-f]{6}$/.test(hex) ? "#" + hex : null;
  }

  function channels(hex) {
    return [1, 3, 5].map(function (i) { return parseInt(hex.substr(i, 2), 16) / 255; });
  }

  function luminance(hex) {
    var c = channels(hex).map(function (v) {
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function ratio(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  function shown(r) { return (Math.floor(r * 100) / 100).toFixed(2) + ":1"; }

  function toHls(hex) {
    var c = channels(hex), max = Math.max.apply(null, c), min = Math.min.apply(null, c);
    var l = (max + min) / 2, h = 0, s = 0, d = max - min;
    if (d) {
      s = l <= 0.5 ? d / (max + min) : d / (2 - max - min);
      if (max === c[0]) h = ((c[1] - c[2]) / d) / 6;
      else if (max === c[1]) h = (2 + (c[2] - c[0]) / d) / 6;
      else h = (4 + (c[0] - c[1]) / d) / 6;
      h = (h + 1) % 1;
    }
    return [h, l, s];
  }

  function fromHls(h, l, s) {
    function part(m1, m2, hue) {
      hue = (hue + 1) % 1;
      if (hue < 1 / 6) return m1 + (m2 - m1) * hue * 6;
      if (hue < 0.5) return m2;
      if (hue < 2 / 3) return m1 + (m2 - m1) * (2 / 3 - hue) * 6;
      return m1;
    }
    var rgb = [l, l, l];
    if (s) {
      var m2 = l <= 0.5 ? l * (1 + s) : l + s - l * s, m1 = 2 * l - m2;
      rgb = [part(m1, m2, h + 1 / 3), part(m1, m2, h), part(m1, m2, h - 1 / 3)];
    }
    return "#" + rgb.map(function (v) {
      var n = Math.round(Math.max(0, Math.min(1, v)) * 255);
      return (n < 16 ? "0" : "") + n.toString(16);
    }).join("");
  }

  function withLightness(hex, l) { var hls = toHls(hex); return fromHls(hls[0], l, hls[2]); }

  function onLight(hex) {
    return Math.min.apply(null, LIGHT.map(function (b) { return ratio(hex, b); }));
  }

  function passes(hex) {
    return onLight(hex) >= AA && Math.max(ratio(WHITE, hex), ratio(INK, hex)) >= AA;
  }

  function darkerUntilPassing(hex) {
    var low = 0, high = toHls(hex)[1];
    for (var i = 0; i < 24; i++) {
      var mid = (low + high) / 2;
      if (onLight(withLightness(hex, mid)) >= AA) low = mid; else high = mid;
    }
    var shade = withLightness(hex, low);
    while (onLight(shade) < AA && low > 0) { low = Math.max(0, low - 1 / 510); shade = withLightness(hex, low); }
    return shade;
  }

  var input = document.getElementById("id_primary_colour");
  var preview = document.getElementById("brand-preview");
  var check = document.getElementById("brand-check");
  var note = document.getElementById("brand-preview-note");
  if (input && preview && check) {
    var picker = document.createElement("input");
    picker.type = "color";
    picker.className = "brand-picker";
    picker.setAttribute("aria-label", "Pick the brand colour");
    var row = document.createElement("div");
    row.className = "brand-colour-row";
    input.parentNode.insertBefore(row, input);
    row.appendChild(input);
    row.appendChild(picker);
    if (note) note.textContent = "(follows the colour as you type or pick it; saved only with Save)";

    var timer = null;
    var update = function () {
      var colour = normalise(input.value);
      if (!colour) {
        check.className = "brand-check";
        check.textContent = input.value.trim() ? "Not a colour yet: type # and six letters or digits (0-9, a-f)." : "";
        return;
      }
      var hls = toHls(colour);
      var onBrand = ratio(WHITE, colour) >= ratio(INK, colour) ? WHITE : INK;
      preview.style.setProperty("--brand", colour);
      preview.style.setProperty("--brand-dark", fromHls(hls[0], hls[1] * 0.75, hls[2]));
      preview.style.setProperty("--on-brand", onBrand);
      picker.value = colour;
      var text = Math.max(ratio(WHITE, colour), ratio(INK, colour));
      var words = "Text on it " + shown(text) + ", as text on the light backgrounds " + shown(onLight(colour)) + ".";
      if (passes(colour)) {
        check.className = "brand-check is-ok";
        check.textContent = "Passes WCAG AA (4.5:1). " + words;
      } else {
        check.className = "brand-check is-bad";
        check.textContent = "Fails WCAG AA (4.5:1 needed). " + words + " The nearest darker shade that passes is " + darkerUntilPassing(colour) + ".";
      }
    };
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 250);
    });
    picker.addEventListener("input", function () {
      input.value = picker.value;
      update();
    });
    update();
  }

  var logo = document.getElementById("id_logo");
  if (logo && window.FileReader) {
    logo.addEventListener("change", function () {
      var old = document.getElementById("logo-chosen");
      if (old) old.parentNode.removeChild(old);
      var file = logo.files && logo.files[0];
      if (!file || !/^image\/(png|jpeg|webp|gif)$/.test(file.type) || file.size > 8 * 1024 * 1024) return;
      var reader = new FileReader();
      reader.onload = function () {
        var img = document.createElement("img");
        img.id = "logo-chosen";
        img.className = "brand-logo-tile";
        img.alt = "The logo you chose, not uploaded yet";
        img.src = reader.result;
        logo.parentNode.appendChild(img);
      };
      reader.readAsDataURL(file);
    });
  }
})();
