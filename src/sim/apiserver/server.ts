/**
 * HTTP front end: routes Kubernetes REST paths to the registry, reads bodies,
 * applies injected faults and writes JSON responses or Status errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { deleteCollection, deleteObject, parseDeleteOptions } from './delete.js';
import { discovery } from './discovery.js';
import { ApiError, badRequest, internalError, methodNotSupported, pathNotFound, requestEntityTooLarge, unsupportedMediaType } from './errors.js';
import type { Faults } from './faults.js';
import type { JsonObject, JsonValue } from './json.js';
import { openApiV3 } from './openapi.js';
import { type PatchType, patchTypeOf } from './patch.js';
import type { Registry, ResourceDef, Verb } from './registry.js';
import type { Reply, RestStorage, Scope } from './rest.js';
import { toTable, wantsTable } from './table.js';
import type { WatchHub } from './watch.js';

/** The real server's request body limit. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** A request for a resource, after routing. */
interface ResourceRoute {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource: string;
  /** The deprecated /watch/ path prefix was used. */
  watchPath: boolean;
}

/** Splits /api/v1/... and /apis/{group}/{version}/... paths; undefined when not a resource path. */
function routeResource(registry: Registry, segments: string[]): ResourceRoute | undefined {
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (segments[0] === 'api') [group, version, rest] = ['', segments[1], segments.slice(2)];
  else if (segments[0] === 'apis' && segments.length > 2) [group, version, rest] = [segments[1]!, segments[2], segments.slice(3)];
  else return undefined;
  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource = '', ...extra] = rest;
  if (!resource || extra.length) return undefined;
  const def = registry.find(group, version ?? '', resource);
  // all served resources are namespaced: by name they are only reachable within a namespace
  if (!def || (name !== undefined && namespace === undefined)) return undefined;
  const served: Record<string, boolean> = { status: def.statusSubresource, scale: !!def.scale, binding: def.binding, resize: def.resize };
  if (subresource && !served[subresource]) return undefined;
  return { def, ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}), subresource, watchPath };
}

/** The API verb for a method on a route, or undefined when the route does not support it. */
function verbOf(method: string, r: ResourceRoute, watchParam: boolean): Verb | undefined {
  const named = r.name !== undefined;
  if (r.subresource === 'binding') return method === 'POST' ? 'create' : undefined;
  if (r.subresource) return method === 'GET' ? 'get' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : undefined;
  switch (method) {
    case 'GET':
      if (r.watchPath || watchParam) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return named ? undefined : 'create';
    case 'PUT':
      return named ? 'update' : undefined;
    case 'PATCH':
      return named ? 'patch' : undefined;
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/** Collaborators of the HTTP front end. */
export interface FrontEndDeps {
  registry: Registry;
  rest: RestStorage;
  hub: WatchHub;
  faults: Faults;
  logger?: Logger;
  /** host:port, advertised by /api. */
  address: () => string;
}

/** Request handling for the simulated apiserver's http.Server. */
export class FrontEnd {
  private served = 0;

  constructor(private readonly deps: FrontEndDeps) {}

  /** Number of HTTP requests received. */
  get requests(): number {
    return this.served;
  }

  /** The http.Server 'request' listener. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.served++;
    const { logger } = this.deps;
    if (logger?.isLevelEnabled('debug')) {
      const started = Date.now();
      res.on('finish', () => logger.debug({ method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started }, 'request'));
    }
    this.serve(req, res).catch((e: unknown) => this.fail(res, e));
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const segments = decodePath(url.pathname);
    const method = req.method ?? 'GET';
    if (['healthz', 'livez', 'readyz'].includes(segments[0] ?? '') && method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    const doc = method === 'GET' ? discovery(this.deps.registry, segments, this.deps.address()) : undefined;
    if (doc) return this.send(res, { code: 200, body: JSON.stringify(doc) });
    if (method === 'GET' && segments[0] === 'openapi' && segments[1] === 'v3') {
      const spec = openApiV3(this.deps.registry, segments.slice(2));
      if (!spec) throw pathNotFound();
      return this.send(res, { code: 200, body: JSON.stringify(spec) });
    }

    const route = routeResource(this.deps.registry, segments);
    if (!route) throw pathNotFound();
    const watchParam = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const verb = verbOf(method, route, watchParam);
    if (!verb) throw methodNotSupported(route.def.gr, method.toLowerCase());
    const dryRunValues = url.searchParams.getAll('dryRun');
    if (dryRunValues.some((v) => v !== 'All')) throw badRequest(`Invalid dry run value: ${dryRunValues.join(',')}`);
    const scope: Scope = {
      def: route.def,
      ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(route.name !== undefined ? { name: route.name } : {}),
      ...(route.subresource ? { subresource: route.subresource } : {}),
      query: url.searchParams,
      dryRun: dryRunValues.includes('All'),
    };

    const raw = await readBody(req);
    const plan = this.deps.faults.plan({ verb, resource: route.def.resource, subresource: route.subresource, group: route.def.group, name: route.name ?? '' });
    if (plan.latencyMs > 0) await sleep(plan.latencyMs);
    if (plan.before) throw plan.before;
    if (verb === 'watch') {
      this.deps.hub.serve(scope, res);
      return;
    }
    const contentType = req.headers['content-type'];
    if ((verb === 'create' || verb === 'update') && contentType && !/^application\/json\b/i.test(contentType)) {
      throw unsupportedMediaType(['application/json']);
    }
    let reply = this.dispatch(verb, scope, parseJson(raw), patchTypeOf(contentType));
    if (plan.after) throw plan.after;
    if ((verb === 'get' || verb === 'list') && !route.subresource && wantsTable(req.headers.accept)) reply = asTable(route.def, reply, url.searchParams);
    this.send(res, reply, scope.warnings?.length ? { Warning: scope.warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {});
  }

  private dispatch(verb: Verb, scope: Scope, body: JsonValue | undefined, patchType: PatchType | undefined): Reply {
    const { rest } = this.deps;
    const sub = scope.subresource;
    const mode = sub === 'status' ? 'status' : sub === 'resize' ? 'resize' : 'main';
    switch (verb) {
      case 'get':
        return sub === 'scale' ? rest.getScale(scope) : rest.get(scope);
      case 'list':
        return rest.list(scope);
      case 'create':
        return sub === 'binding' ? rest.bind(scope, requireBody(body)) : rest.create(scope, requireBody(body));
      case 'update':
        return sub === 'scale' ? rest.writeScale(scope, requireBody(body), false) : rest.update(scope, requireBody(body), mode);
      case 'patch':
        return sub === 'scale' ? rest.writeScale(scope, requireBody(body), true, patchType) : rest.patch(scope, patchType, requireBody(body), mode);
      case 'delete':
        return deleteObject(rest, scope, parseDeleteOptions(body, scope.query));
      case 'deletecollection':
        return deleteCollection(rest, scope, parseDeleteOptions(body, scope.query));
      case 'watch':
        throw internalError('watch is not dispatched here');
    }
  }

  private send(res: ServerResponse, reply: Reply, headers: Readonly<Record<string, string | string[]>> = {}): void {
    res.writeHead(reply.code, {
      ...headers,
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Content-Length': Buffer.byteLength(reply.body),
    });
    res.end(reply.body);
  }

  private fail(res: ServerResponse, e: unknown): void {
    const err = e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e));
    if (!(e instanceof ApiError)) this.deps.logger?.error({ err: e }, 'unexpected error in simulated apiserver');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(res, { code: err.code, body: JSON.stringify(err.toStatus()) }, err.headers);
  }
}

/** A get/list answer re-rendered as the Table kubectl asked for. */
function asTable(def: ResourceDef, reply: Reply, query: URLSearchParams): Reply {
  const body = JSON.parse(reply.body) as JsonObject;
  const list = Array.isArray(body.items);
  const objects = (list ? body.items : [body]) as JsonObject[];
  const listMeta = list ? (body.metadata as JsonObject) : { resourceVersion: (body.metadata as JsonObject).resourceVersion ?? '' };
  return { code: reply.code, body: JSON.stringify(toTable(def, objects, listMeta, query.get('includeObject'))) };
}

function decodePath(pathname: string): string[] {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw pathNotFound();
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw requestEntityTooLarge(MAX_BODY_BYTES);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): JsonValue | undefined {
  if (!raw.trim()) return undefined;
  try {
    return JSON.parse(raw) as JsonValue;
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

function requireBody(body: JsonValue | undefined): JsonValue {
  if (body === undefined) throw badRequest('the request body is empty');
  return body;
}
