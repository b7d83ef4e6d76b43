/**
 * The clusters job records may name: those configured (ClusterCockpit's
 * cluster documents), and this Gantry installation, whose nodes make its one
 * subcluster. A record for any other cluster is refused, as ClusterCockpit does.
 */
export interface SubClusterInfo {
  name: string;
  /** ClusterCockpit's host list: `node01,node02` or `node[01-04],gpu[1-2]`. */
  nodes: string;
  [key: string]: unknown;
}

export interface ClusterInfo {
  name: string;
  subClusters: SubClusterInfo[];
  metricConfig: unknown[];
  [key: string]: unknown;
}

/** Whether `host` is one of a host list (`a[01-04],b`, ranges keep their zero padding). */
export function hostListIncludes(list: string, host: string): boolean {
  if (list.trim() === '*') return true;
  for (const item of splitTopLevel(list)) {
    const match = /^([^[]*)\[([^\]]+)\](.*)$/.exec(item.trim());
    if (!match) {
      if (item.trim() === host) return true;
      continue;
    }
    const [, prefix, ranges, suffix] = match as unknown as [string, string, string, string];
    if (!host.startsWith(prefix) || !host.endsWith(suffix)) continue;
    const middle = host.slice(prefix.length, host.length - suffix.length);
    for (const range of ranges.split(',')) {
      const [from, to] = range.split('-');
      if (to === undefined) {
        if (middle === from) return true;
        continue;
      }
      if (!/^\d+$/.test(middle)) continue;
      const value = Number(middle);
      if (value >= Number(from) && value <= Number(to) && (from!.length === to.length ? middle.length === from!.length : true)) return true;
    }
  }
  return false;
}

function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of list) {
    if (char === '[') depth++;
    if (char === ']') depth--;
    if (char === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += char;
  }
  if (current !== '') out.push(current);
  return out;
}
