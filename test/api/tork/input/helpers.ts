import { expect } from 'vitest';
import { GantryError } from '../../../../src/core/errors.js';

/** Runs `parse`, expects an `invalid_input` GantryError and returns it. */
export function invalid(parse: () => unknown): GantryError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(GantryError);
    expect((error as GantryError).code).toBe('invalid_input');
    return error as GantryError;
  }
  throw new Error('expected the submission to be rejected');
}

/** A YAML body from indented lines, so tables stay readable. */
export const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
