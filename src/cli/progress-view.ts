/** Terminal rendering of a rollout's progress: a summary line, a bar and a Pod table. Pure (string in, string out). */
import { controlsLine } from '../workflows/details.js';
import type { RolloutProgress } from '../workflows/messages.js';

/** A fixed-width bar, e.g. `[######----] 3/5`. */
export function bar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/** The record, or a status with a phase only the execution tells (Terminated, TimedOut, Canceled). */
type ProgressView = Omit<RolloutProgress, 'phase'> & { phase: string };

/** Multi-line view: phase, updated/available bar, window use, then one row per Pod the rollout touched. */
export function renderProgress(p: ProgressView): string {
  const c = p.counts;
  const lines = [
    `${p.namespace}/${p.name}  ${p.phase}  ${p.fromRevision ?? '?'} → ${p.toRevision ?? '?'}  (${p.strategy ?? '?'})`,
    `  updated   ${bar(c.updated, c.desired)}   available ${c.available}/${c.desired}   unavailable ${c.unavailable}/${p.window} (window)`,
  ];
  const controls = controlsLine(p.controls);
  if (controls) lines.push(`  ${controls.replace(/\*\*/g, '')}`);
  if (p.timing?.elapsedMs != null) {
    const inFlight = p.windowInUse ? `   in flight ${p.windowInUse.inFlight}` : '';
    lines.push(`  started ${p.timing.startedAt}   elapsed ${(p.timing.elapsedMs / 1000).toFixed(1)}s${inFlight}`);
  }
  if (p.error) lines.push(`  error: ${p.error}`);
  if (p.waiting) lines.push(`  waiting: ${p.waiting}`);
  const rows = Object.entries(p.pods);
  if (rows.length > 0) {
    const w = Math.max(...rows.map(([n]) => n.length), 3);
    lines.push(`  ${'POD'.padEnd(w)}  ${'ACTION'.padEnd(8)}  STEP`);
    for (const [name, pod] of rows) {
      lines.push(`  ${name.padEnd(w)}  ${pod.action.padEnd(8)}  ${pod.step}${pod.error ? `  (${pod.error})` : ''}`);
    }
  }
  return lines.join('\n');
}

/** One line per Pod step change since the previous view: for logs and terminals that are not TTYs. */
export function progressChanges(prev: ProgressView | null, next: ProgressView): string[] {
  const out: string[] = [];
  if (!prev || prev.phase !== next.phase) out.push(`${next.namespace}/${next.name}: phase ${next.phase}`);
  for (const [name, pod] of Object.entries(next.pods)) {
    if (prev?.pods[name]?.step !== pod.step) out.push(`  ${name}: ${pod.action} → ${pod.step}${pod.error ? ` (${pod.error})` : ''}`);
  }
  return out;
}
