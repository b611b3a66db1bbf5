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
