import { describe, expect, it } from 'vitest';
import { formatErrors, validateCloneSet } from '../../../src/rollout/index.js';
import { seed01, seed02 } from './fixtures.js';

type Mutate = (cs: any) => void;

function broken(mutate: Mutate): unknown {
  const cs = seed01() as any;
  mutate(cs);
  return cs;
}

describe('validateCloneSet: the seed manifests', () => {
  it('accepts nginx01 and applies every default', () => {
    const r = validateCloneSet(seed01());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec.replicas).toBe(5);
    expect(r.value.spec.minReadySeconds).toBe(0);
    expect(r.value.spec.revisionHistoryLimit).toBe(10);
    expect(r.value.spec.scaleStrategy).toEqual({ podsToDelete: [] });
    expect(r.value.spec.updateStrategy).toEqual({
      type: 'ReCreate',
      partition: 0,
      maxUnavailable: '20%',
      maxSurge: 0,
      paused: false,
      inPlaceUpdateStrategy: { gracePeriodSeconds: 0 },
    });
  });

  it('accepts nginx02 and keeps what it sets', () => {
    const r = validateCloneSet(seed02());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.spec.replicas).toBe(4);
    expect(r.value.spec.minReadySeconds).toBe(30);
    expect(r.value.spec.scaleStrategy.maxUnavailable).toBe(1);
    expect(r.value.spec.updateStrategy.type).toBe('InPlaceIfPossible');
    expect(r.value.spec.updateStrategy.maxUnavailable).toBe('20%');
  });

  it('does not modify its input', () => {
    const cs = seed01();
    const before = JSON.stringify(cs);
    validateCloneSet(cs);
    expect(JSON.stringify(cs)).toBe(before);
  });

  it('defaults replicas to 1 and namespace to "default"', () => {
    const cs = seed01() as any;
    delete cs.spec.replicas;
    delete cs.metadata.namespace;
    const r = validateCloneSet(cs);
    expect(r.ok && r.value.spec.replicas).toBe(1);
    expect(r.ok && r.value.metadata.namespace).toBe('default');
  });
});

describe('validateCloneSet: a missing required field reads "FIELD: is required"', () => {
  it.each<[string, Mutate, string]>([
    ['container without a name', (c) => delete c.spec.template.spec.containers[0].name, 'spec.template.spec.containers[0].name'],
    ['container with a null name', (c) => (c.spec.template.spec.containers[0].name = null), 'spec.template.spec.containers[0].name'],
    ['container without an image', (c) => delete c.spec.template.spec.containers[0].image, 'spec.template.spec.containers[0].image'],
    ['second container without a name', (c) => c.spec.template.spec.containers.push({ image: 'busybox' }), 'spec.template.spec.containers[1].name'],
    ['init container without a name', (c) => (c.spec.template.spec.initContainers = [{ image: 'busybox' }]), 'spec.template.spec.initContainers[0].name'],
    ['init container without an image', (c) => (c.spec.template.spec.initContainers = [{ name: 'init' }]), 'spec.template.spec.initContainers[0].image'],
    ['template without containers', (c) => delete c.spec.template.spec.containers, 'spec.template.spec.containers'],
    ['template without a spec', (c) => delete c.spec.template.spec, 'spec.template.spec'],
    ['no template', (c) => delete c.spec.template, 'spec.template'],
    ['null template', (c) => (c.spec.template = null), 'spec.template'],
    ['no selector', (c) => delete c.spec.selector, 'spec.selector'],
    ['matchExpressions term without a key', (c) => (c.spec.selector.matchExpressions = [{ operator: 'Exists' }]), 'spec.selector.matchExpressions[0].key'],
    ['matchExpressions term without an operator', (c) => (c.spec.selector.matchExpressions = [{ key: 'app' }]), 'spec.selector.matchExpressions[0].operator'],
    ['metadata without a name', (c) => delete c.metadata.name, 'metadata.name'],
    ['no metadata at all', (c) => delete c.metadata, 'metadata.name'],
    ['no spec', (c) => delete c.spec, 'spec'],
    [
      'weightPriority term without a weight',
      (c) => (c.spec.updateStrategy = { priorityStrategy: { weightPriority: [{ matchSelector: {} }] } }),
      'spec.updateStrategy.priorityStrategy.weightPriority[0].weight',
    ],
    [
      'orderPriority term without an orderedKey',
      (c) => (c.spec.updateStrategy = { priorityStrategy: { orderPriority: [{}] } }),
      'spec.updateStrategy.priorityStrategy.orderPriority[0].orderedKey',
    ],
    ['scatter term without a key', (c) => (c.spec.updateStrategy = { scatterStrategy: [{ value: 'a' }] }), 'spec.updateStrategy.scatterStrategy[0].key'],
    ['scatter term without a value', (c) => (c.spec.updateStrategy = { scatterStrategy: [{ key: 'zone' }] }), 'spec.updateStrategy.scatterStrategy[0].value'],
  ])('%s → %s: is required', (_name, mutate, field) => {
    const r = validateCloneSet(broken(mutate));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.message)).toContain(`${field}: is required`);
    for (const e of r.errors) expect(e.message).not.toMatch(/undefined|null/);
  });

  it("the issue's case: a container without a name", () => {
    const r = validateCloneSet(broken((c) => delete c.spec.template.spec.containers[0].name));
    expect(r).toEqual({
      ok: false,
      errors: [{ field: 'spec.template.spec.containers[0].name', message: 'spec.template.spec.containers[0].name: is required' }],
    });
  });

  it('a present but wrong value still says what is wrong with it', () => {
    const r = validateCloneSet(broken((c) => (c.spec.template.spec.containers[0].name = 'Nginx_1')));
    expect(r.ok === false && r.errors[0]!.message).toBe('spec.template.spec.containers[0].name: "Nginx_1" must be a DNS-1123 label');
  });
});

describe('validateCloneSet: each malformed CloneSet names the exact field', () => {
  it.each<[string, Mutate, string, RegExp?]>([
    ['negative replicas', (c) => (c.spec.replicas = -1), 'spec.replicas', /-1 must be an integer ≥ 0/],
    ['fractional replicas', (c) => (c.spec.replicas = 2.5), 'spec.replicas'],
    ['replicas as a string', (c) => (c.spec.replicas = '3'), 'spec.replicas'],
    ['missing selector', (c) => delete c.spec.selector, 'spec.selector', /is required/],
    ['empty selector', (c) => (c.spec.selector = {}), 'spec.selector', /empty selector/],
    ['selector not matching template labels', (c) => (c.spec.selector = { matchLabels: { app: 'other' } }), 'spec.template.metadata.labels', /does not match/],
    [
      'matchExpressions In not matching the template',
      (c) => (c.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['x'] }] }),
      'spec.template.metadata.labels',
    ],
    [
      'matchExpressions with an unknown operator',
      (c) => (c.spec.selector.matchExpressions = [{ key: 'app', operator: 'Like' }]),
      'spec.selector.matchExpressions[0].operator',
      /unknown operator/,
    ],
    [
      'matchExpressions In without values',
      (c) => (c.spec.selector.matchExpressions = [{ key: 'app', operator: 'In' }]),
      'spec.selector.matchExpressions[0].operator',
      /at least one value/,
    ],
    ['invalid label value in matchLabels', (c) => (c.spec.selector.matchLabels = { app: 'bad value!' }), 'spec.selector.matchLabels[app]'],
    ['no containers', (c) => (c.spec.template.spec.containers = []), 'spec.template.spec.containers', /at least one container/],
    ['containers missing', (c) => delete c.spec.template.spec.containers, 'spec.template.spec.containers'],
    [
      'duplicate container names',
      (c) => c.spec.template.spec.containers.push({ name: 'nginx', image: 'nginx:1' }),
      'spec.template.spec.containers[1].name',
      /duplicate container name "nginx"/,
    ],
    ['container name not a DNS label', (c) => (c.spec.template.spec.containers[0].name = 'Nginx_1'), 'spec.template.spec.containers[0].name'],
    ['empty image', (c) => (c.spec.template.spec.containers[0].image = ''), 'spec.template.spec.containers[0].image', /non-empty/],
    ['image with whitespace', (c) => (c.spec.template.spec.containers[0].image = 'nginx: latest'), 'spec.template.spec.containers[0].image', /whitespace/],
    [
      'uppercase image name',
      (c) => (c.spec.template.spec.containers[0].image = 'NGINX:latest'),
      'spec.template.spec.containers[0].image',
      /not a valid reference/,
    ],
    [
      'init container with a bad image',
      (c) => (c.spec.template.spec.initContainers = [{ name: 'init', image: 'bad image' }]),
      'spec.template.spec.initContainers[0].image',
    ],
    [
      'init container named like a container',
      (c) => (c.spec.template.spec.initContainers = [{ name: 'nginx', image: 'busybox' }]),
      'spec.template.spec.initContainers[0].name',
      /duplicate/,
    ],
    ['restartPolicy Never', (c) => (c.spec.template.spec.restartPolicy = 'Never'), 'spec.template.spec.restartPolicy', /must be "Always"/],
    ['activeDeadlineSeconds set', (c) => (c.spec.template.spec.activeDeadlineSeconds = 10), 'spec.template.spec.activeDeadlineSeconds'],
    ['missing template', (c) => delete c.spec.template, 'spec.template', /is required/],
    ['negative minReadySeconds', (c) => (c.spec.minReadySeconds = -5), 'spec.minReadySeconds'],
    ['negative revisionHistoryLimit', (c) => (c.spec.revisionHistoryLimit = -1), 'spec.revisionHistoryLimit'],
    ['negative progressDeadlineSeconds', (c) => (c.spec.progressDeadlineSeconds = -1), 'spec.progressDeadlineSeconds'],
    [
      'unknown update strategy type',
      (c) => (c.spec.updateStrategy = { type: 'Rolling' }),
      'spec.updateStrategy.type',
      /must be one of ReCreate, InPlaceIfPossible, InPlaceOnly/,
    ],
    ['negative partition', (c) => (c.spec.updateStrategy = { partition: -1 }), 'spec.updateStrategy.partition'],
    ['partition over 100%', (c) => (c.spec.updateStrategy = { partition: '120%' }), 'spec.updateStrategy.partition'],
    [
      'maxUnavailable 150%',
      (c) => (c.spec.updateStrategy = { maxUnavailable: '150%' }),
      'spec.updateStrategy.maxUnavailable',
      /"150%" must be an integer ≥ 0 or a percentage between 0% and 100%/,
    ],
    ['maxSurge not a number', (c) => (c.spec.updateStrategy = { maxSurge: 'lots' }), 'spec.updateStrategy.maxSurge'],
    ['maxSurge with InPlaceOnly', (c) => (c.spec.updateStrategy = { type: 'InPlaceOnly', maxSurge: 1 }), 'spec.updateStrategy.maxSurge', /InPlaceOnly/],
    [
      'maxUnavailable 0 with maxSurge 0',
      (c) => (c.spec.updateStrategy = { maxUnavailable: 0 }),
      'spec.updateStrategy.maxUnavailable',
      /must not both be less than 1/,
    ],
    ['maxUnavailable 0% with maxSurge 0%', (c) => (c.spec.updateStrategy = { maxUnavailable: '0%', maxSurge: '0%' }), 'spec.updateStrategy.maxUnavailable'],
    [
      'negative gracePeriodSeconds',
      (c) => (c.spec.updateStrategy = { inPlaceUpdateStrategy: { gracePeriodSeconds: -3 } }),
      'spec.updateStrategy.inPlaceUpdateStrategy.gracePeriodSeconds',
    ],
    ['paused not a boolean', (c) => (c.spec.updateStrategy = { paused: 'yes' }), 'spec.updateStrategy.paused'],
    ['scale maxUnavailable negative', (c) => (c.spec.scaleStrategy = { maxUnavailable: -2 }), 'spec.scaleStrategy.maxUnavailable'],
    [
      'podsToDelete with an invalid name',
      (c) => (c.spec.scaleStrategy = { podsToDelete: ['Bad_Name'] }),
      'spec.scaleStrategy.podsToDelete[0]',
      /not a valid pod name/,
    ],
    ['podsToDelete with a duplicate', (c) => (c.spec.scaleStrategy = { podsToDelete: ['a', 'a'] }), 'spec.scaleStrategy.podsToDelete[1]', /duplicate/],
    [
      'priorityStrategy with both kinds',
      (c) => (c.spec.updateStrategy = { priorityStrategy: { weightPriority: [], orderPriority: [] } }),
      'spec.updateStrategy.priorityStrategy',
      /only one/,
    ],
    [
      'priority weight above 100',
      (c) => (c.spec.updateStrategy = { priorityStrategy: { weightPriority: [{ weight: 200, matchSelector: {} }] } }),
      'spec.updateStrategy.priorityStrategy.weightPriority[0].weight',
    ],
    [
      'scatter term with an empty value',
      (c) => (c.spec.updateStrategy = { scatterStrategy: [{ key: 'zone', value: '' }] }),
      'spec.updateStrategy.scatterStrategy[0]',
    ],
    ['lifecycle not an object', (c) => (c.spec.lifecycle = 'hooks'), 'spec.lifecycle', /must be an object/],
    ['lifecycle with an unknown hook', (c) => (c.spec.lifecycle = { postUpdate: {} }), 'spec.lifecycle.postUpdate', /unknown hook/],
    [
      'hook labelsHandler with a bad key',
      (c) => (c.spec.lifecycle = { inPlaceUpdate: { labelsHandler: { 'bad key': 'true' } } }),
      'spec.lifecycle.inPlaceUpdate.labelsHandler[bad key]',
      /not a valid label key/,
    ],
    [
      'hook labelsHandler with a non-string value',
      (c) => (c.spec.lifecycle = { preDelete: { labelsHandler: { hold: true } } }),
      'spec.lifecycle.preDelete.labelsHandler[hold]',
      /not a valid label value/,
    ],
    [
      'hook finalizersHandler not a list',
      (c) => (c.spec.lifecycle = { preDelete: { finalizersHandler: 'x.io/f' } }),
      'spec.lifecycle.preDelete.finalizersHandler',
      /list/,
    ],
    [
      'hook finalizer with a bad name',
      (c) => (c.spec.lifecycle = { preDelete: { finalizersHandler: ['bad finalizer'] } }),
      'spec.lifecycle.preDelete.finalizersHandler[0]',
      /not a valid finalizer name/,
    ],
    [
      'hook markPodNotReady not a boolean',
      (c) => (c.spec.lifecycle = { inPlaceUpdate: { markPodNotReady: 'yes' } }),
      'spec.lifecycle.inPlaceUpdate.markPodNotReady',
      /true or false/,
    ],
    ['name not a DNS subdomain', (c) => (c.metadata.name = 'Nginx Web'), 'metadata.name'],
    ['missing name', (c) => delete c.metadata.name, 'metadata.name'],
    ['namespace not a DNS label', (c) => (c.metadata.namespace = 'my.ns'), 'metadata.namespace'],
    ['wrong kind', (c) => (c.kind = 'Deployment'), 'kind'],
    ['wrong apiVersion', (c) => (c.apiVersion = 'apps/v1'), 'apiVersion'],
  ])('%s → %s', (_name, mutate, field, message) => {
    const r = validateCloneSet(broken(mutate));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field)).toContain(field);
    const err = r.errors.find((e) => e.field === field)!;
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    if (message) expect(err.message).toMatch(message);
  });

  it.each([
    ['maxUnavailable 0 with maxSurge 1 is fine (surge makes progress)', { maxUnavailable: 0, maxSurge: 1 }],
    ['maxUnavailable "1%" rounds up to 1 for validation', { maxUnavailable: '1%' }],
    ['maxUnavailable 0 is fine with 0 replicas', { maxUnavailable: 0 }],
    ['InPlaceOnly with maxSurge 0', { type: 'InPlaceOnly', maxSurge: 0 }],
  ])('accepts %s', (name, strategy) => {
    const cs = seed01() as any;
    cs.spec.updateStrategy = strategy;
    if (name.includes('0 replicas')) cs.spec.replicas = 0;
    expect(validateCloneSet(cs)).toMatchObject({ ok: true });
  });

  it('rejects something that is not an object', () => {
    expect(validateCloneSet('nope')).toEqual({
      ok: false,
      errors: [{ field: '(root)', message: '(root): a CloneSet must be an object' }],
    });
  });

  it('rejects a missing spec', () => {
    const r = validateCloneSet({ metadata: { name: 'x' } });
    expect(r.ok === false && r.errors.map((e) => e.field)).toEqual(['spec']);
  });

  it('names every problem at once, and formatErrors lists them all', () => {
    const cs = broken((c) => {
      c.spec.replicas = -1;
      c.spec.updateStrategy = { type: 'Nope', maxUnavailable: '150%' };
      c.spec.template.spec.containers[0].image = '';
    });
    const r = validateCloneSet(cs);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field)).toEqual([
      'spec.replicas',
      'spec.template.spec.containers[0].image',
      'spec.updateStrategy.type',
      'spec.updateStrategy.maxUnavailable',
    ]);
    const text = formatErrors(r.errors);
    expect(text.split('\n')[0]).toBe('4 problems:');
    for (const e of r.errors) expect(text).toContain(e.message);
  });

  it('formatErrors with one and with no problem', () => {
    expect(formatErrors([{ field: 'a', message: 'a: bad' }])).toBe('1 problem:\n  - a: bad');
    expect(formatErrors([])).toBe('no errors');
  });
});
