// The language switcher: links to the same page in each language. Following one also
// remembers the choice in the language cookie, which only decides where a later visit to
// an English (unprefixed) address goes; the pages themselves never set or vary on it, so
// every visitor still gets the same kept copy of each page.
(function () {
  "use strict";
  var links = document.querySelectorAll("[data-language]");
  for (var i = 0; i < links.length; i++) {
    links[i].addEventListener("click", function (event) {
      var code = event.currentTarget.getAttribute("data-language");
      document.cookie = "django_language=" + encodeURIComponent(code) +
        "; path=/; max-age=31536000; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
    });
  }
})();
