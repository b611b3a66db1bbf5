// Runs before `npm start` and `npm test`: installs node_modules when they are missing or older
// than package-lock.json, so both commands work on a fresh clone. Plain JS: nothing is installed yet.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.log('installing npm dependencies…');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
