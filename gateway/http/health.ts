export type DependencyName = 'broker' | 'temporal' | 'database' | 'redis';

export type Probe = () => Promise<unknown>;

export interface HealthReport {
  status: 'ok' | 'degraded';
  dependencies: Record<DependencyName, { status: 'up' | 'down'; latency_ms: number; error?: string }>;
}

/** Runs every probe at once; one that throws or outlasts `timeoutMs` counts as down. */
export async function checkHealth(probes: Record<DependencyName, Probe>, timeoutMs = 2_000): Promise<HealthReport> {
  const entries = await Promise.all(
    (Object.entries(probes) as [DependencyName, Probe][]).map(async ([name, probe]) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          probe(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs))),
        ]);
        return [name, { status: 'up', latency_ms: Math.round(performance.now() - started) }] as const;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        return [name, { status: 'down', latency_ms: Math.round(performance.now() - started), error }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const dependencies = Object.fromEntries(entries) as HealthReport['dependencies'];
  return { status: entries.every(([, d]) => d.status === 'up') ? 'ok' : 'degraded', dependencies };
}
