import { describe, expect, it } from 'vitest';
import { goJson, goString, goTyped } from '../../../src/rollout/index.js';
import { GO_POD_TYPES } from '../../../src/rollout/pod-schema.js';

describe('goJson (Go json.Marshal of a decoded map)', () => {
  it.each([
    ['sorts keys at every level', { b: 1, a: { d: 2, c: 3 } }, '{"a":{"c":3,"d":2},"b":1}'],
    ['"$patch" sorts before letters', { spec: 1, $patch: 'replace' }, '{"$patch":"replace","spec":1}'],
    ['keeps nulls and array order', { a: null, b: [3, null, 1] }, '{"a":null,"b":[3,null,1]}'],
    ['drops undefined members', { a: undefined, b: true }, '{"b":true}'],
    ['escapes HTML characters as Go does', { cmd: 'a && b <c>' }, '{"cmd":"a \\u0026\\u0026 b \\u003cc\\u003e"}'],
    ['escapes U+2028 and U+2029', 'x\u2028y\u2029', '"x\\u2028y\\u2029"'],
    ['short escapes for control characters', 'a\nb\tc\u0001', '"a\\nb\\tc\\u0001"'],
  ])('%s', (_name, value, expected) => {
    expect(goJson(value)).toBe(expected);
  });

  it('goString leaves plain strings as JSON.stringify writes them', () => {
    expect(goString('nginx:perl')).toBe(JSON.stringify('nginx:perl'));
  });
});

describe('goTyped (decode into the Go struct and encode again)', () => {
  it.each([
    ['an empty template: metadata.creationTimestamp null, containers null', {}, { metadata: { creationTimestamp: null }, spec: { containers: null } }],
    [
      'a container: resources {} (a struct) and name (no omitempty) always written',
      { spec: { containers: [{ image: 'x' }] } },
      { metadata: { creationTimestamp: null }, spec: { containers: [{ image: 'x', name: '', resources: {} }] } },
    ],
    [
      'omitempty zero values dropped: false, 0, "", [], {}',
      {
        metadata: { labels: {} },
        spec: { hostNetwork: false, priority: 0, containers: [{ name: 'c', workingDir: '', args: [], env: [{ name: 'E', value: '' }] }] },
      },
      {
        metadata: { creationTimestamp: null },
        spec: { priority: 0, containers: [{ name: 'c', env: [{ name: 'E' }], resources: {} }] },
      },
    ],
    [
      'pointers to zero values kept (terminationGracePeriodSeconds 0, automountServiceAccountToken false)',
      { spec: { terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, containers: [] } },
      { metadata: { creationTimestamp: null }, spec: { terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, containers: [] } },
    ],
    [
      'unknown fields dropped; null members dropped',
      { metadata: { labels: { a: 'b' }, bogus: 1 }, spec: { containers: [], nodeName: null, madeUp: true } },
      { metadata: { creationTimestamp: null, labels: { a: 'b' } }, spec: { containers: [] } },
    ],
    [
      'struct fields without omitempty written when absent (preference in a preferred node term)',
      { spec: { containers: [], affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1 }] } } } },
      {
        metadata: { creationTimestamp: null },
        spec: { containers: [], affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: {} }] } } },
      },
    ],
  ])('%s', (_name, value, expected) => {
    expect(goTyped(value, 'PodTemplateSpec')).toEqual(expected);
  });

  it('keepUnknown keeps fields Go does not know', () => {
    expect(goTyped({ spec: { containers: [], madeUp: 1 } }, 'PodTemplateSpec', { keepUnknown: true })).toMatchObject({ spec: { madeUp: 1 } });
  });

  it('the generated layout knows the pod template types', () => {
    expect(GO_POD_TYPES.PodTemplateSpec).toEqual({ metadata: 'ObjectMeta', spec: 'PodSpec' });
    expect(GO_POD_TYPES.Container?.resources).toBe('ResourceRequirements');
    expect(() => goTyped({}, 'Nope')).toThrow('unknown Go type Nope');
  });
});
