(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }

  // A link to #RULE-ID, #rule-RULE-ID or a section opens every collapsed section around its target.
  function openAround(el) {
    for (var d = el; d; d = d.parentElement) {
      if (d.tagName === "DETAILS" && !d.open) d.open = true;
    }
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var el = $(id) || $("rule-" + id);
    if (!el) return;
    if (el.hidden && form) { form.reset(); apply(); }
    openAround(el);
    el.scrollIntoView();
  }

  var form = $("filters"), rows = all("#matrix tr.rule"), groups = all("#matrix tbody");
  var selects = ["area", "operation", "evidence", "level"].map($);
  function apply() {
    if (!form) return;
    var wanted = {}, q = $("q"), count = 0;
    form.querySelectorAll("input[name=outcome]").forEach(function (box) { wanted[box.value] = box.checked; });
    var words = q.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    rows.forEach(function (row) {
      var d = row.dataset, ok = wanted[d.outcome] !== false;
      ok = ok && (!selects[0].value || d.area === selects[0].value);
      ok = ok && (!selects[1].value || d.operations.indexOf(" " + selects[1].value + " ") !== -1 ||
        d.operations.indexOf(" * ") !== -1);
      ok = ok && (!selects[2].value || d.evidence === selects[2].value);
      ok = ok && (!selects[3].value || d.level === selects[3].value);
      ok = ok && words.every(function (w) { return d.text.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) count++;
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.rule:not([hidden])"); });
    $("shown").textContent = count + " of " + rows.length + " rules shown";
  }
  if (form) {
    form.hidden = false;
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    all("a.filter[data-area]").forEach(function (a) {
      a.addEventListener("click", function () { form.reset(); selects[0].value = a.dataset.area; apply(); });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "/" && document.activeElement !== $("q")) { e.preventDefault(); openAround($("q")); $("q").focus(); }
    });
  }

  // Copy buttons: the clipboard API where the page may use it, else a selection and execCommand.
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand && document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  all("button.copy").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button.parentNode.querySelector("pre").textContent).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Select and copy"; }
      );
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    });
  });
  window.addEventListener("hashchange", reveal);
  all("nav a").forEach(function (a) { a.addEventListener("click", function () { setTimeout(reveal, 0); }); });
  window.addEventListener("beforeprint", function () { all("details").forEach(function (d) { d.open = true; }); });
  apply();
  reveal();
})();
