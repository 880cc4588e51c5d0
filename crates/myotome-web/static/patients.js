// Patients: search as you type. Without this script the search form submits normally; with
// it, a short pause after typing fetches only the results region (`partial=1`) and swaps it
// in (the region is aria-live, so screen readers hear the new count). The address bar follows
// the search, so reload and Back show the same list.
(function () {
  "use strict";
  var form = document.getElementById("patient-search");
  var box = document.getElementById("q");
  var region = document.getElementById("patient-results");
  if (!form || !box || !region || !window.fetch) {
    return;
  }
  var timer = null;
  var latest = 0;
  var shown = box.value;

  function search() {
    var q = box.value.trim();
    if (q === shown) {
      return;
    }
    var asked = ++latest;
    var params = new URLSearchParams();
    if (q) {
      params.set("q", q);
    }
    // What the form carries besides the search (a visit being booked from the calendar).
    var hidden = form.querySelectorAll("input[type=hidden]");
    for (var i = 0; i < hidden.length; i++) {
      params.set(hidden[i].name, hidden[i].value);
    }
    var query = params.toString();
    var page = "/patients" + (query ? "?" + query : "");
    params.set("partial", "1");
    fetch("/patients?" + params.toString(), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    })
      .then(function (response) {
        // Signed out meanwhile (redirected to sign-in): let the form do a full submit.
        if (response.redirected) {
          throw new Error("not a results fragment");
        }
        return response.text().then(function (html) {
          return { ok: response.ok || response.status === 422, html: html };
        });
      })
      .then(function (answer) {
        if (asked !== latest) {
          return; // a newer search is on its way
        }
        if (!answer.ok) {
          throw new Error("search failed");
        }
        // The fragment is server-rendered and escaped like every page.
        region.innerHTML = answer.html;
        shown = q;
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", page);
        }
      })
      .catch(function () {
        if (asked === latest) {
          form.submit();
        }
      });
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 300);
  });
  form.addEventListener("submit", function () {
    window.clearTimeout(timer);
  });
})();
