/*
 * spin.js: a dependency-free 360° spin viewer for heritage-ar spin sets.
 *
 * It reads a spin.json written by service/pipeline/photos/spin.py
 * ({frames, aspect, sizes: [{size, width, height, frames: [names]}], ...}),
 * shows the frames in one <img> (no canvas, no WebGL), turns on drag or
 * swipe, steps with the arrow keys, autoplays until touched, and loads
 * progressively: every frame of the smallest size first, then the size that
 * fits the element on this screen, nearest frames first.
 *
 *   <link rel="stylesheet" href="/static/spin/spin.css">
 *   <div class="heritage-spin" data-spin-src="/files/.../spin.json"></div>
 *   <script src="/static/spin/spin.js" defer></script>
 *
 * or from script: var viewer = HeritageSpin.mount(element, {src: url});
 * The docs are in docs/photosets.md.
 */
(function (global) {
  "use strict";

  var DEFAULTS = {
    src: null, // URL of spin.json; frame names resolve against it
    autoplay: true, // turn until the visitor touches it (never with prefers-reduced-motion)
    seconds: 8, // one full turn while autoplaying
    reverse: false, // autoplay and drag direction
    dragTurn: 1, // turns per drag across the element's width
    start: 0, // first frame shown
    labels: { hint: "Drag to turn", play: "Play", pause: "Pause", loading: "Loading" },
  };

  function merge(a, b) {
    var out = {};
    Object.keys(a).forEach(function (k) { out[k] = a[k]; });
    Object.keys(b || {}).forEach(function (k) { if (b[k] !== undefined && b[k] !== null) out[k] = b[k]; });
    return out;
  }

  function optionsFromData(el) {
    var d = el.dataset, o = {};
    if (d.spinSrc) o.src = d.spinSrc;
    if (d.autoplay) o.autoplay = d.autoplay !== "false";
    if (d.seconds) o.seconds = parseFloat(d.seconds);
    if (d.reverse) o.reverse = d.reverse === "true";
    if (d.start) o.start = parseInt(d.start, 10);
    return o;
  }

  function Viewer(el, options) {
    this.el = el;
    this.o = merge(DEFAULTS, options);
    this.o.labels = merge(DEFAULTS.labels, (options || {}).labels);
    this.frame = 0;
    this.level = -1; // index in spec.sizes of the best fully wanted level
    this.loaded = []; // loaded[level][frame] = url once decoded
    this.playing = false;
    this._timer = null;
    this._drag = null;
    this._build();
    this._load();
  }

  Viewer.prototype._build = function () {
    var el = this.el, self = this;
    el.classList.add("heritage-spin");
    el.setAttribute("data-state", "loading");
    el.setAttribute("tabindex", el.getAttribute("tabindex") || "0");
    el.setAttribute("role", "img");
    this.img = document.createElement("img");
    this.img.className = "heritage-spin__frame";
    this.img.alt = el.getAttribute("aria-label") || "";
    this.img.draggable = false;
    this.hint = document.createElement("span");
    this.hint.className = "heritage-spin__hint";
    this.hint.textContent = this.o.labels.loading;
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = "heritage-spin__play";
    this.button.addEventListener("click", function (e) { e.stopPropagation(); self.playing ? self.pause() : self.play(); });
    el.appendChild(this.img);
    el.appendChild(this.hint);
    el.appendChild(this.button);
    this._updateButton();
    this._onDown = this._down.bind(this);
    this._onMove = this._move.bind(this);
    this._onUp = this._up.bind(this);
    this._onKey = this._key.bind(this);
    el.addEventListener("pointerdown", this._onDown);
    el.addEventListener("pointermove", this._onMove);
    el.addEventListener("pointerup", this._onUp);
    el.addEventListener("pointercancel", this._onUp);
    el.addEventListener("keydown", this._onKey);
  };

  Viewer.prototype._emit = function (name, detail) {
    var ev;
    try { ev = new CustomEvent(name, { detail: detail }); } catch (e) { ev = document.createEvent("CustomEvent"); ev.initCustomEvent(name, false, false, detail); }
    this.el.dispatchEvent(ev);
  };

  Viewer.prototype._fail = function (message) {
    this.el.setAttribute("data-state", "error");
    this.hint.textContent = message;
    this._emit("spin:error", { message: message });
  };

  Viewer.prototype._load = function () {
    var self = this;
    if (!this.o.src) return this._fail("spin: no data-spin-src");
    this.base = new URL(this.o.src, document.baseURI).href;
    fetch(this.base).then(function (r) {
      if (!r.ok) throw new Error("spin.json: HTTP " + r.status);
      return r.json();
    }).then(function (spec) {
      if (!spec.sizes || !spec.sizes.length || !spec.frames) throw new Error("spin.json: no frames");
      self.spec = spec;
      self.n = spec.frames;
      self.frame = ((self.o.start % self.n) + self.n) % self.n;
      if (spec.aspect && !self.el.style.aspectRatio) self.el.style.aspectRatio = String(spec.aspect);
      spec.sizes.sort(function (a, b) { return a.size - b.size; });
      self.loaded = spec.sizes.map(function () { return new Array(self.n); });
      self._preload(0, function () {
        self.el.setAttribute("data-state", "ready");
        self.hint.textContent = self.o.labels.hint;
        self._emit("spin:ready", { frames: self.n });
        var reduce = global.matchMedia && global.matchMedia("(prefers-reduced-motion: reduce)").matches;
        if (self.o.autoplay && !reduce) self.play();
        var want = self._wantedLevel();
        if (want > 0) self._preload(want);
      });
    }).catch(function (e) { self._fail(String(e.message || e)); });
  };

  // the smallest size that covers the element on this screen, else the largest
  Viewer.prototype._wantedLevel = function () {
    var px = (this.el.clientWidth || 320) * (global.devicePixelRatio || 1);
    var sizes = this.spec.sizes;
    for (var i = 0; i < sizes.length; i++) {
      if (Math.max(sizes[i].width, sizes[i].height) >= px) return i;
    }
    return sizes.length - 1;
  };

  // load one level, nearest frames to the current one first; `done` after all
  Viewer.prototype._preload = function (level, done) {
    var self = this, spec = this.spec.sizes[level], n = this.n, left = n, order = [];
    for (var k = 0; k < n; k++) order.push((this.frame + (k % 2 ? (k + 1) / 2 : n - k / 2)) % n);
    order.forEach(function (i) {
      var url = new URL(spec.frames[i], self.base).href, im = new Image();
      im.onload = im.onerror = function (e) {
        if (e.type === "load") {
          self.loaded[level][i] = url;
          if (level >= self.level && (i === self.frame || self.level < 0)) self._paint();
        }
        left -= 1;
        if (left === 0) {
          self.level = Math.max(self.level, level);
          self.el.setAttribute("data-size", String(spec.size));
          self._emit("spin:level", { size: spec.size });
          self._paint();
          if (done) done();
        }
      };
      im.src = url;
    });
  };

  // the best loaded picture of the current frame (or the nearest loaded one)
  Viewer.prototype._paint = function () {
    var f = this.frame, url = null;
    for (var l = this.loaded.length - 1; l >= 0 && !url; l--) url = this.loaded[l][f];
    for (var d = 1; !url && d < this.n; d++) {
      url = this.loaded[0][(f + d) % this.n] || this.loaded[0][(f - d + this.n) % this.n];
    }
    if (url && this.img.src !== url) this.img.src = url;
    this.el.setAttribute("data-frame", String(f));
  };

  Viewer.prototype.show = function (i) {
    if (!this.n) return;
    var f = ((Math.round(i) % this.n) + this.n) % this.n;
    if (f === this.frame && this.el.getAttribute("data-frame") === String(f)) return;
    this.frame = f;
    this._paint();
    this._emit("spin:frame", { frame: f });
  };

  Viewer.prototype.step = function (delta) { this.show(this.frame + delta); };

  Viewer.prototype.play = function () {
    if (this.playing || !this.n) return;
    var self = this, dir = this.o.reverse ? -1 : 1;
    this.playing = true;
    this._timer = setInterval(function () { self.step(dir); }, (this.o.seconds * 1000) / this.n);
    this._updateButton();
  };

  Viewer.prototype.pause = function () {
    this.playing = false;
    clearInterval(this._timer);
    this._timer = null;
    this._updateButton();
  };

  Viewer.prototype._updateButton = function () {
    var label = this.playing ? this.o.labels.pause : this.o.labels.play;
    this.button.setAttribute("aria-label", label);
    this.button.title = label;
    this.button.setAttribute("data-playing", this.playing ? "true" : "false");
    this.el.setAttribute("data-playing", this.playing ? "true" : "false");
  };

  Viewer.prototype._down = function (e) {
    if (!this.n || (e.button !== undefined && e.button > 0)) return;
    this.pause();
    this._drag = { x: e.clientX, frame: this.frame, id: e.pointerId };
    if (this.el.setPointerCapture) { try { this.el.setPointerCapture(e.pointerId); } catch (err) { /* synthetic */ } }
    this.el.classList.add("heritage-spin--dragging");
    this.hint.classList.add("heritage-spin__hint--gone");
  };

  Viewer.prototype._move = function (e) {
    if (!this._drag) return;
    var width = this.el.clientWidth || 1, dir = this.o.reverse ? 1 : -1;
    var frames = ((e.clientX - this._drag.x) / width) * this.n * this.o.dragTurn * dir;
    this.show(this._drag.frame + frames);
    e.preventDefault();
  };

  Viewer.prototype._up = function () {
    this._drag = null;
    this.el.classList.remove("heritage-spin--dragging");
  };

  Viewer.prototype._key = function (e) {
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      this.pause();
      this.step(e.key === "ArrowRight" ? 1 : -1);
      e.preventDefault();
    } else if (e.key === " " || e.key === "Enter") {
      this.playing ? this.pause() : this.play();
      e.preventDefault();
    }
  };

  Viewer.prototype.destroy = function () {
    this.pause();
    this.el.removeEventListener("pointerdown", this._onDown);
    this.el.removeEventListener("pointermove", this._onMove);
    this.el.removeEventListener("pointerup", this._onUp);
    this.el.removeEventListener("pointercancel", this._onUp);
    this.el.removeEventListener("keydown", this._onKey);
    [this.img, this.hint, this.button].forEach(function (n) { if (n.parentNode) n.parentNode.removeChild(n); });
    delete this.el.heritageSpin;
  };

  function mount(el, options) {
    if (el.heritageSpin) return el.heritageSpin;
    el.heritageSpin = new Viewer(el, merge(optionsFromData(el), options));
    return el.heritageSpin;
  }

  function mountAll(root) {
    var nodes = (root || document).querySelectorAll("[data-spin-src]");
    return Array.prototype.map.call(nodes, function (el) { return mount(el); });
  }

  global.HeritageSpin = { mount: mount, mountAll: mountAll, DEFAULTS: DEFAULTS };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { mountAll(); });
  else mountAll();
})(window);
