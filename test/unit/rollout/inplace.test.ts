import { describe, expect, it } from 'vitest';
import {
  checkInPlaceCompletion,
  comparableTemplate,
  sameTemplate,
  diffTemplates,
  normalizeImage,
  planByRevision,
  planPodUpdate,
  type PodTemplateSpec,
  type UpdateStrategyType,
} from '../../../src/rollout/index.js';
import { seed01, seed02 } from './fixtures.js';

const base = (): PodTemplateSpec => seed01().spec.template;
const twoContainers = (): PodTemplateSpec => ({
  metadata: { labels: { app: 'web' }, annotations: { team: 'a' } },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] },
      { name: 'sidecar', image: 'envoy:1' },
    ],
  },
});
const edit = (t: PodTemplateSpec, f: (t: any) => void): PodTemplateSpec => {
  const c = JSON.parse(JSON.stringify(t));
  f(c);
  return c;
};

describe('diffTemplates: what is in-place-able', () => {
  it('an image-only change (the seed: nginx:perl → nginx:latest) is in place with only that container', () => {
    expect(diffTemplates(base(), seed02().spec.template, 'InPlaceIfPossible')).toEqual({
      inPlace: true,
      containerImages: { nginx: 'nginx:latest' },
      containerResources: {},
      resizes: {},
      metadata: { labels: {}, annotations: {} },
      reasons: [],
    });
  });

  it('with two containers and one changed, only that one is patched', () => {
    const d = diffTemplates(
      twoContainers(),
      edit(twoContainers(), (t) => (t.spec.containers[1].image = 'envoy:2')),
      'InPlaceOnly',
    );
    expect(d.inPlace).toBe(true);
    expect(d.containerImages).toEqual({ sidecar: 'envoy:2' });
  });

  it('both images changed → both patched', () => {
    const d = diffTemplates(
      twoContainers(),
      edit(twoContainers(), (t) => {
        t.spec.containers[0].image = 'app:2';
        t.spec.containers[1].image = 'envoy:2';
      }),
      'InPlaceIfPossible',
    );
    expect(d.containerImages).toEqual({ app: 'app:2', sidecar: 'envoy:2' });
  });

  it('label and annotation changes are in place, as metadata to apply (null removes)', () => {
    const d = diffTemplates(
      twoContainers(),
      edit(twoContainers(), (t) => {
        t.metadata.labels.version = 'v2';
        t.metadata.annotations = { owner: 'b' };
      }),
      'InPlaceIfPossible',
    );
    expect(d).toEqual({
      inPlace: true,
      containerImages: {},
      containerResources: {},
      resizes: {},
      metadata: { labels: { version: 'v2' }, annotations: { owner: 'b', team: null } },
      reasons: [],
    });
  });

  it('identical templates are trivially in place with nothing to patch', () => {
    expect(diffTemplates(base(), base(), 'InPlaceIfPossible')).toMatchObject({ inPlace: true, containerImages: {}, reasons: [] });
  });

  it.each<[string, (t: any) => void, string[]]>([
    ['env changed', (t) => (t.spec.containers[0].env[0].value = '2'), ['spec.containers[app].env changed']],
    ['ports added', (t) => (t.spec.containers[1].ports = [{ containerPort: 80 }]), ['spec.containers[sidecar].ports changed']],
    [
      'resources added to a BestEffort Pod (its QoS class would change)',
      (t) => (t.spec.containers[0].resources = { limits: { cpu: '1' } }),
      ["spec.containers[app].resources change the Pod's QoS class from BestEffort to Burstable, which a resize can not do"],
    ],
    [
      'an ephemeral-storage limit added',
      (t) => (t.spec.containers[0].resources = { limits: { 'ephemeral-storage': '1Gi' } }),
      ['spec.containers[app].resources.limits.ephemeral-storage changed: only cpu and memory can be resized in place'],
    ],
    ['a container added', (t) => t.spec.containers.push({ name: 'log', image: 'fluentbit:1' }), ['spec.containers[log] added']],
    ['a container removed', (t) => t.spec.containers.pop(), ['spec.containers[sidecar] removed']],
    ['a container renamed', (t) => (t.spec.containers[1].name = 'proxy'), ['spec.containers[sidecar] removed', 'spec.containers[proxy] added']],
    ['containers reordered', (t) => t.spec.containers.reverse(), ['spec.containers order changed']],
    ['init containers added', (t) => (t.spec.initContainers = [{ name: 'init', image: 'busybox' }]), ['spec.initContainers changed']],
    ['volumes added', (t) => (t.spec.volumes = [{ name: 'v', emptyDir: {} }]), ['spec.volumes changed']],
    ['nodeSelector added', (t) => (t.spec.nodeSelector = { disk: 'ssd' }), ['spec.nodeSelector changed']],
    ['template finalizers changed', (t) => (t.metadata.finalizers = ['x']), ['metadata.finalizers changed']],
    [
      'image and env both changed',
      (t) => {
        t.spec.containers[0].image = 'app:2';
        t.spec.containers[0].env = [];
      },
      ['spec.containers[app].env changed'],
    ],
  ])('%s → not in place, naming the field', (_name, mutate, reasons) => {
    const d = diffTemplates(twoContainers(), edit(twoContainers(), mutate), 'InPlaceIfPossible');
    expect(d.inPlace).toBe(false);
    expect(d.reasons).toEqual(reasons);
  });

  it('init container image changes are never in place', () => {
    const withInit = edit(twoContainers(), (t) => (t.spec.initContainers = [{ name: 'init', image: 'busybox:1' }]));
    const d = diffTemplates(
      withInit,
      edit(withInit, (t) => (t.spec.initContainers[0].image = 'busybox:2')),
      'InPlaceIfPossible',
    );
    expect(d.reasons).toEqual(['spec.initContainers changed']);
  });

  it.each<[string, string, boolean]>([
    ["a single changed label key (metadata.labels['version'])", "metadata.labels['version']", false],
    ['the whole label map (metadata.labels)', 'metadata.labels', false],
    ["an unchanged label key (metadata.labels['app'])", "metadata.labels['app']", true],
    ['an annotation while a label changed', "metadata.annotations['version']", true],
  ])('downward API env reading %s → in place: %s', (_name, fieldPath, inPlace) => {
    const old = edit(twoContainers(), (t) => (t.spec.containers[0].env = [{ name: 'V', valueFrom: { fieldRef: { fieldPath } } }]));
    const d = diffTemplates(
      old,
      edit(old, (t) => (t.metadata.labels.version = 'v2')),
      'InPlaceIfPossible',
    );
    expect(d.inPlace).toBe(inPlace);
    if (!inPlace) expect(d.reasons[0]).toMatch(/^spec\.containers\[app\]\.env reads changed metadata\.labels\['version'\] via the downward API$/);
  });

  it('under ReCreate nothing is in place, even an image-only change', () => {
    const d = diffTemplates(base(), seed02().spec.template, 'ReCreate');
    expect(d.inPlace).toBe(false);
    expect(d.containerImages).toEqual({ nginx: 'nginx:latest' });
    expect(d.reasons).toEqual([]);
  });
});

describe('planPodUpdate', () => {
  const imageOnly = edit(twoContainers(), (t) => (t.spec.containers[0].image = 'app:2'));
  const envChange = edit(twoContainers(), (t) => (t.spec.containers[0].env = []));
  it.each<[string, PodTemplateSpec | null, PodTemplateSpec, UpdateStrategyType, string, RegExp | null]>([
    ['image change under InPlaceIfPossible → inPlace', twoContainers(), imageOnly, 'InPlaceIfPossible', 'inPlace', null],
    ['image change under InPlaceOnly → inPlace', twoContainers(), imageOnly, 'InPlaceOnly', 'inPlace', null],
    ['image change under ReCreate → recreate', twoContainers(), imageOnly, 'ReCreate', 'recreate', /ReCreate/],
    ['env change under InPlaceIfPossible → recreate', twoContainers(), envChange, 'InPlaceIfPossible', 'recreate', /spec\.containers\[app\]\.env changed/],
    [
      'env change under InPlaceOnly → fail naming the field',
      twoContainers(),
      envChange,
      'InPlaceOnly',
      'fail',
      /can not update in-place: spec\.containers\[app\]\.env changed/,
    ],
    ['unknown old template under InPlaceIfPossible → recreate', null, imageOnly, 'InPlaceIfPossible', 'recreate', /unknown/],
    ['unknown old template under InPlaceOnly → fail', null, imageOnly, 'InPlaceOnly', 'fail', /unknown/],
  ])('%s', (_name, old, next, type, action, reason) => {
    const plan = planPodUpdate(old, next, type);
    expect(plan.action).toBe(action);
    if (reason) expect(plan.reasons.join('\n')).toMatch(reason);
    else expect(plan.reasons).toEqual([]);
  });

  it('planByRevision plans every old revision', () => {
    const plans = planByRevision({ 'web-a': twoContainers(), 'web-b': envChange }, imageOnly, 'InPlaceIfPossible');
    expect(Object.fromEntries(Object.entries(plans).map(([k, v]) => [k, v.action]))).toEqual({ 'web-a': 'inPlace', 'web-b': 'recreate' });
  });
});

describe('normalizeImage', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:perl', 'docker.io/library/nginx:perl'],
    ['team/app:1', 'docker.io/team/app:1'],
    ['ghcr.io/org/app:1', 'ghcr.io/org/app:1'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    [`nginx@sha256:${'a'.repeat(64)}`, `docker.io/library/nginx@sha256:${'a'.repeat(64)}`],
    ['docker.io/library/nginx:latest', 'docker.io/library/nginx:latest'],
  ])('%s → %s', (image, expected) => {
    expect(normalizeImage(image)).toBe(expected);
  });
});

describe('checkInPlaceCompletion', () => {
  const c = (o: Partial<{ name: string; statusImage: string | null; imageID: string | null; waitingReason: string | null }>) => ({
    name: 'nginx',
    specImage: 'nginx:latest',
    statusImage: 'docker.io/library/nginx:perl',
    imageID: 'sha256:old',
    ready: true,
    restartCount: 0,
    started: true,
    waitingReason: null,
    ...o,
  });
  const last = { nginx: { imageID: 'sha256:old' } };
  const target = { nginx: 'nginx:latest' };
  it.each<[string, ReturnType<typeof c>[], boolean, string[]]>([
    ['not done while the old image still runs (same imageID, old image)', [c({})], false, []],
    ['done once the imageID moved', [c({ imageID: 'sha256:new', statusImage: 'docker.io/library/nginx:latest' })], true, []],
    ['done when the new tag resolves to the same digest (image string matches)', [c({ statusImage: 'docker.io/library/nginx:latest' })], true, []],
    ['not done while the container has no status', [c({ statusImage: null, imageID: null })], false, []],
    ['not done and stuck on ImagePullBackOff', [c({ waitingReason: 'ImagePullBackOff' })], false, ['nginx: ImagePullBackOff']],
    ['not done while the container is missing from the pod', [], false, []],
  ])('%s', (_name, containers, done, stuck) => {
    const r = checkInPlaceCompletion({ containers }, target, last);
    expect(r.done).toBe(done);
    expect(r.pending).toEqual(done ? [] : ['nginx']);
    expect(r.stuck).toEqual(stuck);
  });

  it('without a recorded imageID only the image string counts', () => {
    expect(checkInPlaceCompletion({ containers: [c({ imageID: 'sha256:other' })] }, target, {}).done).toBe(false);
  });

  it('containers not being changed are ignored', () => {
    const r = checkInPlaceCompletion({ containers: [c({ name: 'side', statusImage: null })] }, {}, {});
    expect(r).toEqual({ done: true, pending: [], stuck: [] });
  });
});

describe('defaults on one side only (a template Kruise defaulted vs one written by hand)', () => {
  /** Seed nginx01 as Kruise's webhook stored it: every Pod default written out, creationTimestamp null. */
  const kruiseStored = (): PodTemplateSpec =>
    ({
      metadata: { creationTimestamp: null, labels: { app: 'nginxweb1' } },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: 'nginx:perl',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            resources: {},
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          },
        ],
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
      },
    }) as unknown as PodTemplateSpec;

  it.each<[string, () => PodTemplateSpec, () => PodTemplateSpec]>([
    ['step 1: Kruise-defaulted old, hand-written new (same template)', kruiseStored, base],
    ['step 2: hand-written old, Kruise-defaulted new', base, kruiseStored],
    [
      'step 3: zero omitempty values on one side (hostNetwork: false, args: [])',
      base,
      () => edit(base(), (t) => Object.assign(t.spec, { hostNetwork: false })),
    ],
    [
      "step 4: a container's imagePullPolicy Always written vs left to the default",
      () => edit(base(), (t) => delete t.spec.containers[0].imagePullPolicy),
      () => edit(base(), (t) => (t.spec.containers[0].imagePullPolicy = 'Always')),
    ],
  ])('%s: no change, in place, no images', (_name, oldT, newT) => {
    const d = diffTemplates(oldT(), newT(), 'InPlaceIfPossible');
    expect(d).toEqual({ inPlace: true, containerImages: {}, containerResources: {}, resizes: {}, metadata: { labels: {}, annotations: {} }, reasons: [] });
    expect(sameTemplate(oldT(), newT())).toBe(true);
  });

  it('step 5: Kruise-defaulted old → hand-written nginx02 image: in place, only the image', () => {
    const d = diffTemplates(kruiseStored(), seed02().spec.template, 'InPlaceIfPossible');
    expect(d).toMatchObject({ inPlace: true, containerImages: { nginx: 'nginx:latest' }, reasons: [] });
    expect(planPodUpdate(kruiseStored(), seed02().spec.template, 'InPlaceOnly').action).toBe('inPlace');
  });

  it.each<[string, (t: any) => void, string]>([
    ['a default changed to another value', (t) => (t.spec.dnsPolicy = 'Default'), 'spec.dnsPolicy changed'],
    [
      'imagePullPolicy changed (IfNotPresent → Never)',
      (t) => (t.spec.containers[0].imagePullPolicy = 'Never'),
      'spec.containers[nginx].imagePullPolicy changed',
    ],
    [
      'a probe default overridden',
      (t) => (t.spec.containers[0].readinessProbe = { tcpSocket: { port: 80 }, periodSeconds: 3 }),
      'spec.containers[nginx].readinessProbe changed',
    ],
    ['a field Go does not know (kept: the CRD preserves it)', (t) => (t.spec.madeUp = 1), 'spec.madeUp changed'],
  ])('step 6: still a change: %s', (_name, mutate, reason) => {
    const d = diffTemplates(kruiseStored(), edit(kruiseStored(), mutate), 'InPlaceIfPossible');
    expect(d.inPlace).toBe(false);
    expect(d.reasons).toContain(reason);
    expect(sameTemplate(kruiseStored(), edit(kruiseStored(), mutate))).toBe(false);
  });

  it('step 7: comparableTemplate writes the defaults and Go artefacts both sides share', () => {
    expect(comparableTemplate(base())).toEqual(comparableTemplate(kruiseStored()));
    expect(comparableTemplate(base()).spec.containers[0]).toMatchObject({ resources: {}, terminationMessagePolicy: 'File' });
  });
});
