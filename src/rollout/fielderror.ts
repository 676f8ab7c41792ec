/**
 * Field-level validation errors, shaped like Kubernetes' `field.Error`: the path of the offending field and a
 * human-readable message that starts with that path.
 */

/** One problem with one field. */
export interface FieldError {
  /** Dotted path, e.g. `spec.updateStrategy.maxUnavailable` or `spec.template.spec.containers[0].image`. */
  field: string;
  /** Human-readable, starts with the field path, e.g. `spec.replicas: -1 must be an integer ≥ 0`. */
  message: string;
}

/** Result of a validation: the normalized value, or every problem found (never just the first). */
export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Builds a FieldError whose message is prefixed with the field path. */
export function fieldError(field: string, problem: string): FieldError {
  return { field, message: `${field}: ${problem}` };
}

/** One line per problem, in the order found, so a user can fix them all at once. */
export function formatErrors(errors: readonly FieldError[]): string {
  if (errors.length === 0) return 'no errors';
  const head = errors.length === 1 ? '1 problem:' : `${errors.length} problems:`;
  return [head, ...errors.map((e) => `  - ${e.message}`)].join('\n');
}
