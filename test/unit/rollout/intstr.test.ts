import { describe, expect, it } from 'vitest';
import {
  checkIntOrPercent,
  isPercent,
  parseIntOrPercent,
  resolveMaxSurge,
  resolveMaxUnavailable,
  resolvePartition,
  resolveScaleMaxUnavailable,
  scaledValue,
} from '../../../src/rollout/index.js';

describe('parseIntOrPercent', () => {
  it.each([
    ['an integer', 5, { kind: 'int', value: 5 }],
    ['zero', 0, { kind: 'int', value: 0 }],
    ['a numeric string (CLI input)', '5', { kind: 'int', value: 5 }],
    ['a percentage', '20%', { kind: 'percent', value: 20 }],
    ['0%', '0%', { kind: 'percent', value: 0 }],
    ['100%', '100%', { kind: 'percent', value: 100 }],
    ['a negative integer (parsed; validation rejects it)', -1, { kind: 'int', value: -1 }],
    ['a negative percentage (parsed; validation rejects it)', '-5%', { kind: 'percent', value: -5 }],
  ])('parses %s', (_name, input, expected) => {
    expect(parseIntOrPercent(input)).toEqual(expected);
  });

  it.each([
    ['a fraction', 1.5],
    ['a fractional percentage', '12.5%'],
    ['a word', 'abc'],
    ['an empty string', ''],
    ['a bare percent sign', '%'],
    ['null', null],
    ['an object', { a: 1 }],
    ['NaN', Number.NaN],
    ['percent sign first', '%20'],
  ])('rejects %s', (_name, input) => {
    expect(parseIntOrPercent(input)).toBeNull();
  });

  it('recognises percentages', () => {
    expect(isPercent('20%')).toBe(true);
    expect(isPercent(20)).toBe(false);
    expect(isPercent('20')).toBe(false);
  });
});

describe('checkIntOrPercent', () => {
  it.each([[0], [7], ['0%'], ['100%'], ['35%'], ['3']])('accepts %j', (v) => {
    expect(checkIntOrPercent(v)).toBeNull();
  });

  it.each([
    ['150%', '"150%" must be an integer ≥ 0 or a percentage between 0% and 100%'],
    [-1, '-1 must be an integer ≥ 0 or a percentage between 0% and 100%'],
    ['-5%', '"-5%" must be an integer ≥ 0 or a percentage between 0% and 100%'],
    ['x', '"x" must be an integer ≥ 0 or a percentage between 0% and 100%'],
    [2.5, '2.5 must be an integer ≥ 0 or a percentage between 0% and 100%'],
  ])('rejects %j with a message naming the value', (v, message) => {
    expect(checkIntOrPercent(v)).toBe(message);
  });

  it('allows percentages over 100% when asked', () => {
    expect(checkIntOrPercent('150%', { maxPercent100: false })).toBeNull();
  });
});

describe('scaledValue', () => {
  it.each([
    ['20% of 5 rounded up', '20%', 5, true, 1],
    ['20% of 4 rounded up (0.8 → 1)', '20%', 4, true, 1],
    ['20% of 4 rounded down (0.8 → 0)', '20%', 4, false, 0],
    ['20% of 10', '20%', 10, true, 2],
    ['25% of 10 rounded up', '25%', 10, true, 3],
    ['25% of 10 rounded down', '25%', 10, false, 2],
    ['7% of 100 exactly (no float error)', '7%', 100, true, 7],
    ['an integer is returned as-is', 3, 10, true, 3],
    ['an integer larger than the total is returned as-is', 30, 10, false, 30],
    ['any percent of 0', '50%', 0, true, 0],
  ])('%s', (_name, value, total, roundUp, expected) => {
    expect(scaledValue(value, total, roundUp)).toBe(expected);
  });

  it('throws on a value that is not an int or percent', () => {
    expect(() => scaledValue('abc', 5, true)).toThrow(/invalid int-or-percent/);
  });
});

describe('resolveMaxUnavailable (Kruise: rounds UP without surge, DOWN with surge)', () => {
  it.each([
    ['default 20% of 5 → 1', undefined, 5, 0, 1],
    ['default 20% of 4 → 1 (0.8 rounds up)', undefined, 4, 0, 1],
    ['default 20% of 10 → 2', undefined, 10, 0, 2],
    ['default 20% of 1 → 1', undefined, 1, 0, 1],
    ['default 20% of 4 with maxSurge 1 → 0 (rounds down)', undefined, 4, 1, 0],
    ['50% of 5 with maxSurge → 2', '50%', 5, 1, 2],
    ['50% of 5 without maxSurge → 3', '50%', 5, 0, 3],
    ['integer 2 stays 2', 2, 10, 0, 2],
    ['0% → 0', '0%', 10, 0, 0],
  ])('%s', (_name, value, replicas, surge, expected) => {
    expect(resolveMaxUnavailable(value, replicas, surge)).toBe(expected);
  });
});

describe('resolveMaxSurge', () => {
  it.each([
    ['unset → 0', undefined, 10, false, 0],
    ['25% of 10 rounds up to 3', '25%', 10, false, 3],
    ['1% of 10 rounds up to 1', '1%', 10, false, 1],
    ['integer 2', 2, 10, false, 2],
    ['treated as 0 while paused', 2, 10, true, 0],
  ])('%s', (_name, value, replicas, paused, expected) => {
    expect(resolveMaxSurge(value, replicas, paused)).toBe(expected);
  });
});

describe('resolvePartition (percent rounds up; < 100% always updates one pod when replicas > 1)', () => {
  it.each([
    ['unset → 0', undefined, 5, 0],
    ['20% of 4 → 1 (0.8 rounds up)', '20%', 4, 1],
    ['50% of 3 → 2', '50%', 3, 2],
    ['100% keeps every pod', '100%', 5, 5],
    ['90% of 5 would keep 5, keeps 4 so one pod updates', '90%', 5, 4],
    ['99% of 2 keeps 1', '99%', 2, 1],
    ['99% of 1 keeps the single pod (replicas must be > 1 to force an update)', '99%', 1, 1],
    ['integer 3 of 5', 3, 5, 3],
    ['integer larger than replicas is clamped', 8, 5, 5],
    ['0% → 0', '0%', 5, 0],
    ['1% of 5 keeps 1 (rounds up)', '1%', 5, 1],
    ['any partition of 0 replicas → 0', '50%', 0, 0],
  ])('%s', (_name, value, replicas, expected) => {
    expect(resolvePartition(value, replicas)).toBe(expected);
  });
});

describe('resolveScaleMaxUnavailable', () => {
  it.each([
    ['unset → unlimited (null)', undefined, 5, null],
    ['null → unlimited', null, 5, null],
    ['1 → 1', 1, 5, 1],
    ['10% of 5 rounds up to 1', '10%', 5, 1],
    ['50% of 5 rounds up to 3', '50%', 5, 3],
  ])('%s', (_name, value, replicas, expected) => {
    expect(resolveScaleMaxUnavailable(value, replicas)).toBe(expected);
  });
});
