/**
 * The rollout request a user (CLI, client) submits, and image reference syntax.
 */
import { z } from 'zod';
import { fieldError, type FieldError, type Validated } from './fielderror.js';
import { zodFieldErrors } from './zod-errors.js';

export { zodFieldErrors } from './zod-errors.js';
import { isDns1123Label, isDns1123Subdomain } from './selector.js';
import type { PodTemplateSpec } from './types.js';
import { canaryStepSchema, checkSteps } from './canary.js';
import { AnalysisSpec } from './analysis.js';
import { NotificationsSpec } from './notify.js';

// Docker reference grammar (distribution/reference), simplified: [registry[:port]/]path[/path...][:tag][@sha256:hex]
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
// A first component is a registry only if it has a "." or a port, or is localhost (docker's splitDockerDomain);
// otherwise it is part of the lowercase path, so "UPPER/case" is rejected instead of read as registry "UPPER".
const DOMAIN = `(?:localhost(?::[0-9]+)?|${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})+(?::[0-9]+)?|${DOMAIN_COMPONENT}:[0-9]+)`;
const PATH_COMPONENT = '(?:[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const IMAGE_RE = new RegExp(`^(?<name>(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(?<tag>${TAG}))?(?:@(?<digest>${DIGEST}))?$`);

/** Longest repository name Docker accepts. */
const MAX_IMAGE_NAME = 255;

/**
 * Returns a problem with an image reference, or null if it is valid: non-empty, no whitespace, lowercase path
 * components, optional registry[:port]/, optional :tag (≤ 128 chars), optional @sha256:<64 hex>.
 */
export function checkImageRef(image: unknown): string | null {
  if (typeof image !== 'string' || image.length === 0) return 'image must be a non-empty string';
  if (/\s/.test(image)) return `image ${JSON.stringify(image)} must not contain whitespace`;
  const m = IMAGE_RE.exec(image);
  if (!m) {
    return `image ${JSON.stringify(image)} is not a valid reference ([registry[:port]/]name[:tag][@sha256:digest], lowercase name)`;
  }
  if ((m.groups?.name ?? '').length > MAX_IMAGE_NAME) {
    return `image ${JSON.stringify(image)} has a repository name longer than ${MAX_IMAGE_NAME} characters`;
  }
  return null;
}

/** zod schema of an image reference (see {@link checkImageRef}). */
export const ImageRef = z.string().superRefine((s, ctx) => {
  const problem = checkImageRef(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * A rollout request. Strict: unknown fields are rejected, so a typo such as `image` for `images` is caught.
 */
export const RolloutInput = z
  .strictObject({
    /** Namespace of the CloneSet (DNS-1123 label). */
    namespace: z.string().refine(isDns1123Label, {
      message: 'must be a DNS-1123 label (lowercase alphanumerics and "-", at most 63 characters)',
    }),
    /** CloneSet name (DNS-1123 subdomain). */
    name: z.string().refine(isDns1123Subdomain, {
      message: 'must be a DNS-1123 subdomain (lowercase alphanumerics, "-" and ".", at most 253 characters)',
    }),
    /**
     * The cluster the CloneSet is in, by the name the worker knows it (`--cluster NAME=KUBECONFIG`); default
     * `default`, the worker's own kubeconfig.
     */
    cluster: z
      .string()
      .refine(isDns1123Label, { message: 'must be a DNS-1123 label naming a cluster the worker knows (--cluster NAME=KUBECONFIG)' })
      .optional(),
    /** New images by container name; containers not named keep their image. Unset: roll out the template as is. */
    images: z.record(z.string().refine(isDns1123Label, { message: 'container name must be a DNS-1123 label' }), ImageRef).optional(),
    /**
     * When the CloneSet's progressDeadlineSeconds passes with no Pod progressing, roll the Pods already updated back to
     * the starting revision in place (as `abort` with `rollback: true`). Default false: stop and wait for a new spec.
     */
    rollbackOnFailure: z.boolean().optional(),
    /**
     * Roll back: first set the template of this ControllerRevision (its number in `cloneset-rollout history`; 0: the
     * previous revision, like `kubectl rollout undo`), then roll out as usual. Not together with `images`.
     */
    revision: z
      .number()
      .refine((n) => Number.isSafeInteger(n) && n >= 0, { message: 'must be an integer ≥ 0 (a revision number; 0: the previous revision)' })
      .optional(),
    /**
     * Continue as new (a fresh run of the same workflow, same ID) once this run's history passes this many events:
     * Pods in flight finish first, then the next run picks up from the cluster. Default 3000, below the 4,096 events
     * at which the server suggests it; lower it to exercise the hand-over.
     */
    historyEventsLimit: z
      .number()
      .refine((n) => Number.isSafeInteger(n) && n >= 200 && n <= 40_000, { message: 'must be an integer between 200 and 40000' })
      .optional(),
    /**
     * Canary steps in OpenKruise Rollouts' shape (./canary.ts): `[{ "replicas": 1, "pause": {} }, { "replicas": "50%",
     * "pause": { "duration": 300 } }, { "replicas": "100%" }]`. Absent: the CloneSet's annotation
     * `cloneset-rollout.io/steps`, else no steps (the whole CloneSet rolls under its window).
     */
    steps: z.array(canaryStepSchema(AnalysisSpec)).optional(),
    /**
     * Background analysis (Argo Rollouts' metric shape, ./analysis.ts): measured from the first step to the end of
     * the rollout; a failed metric aborts and rolls back in place. Absent: the annotation `cloneset-rollout.io/analysis`.
     */
    analysis: AnalysisSpec.optional(),
    /** Webhook notifications of the rollout's events (./notify.ts). Absent: the annotation `cloneset-rollout.io/notifications`. */
    notifications: NotificationsSpec.optional(),
    /** Set by the rollout itself when it continues as new: what the earlier runs did. Not for callers. */
    carry: z
      .strictObject({
        /** Runs before this one. */
        runs: z.number().int().min(1),
        startedAtMs: z.number().nullable(),
        fromRevision: z.string().nullable(),
        totals: z.strictObject({
          updatedInPlace: z.number().int().min(0),
          recreated: z.number().int().min(0),
          created: z.number().int().min(0),
          deleted: z.number().int().min(0),
        }),
        controls: z.record(z.string(), z.unknown()),
        /** The canary's state (step, approvals, analyses) when the rollout has steps. */
        canary: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    for (const p of checkSteps(v.steps ?? [])) {
      if (v.steps === undefined) break;
      ctx.addIssue({ code: 'custom', path: p.index < 0 ? ['steps'] : ['steps', p.index, ...(p.field ? [p.field] : [])], message: p.message });
    }
    if (v.revision !== undefined && v.images !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['revision'],
        message: 'cannot be combined with images (a revision brings its own template; roll back, then roll out new images)',
      });
    }
  });
export type RolloutInput = z.infer<typeof RolloutInput>;
/** A rollout request as callers write it (fields with defaults, such as an analysis metric's limits, optional). */
export type RolloutRequest = z.input<typeof RolloutInput>;

/** The CloneSet annotation that holds a rollout's canary steps (the same JSON as the input's `steps`), for controller mode. */
export const STEPS_ANNOTATION = 'cloneset-rollout.io/steps';
/** The CloneSet annotation that holds a rollout's background analysis (the input's `analysis`). */
export const ANALYSIS_ANNOTATION = 'cloneset-rollout.io/analysis';
/** The CloneSet annotation that holds a rollout's notifications (the input's `notifications`). */
export const NOTIFICATIONS_ANNOTATION = 'cloneset-rollout.io/notifications';

/** The annotations a rollout reads when its input leaves the field out, by input field. */
export const ROLLOUT_ANNOTATIONS = { steps: STEPS_ANNOTATION, analysis: ANALYSIS_ANNOTATION, notifications: NOTIFICATIONS_ANNOTATION } as const;

const Annotated = {
  steps: z.array(canaryStepSchema(AnalysisSpec)).superRefine((steps, ctx) => {
    for (const p of checkSteps(steps)) ctx.addIssue({ code: 'custom', path: p.index < 0 ? [] : [p.index, ...(p.field ? [p.field] : [])], message: p.message });
  }),
  analysis: AnalysisSpec,
  notifications: NotificationsSpec,
};

/** What the annotations say (each one given), every problem named under the annotation's path. */
export type AnnotatedStrategy = Pick<RolloutInput, 'steps' | 'analysis' | 'notifications'>;

/** Parses the rollout annotations of a CloneSet (raw strings by input field), naming every problem under its path. */
export function parseRolloutAnnotations(raw: Partial<Record<keyof typeof ROLLOUT_ANNOTATIONS, string>>): Validated<AnnotatedStrategy> {
  const out: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const key of Object.keys(ROLLOUT_ANNOTATIONS) as (keyof typeof ROLLOUT_ANNOTATIONS)[]) {
    const text = raw[key];
    if (text === undefined) continue;
    const field = `metadata.annotations[${ROLLOUT_ANNOTATIONS[key]}]`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      errors.push(fieldError(field, `is not JSON: ${(err as Error).message}`));
      continue;
    }
    const r = Annotated[key].safeParse(json);
    if (r.success) out[key] = r.data;
    else
      errors.push(
        ...zodFieldErrors(r.error, field).map((e) => ({
          field: e.field.replace(`${field}.[`, `${field}[`),
          message: e.message.replace(`${field}.[`, `${field}[`),
        })),
      );
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out as AnnotatedStrategy };
}

/** Validates a rollout request, naming every problem. */
export function parseRolloutInput(input: unknown): Validated<RolloutInput> {
  const r = RolloutInput.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: zodFieldErrors(r.error) };
}

/**
 * The template a rollout moves to: `template` with the requested images applied (containers and init containers,
 * by name). Every image naming a container the template does not have is reported. The input is not modified.
 */
export function applyImages(template: PodTemplateSpec, images: Record<string, string> | undefined): Validated<PodTemplateSpec> {
  const next = JSON.parse(JSON.stringify(template)) as PodTemplateSpec;
  const all = [...(next.spec.containers ?? []), ...(next.spec.initContainers ?? [])];
  const errors: FieldError[] = [];
  for (const name of Object.keys(images ?? {}).sort()) {
    const c = all.find((x) => x.name === name);
    if (!c) {
      const known = all.map((x) => x.name).join(', ');
      errors.push(fieldError(`images.${name}`, `no container named ${JSON.stringify(name)} in the template (containers: ${known})`));
    } else c.image = (images as Record<string, string>)[name] as string;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: next };
}

/** The steps of a CloneSet's {@link STEPS_ANNOTATION}, every problem named under the annotation's path. */
export function parseStepsAnnotation(raw: string): Validated<NonNullable<RolloutInput['steps']>> {
  const r = parseRolloutAnnotations({ steps: raw });
  return r.ok ? { ok: true, value: r.value.steps ?? [] } : r;
}
