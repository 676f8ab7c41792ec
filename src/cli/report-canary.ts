/**
 * The canary part of `cloneset-rollout report`: a lane per step (reached, passed, the bake window), the approvals
 * and promotions as markers with who and why, each analysis run's measurements as dots, and tables of the approvals
 * and measurements. Pure: data in, HTML out; every user-provided string (by, reason, metric, value, message) escaped.
 *
 * When a step was reached and passed is read from the record where it says so (`reachedAtMs` / `passedAtMs` on a
 * step), else derived: reached when the step's Pods were done (the Nth Pod at the new revision to finish, N the
 * step's Pods), passed at the approval or promotion that released it, at the end of its bake time, or at once.
 */
import { PodStep, type AnalysisRunView, type CanaryProgress, type MeasurementView, type PodProgress } from '../workflows/messages.js';

/** HTML-escapes text (also for attributes). */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A step as the record may carry it: with its own times once the rollout records them. */
type StepRecord = CanaryProgress['steps'][number] & { reachedAtMs?: number | null; passedAtMs?: number | null };

/** When one step was reached and passed, and its bake window (ms since epoch; null: not (yet), or not known). */
export interface StepMark {
  index: number;
  pods: number;
  reachedAtMs: number | null;
  passedAtMs: number | null;
  bake: { fromMs: number; toMs: number } | null;
}

const HOLDING = ['Analysing', 'Paused', 'Baking'];

/** When each step was reached and passed (see the module comment for how times not recorded are derived). */
export function stepMarks(c: CanaryProgress, pods: Record<string, PodProgress>): StepMark[] {
  const done = Object.values(pods)
    .filter((p) => p.action !== 'delete')
    .map((p) => p.steps.find((s) => s.step === PodStep.Done)?.atMs)
    .filter((t): t is number => typeof t === 'number' && t > 0)
    .sort((a, b) => a - b);
  const out: StepMark[] = [];
  let previousPass: number | null = null;
  (c.steps as StepRecord[]).forEach((s, index) => {
    const isReached = index < c.current || (index === c.current && HOLDING.includes(c.status));
    let reachedAtMs: number | null = s.reachedAtMs ?? null;
    if (reachedAtMs === null && isReached) {
      const nth = s.pods >= 1 ? (done[Math.min(s.pods, done.length) - 1] ?? null) : null;
      reachedAtMs = nth === null ? previousPass : previousPass === null ? nth : Math.max(nth, previousPass);
    }
    const duration = s.pause?.duration;
    let passedAtMs: number | null = s.passedAtMs ?? null;
    if (passedAtMs === null && index < c.current) {
      const release = c.approvals.find((a) => a.step === index && a.atMs !== null);
      passedAtMs = release?.atMs ?? (reachedAtMs !== null && duration !== undefined ? reachedAtMs + duration * 1000 : reachedAtMs);
    }
    let bake: StepMark['bake'] = null;
    if (duration !== undefined && duration > 0 && reachedAtMs !== null) {
      const toMs = passedAtMs ?? (index === c.current && c.bakeUntilMs !== null ? c.bakeUntilMs : reachedAtMs + duration * 1000);
      bake = { fromMs: reachedAtMs, toMs };
    }
    out.push({ index, pods: s.pods, reachedAtMs, passedAtMs, bake });
    if (passedAtMs !== null) previousPass = passedAtMs;
  });
  return out;
}

/** Every time the canary part draws, to fit the chart's time axis. */
export function canaryTimes(c: CanaryProgress, marks: readonly StepMark[]): number[] {
  const t: (number | null)[] = [];
  for (const m of marks) t.push(m.reachedAtMs, m.passedAtMs, m.bake?.fromMs ?? null, m.bake?.toMs ?? null);
  for (const a of c.approvals) t.push(a.atMs);
  for (const a of c.analyses) for (const m of a.measurements) t.push(m.atMs);
  return t.filter((x): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0);
}

/** Colours of a measurement's phase (the legend). */
export const PHASE_COLORS: Record<MeasurementView['phase'], string> = {
  Successful: '#2e9e44',
  Failed: '#d9534f',
  Inconclusive: '#f0a030',
  Error: '#777',
};

const iso = (ms: number | null): string => (ms === null ? '—' : new Date(ms).toISOString());
const showValue = (v: unknown): string => (v === undefined ? '—' : (JSON.stringify(v) ?? 'null'));
const stepName = (step: number | null): string => (step === null ? 'background' : `step ${step + 1}`);
/** `approve by alice: looks good`, `promote (full)`. */
const approvalText = (a: CanaryProgress['approvals'][number]): string =>
  `${a.control}${a.full ? ' (full)' : ''}${a.by ? ` by ${a.by}` : ''}${a.reason ? `: ${a.reason}` : ''}`;

/** Shared time axis: x(ms) in the chart's pixels, and the offset text from the start. */
export interface Axis {
  x(ms: number): string;
  t0: number;
  width: number;
}

const rel = (axis: Axis, ms: number) => `+${((ms - axis.t0) / 1000).toFixed(1)}s`;

/** The step lanes: one row per step with its bake window, reached and passed markers, and the approvals given at it. */
export function canaryLanes(c: CanaryProgress, marks: readonly StepMark[], axis: Axis): string {
  const rowH = 26;
  const rows = marks.map((m, i) => {
    const y = i * rowH;
    const mid = y + rowH / 2;
    const step = c.steps[m.index]!;
    const label = `<text x="-8" y="${mid + 4}" text-anchor="end">step ${m.index + 1} <tspan fill="#888">${m.pods} Pod(s)</tspan></text>`;
    const parts = [label, `<line x1="0" x2="${axis.width}" y1="${mid}" y2="${mid}" stroke="#eee"/>`];
    if (m.bake) {
      const w = Math.max(1, Number(axis.x(m.bake.toMs)) - Number(axis.x(m.bake.fromMs)));
      parts.push(
        `<rect class="bake" x="${axis.x(m.bake.fromMs)}" y="${y + 5}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="#f5c542" opacity="0.5"><title>${esc(`step ${m.index + 1}: bake ${step.pause?.duration ?? 0}s, ${iso(m.bake.fromMs)} → ${iso(m.bake.toMs)}`)}</title></rect>`,
      );
    }
    if (m.reachedAtMs !== null) {
      parts.push(
        `<circle class="reached" cx="${axis.x(m.reachedAtMs)}" cy="${mid}" r="5" fill="#fff" stroke="#3366cc" stroke-width="2"><title>${esc(`step ${m.index + 1} reached at ${iso(m.reachedAtMs)} (${rel(axis, m.reachedAtMs)})`)}</title></circle>`,
      );
    }
    if (m.passedAtMs !== null) {
      parts.push(
        `<circle class="passed" cx="${axis.x(m.passedAtMs)}" cy="${mid}" r="5" fill="#3366cc"><title>${esc(`step ${m.index + 1} passed at ${iso(m.passedAtMs)} (${rel(axis, m.passedAtMs)})`)}</title></circle>`,
      );
    }
    for (const a of c.approvals.filter((r) => r.step === m.index && r.atMs !== null)) {
      const ax = Number(axis.x(a.atMs!));
      const text = approvalText(a);
      parts.push(
        `<g class="approval"><path d="M${ax.toFixed(1)},${mid - 7} l6,7 l-6,7 l-6,-7 z" fill="#8e44ad"/><text x="${(ax + 9).toFixed(1)}" y="${mid - 4}" fill="#8e44ad">${esc(text)}</text><title>${esc(`${text} at ${iso(a.atMs)}`)}</title></g>`,
      );
    }
    return parts.join('');
  });
  const height = marks.length * rowH;
  return `<svg width="${axis.width + 260}" height="${height + 10}" viewBox="-200 0 ${axis.width + 260} ${height + 10}" role="img" aria-label="Canary steps">${rows.join('\n')}</svg>`;
}

/** One row per analysis run, each measurement a dot coloured by its phase. */
export function measurementDots(analyses: readonly AnalysisRunView[], axis: Axis): string {
  const rowH = 22;
  const rows = analyses.map((a, i) => {
    const mid = i * rowH + rowH / 2;
    const dots = a.measurements.map(
      (m) =>
        `<circle class="measurement" cx="${axis.x(m.atMs)}" cy="${mid}" r="4" fill="${PHASE_COLORS[m.phase] ?? '#999'}"><title>${esc(`${a.metric} at ${iso(m.atMs)}: ${showValue(m.value)} ${m.phase}${m.message ? ` (${m.message})` : ''}`)}</title></circle>`,
    );
    return `<text x="-8" y="${mid + 4}" text-anchor="end">${esc(a.metric)} <tspan fill="#888">${esc(stepName(a.step))} · ${esc(a.phase)}</tspan></text><line x1="0" x2="${axis.width}" y1="${mid}" y2="${mid}" stroke="#eee"/>${dots.join('')}`;
  });
  const legend = Object.entries(PHASE_COLORS)
    .map(([phase, color]) => `<span><i style="background:${color};border-radius:6px"></i>${esc(phase)}</span>`)
    .join(' ');
  const height = analyses.length * rowH;
  return `<p class="legend">${legend}</p>
<svg width="${axis.width + 260}" height="${height + 10}" viewBox="-200 0 ${axis.width + 260} ${height + 10}" role="img" aria-label="Analysis measurements">${rows.join('\n')}</svg>`;
}

/** The tables under the chart: approvals and promotions, then every measurement listed. */
export function canaryTables(c: CanaryProgress): string {
  const out: string[] = [];
  if (c.approvals.length > 0) {
    const rows = c.approvals.map(
      (a) =>
        `<tr><td>${a.step + 1}</td><td>${esc(a.control)}${a.full ? ' (full)' : ''}</td><td>${esc(a.by ?? '—')}</td><td>${esc(iso(a.atMs))}</td><td>${esc(a.reason ?? '')}</td></tr>`,
    );
    out.push(
      `<h2 style="font-size:14px">Approvals and promotions</h2>\n<table class="approvals"><tr><th>step</th><th>control</th><th>by</th><th>when</th><th>reason</th></tr>\n${rows.join('\n')}\n</table>`,
    );
  }
  const measured = c.analyses.filter((a) => a.measurements.length > 0 || a.message);
  if (measured.length > 0) {
    const rows = measured.flatMap((a) => {
      const head = `<tr class="run"><td colspan="5"><b>${esc(a.metric)}</b> (${esc(stepName(a.step))}): ${esc(a.phase)}, ${a.count} measurement(s)${a.count > a.measurements.length ? `, the last ${a.measurements.length} listed` : ''}${a.message ? ` — ${esc(a.message)}` : ''}</td></tr>`;
      return [
        head,
        ...a.measurements.map(
          (m) =>
            `<tr><td>${esc(a.metric)}</td><td>${esc(iso(m.atMs))}</td><td>${esc(showValue(m.value))}</td><td style="color:${PHASE_COLORS[m.phase] ?? '#999'}">${esc(m.phase)}</td><td>${esc(m.message ?? '')}</td></tr>`,
        ),
      ];
    });
    out.push(
      `<h2 style="font-size:14px">Analysis measurements</h2>\n<table class="measurements"><tr><th>metric</th><th>time</th><th>value</th><th>phase</th><th>message</th></tr>\n${rows.join('\n')}\n</table>`,
    );
  }
  return out.join('\n');
}

/** The canary section of the report: a summary line, the step lanes, the measurement dots and the tables. */
export function canarySection(c: CanaryProgress, marks: readonly StepMark[], axis: Axis): string {
  const passed = marks.filter((m) => m.passedAtMs !== null).length;
  const lines: string[] = [
    `<h2 style="font-size:14px">Canary steps</h2>`,
    `<p class="canary">${c.steps.length} step(s), ${passed} passed · ${esc(c.status)}${c.waitingFor ? ` · waits for: ${esc(c.waitingFor)}` : ''}${c.promoted ? ` · promoted${c.promoted.full ? ' (full)' : ''}${c.promoted.by ? ` by ${esc(c.promoted.by)}` : ''}${c.promoted.reason ? `: ${esc(c.promoted.reason)}` : ''}` : ''}</p>`,
  ];
  if (c.failed) lines.push(`<p class="error" style="color:#d9534f"><b>analysis failed:</b> ${esc(c.failed.message)}</p>`);
  lines.push(
    `<p class="legend"><span><i style="background:#fff;border:2px solid #3366cc;border-radius:6px"></i>reached</span> <span><i style="background:#3366cc;border-radius:6px"></i>passed</span> <span><i style="background:#f5c542;opacity:.5"></i>bake</span> <span><i style="background:#8e44ad"></i>approval / promotion</span></p>`,
    canaryLanes(c, marks, axis),
  );
  if (c.analyses.length > 0) lines.push(`<h2 style="font-size:14px">Analysis runs</h2>`, measurementDots(c.analyses, axis));
  const tables = canaryTables(c);
  if (tables) lines.push(tables);
  return lines.join('\n');
}
