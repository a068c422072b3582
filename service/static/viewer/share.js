/* heritage-ar share page and embed: thumb first then the web level for this device, AR launch
   with the AR file, in-app browser guidance, first-party counters, copy buttons. */
const cfg = JSON.parse(document.getElementById('hv-config').textContent);
const mv = document.getElementById('viewer');
const ua = navigator.userAgent;
const isIOS = /iPhone|iPad|iPod/i.test(ua) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
const isAndroid = /Android/i.test(ua);
const inApp = new RegExp(cfg.inApp, 'i').test(ua);
const root = document.documentElement;

// one id per page load: the server counts each event once per id (a reload is a new view)
const pageLoad = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
const embedded = document.body.classList.contains('embed');

function beacon(event, extra = '') {
  // first-party counter; sendBeacon survives page unload and sends no cookies to anyone else
  try {
    navigator.sendBeacon(`${cfg.beacon}/${event}?p=${pageLoad}${extra}`);
  } catch (e) { /* counting must never break the page */ }
}

function pickLevel() {
  // longest screen side in device pixels decides the texture level; save-data keeps the thumb
  const sizes = Object.keys(cfg.levels).map(Number).sort((a, b) => a - b);
  if (!sizes.length || (navigator.connection && navigator.connection.saveData)) return null;
  const px = Math.max(screen.width, screen.height) * (window.devicePixelRatio || 1);
  const memory = navigator.deviceMemory || 4;
  const want = memory < 4 || px <= 1400 ? 1024 : px <= 2600 || memory < 8 ? 2048 : 4096;
  const fit = sizes.filter((s) => s <= want);
  return cfg.levels[String(fit.length ? fit[fit.length - 1] : sizes[0])];
}

function watchViewer(mv) {
  let loads = 0;
  mv.addEventListener('load', () => {
    loads += 1;
    root.dataset.model = loads === 1 ? 'first' : 'upgraded';
    if (loads === 1) {
      root.dataset.firstLoadMs = String(Math.round(performance.now()));  // read by benchmarks/share_page.py
      beacon('load');
      const level = pickLevel();
      if (level && level !== mv.getAttribute('src')) mv.setAttribute('src', level);
      if (!inApp && !mv.canActivateAR && !isIOS && !isAndroid) show('desktop-ar');
    }
  });
  mv.addEventListener('error', (e) => { root.dataset.model = 'error'; console.warn('model-viewer', e.detail); });

  const bar = mv.querySelector('.progress .bar');
  mv.addEventListener('progress', (e) => {
    if (!bar) return;
    const done = e.detail.totalProgress;
    bar.style.width = `${Math.round(done * 100)}%`;
    bar.parentElement.hidden = done >= 1;
  });
}

function show(id) {
  const el = document.getElementById(id);
  if (el) el.hidden = false;
}

const arButton = mv && mv.querySelector('[slot="ar-button"]');
if (arButton) {
  arButton.addEventListener('click', (event) => {
    // Scene Viewer is handed the current `src`: give it the AR file (Draco, <= 100k faces, no KTX2).
    // Swap and launch in the same tick, inside the tap, or Chrome blocks the intent:// navigation.
    // Quick Look uses ios-src (our USDZ) and needs no swap.
    event.stopPropagation();
    beacon('ar');
    if (!isIOS && cfg.ar && mv.getAttribute('src') !== cfg.ar) mv.setAttribute('src', cfg.ar);
    mv.activateAR();
  });
}

if (mv) watchViewer(mv);

if (inApp && mv) {  // the guidance is about AR; a photo spin needs none
  root.classList.add(isIOS ? 'os-ios' : isAndroid ? 'os-android' : 'os-other');
  root.classList.add('in-app');
  for (const open of document.querySelectorAll('.open-browser')) {
    if (!isAndroid) break;
    const scheme = location.protocol.replace(':', '');
    const fallback = encodeURIComponent(location.href);
    open.href = `intent://${location.host}${location.pathname}${location.search}#Intent;scheme=${scheme};` +
      `package=com.android.chrome;S.browser_fallback_url=${fallback};end`;
  }
  show('inapp');
}

for (const button of document.querySelectorAll('[data-copy]')) {
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      const label = button.textContent;
      button.textContent = cfg.copied[root.dataset.lang] || cfg.copied.vi;
      setTimeout(() => { button.textContent = label; }, 1500);
    } catch (e) { /* clipboard blocked (in-app browsers): the text is selectable next to the button */ }
  });
}

beacon('view');
if (embedded) {
  // embeds by referring site: the host of the page that framed us (the referrer policy gives at least the origin)
  let host = '';
  try { host = document.referrer ? new URL(document.referrer).hostname : ''; } catch (e) { /* no referrer */ }
  beacon('embed', host ? `&r=${encodeURIComponent(host)}` : '');
}
root.dataset.script = 'ready';
