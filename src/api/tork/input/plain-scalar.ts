/**
 * A YAML scalar that did not resolve to a string (`1`, `1.50`, `true`, `0x1F`).
 * Tork decodes YAML with Go's yaml.v3, which puts such a scalar into a string field
 * as it was written (`python: 3.10` gives "3.10", not "3.1"), and into a number or
 * boolean field as its value. The parser keeps both so the schema can do the same.
 * JSON bodies never produce one: Go's JSON decoder wants real strings there.
 */
export class PlainScalar {
  constructor(
    /** The resolved value: a number, boolean or other non-string YAML value. */
    readonly value: unknown,
    /** The scalar exactly as written in the YAML text. */
    readonly text: string,
  ) {}
}
