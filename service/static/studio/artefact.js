/* heritage-ar studio: one artefact. Polls the API for the status and the job's stage and
   percent while it is queued or processing (reloading when it settles); saves catalogue edits,
   re-processes, retries and withdraws through /api/v1 with the session. */
(function () {
  "use strict";
  var root = document.getElementById("artefact");
  var texts = Studio.text();
  var statusEl = document.getElementById("art-status");

  // while a job is queued or running (a first upload or a re-process): its stage and percent, then a
  // reload when it is done or failed, so the page shows the new version or the reason
  function poll() {
    Studio.api("GET", root.dataset.api).then(function (r) {
      if (!r.ok) { setTimeout(poll, 5000); return; }
      var s = r.body.status;
      statusEl.textContent = texts.statuses[s] || s;
      statusEl.className = "status s-" + s;
      var job = r.body.links.job;
      if (!job) { setTimeout(poll, 1500); return; }
      Studio.api("GET", job).then(function (j) {
        if (!j.ok) { setTimeout(poll, 5000); return; }
        if (j.body.state === "done" || j.body.state === "failed") { location.reload(); return; }
        document.getElementById("job-progress").value = j.body.progress;
        document.getElementById("job-percent").textContent = j.body.progress + "%";
        var stage = j.body.stage;
        document.getElementById("job-stage").textContent = stage ? (texts.stages[stage] || stage) : "—";
        setTimeout(poll, 1500);
      });
    }, function () { setTimeout(poll, 5000); });
  }
  if (root.dataset.busy) setTimeout(poll, 1000);

  var edit = document.getElementById("edit-form");
  if (edit) {
    Catalogue.live(edit, root.dataset.validate, texts);
    edit.addEventListener("submit", function (e) {
      e.preventDefault();
      var out = document.getElementById("edit-status");
      Catalogue.check(edit, root.dataset.validate, true, texts).then(function (problem) {
        if (problem) { out.textContent = texts.fix_errors; return; }
        Studio.api("PATCH", root.dataset.api, Catalogue.read(edit, true)).then(function (r) {
          if (r.ok) { out.textContent = texts.saved; return; }
          var msg = Studio.message(r);
          out.textContent = Catalogue.show(edit, msg) ? texts.fix_errors : Studio.fill(texts.error, { msg: msg });
        });
      });
    });
  }

  function post(btn, outId, then) {
    if (!btn) return;
    btn.addEventListener("click", function () {
      btn.disabled = true;
      Studio.api("POST", btn.dataset.url).then(function (r) {
        var out = outId && document.getElementById(outId);
        if (r.ok) { if (out) out.textContent = then; location.reload(); return; }
        btn.disabled = false;
        if (out) out.textContent = Studio.fill(texts.error, { msg: Studio.message(r) });
        else alert(Studio.message(r));
      });
    });
  }
  post(document.getElementById("retry-btn"), null, "");

  // re-process: the chosen file unit and up axis are saved first (they are catalogue fields the job reads)
  var rp = document.getElementById("reprocess-form");
  if (rp) {
    rp.addEventListener("submit", function (e) {
      e.preventDefault();
      var btn = document.getElementById("reprocess-btn"), out = document.getElementById("reprocess-status");
      btn.disabled = true;
      var opts = { unit: rp.elements.unit.value || null, up_axis: rp.elements.up_axis.value || null };
      Studio.api("PATCH", root.dataset.api, opts).then(function (r) {
        return r.ok ? Studio.api("POST", btn.dataset.url) : r;
      }).then(function (r) {
        if (r.ok) { out.textContent = texts.reprocess_done; location.reload(); return; }
        btn.disabled = false;
        out.textContent = Studio.fill(texts.error, { msg: Studio.message(r) });
      });
    });
  }

  var withdraw = document.getElementById("withdraw-btn");
  if (withdraw) {
    withdraw.addEventListener("click", function () {
      if (!confirm(texts.confirm_withdraw)) return;
      Studio.api("DELETE", root.dataset.api).then(function (r) {
        if (r.ok) { location.assign(root.dataset.collection); return; }
        document.getElementById("withdraw-status").textContent = Studio.fill(texts.error, { msg: Studio.message(r) });
      });
    });
  }
})();
