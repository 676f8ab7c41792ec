/**
 * Simulated apiserver internals that are worth testing directly: selector
 * parsing, the RFC 7386 / RFC 6902 examples, strategic-merge directives and
 * the store's watch history.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/sim/apiserver/errors.js';
import { type JsonObject, type JsonValue, stringAt } from '../../src/sim/apiserver/json.js';
import { applyJsonPatch, applyMergePatch } from '../../src/sim/apiserver/patch.js';
import { FieldSelector, LabelSelector } from '../../src/sim/apiserver/selectors.js';
import { Store } from '../../src/sim/apiserver/store.js';
import { applyStrategicMergePatch } from '../../src/sim/apiserver/strategic.js';

describe('LabelSelector', () => {
  const labels = { app: 'web', tier: 'front', version: '3' };
  it.each<[string, boolean]>([
    ['', true],
    ['app=web', true],
    ['app = web', true],
    ['app==db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db, web)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=back', false],
    ['app in (web),tier notin (back),!missing', true],
    ['version>2', true],
    ['version<3', false],
    ['example.com/app=x', false],
  ])('%j matches %s', (sel, expected) => {
    expect(LabelSelector.parse(sel).matches(labels)).toBe(expected);
  });

  it.each(['app in web', 'app in (a', 'app=a b', '=x', 'app in ()', 'a,', 'version>x', 'Bad Key=1'])('rejects %j with a 400', (sel) => {
    expect(() => LabelSelector.parse(sel)).toThrowError(ApiError);
    try {
      LabelSelector.parse(sel);
    } catch (e) {
      expect((e as ApiError).code).toBe(400);
    }
  });
});

describe('FieldSelector', () => {
  const getters = { 'metadata.name': (o: JsonObject) => stringAt(o.metadata as JsonObject, 'name'), x: (o: JsonObject) => stringAt(o, 'x') };
  const obj: JsonObject = { metadata: { name: 'a,b' }, x: '' };
  it.each<[string, boolean]>([
    ['metadata.name=a\\,b', true],
    ['metadata.name==a\\,b', true],
    ['metadata.name!=a\\,b', false],
    ['x=', true],
    ['x!=', false],
    ['metadata.name=a\\,b,x=', true],
  ])('%j matches %s', (sel, expected) => {
    expect(FieldSelector.parse(sel, getters).matches(obj)).toBe(expected);
  });

  it('rejects unknown fields', () => {
    expect(() => FieldSelector.parse('spec.other=1', getters)).toThrowError(/field label not supported: spec.other/);
  });
});

describe('JSON merge patch (RFC 7386 appendix A)', () => {
  it.each<[JsonValue, JsonValue, JsonValue]>([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});

describe('JSON patch (RFC 6902)', () => {
  it.each<[string, JsonValue, JsonValue, JsonValue]>([
    ['add member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { foo: 'bar', baz: 'qux' }],
    ['add array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['append with -', { foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }], { foo: [1, 2] }],
    ['remove member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['remove element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['replace', { baz: 'qux' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo' }],
    [
      'move',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: {} },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { thud: 'fred' } },
    ],
    ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    [
      'escaped keys',
      { 'a/b': 1, 'm~n': 2 },
      [
        { op: 'test', path: '/a~1b', value: 1 },
        { op: 'test', path: '/m~0n', value: 2 },
        { op: 'remove', path: '/m~0n' },
      ],
      { 'a/b': 1 },
    ],
    ['test deep value', { a: { b: [1, { c: true }] } }, [{ op: 'test', path: '/a', value: { b: [1, { c: true }] } }], { a: { b: [1, { c: true }] } }],
  ])('%s', (_, doc, patch, expected) => {
    expect(applyJsonPatch(doc, patch)).toEqual(expected);
  });

  it.each<[string, JsonValue, JsonValue, number]>([
    ['a failed test', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }], 422],
    ['testing a missing member against null', { a: 1 }, [{ op: 'test', path: '/b', value: null }], 422],
    ['removing a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }], 422],
    ['adding below a missing parent', { a: 1 }, [{ op: 'add', path: '/x/y', value: 1 }], 422],
    ['a leading-zero index', { a: [1, 2] }, [{ op: 'replace', path: '/a/01', value: 3 }], 422],
    ['moving into its own child', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }], 422],
    ['a missing value', { a: 1 }, [{ op: 'add', path: '/b' }], 400],
    ['a non-array document', { a: 1 }, { op: 'add', path: '/b', value: 1 }, 400],
  ])('rejects %s', (_, doc, patch, code) => {
    let err: unknown;
    try {
      applyJsonPatch(doc, patch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(code);
  });

  it('does not modify the input document', () => {
    const doc = { a: [1] };
    applyJsonPatch(doc, [{ op: 'add', path: '/a/-', value: 2 }]);
    expect(doc).toEqual({ a: [1] });
  });
});

describe('strategic merge patch', () => {
  const schema = { fields: { list: { mergeKey: 'name' }, set: { set: true } } };
  const doc: JsonObject = {
    list: [
      { name: 'a', v: 1, w: 1 },
      { name: 'b', v: 2 },
    ],
    set: ['x'],
    other: [1, 2],
    m: { k: 1, j: 2 },
  };
  it.each<[string, JsonValue, JsonObject]>([
    [
      'merges keyed elements and appends new ones',
      { list: [{ name: 'b', v: 3 }, { name: 'c' }] },
      { ...doc, list: [{ name: 'a', v: 1, w: 1 }, { name: 'b', v: 3 }, { name: 'c' }] },
    ],
    [
      'nulls delete members inside an element',
      { list: [{ name: 'a', w: null }] },
      {
        ...doc,
        list: [
          { name: 'a', v: 1 },
          { name: 'b', v: 2 },
        ],
      },
    ],
    ['$patch: delete removes an element', { list: [{ name: 'a', $patch: 'delete' }] }, { ...doc, list: [{ name: 'b', v: 2 }] }],
    ['$patch: replace in a list replaces it', { list: [{ $patch: 'replace' }, { name: 'z' }] }, { ...doc, list: [{ name: 'z' }] }],
    ['lists without strategy are replaced', { other: [3] }, { ...doc, other: [3] }],
    ['set lists are unions', { set: ['y', 'x'] }, { ...doc, set: ['x', 'y'] }],
    ['$patch: replace on a map replaces it', { m: { $patch: 'replace', q: 1 } }, { ...doc, m: { q: 1 } }],
    ['$patch: delete on a map removes it', { m: { $patch: 'delete' } }, (({ m: _, ...rest }) => rest)(doc)],
    ['$retainKeys keeps only the listed keys', { m: { $retainKeys: ['j'], j: 5 } }, { ...doc, m: { j: 5 } }],
    // the order rules of normalizeElementOrder, checked against a real server (docs/sim-divergences.md 2.3)
    [
      '$setElementOrder orders the merged list',
      { '$setElementOrder/list': [{ name: 'b' }, { name: 'a' }], list: [{ name: 'a', v: 9 }] },
      {
        ...doc,
        list: [
          { name: 'b', v: 2 },
          { name: 'a', v: 9, w: 1 },
        ],
      },
    ],
    [
      'a patch naming stored items in another order swaps them',
      { list: [{ name: 'b' }, { name: 'a' }] },
      {
        ...doc,
        list: [
          { name: 'b', v: 2 },
          { name: 'a', v: 1, w: 1 },
        ],
      },
    ],
    [
      'a patch naming one stored item keeps the stored order',
      { list: [{ name: 'b', v: 5 }] },
      {
        ...doc,
        list: [
          { name: 'a', v: 1, w: 1 },
          { name: 'b', v: 5 },
        ],
      },
    ],
    [
      'a new item alone goes before the stored items',
      { list: [{ name: 'c' }] },
      { ...doc, list: [{ name: 'c' }, { name: 'a', v: 1, w: 1 }, { name: 'b', v: 2 }] },
    ],
    ['$setElementOrder reorders a set list', { '$setElementOrder/set': ['y', 'x'], set: ['y'] }, { ...doc, set: ['y', 'x'] }],
  ])('%s', (_, patch, expected) => {
    expect(applyStrategicMergePatch(doc, patch, schema)).toEqual(expected);
  });

  it('a $setElementOrder list contradicting the patch list is a bare 500, as on a real server', () => {
    let err: unknown;
    try {
      applyStrategicMergePatch(
        doc,
        {
          '$setElementOrder/list': [{ name: 'a' }, { name: 'b' }],
          list: [
            { name: 'b', v: 3 },
            { name: 'a', v: 4 },
          ],
        },
        schema,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "The order in patch list:\n[map[name:b v:3] map[name:a v:4]]\n doesn't match $setElementOrder list:\n[map[name:a] map[name:b]]\n",
      code: 500,
    });
  });

  it('an element without its merge key is a bare 500 with the Go wording, as on a real server', () => {
    expect(() => applyStrategicMergePatch(doc, { list: [{ v: 1, image: 'x' }] }, schema)).toThrowError(
      /^map: map\[image:x v:1\] does not contain declared merge key: name$/,
    );
    try {
      applyStrategicMergePatch(doc, { list: [{ v: 1 }] }, schema);
    } catch (e) {
      expect((e as ApiError).code).toBe(500);
      expect((e as ApiError).toStatus().reason).toBeUndefined();
    }
  });
});

describe('Store history', () => {
  const obj = (name: string): JsonObject => ({ metadata: { name, namespace: 'ns' } });
  it('keeps the newest events per resource and reports the oldest resumable version', () => {
    const store = new Store(2);
    const a = store.create('pods', obj('a'));
    store.create('events', obj('e'));
    const b = store.create('pods', obj('b'));
    const c = store.create('pods', obj('c'));
    expect(store.eventsAfter('pods', b.rv)).toEqual({ ok: true, events: [expect.objectContaining({ type: 'ADDED', rv: c.rv })] });
    expect(store.eventsAfter('pods', a.rv)).toMatchObject({ ok: true, events: [{ rv: b.rv }, { rv: c.rv }] });
    expect(store.eventsAfter('pods', 0)).toEqual({ ok: false, oldestResumable: a.rv });
    // another resource's traffic does not expire this one
    expect(store.eventsAfter('events', 0)).toMatchObject({ ok: true });
  });

  it('stores frozen objects', () => {
    const store = new Store(10);
    const e = store.create('pods', obj('a'));
    expect(Object.isFrozen(e.obj)).toBe(true);
    expect(Object.isFrozen(e.obj.metadata)).toBe(true);
    expect(() => {
      (e.obj.metadata as JsonObject).name = 'x';
    }).toThrow(TypeError);
  });
});
