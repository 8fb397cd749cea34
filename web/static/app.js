// Conveniences only: everything works without this file.
"use strict";

// Long texts through the jobs API: a progress bar, the translation as it comes, and Cancel.
// The finished job is then shown by the server at /jobs/<id>, rendered with the same template
// and marking code as a posted form, so no marking is done here. Returns `take(event)`, for
// the form's submit handler: true when it took the submit over.
function setUpJobs(form) {
  var panel = document.getElementById("job");
  var bar = document.getElementById("job-progress");
  var cancel = document.getElementById("cancel");
  var status = document.getElementById("job-status");
  var alertBox = document.getElementById("job-error");
  var output = document.getElementById("job-output");
  var text = document.getElementById("text");
  var pair = document.getElementById("pair");
  var mode = document.getElementById("mode");
  var file = document.getElementById("file");
  if (!panel || !bar || !cancel || !status || !alertBox || !output || !text || !pair ||
      !mode || !window.fetch || !window.history) {
    return function () { return false; };
  }
  var root = form.dataset.root || "/";
  var longText = parseInt(form.dataset.long || "600", 10);
  var POLL_MS = 400;
  var MAX_FAILURES = 5;
  var current = null;  // the job followed now: {id, timer, failures}
  var saved = [];  // what the page showed before the job, put back when it ends without result

  function message(name, values) {
    var template = panel.dataset[name] || name;
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return values && key in values ? String(values[key]) : whole;
    });
  }
  function apiUrl(id) { return root + "api/jobs" + (id ? "/" + encodeURIComponent(id) : ""); }
  function pageUrl(id) { return root + "jobs/" + encodeURIComponent(id); }

  // The names of the ticked glossaries (none ticked: none, for the form and the API alike), or
  // null when the boxes shown are for another pair than the one chosen, which the form ignores.
  function glossaries() {
    var boxes = form.querySelectorAll('input[name="glossary"]');
    var names = [];
    boxes.forEach(function (box) { if (box.checked) { names.push(box.value); } });
    if (pair.value !== form.dataset.pair) { return null; }
    return names;
  }

  function lock() {
    saved = [];
    text.readOnly = true;
    form.querySelectorAll("select, input, button[type=submit]").forEach(function (el) {
      if (el.type !== "hidden") { saved.push([el, "disabled", el.disabled]); el.disabled = true; }
    });
    document.querySelectorAll(".result-part").forEach(function (el) {
      saved.push([el, "hidden", el.hidden]);
      el.hidden = true;
    });
    var notice = document.getElementById("job-notice");
    if (notice) { saved.push([notice, "hidden", notice.hidden]); notice.hidden = true; }
    alertBox.textContent = "";
    alertBox.className = "";
    bar.removeAttribute("value");  // indeterminate until the total is known
    output.textContent = "";
    cancel.disabled = false;
    panel.hidden = false;
    status.textContent = message("queued");
  }

  // Back to the form as it was, the text in it; `problem` (an error) or `note` said.
  function unlock(problem, note) {
    var focus = document.activeElement;
    var lost = !focus || focus === document.body || focus.disabled || panel.contains(focus);
    current = null;
    panel.hidden = true;
    output.hidden = true;
    output.textContent = "";
    saved.forEach(function (entry) { entry[0][entry[1]] = entry[2]; });
    saved = [];
    text.readOnly = false;
    status.textContent = note || "";
    alertBox.textContent = problem || "";
    alertBox.className = problem ? "error" : "";
    if (location.pathname.indexOf(root + "jobs/") === 0) {
      history.replaceState(null, "", root);  // the job is no more: reloading shows the form
    }
    if (lost || !problem) { text.focus(); }
  }

  // A readable message for a reply that is not OK (a rejected promise carrying it).
  function refusal(reply) {
    if (reply.status === 429) {
      var seconds = parseInt(reply.headers.get("Retry-After") || "", 10);
      return Promise.reject(new Error(message("busy", {seconds: isNaN(seconds) ? 5 : seconds})));
    }
    return reply.json().then(function (body) {
      var said = body && (body.error || body.message);
      if (said && body.detail) { said += " (" + body.detail + ")"; }
      return said || reply.status + " " + reply.statusText;
    }, function () {
      return reply.status + " " + reply.statusText;
    }).then(function (said) {
      return Promise.reject(new Error(message("failed", {error: said})));
    });
  }
  function readable(error) {
    // fetch rejects with a TypeError when the server cannot be reached
    return error instanceof TypeError ? message("offline") : error.message;
  }

  function flagged(error, flag) {
    error[flag] = true;
    return error;
  }
  function forget(id) {  // best effort: the server stops a job nobody follows any more
    fetch(apiUrl(id), {method: "DELETE", credentials: "same-origin"}).catch(function () {});
  }

  function follow(id) {
    var job = {id: id, timer: null, failures: 0};
    current = job;
    history.replaceState(null, "", pageUrl(id));  // a reload shows this job, text included

    function again(ms) { job.timer = setTimeout(poll, ms); }
    function show(data) {
      if (data.total) {
        bar.max = data.total;
        bar.value = data.done;
      }
      if (data.text) {
        output.textContent = data.text;
        output.hidden = false;
      }
      if (data.state === "done") {
        status.textContent = message("done");
        current = null;
        window.location.replace(pageUrl(id));
      } else if (data.state === "failed") {
        unlock(message("failed", {error: data.error || ""}));
      } else if (data.state === "cancelled") {
        unlock(message("gone"));
      } else {
        status.textContent = data.total
          ? message("progress", {done: data.done, total: data.total}) : message("queued");
        again(POLL_MS);
      }
    }
    function poll() {
      fetch(apiUrl(id), {headers: {Accept: "application/json"}, credentials: "same-origin",
                         cache: "no-store"})
        .then(function (reply) {
          if (current !== job) { return null; }
          if (reply.ok) {
            return reply.json().then(function (data) {
              if (current === job) { job.failures = 0; show(data); }
            });
          }
          if (reply.status === 404) { throw flagged(new Error(message("gone")), "gone"); }
          return refusal(reply).catch(function (error) {
            throw reply.status === 429 || reply.status >= 500 ? flagged(error, "passing") : error;
          });
        })
        .catch(function (error) {
          if (current !== job) { return; }
          // A moment without the server is waited out; then the job is given up.
          var passing = error instanceof TypeError || error.passing;
          if (passing && ++job.failures < MAX_FAILURES) {
            again(POLL_MS * Math.pow(2, job.failures));
            return;
          }
          if (!error.gone) { forget(id); }
          unlock(readable(error));
        });
    }
    poll();
  }

  cancel.addEventListener("click", function () {
    var job = current;
    if (!job) { return; }
    clearTimeout(job.timer);
    current = null;  // answers still on their way are ignored from now
    cancel.disabled = true;
    fetch(apiUrl(job.id), {method: "DELETE", credentials: "same-origin"})
      .then(function (reply) {
        if (reply.ok || reply.status === 404) {
          unlock("", message("cancelled"));
          return null;
        }
        return refusal(reply);
      })
      .catch(function (error) { unlock(readable(error)); });
  });

  if (form.dataset.job) {  // /jobs/<id> of a job still running: follow it on
    lock();
    follow(form.dataset.job);
  }

  return function take(event) {
    if (current) {  // one job at a time
      event.preventDefault();
      return true;
    }
    var names = glossaries();
    if (text.value.length <= longText || names === null || (file && file.files.length)) {
      return false;  // short, or a file (the server decodes it), or glossaries: the form
    }
    event.preventDefault();
    var parts = pair.value.split(":");
    var body = {text: text.value, source: parts[0], target: parts[1], glossaries: names,
                mode: mode.value};
    lock();
    fetch(apiUrl(), {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
                     headers: {"Content-Type": "application/json", Accept: "application/json"}})
      .then(function (reply) { return reply.ok ? reply.json() : refusal(reply); })
      .then(function (job) { follow(job.id); })
      .catch(function (error) { unlock(readable(error)); });
    return true;
  };
}

document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("translate-form");
  var progress = document.getElementById("progress");
  if (form && progress) {
    var take = setUpJobs(form);
    form.addEventListener("submit", function (event) {
      if (take(event)) { return; }
      progress.textContent = form.dataset.busy || "…";
      progress.hidden = false;
      var button = document.getElementById("translate");
      if (button) { button.disabled = true; }
    });
  }
  var copy = document.getElementById("copy");
  var result = document.getElementById("result");
  if (copy && result && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(result.textContent).then(function () {
        var label = copy.textContent;
        copy.textContent = copy.dataset.copied || label;
        setTimeout(function () { copy.textContent = label; }, 1500);
      });
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.dataset.confirm)) { event.preventDefault(); }
    });
  });
});
