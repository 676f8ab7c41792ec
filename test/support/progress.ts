/**
 * Waiting on a rollout's own state, through its `progress` query: what the canary and analysis tests hold on (a
 * step Paused, Baking...), never on time.
 */
import type { RolloutHandle } from '../../src/client/index.js';
import type { RolloutProgress } from '../../src/workflows/messages.js';

/** The first progress record `pred` accepts (polled every 100 ms); after `timeoutMs`, an error showing the last one. */
export async function untilProgress(handle: RolloutHandle, what: string, pred: (p: RolloutProgress) => boolean, timeoutMs = 90_000): Promise<RolloutProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await handle.progress().catch(() => null);
    if (p && pred(p)) return p;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p?.canary ?? p)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The canary is at step `step` (index) with `status`. */
export const canaryAt = (status: string, step: number) => (p: RolloutProgress) => p.canary?.status === status && p.canary.current === step;
