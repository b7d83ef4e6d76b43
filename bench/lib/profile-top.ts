/**
 * Summarises a .cpuprofile (from `node --cpu-prof` or bench/lib/profiler.ts):
 * the functions with the most self time, then self time per area (a package
 * under node_modules, a file under src/, Node's internals, idle, GC).
 *
 *   node --import tsx bench/lib/profile-top.ts FILE [N] [FUNCTION]
 *
 * Then the total time of src/ functions (with what they call), to see which use
 * case the time belongs to. With FUNCTION, also where its self time comes from: the chains of callers
 * (nearest first, up to src/ code) that account for most of it.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, limit = '25', focus] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top FILE [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

/** A short location: `node_modules/pg/lib/client.js`, `src/store/open.ts`, `node:internal/…`. */
function where(url: string): string {
  const local = url.replace(/^file:\/\//, '');
  const modules = local.lastIndexOf('/node_modules/');
  if (modules >= 0) return local.slice(modules + 1);
  const src = local.search(/\/(src|bench|test)\//);
  return src >= 0 ? local.slice(src + 1) : local;
}

function area(url: string): string {
  const path = where(url);
  if (path === '') return '(native / VM)';
  const pkg = /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith('node:')) return path.split('/').slice(0, 2).join('/');
  return path;
}

const self = new Map<string, number>();
const areas = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const frame = byId.get(id)!.callFrame;
  const delta = profile.timeDeltas[index] ?? 0;
  const name = frame.functionName || '(anonymous)';
  const key = frame.url ? `${name} ${where(frame.url)}:${frame.lineNumber + 1}` : name;
  self.set(key, (self.get(key) ?? 0) + delta);
  const group = frame.url ? area(frame.url) : name.startsWith('(') ? name : '(native / VM)';
  areas.set(group, (areas.get(group) ?? 0) + delta);
  total += delta;
});

/** `fn file:line`, the label of a frame in caller chains. */
function label(id: number): string {
  const frame = byId.get(id)!.callFrame;
  return `${frame.functionName || '(anonymous)'} ${where(frame.url)}:${frame.lineNumber + 1}`;
}

/** Callers of a sample's frame, nearest first, up to and including the first frame in src/. */
function callerChain(id: number): string {
  const chain: string[] = [];
  for (let at = parentOf.get(id); at !== undefined && chain.length < 8; at = parentOf.get(at)) {
    const text = label(at);
    chain.push(text);
    if (text.includes(' src/')) break;
  }
  return chain.join(' < ');
}

const chains = new Map<string, number>();
if (focus) {
  profile.samples.forEach((id, index) => {
    if (byId.get(id)!.callFrame.functionName !== focus) return;
    const chain = callerChain(id);
    chains.set(chain, (chains.get(chain) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
}

/** Total time per src/ function: its own samples and those of everything it called (counted once per sample). */
const inclusive = new Map<string, number>();
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)!.callFrame;
    if (!where(frame.url).startsWith('src/')) continue;
    const key = label(at);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
  }
});

const print = (entries: Map<string, number>, count: number): void => {
  for (const [key, micros] of [...entries.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
console.log('-- self time by function');
print(self, Number(limit));
console.log('-- self time by area');
print(areas, 30);
console.log('-- total time (self and callees) by src/ function');
print(inclusive, 40);
if (focus) {
  console.log(`-- where the self time of ${focus} comes from`);
  print(chains, 12);
}
