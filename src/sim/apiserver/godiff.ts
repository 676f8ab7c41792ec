/**
 * The diff a real Pod update Forbidden message ends with: the internal Go
 * PodSpec before and after, rendered as indented JSON with Go field names
 * (`"Env"`, `"ValueFrom": null`), compared as a unified diff with three lines
 * of context (`@@ -21,7 +21,7 @@`).
 *
 * Approximation: PodSpec, Container, ResourceRequirements, EnvVar and ContainerPort are rendered
 * with their Go fields in Go order and Go zero values; any other struct shows
 * only the members present, Go-cased, in sorted order. Hunks therefore name
 * the same lines as on a real server, but line numbers differ.
 */
import { type JsonValue, isObject } from './json.js';

/** `map`: a Go map (ResourceList): nil when unset, its keys kept as they are. */
type Kind = 'string' | 'int' | 'bool' | 'nil' | 'struct' | 'map';
type GoType = readonly (readonly [go: string, json: string, zero: Kind, elem?: GoType])[];

const ENV_VAR: GoType = [
  ['Name', 'name', 'string'],
  ['Value', 'value', 'string'],
  ['ValueFrom', 'valueFrom', 'nil'],
];
const CONTAINER_PORT: GoType = [
  ['Name', 'name', 'string'],
  ['HostPort', 'hostPort', 'int'],
  ['ContainerPort', 'containerPort', 'int'],
  ['Protocol', 'protocol', 'string'],
  ['HostIP', 'hostIP', 'string'],
];
const RESOURCE_REQUIREMENTS: GoType = [
  ['Limits', 'limits', 'map'],
  ['Requests', 'requests', 'map'],
  ['Claims', 'claims', 'nil'],
];
const CONTAINER: GoType = [
  ['Name', 'name', 'string'],
  ['Image', 'image', 'string'],
  ['Command', 'command', 'nil'],
  ['Args', 'args', 'nil'],
  ['WorkingDir', 'workingDir', 'string'],
  ['Ports', 'ports', 'nil', CONTAINER_PORT],
  ['EnvFrom', 'envFrom', 'nil'],
  ['Env', 'env', 'nil', ENV_VAR],
  ['Resources', 'resources', 'struct', RESOURCE_REQUIREMENTS],
  ['ResizePolicy', 'resizePolicy', 'nil'],
  ['RestartPolicy', 'restartPolicy', 'nil'],
  ['VolumeMounts', 'volumeMounts', 'nil'],
  ['VolumeDevices', 'volumeDevices', 'nil'],
  ['LivenessProbe', 'livenessProbe', 'nil'],
  ['ReadinessProbe', 'readinessProbe', 'nil'],
  ['StartupProbe', 'startupProbe', 'nil'],
  ['Lifecycle', 'lifecycle', 'nil'],
  ['TerminationMessagePath', 'terminationMessagePath', 'string'],
  ['TerminationMessagePolicy', 'terminationMessagePolicy', 'string'],
  ['ImagePullPolicy', 'imagePullPolicy', 'string'],
  ['SecurityContext', 'securityContext', 'nil'],
  ['Stdin', 'stdin', 'bool'],
  ['StdinOnce', 'stdinOnce', 'bool'],
  ['TTY', 'tty', 'bool'],
];
const POD_SPEC: GoType = [
  ['Volumes', 'volumes', 'nil'],
  ['InitContainers', 'initContainers', 'nil', CONTAINER],
  ['Containers', 'containers', 'nil', CONTAINER],
  ['EphemeralContainers', 'ephemeralContainers', 'nil'],
  ['RestartPolicy', 'restartPolicy', 'string'],
  ['TerminationGracePeriodSeconds', 'terminationGracePeriodSeconds', 'nil'],
  ['ActiveDeadlineSeconds', 'activeDeadlineSeconds', 'nil'],
  ['DNSPolicy', 'dnsPolicy', 'string'],
  ['NodeSelector', 'nodeSelector', 'nil'],
  ['ServiceAccountName', 'serviceAccountName', 'string'],
  ['AutomountServiceAccountToken', 'automountServiceAccountToken', 'nil'],
  ['NodeName', 'nodeName', 'string'],
  ['SecurityContext', 'securityContext', 'nil'],
  ['ImagePullSecrets', 'imagePullSecrets', 'nil'],
  ['Hostname', 'hostname', 'string'],
  ['Subdomain', 'subdomain', 'string'],
  ['SetHostnameAsFQDN', 'setHostnameAsFQDN', 'nil'],
  ['Affinity', 'affinity', 'nil'],
  ['SchedulerName', 'schedulerName', 'string'],
  ['Tolerations', 'tolerations', 'nil'],
  ['HostAliases', 'hostAliases', 'nil'],
  ['PriorityClassName', 'priorityClassName', 'string'],
  ['Priority', 'priority', 'nil'],
  ['PreemptionPolicy', 'preemptionPolicy', 'nil'],
  ['DNSConfig', 'dnsConfig', 'nil'],
  ['ReadinessGates', 'readinessGates', 'nil'],
  ['RuntimeClassName', 'runtimeClassName', 'nil'],
  ['Overhead', 'overhead', 'nil'],
  ['EnableServiceLinks', 'enableServiceLinks', 'nil'],
  ['TopologySpreadConstraints', 'topologySpreadConstraints', 'nil'],
  ['OS', 'os', 'nil'],
  ['SchedulingGates', 'schedulingGates', 'nil'],
  ['ResourceClaims', 'resourceClaims', 'nil'],
  ['Resources', 'resources', 'nil'],
];

const ZERO: Record<Kind, JsonValue> = { string: '', int: 0, bool: false, nil: null, struct: {}, map: null };

function goName(jsonName: string): string {
  return jsonName.charAt(0).toUpperCase() + jsonName.slice(1);
}

/** The value re-keyed with Go field names (typed where known), ready for indented JSON. */
function toGo(v: JsonValue | undefined, type?: GoType): JsonValue {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => toGo(x, type));
  if (!isObject(v)) return v;
  const out: Record<string, JsonValue> = {};
  if (type) {
    for (const [go, json, zero, elem] of type) {
      const x = v[json];
      if (x === undefined) out[go] = zero === 'struct' && elem ? toGo({}, elem) : ZERO[zero];
      // Go encodes a map's keys sorted, as they are
      else
        out[go] =
          zero === 'map' && isObject(x)
            ? Object.fromEntries(
                Object.keys(x)
                  .sort()
                  .map((k) => [k, x[k]!]),
              )
            : toGo(x, elem);
    }
  } else {
    for (const k of Object.keys(v).sort()) out[goName(k)] = toGo(v[k]);
  }
  return out;
}

/** Longest-common-subsequence edit script of two line lists. */
function editScript(a: readonly string[], b: readonly string[]): ('=' | '-' | '+')[] {
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: ('=' | '-' | '+')[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push('=');
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // deletions first, as unified diffs print them
      ops.push('-');
      i++;
    } else {
      ops.push('+');
      j++;
    }
  }
  return ops;
}

/** Unified diff (3 lines of context, no file header) of two texts' lines. */
export function unifiedDiff(before: string, after: string, context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const ops = editScript(a, b);
  // positions in a and b before each op
  const at: [number, number][] = [];
  let i = 0;
  let j = 0;
  for (const op of ops) {
    at.push([i, j]);
    if (op !== '+') i++;
    if (op !== '-') j++;
  }
  let out = '';
  let k = 0;
  while (k < ops.length) {
    if (ops[k] === '=') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // extend the hunk while changes are within 2*context lines of each other
    for (let x = k; x < ops.length; x++) {
      if (ops[x] !== '=') end = x;
      else if (x - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const [a0, b0] = at[start]!;
    let aLen = 0;
    let bLen = 0;
    let body = '';
    for (let x = start; x < stop; x++) {
      const [ai, bj] = at[x]!;
      if (ops[x] === '=') {
        body += ` ${a[ai]}\n`;
        aLen++;
        bLen++;
      } else if (ops[x] === '-') {
        body += `-${a[ai]}\n`;
        aLen++;
      } else {
        body += `+${b[bj]}\n`;
        bLen++;
      }
    }
    out += `@@ -${a0 + 1},${aLen} +${b0 + 1},${bLen} @@\n${body}`;
    k = stop;
  }
  return out;
}

/** The diff of two Pod specs as the real Forbidden message prints it. */
export function podSpecDiff(oldSpec: JsonValue, newSpec: JsonValue): string {
  const render = (s: JsonValue) => JSON.stringify(toGo(s, POD_SPEC), null, 1);
  return unifiedDiff(render(oldSpec), render(newSpec));
}
