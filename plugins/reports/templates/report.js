(function () {
  "use strict";
  var filters = document.querySelectorAll("select[data-filter]");
  var count = document.getElementById("action-count");
  function apply() {
    var shown = 0;
    var groups = document.querySelectorAll("section.priority");
    for (var g = 0; g < groups.length; g++) {
      var rows = groups[g].querySelectorAll("tbody tr");
      var visible = 0;
      for (var r = 0; r < rows.length; r++) {
        var row = rows[r];
        var ok = true;
        for (var f = 0; f < filters.length; f++) {
          var wanted = filters[f].value;
          if (wanted && row.getAttribute("data-" + filters[f].getAttribute("data-filter")) !== wanted) { ok = false; }
        }
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
  if (filters.length && count) {
    for (var i = 0; i < filters.length; i++) { filters[i].addEventListener("change", apply); }
    apply();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
