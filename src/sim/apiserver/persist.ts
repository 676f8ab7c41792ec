/**
 * Keeping the simulated apiserver's objects in a file across restarts (what etcd's disk is to a real apiserver):
 * loaded at start, rewritten after changes (debounced) and on close. Every write goes to a temporary file that is
 * synced and then renamed over the old one, so the file is always a complete snapshot, even after a crash or kill.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isObject } from './json.js';
import type { Store, StoreSnapshot } from './store.js';

/** What the file says it is, checked on load. */
const KIND = 'SimClusterState';
const VERSION = 1;

/** Reads a saved snapshot; undefined if there is no file. A file that is not one is an error (never silently dropped). */
export async function loadSnapshot(path: string): Promise<StoreSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not a saved simulated cluster (${(err as Error).message})`);
  }
  if (!isObject(doc) || doc.kind !== KIND || doc.version !== VERSION || typeof doc.resourceVersion !== 'number' || !isObject(doc.resources)) {
    throw new Error(`${path}: not a saved simulated cluster (expected kind ${KIND}, version ${VERSION})`);
  }
  const resources: StoreSnapshot['resources'] = {};
  for (const [resource, items] of Object.entries(doc.resources)) {
    if (!Array.isArray(items) || !items.every(isObject)) throw new Error(`${path}: resources.${resource} is not a list of objects`);
    resources[resource] = items;
  }
  return { resourceVersion: doc.resourceVersion, resources };
}

/** Writes `text` to `path` atomically: a synced temporary file renamed over it. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Saves a store to a file after its writes (coalesced over `debounceMs`) and on {@link close}. */
export class StatePersister {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> | undefined;
  private readonly unsubscribe: () => void;
  private closed = false;
  /** Completed saves (for tests). */
  saves = 0;

  constructor(
    private readonly store: Store,
    readonly path: string,
    private readonly debounceMs: number,
    private readonly logger?: Logger,
  ) {
    this.unsubscribe = store.onCommit(() => this.changed());
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Saves now if anything changed since the last save; resolves when the file is written. Never rejects. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    // the snapshot is taken synchronously, so it is one consistent resourceVersion of the whole store
    const text = this.store.snapshotJson({ kind: KIND, version: VERSION, savedAt: new Date().toISOString() });
    this.writing = writeAtomically(this.path, text).then(
      () => {
        this.saves++;
      },
      (err: unknown) => {
        this.dirty = true; // try again with the next change or on close
        this.logger?.error({ err, path: this.path }, 'could not save the simulated cluster');
      },
    );
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  /** Stops following the store and writes what is not saved yet. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
