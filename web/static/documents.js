// A document job's page (web/templates/documents.html): while the job runs, its progress
// bar and status line follow /documents/<id>/status; once it is finished the page is loaded
// again, and the server shows the downloads and the term report. Without this file the page
// refreshes itself (<noscript> meta refresh).
"use strict";

(function () {
  var FINISHED = ["done", "failed", "cancelled"];
  var MAX_DELAY_MS = 5000;

  function start() {
    var section = document.getElementById("document-job");
    var bar = document.getElementById("document-progress");
    var status = document.getElementById("document-status");
    if (!section || !bar || !status || !window.fetch) { return; }
    if (FINISHED.indexOf(section.dataset.state) >= 0) { return; }
    var every = parseInt(section.dataset.poll || "500", 10);
    var delay = every;

    function message(name, values) {
      var template = section.dataset[name] || name;
      return template.replace(/\{(\w+)\}/g, function (whole, key) {
        return values && key in values ? String(values[key]) : whole;
      });
    }

    function show(job) {
      if (job.total) {
        bar.max = job.total;
        bar.value = job.done;
      }
      var line = job.state === "queued" ? message("queued")
        : message("progress", { done: job.done, total: job.total || "?" });
      if (job.seconds_remaining !== null && job.seconds_remaining !== undefined) {
        line += " · " + message("remaining", { seconds: job.seconds_remaining });
      }
      status.textContent = line;
    }

    function poll() {
      fetch(section.dataset.status, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 404) { window.location.reload(); return null; }
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (job) {
          if (job === null) { return; }
          delay = every;
          if (FINISHED.indexOf(job.state) >= 0) {
            window.location.reload();
            return;
          }
          show(job);
          window.setTimeout(poll, delay);
        })
        .catch(function () {
          status.textContent = message("offline");
          delay = Math.min(delay * 2, MAX_DELAY_MS);
          window.setTimeout(poll, delay);
        });
    }

    window.setTimeout(poll, every);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
