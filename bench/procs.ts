import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Resident memory of a process, from /proc/<pid>/status (VmRSS), in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after it are fixed.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time a process has used so far, in seconds (/proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU time of a process's children that have exited and been waited for. */
function reapedSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

const parentPid = (pid: number): number => Number(statFields(pid)[1]);

/**
 * CPU of a process, every live descendant and those it has reaped: PostgreSQL serves each
 * connection from a child of its own.
 */
export function treeCpuSeconds(root: number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const ppid = parentPid(pid);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // gone meanwhile
    }
  }
  let total = reapedSeconds(root);
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    try {
      total += cpuSeconds(pid);
    } catch {
      continue;
    }
    todo.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** The processes metered with their descendants; the others alone (the bench's own would count the stack twice). */
const TREES = new Set(['postgres']);
const cpuOf = (name: string, pid: number) => (TREES.has(name) ? treeCpuSeconds(pid) : cpuSeconds(pid));

/**
 * How many cores each process kept busy between start and stop: tells whether a phase was bound
 * by the gateway, the database, or the bench's own clients.
 */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const t0 = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuOf(name, pid)]));
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    return Object.fromEntries(Object.entries(pids).map(([name, pid]) => {
      let used = 0;
      try {
        used = cpuOf(name, pid) - before[name]!;
      } catch {
        // the process is gone
      }
      return [name, seconds > 0 ? used / seconds : 0];
    }));
  };
}

/** `ferretdb 1.62, gateway 0.21, bench 0.15 cores`, busiest first. */
export function fmtCores(usage: Record<string, number>): string {
  return `${Object.entries(usage)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
    .join(', ')} cores`;
}
