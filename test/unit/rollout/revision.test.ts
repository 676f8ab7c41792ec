import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  chooseUpdateRevision,
  collisionCountOf,
  fnv1_32,
  fnv1a32,
  kruiseStoredTemplate,
  revisionData,
  revisionHash,
  revisionName,
  safeEncode,
  SAFE_ALPHABET,
  shortHash,
  storedRevisionData,
  templateOfRevision,
  utf8Bytes,
  type PodTemplateSpec,
} from '../../../src/rollout/index.js';
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

/** Kruise's ControllerRevision data for seed nginx01, as kruise-manager v1.9.1 stores it (keys sorted, defaults in). */
const SEED01_DATA =
  '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"nginxweb1"}},"spec":{"containers":[{"image":"nginx:perl",' +
  '"imagePullPolicy":"IfNotPresent","name":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log",' +
  '"terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},' +
  '"terminationGracePeriodSeconds":30}}}}';

describe('fnv1_32 (Go fnv.New32, as HashControllerRevision uses)', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0x050c5d7e],
    ['foobar', 0x31f0b262],
  ])('FNV-1 32 of %j matches the reference vector', (s, expected) => {
    expect(fnv1_32(s)).toBe(expected);
  });

  it('step 1: differs from FNV-1a on the same bytes', () => {
    expect(fnv1_32('foobar')).not.toBe(fnv1a32('foobar'));
  });
});

describe('revisionData (Kruise ControllerRevision data)', () => {
  it('step 1: the seed template as written gives the bytes Kruise stores (webhook defaults, Go encoding, $patch replace)', () => {
    expect(revisionData(t1())).toBe(SEED01_DATA);
  });

  it('step 2: the template Kruise stored (already defaulted, creationTimestamp null) gives the same bytes', () => {
    const stored = templateOfRevision(JSON.parse(SEED01_DATA))!;
    expect(stored).not.toHaveProperty('$patch');
    expect(revisionData(stored)).toBe(SEED01_DATA);
  });

  it('step 3: sent as JSON by the Kubernetes client (JSON.stringify of the parsed data), the bytes are unchanged', () => {
    expect(JSON.stringify(JSON.parse(revisionData(t2())))).toBe(revisionData(t2()));
  });

  it('step 4: key order and omitempty zero values never change the bytes (Go drops them)', () => {
    const reordered = {
      spec: {
        hostNetwork: false,
        containers: [{ ports: [{ containerPort: 80 }], args: [], imagePullPolicy: 'IfNotPresent', image: 'nginx:perl', name: 'nginx' }],
      },
      metadata: { annotations: {}, labels: { app: 'nginxweb1' } },
    } as unknown as PodTemplateSpec;
    expect(revisionData(reordered)).toBe(SEED01_DATA);
  });
});

describe('revisionHash / revisionName (Kruise names)', () => {
  it('step 1: pins the seed templates to the names kruise-manager v1.9.1 gives them (measured: 575497dc6b, 775dd67bf6)', () => {
    expect(revisionHash(t1())).toBe('575497dc6b');
    expect(revisionHash(t2())).toBe('775dd67bf6');
    expect(revisionName('nginxweb1', t1())).toBe('nginxweb1-575497dc6b');
  });

  it('step 2: the collision count is hashed after the data, in decimal (Kruise passes 0 by default)', () => {
    const t = t1();
    expect(revisionHash(t, 0)).toBe(safeEncode(String(fnv1_32(`${SEED01_DATA}0`))));
    expect(revisionHash(t, 1)).toBe(safeEncode(String(fnv1_32(`${SEED01_DATA}1`))));
    expect(revisionHash(t, 1)).not.toBe(revisionHash(t, 0));
  });

  it('step 3: is independent of key order and of the defaults being written out', () => {
    const reordered: PodTemplateSpec = {
      spec: {
        containers: [{ ports: [{ containerPort: 80 }], imagePullPolicy: 'IfNotPresent', image: 'nginx:perl', name: 'nginx' }],
      },
      metadata: { labels: { app: 'nginxweb1' } },
    };
    expect(revisionHash(reordered)).toBe(revisionHash(t1()));
    expect(revisionHash(templateOfRevision(JSON.parse(SEED01_DATA))!)).toBe('575497dc6b');
  });

  it('step 4: ignores null fields the API server adds (metadata.creationTimestamp: null)', () => {
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
  it.each(changes)('step 5: changes when %s changes', (_name, mutate) => {
    const t = t1();
    mutate(t);
    expect(revisionHash(t)).not.toBe(revisionHash(t1()));
  });

  it('step 6: is a short safe string; a long CloneSet name is cut to 223 characters', () => {
    expect(revisionHash(t1())).toMatch(new RegExp(`^[${SAFE_ALPHABET}]{1,10}$`));
    expect(revisionName('x'.repeat(300), t1())).toBe(`${'x'.repeat(223)}-575497dc6b`);
    expect(shortHash('nginxweb1-575497dc6b')).toBe('575497dc6b');
  });
});

describe('templateOfRevision', () => {
  it.each([
    ["Kruise's layout: $patch dropped", { spec: { template: { $patch: 'replace', spec: { containers: [] } } } }, { spec: { containers: [] } }],
    ['the layout older cloneset-rollout versions wrote', { spec: { template: { spec: { containers: [] } } } }, { spec: { containers: [] } }],
    ['no template', { spec: {} }, null],
    ['no data', undefined, null],
    ['a template that is not an object', { spec: { template: 'x' } }, null],
  ])('%s', (_name, data, expected) => {
    expect(templateOfRevision(data)).toEqual(expected);
  });
});

describe('chooseUpdateRevision', () => {
  const kruise01 = { name: 'nginxweb1-575497dc6b', revision: 1, template: templateOfRevision(JSON.parse(SEED01_DATA)) };
  const legacy01 = { name: 'nginxweb1-598496bdf6', revision: 1, template: t1() };

  it.each([
    ['step 1: no revisions → Kruise name, to be created', [], t1(), { name: 'nginxweb1-575497dc6b', existing: false, collisionCount: 0 }],
    [
      "step 2: Kruise's defaulted revision records the template written without defaults → its name",
      [kruise01],
      t1(),
      { name: kruise01.name, existing: true, collisionCount: 0 },
    ],
    ['step 3: an old cloneset-rollout name (FNV-1a) keeps its name', [legacy01], t1(), { name: legacy01.name, existing: true, collisionCount: 0 }],
    ['step 4: a changed template → a new Kruise name', [kruise01], t2(), { name: 'nginxweb1-775dd67bf6', existing: false, collisionCount: 0 }],
    [
      'step 5: two equal revisions → the highest-numbered',
      [kruise01, { ...legacy01, revision: 3 }],
      t1(),
      { name: legacy01.name, existing: true, collisionCount: 0 },
    ],
  ])('%s', (_name, revisions, template, expected) => {
    expect(chooseUpdateRevision('nginxweb1', template, revisions)).toEqual(expected);
  });

  it('step 6: a name taken by another template (hash collision) takes the next collision count, as Kruise does', () => {
    const taken = { name: 'nginxweb1-775dd67bf6', revision: 1, template: t1() };
    expect(chooseUpdateRevision('nginxweb1', t2(), [taken])).toEqual({ name: revisionName('nginxweb1', t2(), 1), existing: false, collisionCount: 1 });
  });

  it("step 7: starts from the CloneSet's collision count", () => {
    expect(chooseUpdateRevision('nginxweb1', t2(), [], 2)).toEqual({ name: revisionName('nginxweb1', t2(), 2), existing: false, collisionCount: 2 });
  });

  it.each([
    ['a missing status', {}, 0],
    ['status.collisionCount 3', { status: { collisionCount: 3 } }, 3],
    ['a negative count', { status: { collisionCount: -1 } }, 0],
    ['a string', { status: { collisionCount: '2' } }, 0],
  ])('collisionCountOf: %s', (_name, cs, expected) => {
    expect(collisionCountOf(cs)).toBe(expected);
  });
});

describe('storedRevisionData / kruiseStoredTemplate (hand-back)', () => {
  it('step 1: a template stored without defaults: Kruise would compute other bytes than ours', () => {
    expect(storedRevisionData(t1())).not.toBe(revisionData(t1()));
  });

  it('step 2: the template Kruise stored: the same bytes', () => {
    expect(storedRevisionData(templateOfRevision(JSON.parse(SEED01_DATA))!)).toBe(SEED01_DATA);
  });

  it('step 3: storing kruiseStoredTemplate makes them equal, and is a fixed point', () => {
    const stored = kruiseStoredTemplate(t1());
    expect(storedRevisionData(stored)).toBe(revisionData(t1()));
    expect(kruiseStoredTemplate(stored)).toEqual(stored);
    expect(sameTemplateAsRevision(stored)).toBe(true);
  });
});

function sameTemplateAsRevision(t: PodTemplateSpec): boolean {
  return chooseUpdateRevision('nginxweb1', t, [{ name: 'nginxweb1-575497dc6b', revision: 1, template: t1() }]).existing;
}
