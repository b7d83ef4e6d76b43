import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJobSubmission } from '../../../../src/api/tork/input/index.js';
import { GantryError } from '../../../../src/core/errors.js';
import { readSpec, SPECS_DIR, specsAvailable } from '../../../support/specs.js';

/** A small deterministic generator, so failures can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const SEED_BODIES = [
  'name: x\ntasks:\n  - name: a\n    run: echo "{{ inputs.a }}"\n    retry: {limit: 2}\n    mounts: [{type: volume, target: /t}]\n',
  '{"name": "x", "tasks": [{"name": "a", "each": {"list": "[1]", "task": {"name": "b"}}}]}',
  ...(specsAvailable ? readdirSync(join(SPECS_DIR, 'tork-examples')).slice(0, 4).map((file) => readSpec(`tork-examples/${file}`)) : []),
];

const NOISE = ['{', '}', '[', ']', ':', ',', '"', "'", '\n', '  ', '-', '&a', '*a', '<<', '#', '\\', '\t', '|', '>', '!', '~', '{{', '}}', '\u0000'];

function mutate(body: string, next: () => number): string {
  let out = body;
  const edits = 1 + Math.floor(next() * 4);
  for (let edit = 0; edit < edits; edit += 1) {
    const at = Math.floor(next() * (out.length + 1));
    const choice = next();
    if (choice < 0.4) out = out.slice(0, at) + (NOISE[Math.floor(next() * NOISE.length)] ?? '') + out.slice(at);
    else if (choice < 0.8) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 5));
    else out = out.slice(0, at);
  }
  return out;
}

describe('robustness', () => {
  it('answers every mangled body with a GantryError or a result, never a raw exception', () => {
    const next = random(42);
    for (let round = 0; round < 600; round += 1) {
      const body = mutate(SEED_BODIES[round % SEED_BODIES.length] ?? '', next);
      for (const contentType of ['text/yaml', 'application/json']) {
        try {
          parseJobSubmission(body, contentType);
        } catch (error) {
          expect(error, `body ${JSON.stringify(body)}`).toBeInstanceOf(GantryError);
          expect((error as GantryError).code).toBe('invalid_input');
          expect((error as GantryError).message).not.toMatch(/\n\s+at /);
        }
      }
    }
  });
});
