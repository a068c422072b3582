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
document.documentElement.dataset.script = 'ready';
