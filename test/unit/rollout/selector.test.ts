import { describe, expect, it } from 'vitest';
import {
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  isQualifiedName,
  selectorMatches,
  selectorString,
  type LabelSelector,
} from '../../../src/rollout/index.js';

describe('name syntax', () => {
  it.each<[string, (s: string) => boolean, string, boolean]>([
    ['label: simple', isDns1123Label, 'default', true],
    ['label: dash inside', isDns1123Label, 'kube-system', true],
    ['label: uppercase', isDns1123Label, 'Default', false],
    ['label: dot', isDns1123Label, 'a.b', false],
    ['label: leading dash', isDns1123Label, '-a', false],
    ['label: 64 chars', isDns1123Label, 'a'.repeat(64), false],
    ['subdomain: dots', isDns1123Subdomain, 'web.v2.example', true],
    ['subdomain: empty', isDns1123Subdomain, '', false],
    ['subdomain: underscore', isDns1123Subdomain, 'web_1', false],
    ['key: prefixed', isQualifiedName, 'apps.kruise.io/cloneset-instance-id', true],
    ['key: plain', isQualifiedName, 'controller-revision-hash', true],
    ['key: bad prefix', isQualifiedName, 'Bad_Prefix/x', false],
    ['key: empty name', isQualifiedName, 'a.io/', false],
    ['value: empty', isLabelValue, '', true],
    ['value: mixed', isLabelValue, 'Web_1.v2-x', true],
    ['value: space', isLabelValue, 'a b', false],
  ])('%s', (_n, f, s, expected) => {
    expect(f(s)).toBe(expected);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'web', tier: 'api' };
  it.each<[string, LabelSelector, boolean]>([
    ['matchLabels equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels differ', { matchLabels: { app: 'db' } }, false],
    ['matchLabels key missing', { matchLabels: { zone: 'a' } }, false],
    ['In hit', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['api', 'web'] }] }, true],
    ['In miss', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, false],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn hit', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['api'] }] }, false],
    ['NotIn on a missing key matches', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['unknown operator never matches', { matchExpressions: [{ key: 'app', operator: 'Like' }] }, false],
    ['both parts must hold', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, false],
  ])('%s', (_n, sel, expected) => {
    expect(selectorMatches(sel, labels)).toBe(expected);
  });
});

describe('selectorString', () => {
  it.each<[string, LabelSelector, string]>([
    ['one label', { matchLabels: { app: 'web' } }, 'app=web'],
    ['labels sorted by key', { matchLabels: { b: '2', a: '1' } }, 'a=1,b=2'],
    ['values sorted', { matchExpressions: [{ key: 'x', operator: 'In', values: ['b', 'a'] }] }, 'x in (a,b)'],
    ['empty', {}, ''],
  ])('%s', (_n, sel, expected) => {
    expect(selectorString(sel)).toBe(expected);
  });
});
