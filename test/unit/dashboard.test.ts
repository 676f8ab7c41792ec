/**
 * The Grafana dashboard (charts/cloneset-rollout/dashboards/cloneset-rollout-dashboard.json) queries only metrics the
 * worker's /metrics serves: the health server is started in-process with the worker's own registry, scraped, and every
 * metric name in the dashboard's PromQL (panel targets and template variables) must be one it exposes (a histogram
 * as <name>_bucket, _sum or _count), with the labels the queries filter and group by.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutMetrics } from '../../src/metrics/rollout.js';
import { startHealthServer, type HealthServer } from '../../src/metrics/server.js';

const path = new URL('../../charts/cloneset-rollout/dashboards/cloneset-rollout-dashboard.json', import.meta.url);
type Panel = { title: string; type: string; targets?: { expr: string; refId: string }[]; datasource?: { uid?: string } };
const dashboard = JSON.parse(readFileSync(path, 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
};

/** PromQL words that are not metric names. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'le', 'inf', 'nan']);

/** The metric names a PromQL expression selects (a small tokenizer: enough for the expressions a dashboard holds). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values and legends
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range durations
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // grouping label lists
    .replace(/\$\w+/g, ''); // dashboard variables
  const names: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(')) continue; // a function
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    if (/^\d/.test(m[0])) continue;
    names.push(m[0]);
  }
  return names;
}

/** Every PromQL expression of the dashboard, with where it is. label_values(selector, label) → its selector. */
function expressions(): { where: string; expr: string }[] {
  const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })));
  const vars = dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const q = typeof v.query === 'string' ? v.query : v.query.query;
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(q);
      return { where: `variable $${v.name}`, expr: m ? m[1]! : q };
    });
  return [...targets, ...vars];
}

let server: HealthServer;
let exposition = '';
beforeAll(async () => {
  // What the worker serves: its health server with the worker's registry (src/cli/serve.ts).
  server = await startHealthServer({ port: 0, host: '127.0.0.1', metrics: () => rolloutMetrics.text() });
  exposition = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
});
afterAll(async () => {
  await server?.close();
});

/** name → type, from the `# TYPE` lines of the exposition. */
function served(): Map<string, string> {
  return new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

function servedSeries(): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of served()) {
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
    else names.add(name);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  it('is a dashboard with panels on a Prometheus datasource variable', () => {
    expect(dashboard.uid).toBe('cloneset-rollout');
    expect(dashboard.panels.length).toBeGreaterThan(4);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace', 'cloneset']);
    for (const p of dashboard.panels) expect(p.datasource?.uid, p.title).toBe('${datasource}');
  });

  it('the scrape serves the rollout metrics (the comparison has something to compare)', () => {
    expect(served().get('cloneset_rollout_pod_update_seconds')).toBe('histogram');
    expect(served().get('cloneset_rollout_pods_in_flight')).toBe('gauge');
  });

  it('tokenizes PromQL into metric names', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(a_bucket{x=~"$y", le!="+Inf"}[$__rate_interval])))')).toEqual(['a_bucket']);
    expect(metricNames('sum(rate(a_sum[5m])) / sum without (pod) (rate(b_count[5m])) > bool 0')).toEqual(['a_sum', 'b_count']);
  });

  it('references only metrics /metrics serves, and every expression references one', () => {
    const available = servedSeries();
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(10);
    const unknown: string[] = [];
    for (const { where, expr } of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) if (!available.has(n)) unknown.push(`${where}: ${n}`);
    }
    expect(unknown).toEqual([]);
  });

  it('shows every rollout metric the worker serves', () => {
    const used = new Set(expressions().flatMap(({ expr }) => metricNames(expr)));
    const base = (n: string) => n.replace(/_(bucket|sum|count)$/, '');
    const shown = new Set([...used].map(base));
    expect([...served().keys()].filter((n) => n.startsWith('cloneset_rollout_') && !shown.has(n))).toEqual([]);
  });

  it('filters and groups only by labels the metrics carry', () => {
    const labels = new Set(['namespace', 'cloneset', 'activity', 'le']);
    for (const { where, expr } of expressions()) {
      for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) for (const l of m[1]!.split(',')) expect(labels, `${where}: ${l}`).toContain(l.trim());
      for (const m of expr.matchAll(/\{([^}]*)\}/g)) for (const l of m[1]!.matchAll(/(\w+)\s*[=!~]/g)) expect(labels, `${where}: ${l[1]}`).toContain(l[1]);
    }
  });
});
