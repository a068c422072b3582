/* heritage-ar: the page holds both languages; pick one before the body paints.
   ?lang= first (and remembered), then the saved choice, then the browser's languages, then Vietnamese.
   The server sends the same bytes to everyone, so pages cache well. */
(function () {
  var ok = { vi: 1, en: 1 };
  var root = document.documentElement;
  var asked = (new URLSearchParams(location.search).get('lang') || '').slice(0, 2).toLowerCase();
  var saved = null;
  try {
    if (ok[asked]) localStorage.setItem('heritage-ar-lang', asked);
    saved = localStorage.getItem('heritage-ar-lang');
  } catch (e) { /* storage blocked (private mode, some in-app browsers) */ }
  var lang = ok[asked] ? asked : ok[saved] ? saved : null;
  var wanted = navigator.languages || [navigator.language || ''];
  for (var i = 0; !lang && i < wanted.length; i++) {
    var two = String(wanted[i] || '').slice(0, 2).toLowerCase();
    if (ok[two]) lang = two;
  }
  lang = lang || 'vi';
  root.lang = lang;
  root.dataset.lang = lang;
  var title = document.querySelector('[data-l="' + lang + '"] h1, a.embed-title[data-l="' + lang + '"]');
  if (title) document.title = title.textContent.trim() + ' · heritage-ar';
})();
