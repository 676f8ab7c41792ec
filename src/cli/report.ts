/**
 * `cloneset-rollout report NAME --out FILE.html`: a self-contained HTML timeline of a rollout — one row per Pod, one
 * bar per step (from the per-Pod `steps` times of the result or the progress query), and under it how many Pods
 * were in flight at each moment against the window. With canary steps, a lane per step (reached, passed, the bake
 * window, the approvals), the analysis measurements as dots, and tables of both (./report-canary.ts). Pure: data in,
 * HTML string out.
 */
import { PodStep, type CanaryProgress, type PodProgress } from '../workflows/messages.js';
import { canarySection, canaryTimes, esc, stepMarks } from './report-canary.js';

export interface ReportInput {
  namespace: string;
  name: string;
  fromRevision: string | null;
  toRevision: string | null;
  /** Resolved maxUnavailable (the window), when known. */
  window?: number;
  phase?: string;
  /** Why the rollout ended without completing (Failed, Terminated...), shown under the title. */
  error?: string | null;
  pods: Record<string, PodProgress>;
  /** Canary steps, approvals and analyses: a lane per step, the measurements, and their tables. */
  canary?: CanaryProgress;
}

const COLORS: Record<string, string> = {
  [PodStep.Pending]: '#bbb',
  [PodStep.GateOff]: '#f0a030',
  [PodStep.Grace]: '#f5c542',
  [PodStep.Patching]: '#e8743b',
  [PodStep.Restarting]: '#d9534f',
  [PodStep.GateOn]: '#5bc0de',
  [PodStep.WaitingReady]: '#7fb3d5',
  [PodStep.MinReady]: '#9ccc65',
  [PodStep.Deleting]: '#8e44ad',
  [PodStep.Creating]: '#3498db',
};

/** Step segments of one Pod: [step, fromMs, toMs]; the last step (Done/Failed) closes the bar. */
export function segments(pod: PodProgress): { step: string; fromMs: number; toMs: number }[] {
  const out: { step: string; fromMs: number; toMs: number }[] = [];
  const steps = pod.steps.filter((s) => s.atMs > 0);
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.step === PodStep.Done || s.step === PodStep.Failed) break;
    const next = steps[i + 1];
    if (next) out.push({ step: s.step, fromMs: s.atMs, toMs: Math.max(s.atMs, next.atMs) });
  }
  return out;
}

/** Pods in flight (between their first step and Done) at each change, as [ms, count] points. */
export function inFlightCurve(pods: Record<string, PodProgress>): [number, number][] {
  const events: [number, number][] = [];
  for (const pod of Object.values(pods)) {
    const segs = segments(pod);
    if (segs.length === 0) continue;
    events.push([segs[0]!.fromMs, +1], [segs[segs.length - 1]!.toMs, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let n = 0;
  return events.map(([t, d]) => [t, (n += d)] as [number, number]);
}

export function renderReport(r: ReportInput): string {
  const rows = Object.entries(r.pods)
    .map(([name, pod]) => ({ name, pod, segs: segments(pod) }))
    .filter((x) => x.segs.length > 0);
  const marks = r.canary ? stepMarks(r.canary, r.pods) : [];
  const extra = r.canary ? canaryTimes(r.canary, marks) : [];
  const t0 = Math.min(...rows.flatMap((x) => x.segs.map((s) => s.fromMs)), ...extra, Infinity);
  const t1 = Math.max(...rows.flatMap((x) => x.segs.map((s) => s.toMs)), ...extra, -Infinity);
  const span = Number.isFinite(t0) && t1 > t0 ? t1 - t0 : 1;
  const W = 900;
  const x = (ms: number) => (((ms - t0) / span) * W).toFixed(1);
  const rowH = 22;
  const bars = rows
    .map(({ name, pod, segs }, i) => {
      const y = i * rowH;
      const rects = segs
        .map(
          (s) =>
            `<rect x="${x(s.fromMs)}" y="${y + 3}" width="${Math.max(1, ((s.toMs - s.fromMs) / span) * W).toFixed(1)}" height="${rowH - 6}" fill="${COLORS[s.step] ?? '#999'}"><title>${esc(`${name}: ${s.step} ${((s.toMs - s.fromMs) / 1000).toFixed(2)}s (from +${((s.fromMs - t0) / 1000).toFixed(2)}s)`)}</title></rect>`,
        )
        .join('');
      return `<text x="-8" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(name)} <tspan fill="#888">${esc(pod.action)}</tspan></text>${rects}`;
    })
    .join('\n');
  const curve = inFlightCurve(r.pods);
  const maxN = Math.max(r.window ?? 0, ...curve.map(([, n]) => n), 1);
  const chartH = 80;
  const yN = (n: number) => (chartH - (n / maxN) * chartH).toFixed(1);
  let path = `M0,${yN(0)}`;
  for (const [t, n] of curve) path += ` H${x(t)} V${yN(n)}`;
  path += ` H${W}`;
  const windowLine =
    r.window !== undefined
      ? `<line x1="0" x2="${W}" y1="${yN(r.window)}" y2="${yN(r.window)}" stroke="#d9534f" stroke-dasharray="4 3"/><text x="${W + 6}" y="${Number(yN(r.window)) + 4}" fill="#d9534f">window ${r.window}</text>`
      : '';
  const legend = Object.entries(COLORS)
    .map(([step, c]) => `<span><i style="background:${c}"></i>${esc(step)}</span>`)
    .join(' ');
  const height = rows.length * rowH;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Rollout ${esc(r.namespace)}/${esc(r.name)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:24px;color:#222} h1{font-size:18px} svg text{font-size:12px}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}
.legend span{margin-right:12px;white-space:nowrap} .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
</style></head><body>
<h1>Rollout ${esc(r.namespace)}/${esc(r.name)}${r.phase ? ` — ${esc(r.phase)}` : ''}</h1>
${r.error ? `<p class="error" style="color:#d9534f"><b>error:</b> ${esc(r.error)}</p>\n` : ''}<p>${esc(r.fromRevision ?? '?')} → ${esc(r.toRevision ?? '?')} · ${rows.length} Pod(s) · ${(span / 1000).toFixed(1)} s</p>
<p class="legend">${legend}</p>
<svg width="${W + 260}" height="${height + 20}" viewBox="-200 0 ${W + 260} ${height + 20}" role="img" aria-label="Pod steps">${bars}</svg>
<h2 style="font-size:14px">Pods in flight (the window at work)</h2>
<svg width="${W + 260}" height="${chartH + 20}" viewBox="-200 -5 ${W + 260} ${chartH + 20}" role="img" aria-label="Pods in flight"><path d="${path}" fill="none" stroke="#3366cc" stroke-width="2"/>${windowLine}<text x="-8" y="${yN(0)}" text-anchor="end">0</text><text x="-8" y="${Number(yN(maxN)) + 8}" text-anchor="end">${maxN}</text></svg>
<p style="color:#888">max in flight: ${Math.max(0, ...curve.map(([, n]) => n))}</p>
${r.canary ? `${canarySection(r.canary, marks, { x: (ms) => x(ms), t0: Number.isFinite(t0) ? t0 : 0, width: W })}\n` : ''}</body></html>
`;
}
