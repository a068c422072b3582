/* heritage-ar studio: the catalogue form <-> the API's metadata JSON, and the API's own
   validation messages ("metadata.<field>: ...") shown under the field they name. */
(function () {
  "use strict";
  var TEXT_FIELDS = ["creator", "culture", "date", "accession_number", "attribution", "description"];
  var SELECTS = ["licence", "category", "kind", "unit", "up_axis"];
  // API field path -> form field
  var FIELD_OF = { "title": "title_en", "title.en": "title_en", "title.vi": "title_vi", "dimensions": "height",
                   "dimensions.unit": "dim_unit", "dimensions.height": "height", "dimensions.width": "width",
                   "dimensions.depth": "depth" };

  function val(form, name) {
    var el = form.elements[name];
    return el ? el.value.trim() : "";
  }

  // partial: for PATCH, an emptied field is sent as null so it is cleared
  function read(form, partial) {
    var md = {}, title = {};
    if (val(form, "title_en")) title.en = val(form, "title_en");
    if (val(form, "title_vi")) title.vi = val(form, "title_vi");
    md.title = title;
    TEXT_FIELDS.forEach(function (k) {
      if (val(form, k)) md[k] = val(form, k); else if (partial) md[k] = null;
    });
    SELECTS.forEach(function (k) {
      if (val(form, k)) md[k] = val(form, k); else if (partial && k !== "kind") md[k] = null;
    });
    var dims = {}, any = false;
    ["height", "width", "depth"].forEach(function (k) {
      var v = val(form, k);
      if (v !== "") { dims[k] = Number(v.replace(",", ".")); any = true; if (isNaN(dims[k])) dims[k] = v; }
    });
    if (any) { dims.unit = val(form, "dim_unit") || "cm"; md.dimensions = dims; }
    else if (partial) md.dimensions = null;
    md.listed = form.elements.listed ? form.elements.listed.checked : true;
    return md;
  }

  function clear(form) {
    form.querySelectorAll(".field-error").forEach(function (p) { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  // show an API error under its field; true when a field was found for it
  function show(form, message, keepFocus) {
    var m = /^metadata\.([\w.]+):/.exec(message || "");
    if (!m) return false;
    var path = m[1], name = FIELD_OF[path] || path.split(".")[0];
    var input = form.elements[name], slot = document.getElementById("err-" + name);
    if (!input || !slot) return false;
    slot.textContent = message.replace(/^metadata\.[\w.]+:\s*/, "");
    input.setAttribute("aria-invalid", "true");
    if (!keepFocus) input.focus();
    return true;
  }

  // validate with the server's rules; resolves to null when valid, else the error message
  function check(form, url, partial, texts) {
    clear(form);
    var md = read(form, partial);
    if (!partial && !md.title.en && !md.title.vi) {
      var slot = document.getElementById("err-title_en");
      slot.textContent = texts.required_title;
      form.elements.title_en.setAttribute("aria-invalid", "true");
      form.elements.title_en.focus();
      return Promise.resolve(texts.required_title);
    }
    return Studio.api("POST", url, md).then(function (r) {
      if (r.ok) return null;
      var msg = Studio.message(r);
      show(form, msg);
      return msg;
    });
  }

  // inline: each change is checked with the server's rules (as a partial record) and its message shown
  function live(form, url, texts) {
    form.addEventListener("change", function (e) {
      if (!e.target.name || e.target.type === "file") return;
      var sep = url.indexOf("?") < 0 ? "?" : "&";
      var md = read(form, true);
      clear(form);
      Studio.api("POST", url + sep + "partial=1", md).then(function (r) {
        if (!r.ok) show(form, Studio.message(r), true);
      });
    });
  }

  window.Catalogue = { read: read, clear: clear, show: show, check: check, live: live };
})();
