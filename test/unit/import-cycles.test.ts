/**
 * No import cycle under src/: every relative `import`/`export … from` specifier of every .ts file (type-only ones
 * included, and `import('…')` types) is an edge; a cycle fails the test, named file by file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Relative module specifiers of a TypeScript source: static imports and re-exports (type-only too), side-effect
 * imports and `import('…')` types. TypeScript's own pre-processor scans them (comments and strings are skipped).
 */
export function relativeSpecifiers(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'));
}

/** The .ts file a relative specifier names (`./x.js` → x.ts, `./dir` → dir/index.ts); null if none exists. */
function resolveSpecifier(from: string, spec: string, files: Set<string>): string | null {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base];
  return candidates.find((c) => files.has(c)) ?? null;
}

/** Every elementary cycle found by a depth-first search, each once, as a list of files (first repeated at the end). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, next]);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

function importGraph(): Map<string, string[]> {
  const files = tsFiles(SRC).sort();
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const edges = relativeSpecifiers(readFileSync(f, 'utf8'))
      .map((s) => resolveSpecifier(f, s, known))
      .filter((t): t is string => t !== null);
    graph.set(f, [...new Set(edges)].sort());
  }
  return graph;
}

describe('imports under src/', () => {
  it('parse: static, type-only, re-export and import() specifiers; comments ignored', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import './side-effect.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "export type { E } from './e.js';",
      "import {\n  f,\n  type G,\n} from './f.js';",
      "type H = import('./h.js').H;",
      "import { x } from 'node:fs';",
      "// import { no } from './commented.js';",
      "/* export { no } from './block.js'; */",
      "const glob = '**/*.ts'; import { z } from './z.js';",
    ].join('\n');
    expect(relativeSpecifiers(text)).toEqual(['./a.js', '../b.js', './side-effect.js', './c.js', './d.js', './e.js', './f.js', './h.js', './z.js']);
  });

  it('findCycles names a cycle', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCycles(g)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('form no cycle (type-only imports included)', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(50);
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' → '));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  });
});
