import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A copy of `kc` whose API clients share one keep-alive connection pool.
 *
 * Why: client-node 1.4 builds a new http(s).Agent for every request (KubeConfig.applySecurityAuthentication),
 * so every call opens — and leaves in TIME_WAIT — a fresh TCP (and TLS) connection. At the kubelet's write
 * rates (hundreds of patches per second) that costs CPU and exhausts ephemeral ports within a minute.
 * Requests still go through client-node unchanged; only the agent is swapped for a pooled one built with
 * the same options (CA, client certs, TLS verification), so it works for real clusters too. Proxy agents
 * are left alone.
 */
export function withConnectionReuse(kc: KubeConfig, maxSockets = 64): { kc: KubeConfig; close: () => void } {
  const copy = new KubeConfig();
  copy.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
  const applyAuth = copy.applySecurityAuthentication.bind(copy);
  let shared: http.Agent | undefined;
  copy.applySecurityAuthentication = async (context) => {
    await applyAuth(context);
    const agent = context.getAgent();
    if (!agent || (agent.constructor !== http.Agent && agent.constructor !== https.Agent)) return;
    if (!shared) {
      const Ctor = agent.constructor as typeof http.Agent;
      const options = (agent as unknown as { options?: http.AgentOptions }).options ?? {};
      shared = new Ctor({ ...options, keepAlive: true, maxSockets });
    }
    context.setAgent(shared);
  };
  return { kc: copy, close: () => shared?.destroy() };
}
