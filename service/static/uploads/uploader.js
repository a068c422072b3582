/*
 * uploader.js: resumable uploads of large scans to heritage-ar (docs/uploads.md), no dependencies.
 *
 *   const up = new HeritageUploads.Upload(file, {endpoint: "/api/v1/uploads", headers: () => ({...}),
 *                                                onProgress: (sent, total) => {}, onState: (state) => {}});
 *   up.start()    // Promise of the upload id once complete
 *   up.pause(); up.resume(); up.cancel();
 *   HeritageUploads.collect(dataTransfer)   // Promise<File[]>, dropped folders walked (file.relativePath)
 *
 * The server cuts the file (part_size, parts_total) and says where parts go: mode "local" PUTs them to
 * the app, mode "s3" to presigned URLs in the bucket (the app never sees the bytes). Parts go 3 at a
 * time. A failed part is retried with backoff; after that the server is asked which parts it holds and
 * the rest are sent, so a dropped connection costs at most the parts in flight. Upload ids are kept in
 * localStorage by name, size and lastModified: the same file dropped again after a closed tab resumes.
 *
 * States: idle, uploading, retrying, paused, completing, complete, error, cancelled.
 */
(function (global) {
  "use strict";

  var DEFAULTS = {endpoint: "/api/v1/uploads", parallel: 3, retries: 6, backoffMs: 500, maxBackoffMs: 15000,
                  presignBatch: 20, headers: function () { return {}; },
                  onProgress: function () {}, onState: function () {}};
  var STORE_PREFIX = "heritage-uploads:";

  function HttpError(status, message, retryAfter) {
    this.name = "HttpError";
    this.status = status;
    this.message = message;
    this.retryAfter = retryAfter;
  }
  HttpError.prototype = Object.create(Error.prototype);

  // 0 (network), 408, 429 and 5xx are worth retrying; another 4xx will fail the same way again
  function retryable(err) {
    return !(err instanceof HttpError) || err.status === 0 || err.status === 408 || err.status === 429 ||
      err.status >= 500;
  }

  function storageKey(file) {
    var name = file.relativePath || file.webkitRelativePath || file.name;
    return STORE_PREFIX + name + ":" + file.size + ":" + file.lastModified;
  }

  function remember(file, id) {
    try {
      if (id) global.localStorage.setItem(storageKey(file), id);
      else global.localStorage.removeItem(storageKey(file));
    } catch (e) { /* private mode or storage full: resuming after a closed tab is lost, uploading is not */ }
  }

  function recalled(file) {
    try { return global.localStorage.getItem(storageKey(file)); } catch (e) { return null; }
  }

  function Upload(file, options) {
    this.file = file;
    this.options = {};
    var key;
    for (key in DEFAULTS) this.options[key] = DEFAULTS[key];
    for (key in options || {}) this.options[key] = options[key];
    this.state = "idle";
    this.id = null;
    this.info = null;
    this.done = {};       // part number -> {size, etag}
    this.inflight = {};   // part number -> {xhr, loaded}
    this.urls = {};       // s3: part number -> presigned URL
    this._run = 0;        // bumped by pause/cancel: workers of an older run stop
    this._promise = null;
  }

  Upload.prototype._setState = function (state) {
    if (this.state === state) return;
    this.state = state;
    try { this.options.onState(state); } catch (e) { /* the page's callback must not stop the upload */ }
  };

  Upload.prototype._progress = function () {
    var sent = 0, n;
    for (n in this.done) sent += this.done[n].size;
    for (n in this.inflight) sent += this.inflight[n].loaded;
    try { this.options.onProgress(Math.min(sent, this.file.size), this.file.size); } catch (e) { /* as above */ }
  };

  Upload.prototype._api = function (method, path, body) {
    var headers = {"Accept": "application/json"}, extra = this.options.headers() || {}, k;
    for (k in extra) headers[k] = extra[k];
    var init = {method: method, headers: headers, credentials: "same-origin"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return global.fetch(this.options.endpoint + path, init).then(function (resp) {
      if (resp.status === 204) return null;
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.ok) return data;
        var message = (data && data.error && data.error.message) || ("HTTP " + resp.status);
        throw new HttpError(resp.status, message, Number(resp.headers.get("Retry-After")) || 0);
      });
    }, function (err) {
      throw new HttpError(0, "network: " + err.message, 0);
    });
  };

  // PUT one part with XMLHttpRequest (fetch reports no upload progress); resolves to the ETag
  Upload.prototype._put = function (number, url, headers) {
    var self = this, size = this.info.part_size, start = (number - 1) * size;
    var blob = this.file.slice(start, Math.min(start + size, this.file.size));
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      self.inflight[number] = {xhr: xhr, loaded: 0};
      xhr.open("PUT", url);
      for (var k in headers) xhr.setRequestHeader(k, headers[k]);
      xhr.upload.onprogress = function (e) {
        if (self.inflight[number]) { self.inflight[number].loaded = e.loaded; self._progress(); }
      };
      xhr.onload = function () {
        delete self.inflight[number];
        if (xhr.status >= 200 && xhr.status < 300) {
          var etag = (xhr.getResponseHeader("ETag") || "").replace(/"/g, "");
          if (!etag) {
            try { etag = JSON.parse(xhr.responseText).etag; } catch (e) { etag = ""; }
          }
          resolve({size: blob.size, etag: etag});
        } else {
          var message = "HTTP " + xhr.status;
          try { message = JSON.parse(xhr.responseText).error.message; } catch (e) { /* S3 answers XML */ }
          reject(new HttpError(xhr.status, message, Number(xhr.getResponseHeader("Retry-After")) || 0));
        }
      };
      xhr.onerror = xhr.ontimeout = function () {
        delete self.inflight[number];
        reject(new HttpError(0, "network error sending part " + number, 0));
      };
      xhr.onabort = function () {
        delete self.inflight[number];
        reject(new HttpError(0, "aborted", 0));
      };
      xhr.send(blob);
    });
  };

  Upload.prototype._url = function (number) {
    var self = this;
    if (this.info.mode !== "s3") {
      var headers = this.options.headers() || {};
      return Promise.resolve([this.options.endpoint + "/" + this.id + "/parts/" + number, headers]);
    }
    if (this.urls[number]) return Promise.resolve([this.urls[number], {}]);
    if (this._presigning) {  // the workers start together: wait for the batch already asked for
      return this._presigning.then(function () { return self._url(number); });
    }
    // presign this part and the next few missing ones in one call
    var numbers = [], n;
    for (n = number; n <= this.info.parts_total && numbers.length < this.options.presignBatch; n++) {
      if (!this.done[n] && !this.urls[n]) numbers.push(n);
    }
    var asked = this._api("POST", "/" + this.id + "/presign", {numbers: numbers}).then(function (data) {
      for (var k in data.urls) self.urls[Number(k)] = data.urls[k];
    });
    this._presigning = asked;
    return asked.then(function () {
      self._presigning = null;
      if (!self.urls[number]) throw new HttpError(0, "no URL for part " + number, 0);
      return [self.urls[number], {}];
    }, function (err) {
      self._presigning = null;
      throw err;
    });
  };

  Upload.prototype._sendPart = function (number, run) {
    var self = this, attempt = 0;
    function once() {
      if (run !== self._run) return Promise.resolve();
      return self._url(number).then(function (target) {
        return self._put(number, target[0], target[1]);
      }).then(function (part) {
        self.done[number] = part;
        self._progress();
        if (self.state === "retrying" && run === self._run) self._setState("uploading");
      }, function (err) {
        if (run !== self._run) return;
        delete self.urls[number];  // an expired presigned URL is renewed on the next try
        if (!retryable(err) || attempt >= self.options.retries) throw err;
        attempt += 1;
        self._setState("retrying");
        var wait = Math.max(err.retryAfter * 1000,
                            Math.min(self.options.maxBackoffMs, self.options.backoffMs * Math.pow(2, attempt - 1)));
        return self._sleep(wait, run).then(once);
      });
    }
    return once();
  };

  // resolves early when the browser comes back online, so a restored connection is used at once
  Upload.prototype._sleep = function (ms, run) {
    var self = this;
    return new Promise(function (resolve) {
      var timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        global.removeEventListener("online", finish);
        resolve();
      }
      global.addEventListener("online", finish);
      self._wake = finish;
    });
  };

  // ask the server which parts it has (resume after a closed tab, a pause or a long outage)
  Upload.prototype._sync = function () {
    var self = this;
    return this._api("GET", "/" + this.id).then(function (info) {
      self.info = info;
      self.done = {};
      info.parts.forEach(function (p) { self.done[p.number] = {size: p.size, etag: p.etag}; });
      self._progress();
      return info;
    });
  };

  Upload.prototype._open = function () {
    var self = this, id = recalled(this.file);
    var found = id ? this._api("GET", "/" + id).catch(function () { return null; }) : Promise.resolve(null);
    return found.then(function (info) {
      if (info && info.size === self.file.size && (info.state === "open" || info.state === "complete")) {
        self.id = info.id;
        return self._sync();
      }
      var body = {filename: self.file.name, size: self.file.size};
      if (self.file.type) body.content_type = self.file.type;
      return self._api("POST", "", body).then(function (created) {
        self.id = created.id;
        self.info = created;
        self.done = {};
        remember(self.file, created.id);
        return created;
      });
    });
  };

  Upload.prototype._pump = function (run) {
    var self = this, next = 1, total = this.info.parts_total;
    function worker() {
      while (next <= total && self.done[next]) next++;
      if (run !== self._run || next > total) return Promise.resolve();
      var number = next++;
      return self._sendPart(number, run).then(worker);
    }
    var workers = [];
    for (var i = 0; i < this.options.parallel; i++) workers.push(worker());
    return Promise.all(workers);
  };

  Upload.prototype._finish = function (run) {
    var self = this;
    if (run !== this._run) return Promise.resolve();
    for (var n = 1; n <= this.info.parts_total; n++) {
      if (!this.done[n]) return this._pump(run).then(function () { return self._finish(run); });
    }
    this._setState("completing");
    var parts = [];
    for (n = 1; n <= this.info.parts_total; n++) parts.push({number: n, etag: this.done[n].etag});
    return this._api("POST", "/" + this.id + "/complete", {parts: parts}).then(function (answer) {
      if (run !== self._run) return;
      remember(self.file, null);
      self.info.state = "complete";
      self.info.sha256 = answer.sha256;
      self._setState("complete");
      self._resolve(self.id);
    });
  };

  // one run: sync with the server, send the missing parts, complete; on a lasting failure, resync once
  Upload.prototype._go = function (run, fresh) {
    var self = this, resynced = false;
    this._setState("uploading");
    var ready = fresh ? this._open() : this._sync();
    function attempt() {
      return self._pump(run).then(function () { return self._finish(run); });
    }
    return ready.then(function (info) {
      if (info.state === "complete") {
        remember(self.file, null);
        self._setState("complete");
        self._resolve(self.id);
        return;
      }
      return attempt().catch(function (err) {
        if (run !== self._run || resynced || !retryable(err)) throw err;
        // the server may hold more than we think (or less): stop this run's other parts, ask, then continue
        resynced = true;
        self._stopInflight();
        run = self._run;
        return self._sync().then(attempt);
      });
    }).catch(function (err) {
      if (run !== self._run) return;
      self._setState("error");
      self._reject(err);
    });
  };

  Upload.prototype.start = function () {
    var self = this;
    if (this._promise) return this._promise;
    this._promise = new Promise(function (resolve, reject) {
      self._resolve = resolve;
      self._reject = reject;
    });
    this._go(this._run, true);
    return this._promise;
  };

  Upload.prototype._stopInflight = function () {
    this._run += 1;
    for (var n in this.inflight) this.inflight[n].xhr.abort();
    this.inflight = {};
    if (this._wake) this._wake();
  };

  Upload.prototype.pause = function () {
    if (["uploading", "retrying"].indexOf(this.state) < 0) return;
    this._stopInflight();
    this._setState("paused");
    this._progress();
  };

  // after a pause or an error: continue from the parts the server has
  Upload.prototype.resume = function () {
    if (this.state !== "paused" && this.state !== "error") return this._promise;
    var self = this;
    if (this.state === "error") {
      this._promise = new Promise(function (resolve, reject) { self._resolve = resolve; self._reject = reject; });
    }
    this._stopInflight();
    this._go(this._run, !this.id);
    return this._promise;
  };

  Upload.prototype.cancel = function () {
    var self = this;
    this._stopInflight();
    this._setState("cancelled");
    remember(this.file, null);
    if (this._reject) this._reject(new Error("upload cancelled"));
    if (!this.id) return Promise.resolve();
    return this._api("DELETE", "/" + this.id).catch(function () { /* it expires on the server anyway */ })
      .then(function () { self.id = null; });
  };

  // ---- drop zone: files and whole folders, with their relative paths --------------------------

  function readAll(reader) {
    // readEntries answers in batches (100 in Chromium) until it returns an empty one
    return new Promise(function (resolve, reject) {
      var out = [];
      (function more() {
        reader.readEntries(function (batch) {
          if (!batch.length) return resolve(out);
          out = out.concat(Array.prototype.slice.call(batch));
          more();
        }, reject);
      })();
    });
  }

  function walk(entry, prefix) {
    if (entry.isFile) {
      return new Promise(function (resolve, reject) {
        entry.file(function (file) {
          Object.defineProperty(file, "relativePath", {value: prefix + file.name, configurable: true});
          resolve([file]);
        }, reject);
      });
    }
    if (entry.isDirectory) {
      return readAll(entry.createReader()).then(function (entries) {
        return Promise.all(entries.map(function (e) { return walk(e, prefix + entry.name + "/"); }));
      }).then(function (lists) { return [].concat.apply([], lists); });
    }
    return Promise.resolve([]);
  }

  function collect(dataTransfer) {
    var items = dataTransfer.items ? Array.prototype.slice.call(dataTransfer.items) : [];
    // entries must be taken synchronously, before the drop event returns
    var entries = items.map(function (item) {
      return item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    });
    if (!entries.length || entries.some(function (e) { return !e; })) {
      return Promise.resolve(Array.prototype.slice.call(dataTransfer.files || []));
    }
    return Promise.all(entries.map(function (e) { return walk(e, ""); })).then(function (lists) {
      return [].concat.apply([], lists);
    });
  }

  global.HeritageUploads = {Upload: Upload, collect: collect, storageKey: storageKey, HttpError: HttpError};
})(window);
