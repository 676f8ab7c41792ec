/** zod issues as Kubernetes-style field errors (one per problem, each naming its field). */
import type { z } from 'zod';
import { fieldError, type FieldError } from './fielderror.js';

function pathString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Turns zod issues into FieldErrors (one per unknown key, so every one is named). */
export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = pathString(issue.path);
    const join = (s: string) => (prefix && s ? `${prefix}.${s}` : prefix || s);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(fieldError(join(base ? `${base}.${key}` : key), 'unknown field'));
    } else if (issue.code === 'invalid_key') {
      // zod says "Invalid key in record"; the key's own check says what is wrong with it.
      out.push(fieldError(join(base) || '(root)', issue.issues[0]?.message ?? issue.message));
    } else if (issue.code === 'invalid_type') {
      // zod says "Invalid input: expected string, received undefined"; say it the Kubernetes way.
      const received = /received (\w+)/.exec(issue.message)?.[1];
      const expected = issue.expected === 'record' ? 'object' : issue.expected;
      out.push(
        fieldError(
          join(base) || '(root)',
          received === 'undefined' ? 'is required' : `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}${received ? ` (got ${received})` : ''}`,
        ),
      );
    } else {
      // Record keys fail with their path pointing at the key itself.
      out.push(fieldError(join(base) || '(root)', issue.message));
    }
  }
  return out;
}
