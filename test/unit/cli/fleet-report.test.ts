import { describe, expect, it } from 'vitest';
import { renderFleetReport } from '../../../src/cli/fleet-report.js';
import { renderFleet } from '../../../src/cli/fleet.js';
import type { FleetClusterProgress, FleetProgress } from '../../../src/workflows/fleet-messages.js';
import { PodStep } from '../../../src/workflows/messages.js';

const T = 1_800_000_000_000;
const cluster = (wave: number, over: Partial<FleetClusterProgress> = {}): FleetClusterProgress => ({
  wave,
  state: 'Completed',
  phase: 'Completed',
  workflowId: 'cloneset/x/default/web',
  counts: { desired: 3, total: 3, updated: 3, ready: 3, available: 3, unavailable: 0 },
  fromRevision: 'web-1',
  toRevision: 'web-2',
  startImages: { nginx: 'nginx:1' },
  waiting: null,
  error: null,
  startedAtMs: T + wave * 10_000,
  endedAtMs: T + wave * 10_000 + 5_000,
  ...over,
});

const fleet: FleetProgress = {
  phase: 'RolledBack',
  namespace: 'default',
  name: 'web',
  images: { nginx: 'nginx:2' },
  waves: [
    { clusters: ['canary'], bake: 5, approval: false },
    { clusters: ['eu-1', 'eu-2'], bake: 0, approval: false },
    { clusters: ['us-1'], bake: 0, approval: true },
  ],
  wave: 1,
  clusters: {
    canary: cluster(0, { rolledBack: 'RolledBack', rollbackStartedAtMs: T + 30_000, rollbackEndedAtMs: T + 34_000 }),
    'eu-1': cluster(1, { rolledBack: 'RolledBack', rollbackStartedAtMs: T + 20_000, rollbackEndedAtMs: T + 29_000 }),
    'eu-2': cluster(1, { state: 'RolledBack', phase: 'RolledBack' }),
    'us-1': cluster(2, { state: 'Pending', phase: 'Pending', counts: null, fromRevision: null, toRevision: null, startedAtMs: null, endedAtMs: null }),
  },
  bake: null,
  bakes: [{ wave: 0, seconds: 5, startedAtMs: T + 5_000, endsAtMs: T + 10_000 }],
  approved: [],
  paused: false,
  aborted: null,
  halted: { cluster: 'eu-2', reason: 'its rollout rolled back' },
  rollbackOnFailure: true,
  maxParallel: 2,
  error: null,
  startedAtMs: T,
  updatedAtMs: T + 34_000,
};

describe('the fleet timeline and status, step by step', () => {
  it('step 1: one lane per cluster in wave order, the rollbacks and the bake drawn, Pods under their cluster', () => {
    const html = renderFleetReport({
      fleet,
      pods: {
        canary: {
          'web-a': {
            action: 'inPlace',
            step: PodStep.Done,
            revision: 'web-2',
            steps: [
              { step: PodStep.GateOff, atMs: T + 100 },
              { step: PodStep.Done, atMs: T + 2_000 },
            ],
          },
        },
        'eu-1': null,
      },
    });
    expect([...html.matchAll(/class="lane" data-cluster="([\w-]+)"/g)].map((m) => m[1])).toEqual(['canary', 'eu-1', 'eu-2', 'us-1']);
    expect(html).toMatch(/bake after wave 1: 5 s/);
    expect(html).toMatch(/canary: fleet rollback RolledBack/);
    expect(html).toMatch(/halted by eu-2: its rollout rolled back/);
    expect(html).toMatch(/canary\/web-a: InPlaceUpdateReady=False/);
  });

  it('step 2: the status lines name the phase, the halt and each cluster with its counts, no JSON', () => {
    const text = renderFleet(fleet);
    expect(text.split('\n')[0]).toBe('fleet default/web: RolledBack, wave 2 of 3');
    expect(text).toMatch(/halted by eu-2: its rollout rolled back/);
    expect(text).toMatch(/1 +canary +Completed +Completed \(fleet rollback\) +3\/3 +web-2/);
    expect(text).toMatch(/3 +us-1 +Pending +Pending +- +-/);
    expect(text.split('\n').filter((l) => l.trim().startsWith('{'))).toEqual([]);
  });
});
