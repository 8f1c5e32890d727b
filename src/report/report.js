// Optional: a group filter. The page is complete without it.
(function () {
  var box = document.getElementById("group-filter");
  var select = document.getElementById("group-select");
  if (!box || !select) { return; }
  box.hidden = false;
  select.addEventListener("change", function () {
    var group = " " + select.value + " ";
    document.querySelectorAll("[data-groups]").forEach(function (e) {
      var shown = group === "  " || (" " + e.getAttribute("data-groups") + " ").indexOf(group) >= 0;
      e.style.display = shown ? "" : "none";
    });
  });
})();
