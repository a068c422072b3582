/* heritage-ar studio: what every page shares. `Studio.api` calls /api/v1 with the signed-in
   session and the page's CSRF token (api/auth.py refuses a session write without it). */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var lang = document.documentElement.lang || "en";

  function api(method, url, body) {
    // the API words its messages in the page's language where it can (service/messages.py)
    var opts = { method: method, headers: { "X-CSRFToken": token, "Accept": "application/json",
                                            "Accept-Language": lang },
                 credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      if (r.status === 204) return { ok: true, status: 204, body: null };
      return r.json().catch(function () { return null; }).then(function (b) {
        return { ok: r.ok, status: r.status, body: b, lang: r.headers.get("Content-Language") };
      });
    });
  }

  function text() {
    var el = document.getElementById("studio-text");
    return el ? JSON.parse(el.textContent) : {};
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  // an API error for a person: its message when it is in the page's language, else the code's
  // plain words in the page's language with the technical message after them
  function message(result) {
    var e = result && result.body && result.body.error;
    if (!e) return "HTTP " + (result ? result.status : "?");
    var plain = errors()[e.code];
    if ((result.lang || "en") === lang || !plain) return e.message;
    return plain + " (" + e.message + ")";
  }

  function errors() {
    var el = document.getElementById("studio-errors");
    return el ? JSON.parse(el.textContent) : {};
  }

  // copy buttons: data-copy names the field whose value goes to the clipboard
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button.copy");
    if (!btn) return;
    var field = document.getElementById(btn.dataset.copy);
    field.select();
    // the button keeps its name (its label must match what is shown); a status line says it worked
    var done = function () { document.getElementById(btn.dataset.copy + "-done").textContent = btn.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  window.Studio = { api: api, text: text, fill: fill, message: message, token: token };
})();
