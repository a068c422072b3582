/* heritage-ar notes editor: click the model to pin a note, drag a point to move it, edit the text in
   vi and en, save the current view, reorder, delete. Everything goes through the API with the key the
   curator types (kept in sessionStorage, sent only to our own origin), or, opened from the studio by a
   signed-in editor, with the studio session and its CSRF token (no key to type). */
const body = document.body;
const artefactId = body.dataset.artefact;
const api = `/api/v1/artefacts/${encodeURIComponent(artefactId)}`;
const mv = document.getElementById('viewer');
const list = document.getElementById('notes');
const status = document.getElementById('editor-status');
const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem('heritage-ar-key') || '';
const csrf = body.dataset.csrf || '';
let notes = [];

async function call(method, path, payload) {
  const resp = await fetch(api + path, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : { 'X-CSRFToken': csrf }),
               ...(payload ? { 'Content-Type': 'application/json' } : {}) },
    body: payload ? JSON.stringify(payload) : undefined,
  });
  if (resp.status === 204) return null;
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error((data.error && data.error.message) || `HTTP ${resp.status}`);
  return data;
}

function say(message) {
  status.textContent = message;
}

function metres(v) {
  return v.map((c) => `${c}m`).join(' ');
}

function modelUrl(art) {
  const d = art.derivatives || {};
  for (const name of ['web-1024.glb', 'ar.glb', 'master.glb', 'thumb.glb']) if (d[name]) return d[name].url;
  return null;
}

async function open() {
  try {
    const art = await call('GET', '');
    const url = modelUrl(art);
    if (!url) { say('This artefact has no 3D model yet: wait until it is ready.'); return; }
    if (key) sessionStorage.setItem('heritage-ar-key', key);
    $('key-form').hidden = true;
    $('title').textContent = `Notes on ${(art.metadata.title || {}).en || (art.metadata.title || {}).vi || 'the model'}`;
    $('preview').href = art.links.share;
    $('stage').hidden = false;
    $('editor').hidden = false;
    mv.src = url;
    await reload();
    say(`${notes.length} notes. Click the model to add one.`);
  } catch (e) {
    sessionStorage.removeItem('heritage-ar-key');
    say(`Could not open the artefact: ${e.message}`);
  }
}

async function reload() {
  notes = (await call('GET', '/annotations')).items;
  draw();
}

function field(note, name, lang, multiline) {
  const id = `${name}-${lang}-${note.id}`;
  const label = `${name === 'title' ? 'Title' : 'Text'} (${lang === 'vi' ? 'Vietnamese' : 'English'})`;
  const input = document.createElement(multiline ? 'textarea' : 'input');
  input.id = id;
  input.name = `${name}.${lang}`;
  input.value = (note[name] || {})[lang] || '';
  if (multiline) input.rows = 3;
  input.maxLength = name === 'title' ? 120 : 2000;
  const wrap = document.createElement('div');
  const l = document.createElement('label');
  l.htmlFor = id;
  l.textContent = label;
  wrap.append(l, input);
  return wrap;
}

function button(text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

function draw() {
  for (const old of mv.querySelectorAll('.hotspot')) old.remove();
  list.replaceChildren();
  notes.forEach((note, i) => {
    const spot = document.createElement('button');
    spot.type = 'button';
    spot.className = 'hotspot';
    spot.slot = `hotspot-edit-${note.id}`;
    spot.dataset.position = metres(note.position);
    spot.dataset.normal = metres(note.normal);
    spot.dataset.note = note.id;
    spot.textContent = String(i + 1);
    spot.setAttribute('aria-label', `Note ${i + 1}: drag to move`);
    spot.addEventListener('pointerdown', (e) => drag(e, note, spot));
    mv.append(spot);

    const item = document.createElement('li');
    item.dataset.note = note.id;
    const fields = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = `Note ${i + 1}`;
    fields.append(legend, field(note, 'title', 'vi'), field(note, 'title', 'en'),
      field(note, 'body', 'vi', true), field(note, 'body', 'en', true));
    const actions = document.createElement('div');
    actions.className = 'note-actions';
    actions.append(
      button('Save', () => save(note, item)),
      button('Save this view', () => saveView(note)),
      button('Move up', () => move(i, -1)),
      button('Move down', () => move(i, 1)),
      button('Delete', () => remove(note)),
    );
    item.append(fields, actions);
    list.append(item);
  });
}

function texts(item, name) {
  const out = {};
  for (const lang of ['vi', 'en']) {
    const value = item.querySelector(`[name="${name}.${lang}"]`).value.trim();
    out[lang] = value || null;
  }
  return out;
}

async function save(note, item) {
  try {
    await call('PATCH', `/annotations/${note.id}`, { title: texts(item, 'title'), body: texts(item, 'body') });
    await reload();
    say('Saved.');
  } catch (e) { say(`Not saved: ${e.message}`); }
}

async function saveView(note) {
  const o = mv.getCameraOrbit();
  const t = mv.getCameraTarget();
  const deg = (r) => Math.round((r * 180 / Math.PI) * 10) / 10;
  const camera = { orbit: [deg(o.theta), deg(o.phi), Math.round(o.radius * 1000) / 1000],
                   target: [t.x, t.y, t.z].map((v) => Math.round(v * 1e5) / 1e5), fov: deg(mv.getFieldOfView() * Math.PI / 180) };
  try {
    await call('PATCH', `/annotations/${note.id}`, { camera });
    await reload();
    say('View saved for the tour.');
  } catch (e) { say(`View not saved: ${e.message}`); }
}

async function move(i, step) {
  const j = i + step;
  if (j < 0 || j >= notes.length) return;
  const ids = notes.map((n) => n.id);
  [ids[i], ids[j]] = [ids[j], ids[i]];
  try {
    notes = (await call('PUT', '/annotations/order', { order: ids })).items;
    draw();
    say('Order saved.');
  } catch (e) { say(`Order not saved: ${e.message}`); }
}

async function remove(note) {
  try {
    await call('DELETE', `/annotations/${note.id}`);
    await reload();
    say('Note deleted.');
  } catch (e) { say(`Not deleted: ${e.message}`); }
}

function surfaceAt(e) {
  // model-viewer takes viewport (client) coordinates here
  return mv.positionAndNormalFromPoint(e.clientX, e.clientY);
}

function round(v) {
  return [v.x, v.y, v.z].map((c) => Math.round(c * 1e5) / 1e5);
}

function drag(e, note, spot) {
  e.preventDefault();
  e.stopPropagation();
  mv.cameraControls = false;
  spot.classList.add('dragging');
  let hit = null;
  const onMove = (ev) => {
    const h = surfaceAt(ev);
    if (!h) return;
    hit = h;
    mv.updateHotspot({ name: spot.slot, position: metres(round(h.position)), normal: metres(round(h.normal)) });
  };
  const onUp = async () => {
    window.removeEventListener('pointermove', onMove);
    window.removeEventListener('pointerup', onUp);
    mv.cameraControls = true;
    spot.classList.remove('dragging');
    if (!hit) { say('Not moved: drop the point on the model.'); return; }
    try {
      await call('PATCH', `/annotations/${note.id}`, { position: round(hit.position), normal: round(hit.normal) });
      await reload();
      say('Point moved.');
    } catch (err) { say(`Not moved: ${err.message}`); }
  };
  window.addEventListener('pointermove', onMove);
  window.addEventListener('pointerup', onUp);
}

// a click (not a drag of the camera) on the model pins a new note
let down = null;
mv.addEventListener('pointerdown', (e) => { down = [e.clientX, e.clientY]; });
mv.addEventListener('click', async (e) => {
  if (e.target.closest('.hotspot') || !down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
  const hit = surfaceAt(e);
  if (!hit) return;
  const n = notes.length + 1;
  try {
    await call('POST', '/annotations', { position: round(hit.position), normal: round(hit.normal),
                                         title: { vi: `Ghi chú ${n}`, en: `Note ${n}` } });
    await reload();
    say(`Note ${n} pinned: write its text below.`);
    const input = list.lastElementChild && list.lastElementChild.querySelector('input');
    if (input) input.focus();
  } catch (err) { say(`Not pinned: ${err.message}`); }
});

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $('key').value.trim();
  open();
});
if (key || csrf) open();
