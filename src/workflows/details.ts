/** Renders the rollout's progress as the Markdown the Temporal UI shows under "Current details". */
import type { RolloutProgress } from './messages.js';

export function renderDetails(p: RolloutProgress): string {
  const c = p.counts;
  const lines = [
    `**${p.phase}** ${p.namespace}/${p.name}: ${p.fromRevision ?? '?'} → ${p.toRevision ?? '?'} (${p.strategy ?? '?'})`,
    '',
    `updated ${c.updated}/${c.desired} · ready ${c.ready} · available ${c.available} · unavailable ${c.unavailable}/${p.window} (window)`,
  ];
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
