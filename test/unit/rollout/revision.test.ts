import { describe, expect, it } from 'vitest';
import { canonicalJson, fnv1a32, revisionHash, revisionName, safeEncode, SAFE_ALPHABET, utf8Bytes, type PodTemplateSpec } from '../../../src/rollout/index.js';
import { seed01, seed02 } from './fixtures.js';

const t1 = (): PodTemplateSpec => seed01().spec.template;
const t2 = (): PodTemplateSpec => seed02().spec.template;

describe('canonicalJson', () => {
  it.each([
    ['sorts keys at every level', { b: 1, a: { d: 2, c: 3 } }, '{"a":{"c":3,"d":2},"b":1}'],
    ['keeps array order', [3, 1, 2], '[3,1,2]'],
    ['drops undefined and null members', { a: undefined, b: null, c: 1 }, '{"c":1}'],
    ['keeps null inside arrays', [null, 1], '[null,1]'],
    ['escapes strings', { 'k"': 'v\n' }, '{"k\\"":"v\\n"}'],
    ['scalars', 'x', '"x"'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });
});

describe('fnv1a32 / safeEncode', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('FNV-1a 32 of %j matches the reference vector', (s, expected) => {
    expect(fnv1a32(s)).toBe(expected);
  });

  it('encodes UTF-8 like TextEncoder', () => {
    for (const s of ['héllo', '日本', '🚀x', 'plain']) {
      expect(utf8Bytes(s)).toEqual([...new TextEncoder().encode(s)]);
    }
  });

  it('uses only the safe alphabet', () => {
    expect(safeEncode('0123456789')).toMatch(new RegExp(`^[${SAFE_ALPHABET}]+$`));
  });
});

describe('revisionHash', () => {
  it('pins the seed templates (an algorithm change must be deliberate: revisions on live pods depend on it)', () => {
    expect(revisionHash(t1())).toBe('598496bdf6');
    expect(revisionHash(t2())).toBe('54cd978c4b');
    expect(revisionName('nginxweb1', t1())).toBe('nginxweb1-598496bdf6');
  });

  it('is independent of key order', () => {
    const reordered: PodTemplateSpec = {
      spec: {
        containers: [{ ports: [{ containerPort: 80 }], imagePullPolicy: 'IfNotPresent', image: 'nginx:perl', name: 'nginx' }],
      },
      metadata: { labels: { app: 'nginxweb1' } },
    };
    expect(revisionHash(reordered)).toBe(revisionHash(t1()));
  });

  it('ignores null fields the API server adds (metadata.creationTimestamp: null)', () => {
    const withNull = t1() as any;
    withNull.metadata.creationTimestamp = null;
    expect(revisionHash(withNull)).toBe(revisionHash(t1()));
  });

  const changes: [string, (t: any) => void][] = [
    ['the image', (t) => (t.spec.containers[0].image = 'nginx:latest')],
    ['a label', (t) => (t.metadata.labels.tier = 'web')],
    ['an annotation', (t) => (t.metadata.annotations = { a: 'b' })],
    ['an env var', (t) => (t.spec.containers[0].env = [{ name: 'A', value: '1' }])],
    ['a port', (t) => (t.spec.containers[0].ports[0].containerPort = 8080)],
    ['container order', (t) => t.spec.containers.unshift({ name: 'side', image: 'busybox' })],
    ['imagePullPolicy', (t) => (t.spec.containers[0].imagePullPolicy = 'Always')],
  ];
  it.each(changes)('changes when %s changes', (_name, mutate) => {
    const t = t1();
    mutate(t);
    expect(revisionHash(t)).not.toBe(revisionHash(t1()));
  });

  it('is a short safe string', () => {
    expect(revisionHash(t1())).toMatch(new RegExp(`^[${SAFE_ALPHABET}]{1,10}$`));
  });
});
