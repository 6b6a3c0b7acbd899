(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) return;
  form.hidden = false;
  var q = document.getElementById("q"), area = document.getElementById("area");
  var level = document.getElementById("level"), shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#matrix tr.rule"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("#matrix tbody"));

  function apply() {
    var wanted = {};
    form.querySelectorAll("input[name=outcome]").forEach(function (box) { wanted[box.value] = box.checked; });
    var words = q.value.trim().toLowerCase().split(/\s+/).filter(Boolean), count = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = wanted[d.outcome] && (!area.value || d.area === area.value) && (!level.value || d.level === level.value) &&
        words.every(function (w) { return d.text.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) count++;
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.rule:not([hidden])"); });
    shown.textContent = count + " of " + rows.length + " rules shown";
  }

  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var row = id && document.getElementById(id);
    var details = row && row.closest("details");
    if (details && !details.open) {
      details.open = true;
      row.scrollIntoView();
    }
    if (row && row.hidden) {
      form.reset();
      apply();
      row.scrollIntoView();
    }
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  window.addEventListener("hashchange", reveal);
  document.querySelectorAll("a.filter[data-area]").forEach(function (a) {
    a.addEventListener("click", function () { form.reset(); area.value = a.dataset.area; apply(); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== q) { e.preventDefault(); q.focus(); }
  });
  document.querySelectorAll("button.copy").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.parentNode.querySelector("pre").textContent;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1200);
      });
    });
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  apply();
  reveal();
})();
