/** Renders the rollout's progress as the Markdown the Temporal UI shows under "Current details". */
import type { ControlsState, RolloutProgress } from './messages.js';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** One line naming the controls in effect, or null when none was used. */
export function controlsLine(c: ControlsState | undefined): string | null {
  if (!c) return null;
  const parts: string[] = [];
  if (c.aborted) parts.push(c.aborted.rollback ? `**aborted, rolling back** to ${c.aborted.toRevision ?? 'the previous revision'}` : '**aborted**');
  if (c.paused) parts.push('**paused**');
  if (c.partition !== null) parts.push(`partition ${c.partition} (override)`);
  if (c.maxUnavailable !== null) parts.push(`maxUnavailable ${c.maxUnavailable} (override)`);
  if (parts.length === 0 && c.log.length === 0) return null;
  const last = c.log[c.log.length - 1];
  return `controls: ${parts.join(' · ') || 'none in effect'}${last ? ` (last: ${last.control})` : ''}`;
}

export function renderDetails(p: RolloutProgress): string {
  const c = p.counts;
  const lines = [
    `**${p.phase}** ${p.namespace}/${p.name}: ${p.fromRevision ?? '?'} → ${p.toRevision ?? '?'} (${p.strategy ?? '?'})`,
    '',
    // "of", not "/": the UI's Markdown turns 2/3 into a fraction glyph.
    `updated ${c.updated} of ${c.desired} · ready ${c.ready} · available ${c.available} · unavailable ${c.unavailable}/${p.window} (window)`,
  ];
  const controls = controlsLine(p.controls);
  if (controls) lines.push('', controls);
  if (p.startedAtMs !== null && p.updatedAtMs !== null) {
    lines.push('', `started ${new Date(p.startedAtMs).toISOString()} · elapsed ${duration(Math.max(0, p.updatedAtMs - p.startedAtMs))}`);
  }
  if (p.waiting) lines.push('', `waiting: ${p.waiting}`);
  const pods = Object.entries(p.pods);
  if (pods.length > 0) {
    lines.push('', '| Pod | action | step | revision |', '|---|---|---|---|');
    for (const [name, pod] of pods.slice(-50)) {
      lines.push(`| ${name} | ${pod.action} | ${pod.step}${pod.error ? ` (${pod.error})` : ''} | ${pod.revision} |`);
    }
    if (pods.length > 50) lines.push(`| … ${pods.length - 50} more | | | |`);
  }
  return lines.join('\n');
}
