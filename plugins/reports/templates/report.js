(function () {
  "use strict";
  var tier = document.getElementById("filter-tier");
  var action = document.getElementById("filter-action");
  var count = document.getElementById("action-count");
  function apply() {
    var shown = 0;
    var groups = document.querySelectorAll("section.priority");
    for (var g = 0; g < groups.length; g++) {
      var rows = groups[g].querySelectorAll("tbody tr");
      var visible = 0;
      for (var r = 0; r < rows.length; r++) {
        var row = rows[r];
        var ok = (!tier.value || row.getAttribute("data-tier") === tier.value) &&
                 (!action.value || row.getAttribute("data-action") === action.value);
        row.hidden = !ok;
        if (ok) { visible++; }
      }
      groups[g].hidden = visible === 0;
      shown += visible;
    }
    count.textContent = String(shown);
  }
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  if (tier && action && count) {
    tier.addEventListener("change", apply);
    action.addEventListener("change", apply);
    apply();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
