/** Renders the rollout's progress as the Markdown the Temporal UI shows under "Current details". */
import type { CanaryProgress, ControlsState, RolloutProgress } from './messages.js';

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

function iso(ms: number | null): string {
  return ms === null ? '?' : new Date(ms).toISOString();
}

/** The canary's steps, approvals and analyses, as Markdown lines. */
export function canaryLines(c: CanaryProgress): string[] {
  const lines = ['| step | Pods | pause | analysis | state |', '|---|---|---|---|---|'];
  c.steps.forEach((s, i) => {
    const pause = s.pause ? (s.pause.duration === undefined ? 'approval' : `${s.pause.duration}s`) : '';
    const state = i < c.current ? 'passed' : i === c.current ? c.status : '';
    lines.push(`| ${i + 1} | ${s.pods} (${s.replicas}) | ${pause} | ${(s.analysis ?? []).join(', ')} | ${state} |`);
  });
  if (c.bakeUntilMs !== null) lines.push('', `baking until ${iso(c.bakeUntilMs)}`);
  if (c.waitingFor) lines.push('', `canary waits for: ${c.waitingFor}`);
  if (c.promoted)
    lines.push(
      '',
      `promoted${c.promoted.full ? ' (full)' : ''}${c.promoted.by ? ` by ${c.promoted.by}` : ''}${c.promoted.reason ? `: ${c.promoted.reason}` : ''}`,
    );
  for (const a of c.approvals) {
    lines.push(`- ${a.control} of step ${a.step + 1} at ${iso(a.atMs)}${a.by ? ` by ${a.by}` : ''}${a.reason ? `: ${a.reason}` : ''}`);
  }
  for (const a of c.analyses) {
    const last = a.measurements[a.measurements.length - 1];
    lines.push(
      `- analysis ${a.metric} (${a.step === null ? 'background' : `step ${a.step + 1}`}): **${a.phase}**, ${a.count} measurement(s)${last ? `, last ${JSON.stringify(last.value ?? null)} ${last.phase}` : ''}${a.message ? ` (${a.message})` : ''}`,
    );
  }
  if (c.failed) lines.push('', `**analysis failed**: ${c.failed.message}`);
  return lines;
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
  if (p.canary) lines.push('', ...canaryLines(p.canary));
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
