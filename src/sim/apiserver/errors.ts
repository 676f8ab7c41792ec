/**
 * API errors rendered as metav1.Status bodies, with the messages, reasons and
 * details the real apiserver (k8s.io/apimachinery/pkg/api/errors) produces, so
 * that clients branching on `reason`/`code` behave as against a real cluster.
 */
import { type FieldError, fieldErrorString } from './validation.js';

/** The Status reasons this server emits. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'Expired'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'TooManyRequests'
  | 'Timeout'
  | 'RequestEntityTooLarge';

/** metav1.StatusCause */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** metav1.StatusDetails */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** metav1.Status, the body of every error response. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A group + plural resource, used by NotFound/AlreadyExists/Conflict messages. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** A group + kind, used by Invalid messages. */
export interface GroupKind {
  group: string;
  kind: string;
}

/** An error answered with a Status body (the apiserver's StatusError). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    /** Undefined for errors the real server reports without a reason (plain Go errors become a bare 500). */
    readonly reason: StatusReason | undefined,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The Status object sent to the client; key order follows the real server's encoding. */
  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function qualifiedKind(gk: GroupKind): string {
  return gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
}

function details(name: string, group: string, kind: string, extra: StatusDetails = {}): StatusDetails {
  // empty strings are omitted (omitempty) in the real encoding
  return { ...(name ? { name } : {}), ...(group ? { group } : {}), ...(kind ? { kind } : {}), ...extra };
}

/** 404 for an object. */
export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, details(name, gr.group, gr.resource));
}

/** 404 for a path the server does not serve at all. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 on create of an existing object. */
export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, details(name, gr.group, gr.resource));
}

/** The reason part of the optimistic-concurrency Conflict. */
export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict: `Operation cannot be fulfilled on <resource> "<name>": <why>`. */
export function conflict(gr: GroupResource, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, details(name, gr.group, gr.resource));
}

/** 422 Invalid with one cause per field error. */
export function invalid(gk: GroupKind, name: string, errs: readonly FieldError[]): ApiError {
  const summary = errs.length === 1 ? fieldErrorString(errs[0]!) : `[${errs.map(fieldErrorString).join(', ')}]`;
  const causes = errs.map((e) => ({ reason: e.type, message: e.detail, field: e.field }));
  return new ApiError(422, 'Invalid', `${qualifiedKind(gk)} "${name}" is invalid: ${summary}`, details(name, gk.group, gk.kind, { causes }));
}

/** 400 BadRequest. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 405 for a verb a resource does not support. */
export function methodNotSupported(gr: GroupResource, action: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind "${qualifiedResource(gr)}"`,
    details('', gr.group, gr.resource),
  );
}

/** 415 for a patch/body content type the resource does not accept. */
export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

/** 410 Expired (too old resource version). */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/** 500 InternalError. */
export function internalError(cause: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${cause}`, { causes: [{ message: cause }] });
}

/** 503 ServiceUnavailable. */
export function serviceUnavailable(message = 'the server is currently unable to handle the request'): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

/** 429 TooManyRequests with Retry-After. */
export function tooManyRequests(retryAfterSeconds = 1): ApiError {
  return new ApiError(
    429,
    'TooManyRequests',
    'Too many requests, please try again later.',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

/** 504 Timeout, e.g. for a resourceVersion this server has never reached. */
export function timeout(message: string, retryAfterSeconds = 1, causes?: StatusCause[]): ApiError {
  return new ApiError(
    504,
    'Timeout',
    `Timeout: ${message}`,
    { ...(causes ? { causes } : {}), retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

/** 413 for oversized request bodies (the real limit is 3 MiB). */
export function requestEntityTooLarge(limit: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** A Status Success body (deletes of kinds that do not return the object, bindings). */
export function successStatus(details?: StatusDetails, code?: number): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}), ...(code ? { code } : {}) };
}
