/**
 * The Helm CLI the chart tests run (scripts/build-helm.sh builds it into .tools/bin; `HELM` overrides), and
 * `helm template` of charts/cloneset-rollout parsed into objects. Missing, the tests fail saying how to build it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HELM_VERSION = 'v3.22.0';
export const CHART_DIR = `${ROOT}charts/cloneset-rollout`;

export function helmBinary(): string {
  const path = process.env.HELM ?? `${ROOT}.tools/bin/helm-${HELM_VERSION}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/build-helm.sh (or scripts/setup.sh --test)`);
  return path;
}

/** Runs helm with a throwaway home (no repositories, plugins or caches of the user's are read or written). */
export function helm(args: string[], opts: { input?: string } = {}): string {
  const home = `${ROOT}test-results/helm-home`;
  return execFileSync(helmBinary(), args, {
    encoding: 'utf8',
    input: opts.input,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, HELM_CACHE_HOME: `${home}/cache`, HELM_CONFIG_HOME: `${home}/config`, HELM_DATA_HOME: `${home}/data` },
  });
}

export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

/** `--set` pairs → helm arguments. */
export const sets = (values: Record<string, string | number | boolean>) => Object.entries(values).flatMap(([k, v]) => ['--set', `${k}=${v}`]);

/** `helm template cloneset-rollout charts/cloneset-rollout -n cloneset-rollout` with these values, as text. */
export function templateText(values: Record<string, string | number | boolean> = {}, extra: string[] = []): string {
  return helm(['template', 'cloneset-rollout', CHART_DIR, '--namespace', 'cloneset-rollout', ...sets(values), ...extra]);
}

/** The same, parsed into objects. */
export function template(values: Record<string, string | number | boolean> = {}, extra: string[] = []): Obj[] {
  return parseAllDocuments(templateText(values, extra))
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => !!d);
}
