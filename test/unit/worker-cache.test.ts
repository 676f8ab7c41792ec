import { describe, expect, it } from 'vitest';
import { defaultMaxCachedWorkflows } from '../../src/worker/index.js';

describe('defaultMaxCachedWorkflows: one cached rollout per 2 MiB of heap, at least 10', () => {
  it.each([
    { step: 'the shipped 256 MB heap (V8 limit 304 MiB): 152, above the 100 of S4, below the 300 that ran out of memory', heap: 304, cached: 152 },
    { step: 'a 1 GiB heap (V8 limit 1072 MiB): 536', heap: 1072, cached: 536 },
    { step: 'a tiny heap still keeps 10 (the SDK needs at least 2)', heap: 12, cached: 10 },
    { step: 'a fractional limit rounds down', heap: 305.9, cached: 152 },
  ])('$step', ({ heap, cached }) => {
    expect(defaultMaxCachedWorkflows(heap)).toBe(cached);
  });

  it('reads the heap limit of the running process by default', () => {
    expect(defaultMaxCachedWorkflows()).toBeGreaterThanOrEqual(10);
  });
});
