import { describe, expect, it } from 'vitest';
import { applyImages, checkImageRef, parseRolloutInput, revisionName } from '../../../src/rollout/index.js';
import { seed01, seed02 } from './fixtures.js';

describe('checkImageRef', () => {
  it.each([
    'nginx',
    'nginx:latest',
    'nginx:perl',
    'library/nginx:1.25.3-alpine',
    'docker.io/library/nginx:latest',
    'registry.example.com:5000/team/app:v1.2.3',
    'localhost:5000/app',
    'localhost/app',
    'Registry.Example.com/app:v1',
    'registry:5000/app',
    'ghcr.io/org/sub/app_name:tag_1',
    `nginx@sha256:${'a'.repeat(64)}`,
    `nginx:1.25@sha256:${'0123456789abcdef'.repeat(4)}`,
    `my-registry.local/app:${'t'.repeat(128)}`,
  ])('accepts %s', (image) => {
    expect(checkImageRef(image)).toBeNull();
  });

  it.each([
    ['empty', '', /non-empty/],
    ['whitespace inside', 'nginx :latest', /whitespace/],
    ['trailing newline', 'nginx\n', /whitespace/],
    ['uppercase path', 'Library/Nginx', /not a valid reference/],
    ['uppercase first component without a dot is a path, not a registry', 'UPPER/case', /not a valid reference/],
    ['tag too long', `nginx:${'t'.repeat(129)}`, /not a valid reference/],
    ['tag starting with a dot', 'nginx:.bad', /not a valid reference/],
    ['short digest', 'nginx@sha256:abc', /not a valid reference/],
    ['unknown digest algorithm', `nginx@md5:${'a'.repeat(32)}`, /not a valid reference/],
    ['double colon', 'nginx::latest', /not a valid reference/],
    ['trailing slash', 'nginx/', /not a valid reference/],
    ['not a string', 42, /non-empty string/],
  ])('rejects %s', (_name, image, message) => {
    expect(checkImageRef(image)).toMatch(message);
  });

  it('rejects a repository name over 255 characters', () => {
    expect(checkImageRef(`${'a'.repeat(256)}:1`)).toMatch(/longer than 255/);
  });
});

describe('parseRolloutInput', () => {
  it('accepts the seed rollout request', () => {
    expect(parseRolloutInput({ namespace: 'default', name: 'nginxweb1', images: { nginx: 'nginx:latest' } })).toEqual({
      ok: true,
      value: { namespace: 'default', name: 'nginxweb1', images: { nginx: 'nginx:latest' } },
    });
  });

  it('accepts a request without images (roll out the template as is)', () => {
    expect(parseRolloutInput({ namespace: 'prod', name: 'web.v2' })).toMatchObject({ ok: true });
  });

  it.each([
    ['uppercase namespace', { namespace: 'Default', name: 'x' }, ['namespace']],
    ['namespace with a dot (labels have none)', { namespace: 'a.b', name: 'x' }, ['namespace']],
    ['missing name', { namespace: 'default' }, ['name']],
    ['name with an underscore', { namespace: 'default', name: 'web_1' }, ['name']],
    ['an unknown field', { namespace: 'default', name: 'x', image: 'nginx' }, ['image']],
    ['two unknown fields, each named', { namespace: 'default', name: 'x', foo: 1, bar: 2 }, ['foo', 'bar']],
    ['a bad image', { namespace: 'default', name: 'x', images: { nginx: 'NGINX' } }, ['images.nginx']],
    ['a bad container name', { namespace: 'default', name: 'x', images: { Web_1: 'nginx' } }, ['images.Web_1']],
    ['images not a record', { namespace: 'default', name: 'x', images: ['nginx'] }, ['images']],
    ['not an object', 'default/x', ['(root)']],
  ])('rejects %s, naming %j', (_name, input, fields) => {
    const r = parseRolloutInput(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field).sort()).toEqual([...fields].sort());
    for (const e of r.errors) expect(e.message.startsWith(`${e.field}: `)).toBe(true);
  });

  it.each([
    ['a missing field is "required"', { namespace: 'default' }, 'name: is required'],
    ['a number for a string names both types', { namespace: 'default', name: 5 }, 'name: must be a string (got number)'],
    ['a string for images says object', { namespace: 'default', name: 'x', images: 'nginx' }, 'images: must be an object (got string)'],
    ['a list for images says array', { namespace: 'default', name: 'x', images: ['nginx'] }, 'images: must be an object (got array)'],
    ['a bad container name says why', { namespace: 'default', name: 'x', images: { Web_1: 'nginx' } }, 'images.Web_1: container name must be a DNS-1123 label'],
    ['a null image names null', { namespace: 'default', name: 'x', images: { nginx: null } }, 'images.nginx: must be a string (got null)'],
  ])('words type errors plainly: %s', (_name, input, message) => {
    const r = parseRolloutInput(input);
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([message]);
  });
});

describe('parseRolloutInput: revision (roll back)', () => {
  it.each([
    ['a revision number', { namespace: 'default', name: 'web', revision: 3 }],
    ['0: the previous revision', { namespace: 'default', name: 'web', revision: 0 }],
    ['with rollbackOnFailure', { namespace: 'default', name: 'web', revision: 1, rollbackOnFailure: true }],
  ])('accepts %s', (_name, input) => {
    expect(parseRolloutInput(input)).toEqual({ ok: true, value: input });
  });

  it.each([
    ['a fraction', 1.5, 'revision: must be an integer ≥ 0 (a revision number; 0: the previous revision)'],
    ['a negative number', -1, 'revision: must be an integer ≥ 0 (a revision number; 0: the previous revision)'],
    ['a string', '3', 'revision: must be a number (got string)'],
    ['null', null, 'revision: must be a number (got null)'],
  ])('rejects %s', (_name, revision, message) => {
    const r = parseRolloutInput({ namespace: 'default', name: 'web', revision });
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([message]);
  });

  it('rejects revision together with images, naming revision', () => {
    const r = parseRolloutInput({ namespace: 'default', name: 'web', revision: 2, images: { nginx: 'nginx:1' } });
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
      'revision: cannot be combined with images (a revision brings its own template; roll back, then roll out new images)',
    ]);
  });
});

describe('applyImages', () => {
  it("nginx01 + {nginx: nginx:latest} gives exactly nginx02's template (same revision)", () => {
    const r = applyImages(seed01().spec.template, { nginx: 'nginx:latest' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(revisionName('nginxweb1', r.value)).toBe(revisionName('nginxweb1', seed02().spec.template));
  });

  it('without images the template is unchanged (and a copy)', () => {
    const t = seed01().spec.template;
    const r = applyImages(t, undefined);
    expect(r).toEqual({ ok: true, value: t });
    if (r.ok) expect(r.value).not.toBe(t);
  });

  it('sets init container images too', () => {
    const t = { spec: { containers: [{ name: 'a', image: 'a:1' }], initContainers: [{ name: 'init', image: 'i:1' }] } };
    const r = applyImages(t, { init: 'i:2' });
    expect(r.ok && r.value.spec.initContainers![0]!.image).toBe('i:2');
    expect(t.spec.initContainers[0]!.image).toBe('i:1');
  });

  it('names every container the template does not have', () => {
    expect(applyImages(seed01().spec.template, { web: 'x', api: 'y', nginx: 'nginx:1' })).toEqual({
      ok: false,
      errors: [
        { field: 'images.api', message: 'images.api: no container named "api" in the template (containers: nginx)' },
        { field: 'images.web', message: 'images.web: no container named "web" in the template (containers: nginx)' },
      ],
    });
  });
});
