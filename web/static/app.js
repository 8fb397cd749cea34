// Conveniences only: everything works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("translate-form");
  var progress = document.getElementById("progress");
  if (form && progress) {
    form.addEventListener("submit", function () {
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
