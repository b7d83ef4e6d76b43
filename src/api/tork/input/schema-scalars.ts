import { z } from 'zod';
import { PlainScalar } from './plain-scalar.js';

/*
 * Building blocks of the submission schema. They reproduce how Tork's Go decoders
 * fill its structs, so the same bodies are accepted:
 * - a YAML number or boolean in a string field becomes its text as written;
 * - `null` (and, for optional fields, "") is the same as leaving the field out,
 *   because Go cannot tell a zero value from a missing one;
 * - `null` inside a string map or list is "".
 */

const asText = (value: unknown): unknown => (value instanceof PlainScalar ? value.text : value);
const asValue = (value: unknown): unknown => (value instanceof PlainScalar ? value.value : value);
const absentIfEmpty = (value: unknown): unknown => (value === null || value === '' ? undefined : value);

/** A required, non-empty string. */
export const text = z.preprocess((value) => absentIfEmpty(asText(value)), z.string());

/** An optional string; null and "" count as absent. */
export const optionalText = z.preprocess((value) => absentIfEmpty(asText(value)), z.string().optional());

/** A string inside a list or map, where null is "". */
const itemText = z.preprocess((value) => (value === null ? '' : asText(value)), z.string());

/** An optional list of strings. */
export const optionalTextList = z.preprocess((value) => (value === null ? undefined : value), z.array(itemText).optional());

/** An optional map of string to string (`env`, `inputs`, …). */
export const optionalTextMap = z.preprocess(
  (value) => (value === null ? undefined : value),
  z.record(z.string(), itemText).optional(),
);

/** A required integer (range checks are rules, so messages can name both bounds). */
export const integer = z.preprocess((value) => absentIfEmpty(asValue(value)), z.number().int());

/** An optional integer. */
export const optionalInteger = z.preprocess((value) => absentIfEmpty(asValue(value)), z.number().int().optional());

/** An optional boolean. */
export const optionalBoolean = z.preprocess((value) => (value === null ? undefined : asValue(value)), z.boolean().optional());

/** Makes a mapping or list optional; null counts as absent. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** Message of an `unrecognized_keys` issue: the known keys, for "did you mean" hints (see check-shape.ts). */
export const KNOWN_KEYS_MARKER = 'known-keys:';

/**
 * A mapping that rejects unknown fields, as Tork's decoders do (`KnownFields(true)`,
 * `DisallowUnknownFields`). The issue carries the known keys so the error can
 * suggest the closest one.
 */
export function strictMapping<T extends z.core.$ZodLooseShape>(shape: T) {
  // A YAML number or boolean where a mapping belongs is reported as that value
  // ("must be a mapping, got the number 3"), not as the wrapper's own fields.
  return z.preprocess(
    asValue,
    z.strictObject(shape, {
      error: (issue) => (issue.code === 'unrecognized_keys' ? `${KNOWN_KEYS_MARKER}${JSON.stringify(Object.keys(shape))}` : undefined),
    }),
  );
}
