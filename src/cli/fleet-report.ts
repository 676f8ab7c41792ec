/**
 * `cloneset-rollout fleet report NAME --out FILE.html`: a self-contained HTML timeline of a fleet rollout with the
 * clusters as lanes, in wave order: each lane shows the cluster's rollout (and the fleet's rollback of it), the bakes
 * between waves, and under it one row per Pod with its steps (from that cluster's rollout). Pure: data in, HTML out.
 */
import type { FleetProgress } from '../workflows/fleet-messages.js';
import type { PodProgress } from '../workflows/messages.js';
import { segments } from './report.js';

export interface FleetReportInput {
  fleet: FleetProgress;
  /** Each cluster's rollout Pods (its latest run), when it could be read. */
  pods: Record<string, Record<string, PodProgress> | null>;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STATE_COLORS: Record<string, string> = {
  Completed: '#5cb85c',
  Running: '#3498db',
  Failed: '#d9534f',
  RolledBack: '#f0a030',
  Aborted: '#999',
  Pending: '#ddd',
};

export function renderFleetReport(r: FleetReportInput): string {
  const f = r.fleet;
  const names = Object.keys(f.clusters);
  const times: number[] = [];
  for (const c of Object.values(f.clusters)) {
    for (const t of [c.startedAtMs, c.endedAtMs, c.rollbackStartedAtMs, c.rollbackEndedAtMs]) if (t) times.push(t);
  }
  for (const b of f.bakes) times.push(b.startedAtMs, b.endsAtMs);
  const podSegs = Object.fromEntries(
    names.map((n) => [
      n,
      Object.entries(r.pods[n] ?? {})
        .map(([pod, p]) => ({ pod, segs: segments(p) }))
        .filter((x) => x.segs.length > 0),
    ]),
  );
  for (const rows of Object.values(podSegs)) for (const { segs } of rows) for (const s of segs) times.push(s.fromMs, s.toMs);
  const t0 = times.length > 0 ? Math.min(...times) : 0;
  const t1 = times.length > 0 ? Math.max(...times) : 1;
  const span = t1 > t0 ? t1 - t0 : 1;
  const W = 900;
  const x = (ms: number) => (((ms - t0) / span) * W).toFixed(1);
  const w = (a: number, b: number) => Math.max(1, ((b - a) / span) * W).toFixed(1);
  const laneH = 26;
  const podH = 14;
  let y = 0;
  const parts: string[] = [];
  for (const b of f.bakes) {
    parts.push(
      `<rect class="bake" x="${x(b.startedAtMs)}" y="0" width="${w(b.startedAtMs, b.endsAtMs)}" height="100%" fill="#fdf3d0"><title>${esc(`bake after wave ${b.wave + 1}: ${b.seconds} s`)}</title></rect>`,
    );
  }
  for (const n of names) {
    const c = f.clusters[n]!;
    const label = `wave ${c.wave + 1} · ${n}`;
    parts.push(
      `<g class="lane" data-cluster="${esc(n)}"><text x="-8" y="${y + laneH / 2 + 4}" text-anchor="end" font-weight="bold">${esc(label)}</text><text x="${W + 6}" y="${y + laneH / 2 + 4}">${esc(c.state)}${c.rolledBack ? esc(` · fleet rollback ${c.rolledBack}`) : ''}</text>`,
    );
    if (c.startedAtMs && c.endedAtMs) {
      parts.push(
        `<rect x="${x(c.startedAtMs)}" y="${y + 4}" width="${w(c.startedAtMs, c.endedAtMs)}" height="${laneH - 8}" fill="${STATE_COLORS[c.state] ?? '#999'}"><title>${esc(`${n}: ${c.phase} ${((c.endedAtMs - c.startedAtMs) / 1000).toFixed(1)} s`)}</title></rect>`,
      );
    }
    if (c.rollbackStartedAtMs && c.rollbackEndedAtMs) {
      parts.push(
        `<rect x="${x(c.rollbackStartedAtMs)}" y="${y + 4}" width="${w(c.rollbackStartedAtMs, c.rollbackEndedAtMs)}" height="${laneH - 8}" fill="${STATE_COLORS.RolledBack}" stroke="#a05a00"><title>${esc(`${n}: fleet rollback ${c.rolledBack ?? ''}`)}</title></rect>`,
      );
    }
    parts.push('</g>');
    y += laneH;
    for (const { pod, segs } of podSegs[n] ?? []) {
      parts.push(`<text x="-8" y="${y + podH - 3}" text-anchor="end" fill="#666">${esc(pod)}</text>`);
      for (const s of segs) {
        parts.push(
          `<rect x="${x(s.fromMs)}" y="${y + 2}" width="${w(s.fromMs, s.toMs)}" height="${podH - 4}" fill="#7fb3d5"><title>${esc(`${n}/${pod}: ${s.step}`)}</title></rect>`,
        );
      }
      y += podH;
    }
    y += 6;
  }
  const images = f.images
    ? Object.entries(f.images)
        .map(([c, i]) => `${c}=${i}`)
        .join(', ')
    : 'the template as is';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Fleet ${esc(f.namespace)}/${esc(f.name)}</title>
<style>body{font:13px system-ui,sans-serif;margin:24px;color:#222} h1{font-size:18px} svg text{font-size:12px}</style></head><body>
<h1>Fleet ${esc(f.namespace)}/${esc(f.name)} — ${esc(f.phase)}</h1>
${f.error ? `<p style="color:#d9534f"><b>error:</b> ${esc(f.error)}</p>\n` : ''}<p>→ ${esc(images)} · ${f.waves.length} wave(s), ${names.length} cluster(s) · ${(span / 1000).toFixed(1)} s${f.halted ? ` · halted by ${esc(f.halted.cluster)}: ${esc(f.halted.reason)}` : ''}</p>
<svg width="${W + 420}" height="${y + 10}" viewBox="-220 0 ${W + 420} ${y + 10}" role="img" aria-label="Clusters as lanes">${parts.join('\n')}</svg>
</body></html>
`;
}
