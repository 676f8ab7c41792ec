/** Renders a fleet's progress as the Markdown the Temporal UI shows under "Current details". */
import type { FleetProgress } from './fleet-messages.js';

export function renderFleetDetails(p: FleetProgress): string {
  const images = p.images
    ? Object.entries(p.images)
        .map(([c, i]) => `${c}=${i}`)
        .join(', ')
    : 'the template as is';
  const wave = p.wave === null ? '' : ` · wave ${p.wave + 1} of ${p.waves.length}`;
  const lines = [`**${p.phase}** fleet ${p.namespace}/${p.name} → ${images}${wave}`];
  const flags: string[] = [];
  if (p.paused) flags.push('**paused**');
  if (p.aborted) flags.push(p.aborted.rollback ? '**aborted, rolling back**' : '**aborted**');
  if (p.halted) flags.push(`**halted** by ${p.halted.cluster}: ${p.halted.reason}`);
  if (p.rollbackOnFailure) flags.push('rollbackOnFailure');
  flags.push(`maxParallel ${p.maxParallel}`);
  lines.push('', flags.join(' · '));
  if (p.bake) lines.push('', `baking wave ${p.bake.wave + 1}: ${p.bake.seconds} s, until ${new Date(p.bake.endsAtMs).toISOString()}`);
  if (p.phase === 'AwaitingApproval' && p.wave !== null) lines.push('', `wave ${p.wave + 1} awaits approval (the \`approve\` Update)`);
  if (p.error) lines.push('', `error: ${p.error}`);
  // "of", not "/": the UI's Markdown turns 2/3 into a fraction glyph.
  lines.push('', '| wave | cluster | state | phase | updated | available | revision |', '|---|---|---|---|---|---|---|');
  for (const [name, c] of Object.entries(p.clusters)) {
    const counts = c.counts;
    lines.push(
      `| ${c.wave + 1} | ${name} | ${c.state}${c.rolledBack ? ` (fleet rollback: ${c.rolledBack})` : ''} | ${c.phase}${c.error ? ` (${c.error})` : ''} | ${
        counts ? `${counts.updated} of ${counts.desired}` : '-'
      } | ${counts ? counts.available : '-'} | ${c.toRevision ?? '-'} |`,
    );
  }
  return lines.join('\n');
}
