/**
 * A deliberately changed workflow for the replay guard: the grace period before an image patch is skipped (its timer
 * never starts), as a careless change to the lanes would do. Histories with a grace period must fail to replay on it.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async startTimer(input, next) {
        if (input.options?.summary?.includes('grace')) return;
        await next(input);
      },
    },
  ],
});
