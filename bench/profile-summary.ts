/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. written by a benchmark run with
 * `--profile=DIR`): busy time (idle excluded) split by where the code lives — regnotify's own
 * src/ files, each package in node_modules, node's internals, GC — and the functions with the
 * most self time. Run: node dist/bench/profile-summary.js DIR|FILE... [--top=20]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 20);
const inputs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = inputs.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(p, f))
    : [p],
);

/** Where a frame's code lives: `src/queue/producer.ts`-like for ours, the package, or node. */
function place(url: string, name: string): string {
  if (name === '(garbage collector)') return '(gc)';
  if (name === '(program)' || name === '(idle)' || url === '') return name || '(native)';
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1]!;
  const own = /dist\/((?:src|bench|workers|test)\/.*)\.js$/.exec(url);
  if (own) return own[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  return url;
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The nearest frame (from the leaf up) in our code or a package: who the work is for. */
  const owner = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { url } = byId.get(at)!.callFrame;
      if (url.includes('node_modules/') || /dist\/(src|bench|workers|test)\//.test(url)) {
        return place(url, '');
      }
    }
    return place(byId.get(id)!.callFrame.url, byId.get(id)!.callFrame.functionName);
  };
  const byOwner = new Map<string, number>();
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const { callFrame: f } = byId.get(id)!;
    if (f.functionName === '(idle)') continue;
    busy += us;
    const where = place(f.url, f.functionName);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const who = owner(id);
    byOwner.set(who, (byOwner.get(who) ?? 0) + us);
    const fn = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const wall = (profile.endTime - profile.startTime) / 1e6;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  console.log(
    `${path.basename(file)}: ${wall.toFixed(1)} s wall, ${(busy / 1e6).toFixed(2)} s busy`,
  );
  console.log('  by place:');
  for (const [p, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`    ${pct(us)}  ${p}`);
  }
  console.log('  by owner (the nearest frame of ours or of a package, natives included):');
  for (const [p, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`    ${pct(us)}  ${p}`);
  }
  console.log('  by function (self):');
  for (const [f, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`    ${pct(us)}  ${f}`);
  }
}
