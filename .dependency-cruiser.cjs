// The folder layout of README.md ("Folders, and what each may import"), checked on every
// `npm run lint`: lower layers never import higher ones, and nothing imports in a circle (type
// imports included: a circle of types is still a circle to read).
/** @type {import('dependency-cruiser').IConfiguration} */
const layer = (name, from, allowed) => ({
  name,
  severity: 'error',
  comment: `${from} may import only ${allowed.join(', ')}`,
  from: { path: `^${from}`, pathNot: '\\.test\\.ts$' },
  to: { path: '^(schemas|sdk|lib|store|workflows|activities|gateway|agents|web|scripts|bench|test)/', pathNot: [`^${from}`, ...allowed.map((a) => `^${a}`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    layer('schemas', 'schemas/', []),
    layer('sdk', 'sdk/', ['schemas/']),
    // The web app bundles the SDK for the browser: no Node built-ins there (its tests may).
    { name: 'sdk-browser', severity: 'error', comment: 'sdk/ runs in browsers too: no Node built-ins', from: { path: '^sdk/', pathNot: '\\.test\\.ts$' }, to: { dependencyTypes: ['core'] } },
    layer('lib', 'lib/', ['schemas/']),
    layer('store', 'store/', ['lib/', 'schemas/']),
    layer('workflows', 'workflows/', ['schemas/', 'activities/']),
    layer('activities', 'activities/', ['store/', 'lib/', 'schemas/']),
    layer('gateway', 'gateway/', ['store/', 'lib/', 'schemas/', 'agents/demo/seed\\.ts$']),
    layer('agents-sdk', 'agents/sdk/', ['lib/signing\\.ts$', 'schemas/']),
    layer('agents-demo', 'agents/demo/', ['agents/sdk/', 'store/', 'lib/', 'schemas/']),
    layer('web', 'web/src/', ['schemas/', 'sdk/']),
    // Rooms of the gateway: each imports only the rooms below it (README.md, "Architecture").
    layer('gateway-base', 'gateway/(caller|errors|files|limits|receipts)\\.ts$', ['gateway/(caller|errors|files|limits|receipts)\\.ts$', 'store/', 'lib/', 'schemas/']),
    layer('gateway-admin', 'gateway/admin/', ['gateway/(caller|errors|files|limits|receipts)\\.ts$', 'store/', 'lib/', 'schemas/']),
    layer('gateway-agents', 'gateway/agents/', ['gateway/(caller|errors|files|limits|receipts)\\.ts$', 'gateway/admin/context\\.ts$', 'store/', 'lib/', 'schemas/']),
    layer('gateway-context', 'gateway/context\\.ts$', ['gateway/(caller|errors|files|limits|receipts)\\.ts$', 'gateway/admin/', 'gateway/agents/', 'store/', 'lib/', 'schemas/']),
    layer('gateway-ops', 'gateway/ops/', ['gateway/(caller|errors|files|limits|receipts|context)\\.ts$', 'gateway/admin/', 'gateway/agents/', 'store/', 'lib/', 'schemas/']),
    layer('gateway-broker', 'gateway/broker/', ['gateway/(caller|errors|files|limits|receipts|context)\\.ts$', 'gateway/admin/(context|effects)\\.ts$', 'store/', 'lib/', 'schemas/']),
    layer('gateway-http', 'gateway/http/', ['gateway/(caller|errors|files|limits|receipts|context|auth)\\.ts$', 'gateway/(admin|ops|agents|broker)/', 'store/', 'lib/', 'schemas/']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.svelte-kit|build|\\.mchat)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.svelte'] },
  },
};
