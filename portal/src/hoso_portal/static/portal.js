// Small additions for pages that already work without JavaScript: the approval countdown,
// the upload progress bar, and focus on the error summary. htmx does the rest.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = parseInt(el.getAttribute("data-countdown"), 10);
      if (isNaN(left)) { return; }
      left = Math.max(0, left - 1);
      el.setAttribute("data-countdown", String(left));
      el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    });
  }
  setInterval(tick, 1000);

  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("upload-progress");
    var detail = event.detail || {};
    if (!bar || !detail.lengthComputable) { return; }
    bar.hidden = false;
    bar.value = Math.round((detail.loaded / detail.total) * 100);
  });

  function focusSummary() {
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", focusSummary);

  // A link in the error summary puts the focus in its field, not just the field in view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    field.scrollIntoView({ block: "center" });
    field.focus();
  });
  document.addEventListener("htmx:afterSettle", focusSummary);
})();

// Live notices: on every (re)connection of the stream, what the page shows is read again from
// the APIs, since events sent while the stream was down are not replayed.
(function () {
  "use strict";
  document.addEventListener("htmx:sseOpen", function () {
    if (!window.htmx) { return; }
    document.querySelectorAll("[data-resync]").forEach(function (el) {
      window.htmx.trigger(el, "resync");
    });
  });
})();
