/**
 * JSON as expr-lang's `toJSON` writes it: Go's `json.MarshalIndent(v, "", "  ")`,
 * so map keys are sorted, the text is indented by two spaces and `<`, `>`, `&`,
 * U+2028 and U+2029 are escaped (Go's HTML-safe default). Jobs written for Tork
 * that compare or parse this text see the same bytes.
 */
function sortKeys(value: unknown, depth: number): unknown {
  if (depth > 200) throw new Error('toJSON: the value is nested too deeply');
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key], depth + 1);
    return out;
  }
  return value;
}

const HTML_UNSAFE: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

export function goJson(value: unknown): string {
  const text = JSON.stringify(sortKeys(value ?? null, 0), null, 2) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => HTML_UNSAFE[c]!);
}
