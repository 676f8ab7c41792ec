import { describe, expect, it } from 'vitest';
import {
  describeHookWait,
  hookDefined,
  hookWaitOver,
  isPodHooked,
  lifecycleAfterCreate,
  lifecycleAfterGateOn,
  lifecycleMetadata,
  rolloutHooks,
  type HookWait,
  type HookedMeta,
  type LifecycleHook,
} from '../../../src/rollout/index.js';

const labelHook: LifecycleHook = { labelsHandler: { 'example.com/in-service': 'true' } };
const finalizerHook: LifecycleHook = { finalizersHandler: ['example.com/deregister'] };
const both: LifecycleHook = { ...labelHook, ...finalizerHook, markPodNotReady: true };

describe('isPodHooked: a Pod carries any of the hook’s labels (with its value) or finalizers', () => {
  it.each<[string, LifecycleHook | undefined, HookedMeta, boolean]>([
    ['label with the value', labelHook, { labels: { 'example.com/in-service': 'true' } }, true],
    ['label with another value (released by flipping it)', labelHook, { labels: { 'example.com/in-service': 'false' } }, false],
    ['label absent', labelHook, { labels: { app: 'web' } }, false],
    ['no labels at all', labelHook, {}, false],
    ['finalizer present', finalizerHook, { finalizers: ['other', 'example.com/deregister'] }, true],
    ['finalizer removed', finalizerHook, { finalizers: ['other'] }, false],
    ['either is enough: finalizer only', both, { finalizers: ['example.com/deregister'] }, true],
    ['either is enough: label only', both, { labels: { 'example.com/in-service': 'true' } }, true],
    ['neither', both, { labels: {}, finalizers: [] }, false],
    ['an empty hook never holds', {}, { labels: { 'example.com/in-service': 'true' } }, false],
    ['no hook', undefined, { labels: { 'example.com/in-service': 'true' } }, false],
    ['null labels and finalizers', both, { labels: null, finalizers: null }, false],
  ])('%s', (_name, hook, meta, hooked) => {
    expect(isPodHooked(hook, meta)).toBe(hooked);
  });
});

describe('hookWaitOver: released vs hooked again', () => {
  const hooked: HookedMeta = { labels: { 'example.com/in-service': 'true' } };
  const free: HookedMeta = { labels: { 'example.com/in-service': 'false' } };
  it.each<[string, HookWait, HookedMeta, boolean]>([
    ['PreparingUpdate waits while hooked', { state: 'PreparingUpdate', until: 'released', hook: labelHook }, hooked, false],
    ['PreparingUpdate ends once released', { state: 'PreparingUpdate', until: 'released', hook: labelHook }, free, true],
    ['PreparingDelete waits while hooked', { state: 'PreparingDelete', until: 'released', hook: labelHook }, hooked, false],
    ['Updated waits until hooked again', { state: 'Updated', until: 'rehooked', hook: labelHook }, free, false],
    ['Updated ends once hooked again', { state: 'Updated', until: 'rehooked', hook: labelHook }, hooked, true],
  ])('%s', (_name, wait, meta, over) => {
    expect(hookWaitOver(wait, meta)).toBe(over);
  });

  it('describes what the Pod waits for', () => {
    expect(describeHookWait({ state: 'PreparingDelete', until: 'released', hook: both })).toBe(
      'PreparingDelete: waiting for label example.com/in-service=true, finalizer example.com/deregister to be removed',
    );
    expect(describeHookWait({ state: 'Updated', until: 'rehooked', hook: labelHook })).toBe(
      'Updated: waiting for label example.com/in-service=true to be put back',
    );
  });
});

describe('rolloutHooks: only hooks that name something are carried', () => {
  it.each<[string, Parameters<typeof rolloutHooks>[0], ReturnType<typeof rolloutHooks>]>([
    ['none', undefined, {}],
    ['empty hooks are dropped', { preDelete: {}, inPlaceUpdate: { markPodNotReady: true } }, {}],
    ['preNormal is not a rollout hook', { preNormal: labelHook }, {}],
    ['both kept as given', { preDelete: finalizerHook, inPlaceUpdate: both }, { preDelete: finalizerHook, inPlaceUpdate: both }],
  ])('%s', (_name, lifecycle, expected) => {
    expect(rolloutHooks(lifecycle)).toEqual(expected);
  });

  it('hookDefined', () => {
    expect(hookDefined(undefined)).toBe(false);
    expect(hookDefined({ labelsHandler: {} })).toBe(false);
    expect(hookDefined(finalizerHook)).toBe(true);
  });
});

describe('lifecycleAfterCreate: a new Pod moves from PreparingNormal to Normal once bound (Kruise, no preNormal hook)', () => {
  it.each<[string, string | null, string | null, string | null]>([
    ['PreparingNormal, not bound yet: stays', 'PreparingNormal', null, null],
    ['PreparingNormal, bound: Normal', 'PreparingNormal', 'node-1', 'Normal'],
    ['already Normal: nothing', 'Normal', 'node-1', null],
    ['no label (not created by a CloneSet): nothing', null, 'node-1', null],
    ['Updating (an in-place update, not a creation): nothing', 'Updating', 'node-1', null],
    ['PreparingUpdate (a hook hold, not a creation): nothing', 'PreparingUpdate', 'node-1', null],
    ['PreparingDelete: nothing', 'PreparingDelete', 'node-1', null],
  ])('%s', (_name, lifecycleState, nodeName, expected) => {
    expect(lifecycleAfterCreate({ lifecycleState, nodeName })).toBe(expected);
  });
});

describe('lifecycleAfterGateOn: the label written after InPlaceUpdateReady=True (gate first, then the label)', () => {
  it.each<[string, string | null, 'Normal' | 'Updated', boolean, string | null]>([
    ['Updating → Normal', 'Updating', 'Normal', true, 'Normal'],
    ['Updating → Updated (an inPlaceUpdate hook held it)', 'Updating', 'Updated', true, 'Updated'],
    ['Updated → Normal (the hook was put back)', 'Updated', 'Normal', true, 'Normal'],
    ['already Normal: nothing (a retry after the label write)', 'Normal', 'Normal', true, null],
    ['no label and Normal wanted: stays without one', null, 'Normal', true, null],
    ['no label and Updated wanted: Updated', null, 'Updated', true, 'Updated'],
    ['PreparingNormal, not bound: stays (Normal once bound)', 'PreparingNormal', 'Normal', false, null],
    ['PreparingNormal, bound: Normal', 'PreparingNormal', 'Normal', true, 'Normal'],
  ])('%s', (_name, current, want, bound, expected) => {
    expect(lifecycleAfterGateOn(current, want, bound)).toBe(expected);
  });
});

describe('lifecycleMetadata: the label and its timestamp in one patch, as Kruise writes them', () => {
  it('whole seconds, UTC', () => {
    expect(lifecycleMetadata('Updating', Date.UTC(2024, 4, 1, 12, 0, 0, 999))).toEqual({
      labels: { 'lifecycle.apps.kruise.io/state': 'Updating' },
      annotations: { 'lifecycle.apps.kruise.io/timestamp': '2024-05-01T12:00:00Z' },
    });
  });
});
