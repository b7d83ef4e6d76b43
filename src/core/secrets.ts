/** What secret values are replaced with wherever they would be shown. */
export const REDACTED = '[REDACTED]';

/** Replaces every occurrence of each secret value in `text`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}
