/**
 * npm run bench:floors -- [--size 100000] [--rounds 6] [--seconds 6] [--warmup 15] [--connections 16]
 *
 * Where the server's CPU per request goes, layer by layer: the app (dist/src/main.js), the framework
 * floor (the ceiling's work behind a bare NestJS app on Express, bench/framework-floor.ts), the Express
 * floor (the same work behind bare Express, bench/express-floor.ts) and the ceiling (bare node:http,
 * bench/ceiling.ts), on a seeded bench database (data/bench-<size>), for the two requests issue 17
 * bounds by CPU: the 5-project list and GET of one project. Each server is first loaded `--warmup`
 * seconds per request, then the four are loaded in turn, round after round (the order reversed every
 * other round), and the median CPU per request of each is printed with its ratio to the ceiling's.
 */
import { parseArgs } from 'node:util';
import { BENCH_USERS, benchToken, organizationAdminProject } from './bench-users.js';
import { loadGets, median, onSeededDatabase, processTicks, ROOT, TICKS_PER_SECOND, type Server } from './processes.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '15' },
    connections: { type: 'string', default: '16' },
  },
});
const rounds = Number(values.rounds);
const few = benchToken(BENCH_USERS.fewProjects);
const orgadmin = benchToken(BENCH_USERS.organizationAdmin);
const BUILDS = [
  { name: 'app', root: ROOT },
  { name: 'NestJS + Express floor', root: ROOT, script: 'dist/bench/framework-floor.js' },
  { name: 'Express floor', root: ROOT, script: 'dist/bench/express-floor.js' },
  { name: 'node:http ceiling', root: ROOT, script: 'dist/bench/ceiling.js' },
];

async function load(server: Server, path: string, token: string, seconds: string): Promise<number> {
  return (await loadGets(server.baseUrl + path, token, Number(values.connections), Number(seconds))).requests.total;
}

async function main(): Promise<void> {
  const ready = { path: '/api/v1/projects/?limit=50', token: few, extraEnv: { WORKER: 'false' } };
  await onSeededDatabase(values.size!, BUILDS, ready, async (servers, databaseUrl) => {
    const project = await organizationAdminProject(databaseUrl);
    const scenarios = [
      { name: '5-project list', path: '/api/v1/projects/?limit=50', token: few },
      { name: 'GET one project', path: `/api/v1/projects/${project}/`, token: orgadmin },
    ];
    for (const scenario of scenarios) {
      for (const server of servers) await load(server, scenario.path, scenario.token, values.warmup!);
      const cost = new Map<Server, number[]>(servers.map((server) => [server, []]));
      for (let round = 1; round <= rounds; round++) {
        for (const server of round % 2 ? servers : [...servers].reverse()) {
          const before = processTicks(server.child.pid);
          const requests = await load(server, scenario.path, scenario.token, values.seconds!);
          cost.get(server)!.push(((processTicks(server.child.pid) - before) * 1000) / TICKS_PER_SECOND / requests);
        }
      }
      const ceiling = median(cost.get(servers[servers.length - 1])!);
      console.log(`\n${scenario.name} (${values.size} projects; medians of ${rounds} rounds of ${values.seconds} s, ${values.connections} connections)`);
      console.log('| server | CPU ms per request | ÷ ceiling | each round |\n|---|---:|---:|---|');
      for (const [server, ms] of cost) {
        console.log(`| ${server.name} | ${median(ms).toFixed(2)} | ${(median(ms) / ceiling).toFixed(2)} | ${ms.map((x) => x.toFixed(2)).join(' ')} |`);
      }
    }
  });
}

await main();
