/* heritage-ar curators' notes on the share page and the embed: numbered hotspots (buttons named by
   their title) that open the note in the page's language, and a tour that steps through the notes,
   moving the camera to each note's view. Keyboard: Tab to a hotspot, Enter opens it; in the tour the
   arrow keys step and Escape ends it. `?annotations=0` (for embeds) hides all of it. Text is set with
   textContent only; bare https:// addresses become links. */
const mv = document.getElementById('viewer');
const data = document.getElementById('hv-notes');
const WORDS = {
  en: { notes: 'Notes', tour: 'Start the tour', next: 'Next note', prev: 'Previous note', close: 'Close',
        of: 'of', note: 'Note' },
  vi: { notes: 'Ghi chú', tour: 'Bắt đầu tham quan', next: 'Ghi chú tiếp', prev: 'Ghi chú trước', close: 'Đóng',
        of: '/', note: 'Ghi chú' },
};
const hidden = new URLSearchParams(location.search).get('annotations') === '0';

function lang() {
  return document.documentElement.lang === 'vi' ? 'vi' : 'en';
}

function text(field) {
  // the visitor's language, else the other one: a note written in one language still shows
  const l = lang();
  return (field && (field[l] || field[l === 'vi' ? 'en' : 'vi'])) || '';
}

function linkify(el, value) {
  el.replaceChildren();
  for (const part of value.split(/(https:\/\/[^\s<>"']+)/)) {
    if (/^https:\/\//.test(part)) {
      const a = document.createElement('a');
      a.href = part;
      a.textContent = part;
      a.rel = 'noopener nofollow';
      a.target = '_blank';
      el.append(a);
    } else if (part) {
      el.append(document.createTextNode(part));
    }
  }
}

function metres(v) {
  return v.map((c) => `${c}m`).join(' ');
}

function viewOf(note) {
  // the curator's saved view, else one looking at the point along its normal
  if (note.camera) {
    const [theta, phi, radius] = note.camera.orbit;
    return {
      orbit: `${theta}deg ${phi}deg ${radius}m`,
      target: metres(note.camera.target || note.position),
      fov: note.camera.fov ? `${note.camera.fov}deg` : 'auto',
    };
  }
  const [x, y, z] = note.normal;
  const theta = (Math.atan2(x, z) * 180) / Math.PI;
  const phi = Math.min(150, Math.max(30, (Math.acos(Math.max(-1, Math.min(1, y))) * 180) / Math.PI));
  return { orbit: `${theta.toFixed(1)}deg ${phi.toFixed(1)}deg auto`, target: metres(note.position), fov: 'auto' };
}

function build(notes) {
  const words = WORDS[lang()];
  const panel = document.createElement('section');
  panel.className = 'note-panel';
  panel.id = 'note-panel';
  panel.hidden = true;
  panel.setAttribute('aria-live', 'polite');
  panel.setAttribute('aria-labelledby', 'note-title');
  panel.innerHTML = '<h2 id="note-title"></h2><p class="note-body" id="note-body"></p>'
    + '<img class="note-image" id="note-image" alt="" hidden>'
    + '<div class="tour-nav"><button type="button" id="note-prev"></button>'
    + '<span id="note-count"></span><button type="button" id="note-next"></button>'
    + '<button type="button" id="note-close"></button></div>';
  const bar = document.createElement('div');
  bar.className = 'notes-bar';
  bar.innerHTML = '<button type="button" id="tour-start" class="button"></button>';
  mv.after(bar, panel);
  const $ = (id) => document.getElementById(id);
  $('tour-start').textContent = `${words.tour} (${notes.length})`;
  $('note-prev').textContent = `‹ ${words.prev}`;
  $('note-next').textContent = `${words.next} ›`;
  $('note-close').textContent = words.close;

  const spots = notes.map((note, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'hotspot';
    b.slot = `hotspot-note-${i + 1}`;
    b.dataset.position = metres(note.position);
    b.dataset.normal = metres(note.normal);
    b.dataset.visibilityAttribute = 'visible';
    b.dataset.note = note.id;
    b.textContent = String(i + 1);
    b.setAttribute('aria-label', `${words.note} ${i + 1}: ${text(note.title)}`);
    b.addEventListener('click', () => open(i, { move: touring }));
    mv.append(b);
    return b;
  });

  let current = -1;
  let touring = false;
  const saved = {};

  function open(i, { move }) {
    current = (i + notes.length) % notes.length;
    const note = notes[current];
    $('note-title').textContent = text(note.title);
    linkify($('note-body'), text(note.body));
    const img = $('note-image');
    img.hidden = !note.image;
    if (note.image) { img.src = note.image; img.alt = text(note.title); }
    $('note-count').textContent = `${current + 1} ${words.of} ${notes.length}`;
    for (const [j, s] of spots.entries()) s.setAttribute('aria-pressed', String(j === current));
    panel.hidden = false;
    document.documentElement.dataset.note = note.id;
    if (move) {
      const view = viewOf(note);
      mv.cameraTarget = view.target;
      mv.cameraOrbit = view.orbit;
      mv.fieldOfView = view.fov;
    }
  }

  function close() {
    panel.hidden = true;
    touring = false;
    current = -1;
    delete document.documentElement.dataset.note;
    document.documentElement.dataset.tour = 'off';
    for (const s of spots) s.setAttribute('aria-pressed', 'false');
    if (saved.orbit) {
      mv.cameraOrbit = saved.orbit;
      mv.cameraTarget = saved.target;
      mv.fieldOfView = saved.fov;
    }
  }

  $('tour-start').addEventListener('click', () => {
    saved.orbit = mv.getAttribute('camera-orbit') || 'auto auto auto';
    saved.target = mv.getAttribute('camera-target') || 'auto auto auto';
    saved.fov = mv.getAttribute('field-of-view') || 'auto';
    touring = true;
    document.documentElement.dataset.tour = 'on';
    open(0, { move: true });
    $('note-next').focus();
  });
  $('note-next').addEventListener('click', () => open(current + 1, { move: true }));
  $('note-prev').addEventListener('click', () => open(current - 1, { move: true }));
  $('note-close').addEventListener('click', () => { const was = current; close(); (spots[was] || $('tour-start')).focus(); });
  document.addEventListener('keydown', (e) => {
    if (current < 0) return;
    if (e.key === 'Escape') { close(); $('tour-start').focus(); }
    else if (touring && e.key === 'ArrowRight') { e.preventDefault(); open(current + 1, { move: true }); }
    else if (touring && e.key === 'ArrowLeft') { e.preventDefault(); open(current - 1, { move: true }); }
  });
  document.documentElement.dataset.notes = String(notes.length);
}

if (mv && data && !hidden) {
  const notes = JSON.parse(data.textContent);
  if (notes.length) build(notes);
}
