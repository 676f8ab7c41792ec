/**
 * A deliberately changed workflow for the replay guard: one more step (a timer) before the rollout starts, as a new
 * step added without `patched()` would be. Every saved history must fail to replay on it.
 */
import { sleep, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        await sleep(1);
        return next(input);
      },
    },
  ],
});
