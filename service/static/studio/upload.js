/* heritage-ar studio: the upload page. Files come from the picker, a folder picker or a drop
   (folders walked); the catalogue record is checked with the API's rules first, so a long upload
   never starts with a bad title. With the resumable uploader (static/uploads/uploader.js) each
   file goes up in parts (pause, resume, survives a dropped connection) and the artefact is made
   from the upload ids; without it, one multipart POST /api/v1/artefacts with a progress bar. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var texts = Studio.text();
  var maxBytes = Number(form.dataset.maxMb) * 1024 * 1024;
  var files = [];
  var list = document.getElementById("file-list");
  var status = document.getElementById("form-status");
  var pauseBtn = document.getElementById("pause-btn");
  var cancelBtn = document.getElementById("cancel-btn");
  var uploads = [];
  var paused = false;

  function human(n) {
    var u = ["B", "KB", "MB", "GB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }

  function render() {
    list.textContent = "";
    files.forEach(function (f, i) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = (f.webkitRelativePath || f.name) + " (" + human(f.size) + ")";
      var bar = document.createElement("progress");
      bar.max = 100; bar.value = 0; bar.id = "progress-" + i;
      bar.setAttribute("aria-label", f.name);
      li.appendChild(name); li.appendChild(bar);
      list.appendChild(li);
    });
  }

  function add(newFiles) {
    var err = document.getElementById("err-files");
    err.textContent = "";
    Array.prototype.forEach.call(newFiles, function (f) {
      if (f.size > maxBytes) err.textContent = Studio.fill(texts.too_big, { name: f.name });
      else files.push(f);
    });
    render();
  }

  document.getElementById("files").addEventListener("change", function (e) { add(e.target.files); });
  document.getElementById("folder").addEventListener("change", function (e) { add(e.target.files); });

  // folders dropped: the uploader's collect() when present, else walk the entries here
  function walk(entry) {
    return new Promise(function (resolve) {
      if (entry.isFile) { entry.file(function (f) { resolve([f]); }, function () { resolve([]); }); return; }
      var reader = entry.createReader(), all = [];
      (function more() {
        reader.readEntries(function (batch) {
          if (!batch.length) {
            Promise.all(all.map(walk)).then(function (lists) { resolve([].concat.apply([], lists)); });
            return;
          }
          all = all.concat(batch); more();
        }, function () { resolve([]); });
      })();
    });
  }

  function collect(dt) {
    if (window.HeritageUploads && HeritageUploads.collect) return HeritageUploads.collect(dt);
    var entries = Array.prototype.map.call(dt.items || [], function (it) {
      return it.webkitGetAsEntry ? it.webkitGetAsEntry() : null;
    }).filter(Boolean);
    if (!entries.length) return Promise.resolve(Array.prototype.slice.call(dt.files));
    return Promise.all(entries.map(walk)).then(function (lists) { return [].concat.apply([], lists); });
  }

  var drop = document.getElementById("drop");
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) {
    e.preventDefault(); drop.classList.remove("over");
    collect(e.dataTransfer).then(add);
  });

  function say(msg) { status.textContent = msg; }

  Catalogue.live(form, form.dataset.validate, texts);

  function fail(result) {
    var msg = typeof result === "string" ? result : Studio.message(result);
    if (!Catalogue.show(form, msg)) say(Studio.fill(texts.upload_failed, { msg: msg }));
    else say(texts.fix_errors);
    document.getElementById("upload-btn").disabled = false;
    pauseBtn.hidden = cancelBtn.hidden = true;
  }

  function done(body) {
    say(texts.upload_done);
    location.assign(form.dataset.artefact.replace("ID", body.id));
  }

  // without the resumable uploader: one multipart request, progress from XMLHttpRequest
  function sendMultipart(md) {
    var data = new FormData();
    files.forEach(function (f) { data.append("file", f, f.name); });
    data.append("metadata", JSON.stringify(md));
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.endpoint);
    xhr.setRequestHeader("X-CSRFToken", Studio.token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.floor(100 * e.loaded / e.total);
      say(Studio.fill(texts.uploading, { pct: pct }));
      list.querySelectorAll("progress").forEach(function (b) { b.value = pct; });
    };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 200 || xhr.status === 202) done(body);
      else fail({ status: xhr.status, body: body });
    };
    xhr.onerror = function () { fail({ status: 0, body: null }); };
    xhr.send(data);
  }

  // with the resumable uploader: each file in parts, then the artefact from the upload ids
  function sendResumable(md) {
    pauseBtn.hidden = cancelBtn.hidden = false;
    var sent = files.map(function () { return 0; });
    var total = files.reduce(function (s, f) { return s + f.size; }, 0) || 1;
    uploads = files.map(function (f, i) {
      return new HeritageUploads.Upload(f, {
        endpoint: form.dataset.uploads,
        headers: function () { return { "X-CSRFToken": Studio.token }; },
        onProgress: function (s, t) {
          sent[i] = s;
          document.getElementById("progress-" + i).value = t ? Math.floor(100 * s / t) : 100;
          var all = sent.reduce(function (a, b) { return a + b; }, 0);
          if (!paused) say(Studio.fill(texts.uploading, { pct: Math.floor(100 * all / total) }));
        },
        onState: function () {}
      });
    });
    Promise.all(uploads.map(function (u) { return u.start(); })).then(function (ids) {
      pauseBtn.hidden = cancelBtn.hidden = true;
      var body = { upload_ids: ids, metadata: md };
      return Studio.api("POST", form.dataset.endpoint, body).then(function (r) {
        if (r.ok) done(r.body); else fail(r);
      });
    }).catch(function (e) { fail(String(e && e.message || e)); });
  }

  pauseBtn.addEventListener("click", function () {
    paused = !paused;
    uploads.forEach(function (u) { if (paused) u.pause(); else u.resume(); });
    pauseBtn.textContent = paused ? texts.resume : texts.pause;
    if (paused) say(texts.paused);
  });
  cancelBtn.addEventListener("click", function () {
    uploads.forEach(function (u) { u.cancel(); });
    uploads = [];
    fail(texts.upload_failed.replace("{msg}", "—"));
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var err = document.getElementById("err-files");
    if (!files.length) {
      err.textContent = texts.no_files;
      document.getElementById("files").focus();
      return;
    }
    document.getElementById("upload-btn").disabled = true;
    Catalogue.check(form, form.dataset.validate, false, texts).then(function (problem) {
      if (problem) { say(texts.fix_errors); document.getElementById("upload-btn").disabled = false; return; }
      var md = Catalogue.read(form, false);
      if (window.HeritageUploads) sendResumable(md); else sendMultipart(md);
    });
  });
})();
