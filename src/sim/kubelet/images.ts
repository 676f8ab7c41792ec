import { createHash, randomBytes } from 'node:crypto';

/**
 * Default pattern of images that can never be pulled (the container waits in `ErrImagePull`, then
 * `ImagePullBackOff`). Matches either
 *  - a repository path segment named `unpullable` or `does-not-exist`
 *    (`unpullable:1.0`, `unpullable`, `registry.local/does-not-exist/app:2`), or
 *  - a tag starting with `unpullable` or `does-not-exist` (`nginx:unpullable`, `nginx:does-not-exist-1.27`).
 */
export const DEFAULT_UNPULLABLE_IMAGES = /(^|\/)(unpullable|does-not-exist)([:@/]|$)|:(unpullable|does-not-exist)[^:/]*$/;

/** Default pattern of images whose container starts but whose readiness probe never succeeds. */
export const DEFAULT_NEVER_READY_IMAGES = /never-ready/;

/**
 * Repository part of an image reference: the reference without its `@digest` and without its `:tag`
 * (a `:` before the last `/` belongs to a registry host:port and is kept).
 */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon >= 0 ? noDigest.slice(0, colon) : noDigest;
}

/**
 * The `imageID` the simulated runtime reports for an image reference, in the docker-pullable form:
 * `docker-pullable://<repository>@sha256:<64 hex>`. The digest is the one pinned in the reference when there is
 * one, otherwise sha256 of the reference string — so it is stable per image string and differs between any
 * two different tags (unlike a real registry, where two tags may share a digest).
 */
export function imageIdFor(image: string): string {
  const pinned = /@sha256:([0-9a-f]{64})$/.exec(image);
  const digest = pinned ? pinned[1] : createHash('sha256').update(image).digest('hex');
  return `docker-pullable://${imageRepository(image)}@sha256:${digest}`;
}

/** A fresh container ID, `containerd://<64 random hex>`, as containerd reports it. */
export function randomContainerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}
