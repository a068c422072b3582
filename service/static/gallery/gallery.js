// heritage-ar gallery: copy buttons for credit lines (the text stays selectable when the clipboard is blocked)
const copied = document.currentScript.dataset.copied;
for (const button of document.querySelectorAll('[data-copy]')) {
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      const label = button.textContent;
      button.textContent = copied;
      setTimeout(() => { button.textContent = label; }, 1500);
    } catch (e) { /* in-app browsers may block the clipboard */ }
  });
}
// the form sends only what is chosen, so its URLs are the gallery's stable ones (?q=..&licence=..&lang=..)
const form = document.querySelector('form.filters');
if (form) {
  form.addEventListener('submit', () => {
    for (const field of form.elements) {
      const unset = field.value === '' || (field.name === 'sort' && field.value === 'newest');
      if (field.name && unset) field.disabled = true;
    }
  });
}
document.documentElement.dataset.script = 'ready';
