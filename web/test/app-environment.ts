// `$app/environment` for the component tests, which run the components as the browser would
// without SvelteKit's plugin (vitest.config.ts aliases it here).
export const browser = true;
export const building = false;
export const dev = true;
export const version = 'test';
