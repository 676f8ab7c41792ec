/** A typed client for one CLI command: connected with the command's flags (and TEMPORAL_* settings), then closed. */
import { RolloutClient } from '../client/index.js';
import { clientConnectionOptions, loadConnectionSettings } from '../temporal/connection.js';
import { resolveConnection, type ConnectFlags } from './connect.js';

export async function withClient<T>(o: ConnectFlags, fn: (client: RolloutClient) => Promise<T>): Promise<T> {
  const c = resolveConnection(o);
  const client = await RolloutClient.connect({
    ...c,
    connection: clientConnectionOptions(loadConnectionSettings({ overrides: { address: c.address, namespace: c.namespace } })),
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
