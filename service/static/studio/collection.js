/* heritage-ar studio: the collection's bulk withdraw (one DELETE per artefact through the API). */
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) return;
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      form.querySelectorAll('input[name="id"]').forEach(function (c) { c.checked = all.checked; });
    });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var ids = Array.prototype.map.call(form.querySelectorAll('input[name="id"]:checked'), function (c) { return c.value; });
    if (!ids.length || !confirm(form.dataset.confirm)) return;
    Promise.all(ids.map(function (id) { return Studio.api("DELETE", "/api/v1/artefacts/" + encodeURIComponent(id)); }))
      .then(function (results) {
        var bad = results.filter(function (r) { return !r.ok; });
        if (bad.length) document.getElementById("bulk-status").textContent = Studio.message(bad[0]);
        else location.reload();
      });
  });
})();
