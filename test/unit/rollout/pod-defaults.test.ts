import { describe, expect, it } from 'vitest';
import { defaultPodTemplate, defaultPullPolicy, imageTag, type PodTemplateSpec } from '../../../src/rollout/index.js';

const template = (spec: Record<string, unknown>): PodTemplateSpec => ({ metadata: { labels: { app: 'a' } }, spec }) as unknown as PodTemplateSpec;
const POD_SPEC_DEFAULTS = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
  schedulerName: 'default-scheduler',
};
const CONTAINER_DEFAULTS = { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' };
const PROBE_DEFAULTS = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };

describe('imageTag / defaultPullPolicy (Kubernetes ParseImageName)', () => {
  it.each([
    ['nginx', 'latest', 'Always'],
    ['nginx:latest', 'latest', 'Always'],
    ['nginx:perl', 'perl', 'IfNotPresent'],
    ['registry:5000/team/app', 'latest', 'Always'],
    ['registry:5000/team/app:1.2', '1.2', 'IfNotPresent'],
    ['nginx@sha256:abc', '', 'IfNotPresent'],
    ['nginx:latest@sha256:abc', 'latest', 'Always'],
    ['nginx:1.27@sha256:abc', '1.27', 'IfNotPresent'],
  ])('%s: tag %j → %s', (image, tag, policy) => {
    expect(imageTag(image)).toBe(tag);
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});

describe('defaultPodTemplate (Kruise SetDefaultPodSpec)', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      'step 1: pod spec defaults; a container gets imagePullPolicy Always whatever its tag (Kruise, for in-place updates)',
      { containers: [{ name: 'c', image: 'nginx:perl' }] },
      { ...POD_SPEC_DEFAULTS, containers: [{ name: 'c', image: 'nginx:perl', imagePullPolicy: 'Always', ...CONTAINER_DEFAULTS }] },
    ],
    [
      'step 2: set values are kept (terminationGracePeriodSeconds 0 is set: a pointer in Go)',
      {
        dnsPolicy: 'None',
        restartPolicy: 'Always',
        securityContext: { runAsUser: 1 },
        terminationGracePeriodSeconds: 0,
        schedulerName: 'mine',
        containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Never', terminationMessagePath: '/t', terminationMessagePolicy: 'FallbackToLogsOnError' }],
      },
      {
        dnsPolicy: 'None',
        restartPolicy: 'Always',
        securityContext: { runAsUser: 1 },
        terminationGracePeriodSeconds: 0,
        schedulerName: 'mine',
        containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Never', terminationMessagePath: '/t', terminationMessagePolicy: 'FallbackToLogsOnError' }],
      },
    ],
    [
      'step 3: init containers take the tag rule (SetDefaults_Container)',
      {
        containers: [],
        initContainers: [
          { name: 'i1', image: 'busybox' },
          { name: 'i2', image: 'busybox:1.36' },
          { name: 'i3', image: 'busybox@sha256:ab' },
        ],
      },
      {
        ...POD_SPEC_DEFAULTS,
        containers: [],
        initContainers: [
          { name: 'i1', image: 'busybox', imagePullPolicy: 'Always', ...CONTAINER_DEFAULTS },
          { name: 'i2', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', ...CONTAINER_DEFAULTS },
          { name: 'i3', image: 'busybox@sha256:ab', imagePullPolicy: 'IfNotPresent', ...CONTAINER_DEFAULTS },
        ],
      },
    ],
    [
      'step 4: ports get protocol TCP; env fieldRef gets apiVersion v1',
      {
        containers: [
          {
            name: 'c',
            image: 'x:1',
            ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
            env: [
              { name: 'A', value: '1' },
              { name: 'P', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
          },
        ],
      },
      {
        ...POD_SPEC_DEFAULTS,
        containers: [
          {
            name: 'c',
            image: 'x:1',
            imagePullPolicy: 'Always',
            ...CONTAINER_DEFAULTS,
            ports: [
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 53, protocol: 'UDP' },
            ],
            env: [
              { name: 'A', value: '1' },
              { name: 'P', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } },
            ],
          },
        ],
      },
    ],
    [
      'step 5: probes get timeouts, period, thresholds, and httpGet path / scheme; lifecycle httpGet too; 0 counts as unset',
      {
        containers: [
          {
            name: 'c',
            image: 'x:1',
            livenessProbe: { httpGet: { port: 80 }, timeoutSeconds: 0 },
            readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
            startupProbe: { exec: { command: ['true'] } },
            lifecycle: { preStop: { httpGet: { port: 'http', path: '/stop' } }, postStart: { exec: { command: ['x'] } } },
          },
        ],
      },
      {
        ...POD_SPEC_DEFAULTS,
        containers: [
          {
            name: 'c',
            image: 'x:1',
            imagePullPolicy: 'Always',
            ...CONTAINER_DEFAULTS,
            livenessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, ...PROBE_DEFAULTS },
            readinessProbe: { tcpSocket: { port: 80 }, ...PROBE_DEFAULTS, periodSeconds: 5 },
            startupProbe: { exec: { command: ['true'] }, ...PROBE_DEFAULTS },
            lifecycle: { preStop: { httpGet: { port: 'http', path: '/stop', scheme: 'HTTP' } }, postStart: { exec: { command: ['x'] } } },
          },
        ],
      },
    ],
    [
      'step 6: volumes: no source → emptyDir; hostPath type ""; defaultMode 420; downward API fieldRef; token expiry',
      {
        containers: [],
        volumes: [
          { name: 'scratch' },
          { name: 'host', hostPath: { path: '/var' } },
          { name: 's', secret: { secretName: 's' } },
          { name: 'cm', configMap: { name: 'cm', defaultMode: 256 } },
          { name: 'd', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
          {
            name: 'p',
            projected: {
              sources: [{ serviceAccountToken: { path: 't' } }, { downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }] } }],
            },
          },
        ],
      },
      {
        ...POD_SPEC_DEFAULTS,
        containers: [],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'host', hostPath: { path: '/var', type: '' } },
          { name: 's', secret: { secretName: 's', defaultMode: 420 } },
          { name: 'cm', configMap: { name: 'cm', defaultMode: 256 } },
          { name: 'd', downwardAPI: { defaultMode: 420, items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } }] } },
          {
            name: 'p',
            projected: {
              defaultMode: 420,
              sources: [
                { serviceAccountToken: { path: 't', expirationSeconds: 3600 } },
                { downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels', apiVersion: 'v1' } }] } },
              ],
            },
          },
        ],
      },
    ],
    [
      'step 7: ephemeral containers get ports, env and probes but not SetDefaults_Container',
      { containers: [], ephemeralContainers: [{ name: 'e', image: 'x', ports: [{ containerPort: 1 }] }] },
      { ...POD_SPEC_DEFAULTS, containers: [], ephemeralContainers: [{ name: 'e', image: 'x', ports: [{ containerPort: 1, protocol: 'TCP' }] }] },
    ],
  ];
  it.each(cases)('%s', (_name, spec, expected) => {
    expect(defaultPodTemplate(template(spec)).spec).toEqual(expected);
  });

  it('step 8: is idempotent and leaves its input alone', () => {
    const input = template({ containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] });
    const before = JSON.stringify(input);
    const once = defaultPodTemplate(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(defaultPodTemplate(once)).toEqual(once);
    expect(once.metadata).toEqual({ labels: { app: 'a' } });
  });
});
