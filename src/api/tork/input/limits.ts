/**
 * Caps on what one submission may contain. Bodies are already limited in bytes
 * (`api.bodyLimitBytes`), but YAML aliases multiply content and deep nesting costs
 * stack, so the parsers and rules also count.
 */

/** Nested mappings/lists in the document (a task nested 16 levels deep needs about 50). */
export const MAX_DOCUMENT_DEPTH = 128;

/** Values in the document after expanding YAML aliases: stops "billion laughs" bodies. */
export const MAX_DOCUMENT_VALUES = 100_000;

/** Levels of `parallel` / `each` / `subjob` inside one another. */
export const MAX_TASK_NESTING = 16;

/** Tasks in one job, counting every nested one (pre/post/sidecars not included). */
export const MAX_TASKS = 1000;
