/**
 * npm run bench:compare -- --other <checkout> [--size 100000] [--rounds 6] [--seconds 5] [--connections 8]
 *
 * The server's CPU per request of two builds, side by side: this checkout's dist/src/main.js and the
 * other checkout's (built there first), both on the same seeded bench database (data/bench-<size>,
 * made by `npm run bench`), loaded in turn by autocannon for `--seconds` each, round after round. On
 * this shared VM a server's CPU per request drifts by a third within minutes, so a change of a tenth
 * only shows between runs that alternate; each round's ratio (this ÷ other) is printed, then the
 * median per scenario. Scenarios: the 5-project list, GET of one project, the public list.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_USERS, benchToken, organizationAdminProject } from './bench-users.js';
import { loadGets, median, onSeededDatabase, processTicks, ROOT, TICKS_PER_SECOND, type Server } from './processes.js';

const { values } = parseArgs({
  options: {
    other: { type: 'string' },
    size: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
  },
});
if (!values.other) throw new Error('--other <checkout> is required: the build to compare this one with');
const other = path.resolve(values.other);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

async function load(url: string, token: string): Promise<number> {
  return (await loadGets(url, token, connections, seconds)).requests.total;
}

/** Milliseconds of the server's CPU per request over one load. */
async function cpuPerRequest(server: Server, path: string, token: string): Promise<number> {
  const before = processTicks(server.child.pid);
  const requests = await load(server.baseUrl + path, token);
  return ((processTicks(server.child.pid) - before) * 1000) / TICKS_PER_SECOND / requests;
}

async function main(): Promise<void> {
  const few = benchToken(BENCH_USERS.fewProjects);
  const orgadmin = benchToken(BENCH_USERS.organizationAdmin);
  const builds = [
    { name: 'this', root: ROOT },
    { name: 'other', root: other },
  ];
  await onSeededDatabase(values.size!, builds, { path: '/api/v1/projects/?limit=50', token: few }, async ([mine, theirs], databaseUrl) => {
    const project = await organizationAdminProject(databaseUrl);
    const scenarios = [
      { name: '5-project list', path: '/api/v1/projects/?limit=50', token: few },
      { name: 'GET one project', path: `/api/v1/projects/${project}/`, token: orgadmin },
      { name: 'public list', path: '/api/v1/projects/public/?limit=50', token: few },
    ];
    const ratios = new Map<string, number[]>(scenarios.map((s) => [s.name, []]));
    for (const s of scenarios) for (const server of [mine, theirs]) await load(server.baseUrl + s.path, s.token); // warm-up
    for (let round = 1; round <= rounds; round++) {
      for (const s of scenarios) {
        // Alternate who goes first, so a drift within the round favours neither.
        const order = round % 2 ? [mine, theirs] : [theirs, mine];
        const cost = new Map<Server, number>();
        for (const server of order) cost.set(server, await cpuPerRequest(server, s.path, s.token));
        const ratio = cost.get(mine)! / cost.get(theirs)!;
        ratios.get(s.name)!.push(ratio);
        console.log(
          `round ${round} ${s.name}: this ${cost.get(mine)!.toFixed(3)} ms, other ${cost.get(theirs)!.toFixed(3)} ms of CPU per request (× ${ratio.toFixed(2)})`,
        );
      }
    }
    console.log('\n| scenario | this ÷ other, CPU per request: median (range) |\n|---|---|');
    for (const [name, r] of ratios) console.log(`| ${name} | ${median(r).toFixed(2)} (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}) |`);
  });
}

await main();
