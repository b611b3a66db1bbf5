// Set up before each component test file (vitest.config.ts, project "components").
import '@testing-library/jest-dom/vitest';
import { configure } from '@testing-library/svelte';
import { beforeEach } from 'vitest';

// findBy… and waitFor wait up to 1 s by default; the machine may be busy with browser tests.
configure({ asyncUtilTimeout: 3_000 });

// The app's locale starts from what the server rendered (web/src/lib/i18n/locale.svelte.ts), else
// Paraglide's cookie, else the browser's languages: the tests read English whatever the machine's.
document.documentElement.dataset.locale = 'en';
document.cookie = 'PARAGLIDE_LOCALE=en; path=/';

// The composer keeps drafts and its outbox in the tab's session storage: each test starts empty.
beforeEach(() => sessionStorage.clear());

// jsdom has no object URLs; the composer makes one to preview an image before it is sent.
URL.createObjectURL ??= (object: Blob | MediaSource) => `blob:test/${object instanceof Blob ? object.size : 'media'}`;
URL.revokeObjectURL ??= () => {};

// jsdom has no modal dialogs; sheets (Sheet.svelte) open one. Enough of one: open, close, its
// close event, and Escape closing it as the browser's own does.
if (!HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.open = true;
    this.addEventListener('keydown', (e) => e.key === 'Escape' && this.close());
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    if (!this.open) return;
    this.open = false;
    this.dispatchEvent(new Event('close'));
  };
}
