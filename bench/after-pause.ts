/**
 * npm run bench:pause -- [--size 100000] [--pause 12] [--rounds 3] [--burst 10] [--other <checkout>]
 *
 * What a pause in the traffic costs the requests after it. A server that sees a request every few
 * seconds, as most self-hosted ones do, is not the loaded server of `npm run bench`: what it has let
 * go while idle (database connections, their prepared statements and plans) is paid again by the next
 * requests. This starts the production server (this checkout's dist/src/main.js, and with --other that
 * checkout's as well, built there first) on a seeded bench database (data/bench-<size>, made by
 * `npm run bench`), warms it up with bursts of `--burst` list requests at once (the organization
 * admin's list, with include_public, and the public list, in turn), then times the same burst
 * `--rounds` times after `--pause` seconds of silence each, and prints how long each burst took to
 * be answered in full, warm and after the pause. Servers take their pauses one after the other.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_USERS, benchToken } from './bench-users.js';
import { median, onSeededDatabase, ROOT, sleep, type Server } from './processes.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100000' },
    pause: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    burst: { type: 'string', default: '10' },
    other: { type: 'string' },
  },
});
const pauseMs = Number(values.pause) * 1000;
const rounds = Number(values.rounds);
const burstSize = Number(values.burst);
if (!(pauseMs > 0) || !(rounds > 0) || !(burstSize > 0)) throw new Error('--pause, --rounds and --burst must be positive numbers');
const PATHS = ['/api/v1/projects/?limit=50', '/api/v1/projects/?limit=50&include_public=1', '/api/v1/projects/public/?limit=50'];
const token = benchToken(BENCH_USERS.organizationAdmin);
const headers = { Authorization: `Token ${token}` };

/** Milliseconds until every request of one burst is answered in full. */
async function burst(server: Server): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: burstSize }, async (_, i) => {
      const res = await fetch(server.baseUrl + PATHS[i % PATHS.length], { headers });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${server.name}: ${PATHS[i % PATHS.length]} answered ${res.status}`);
    }),
  );
  return performance.now() - started;
}

async function main(): Promise<void> {
  const builds = [{ name: 'this', root: ROOT }];
  if (values.other) builds.push({ name: 'other', root: path.resolve(values.other) });
  await onSeededDatabase(values.size!, builds, { path: PATHS[0], token, extraEnv: { WORKER: 'false' } }, async (servers) => {
    const warm = new Map<Server, number[]>(servers.map((s) => [s, []]));
    const afterPause = new Map<Server, number[]>(servers.map((s) => [s, []]));
    for (const server of servers) {
      for (let i = 0; i < 30; i++) await burst(server); // every pool connection has run every statement often
      for (let i = 0; i < 5; i++) warm.get(server)!.push(await burst(server));
    }
    for (let round = 1; round <= rounds; round++) {
      for (const server of servers) {
        await sleep(pauseMs);
        const ms = await burst(server);
        afterPause.get(server)!.push(ms);
        console.log(`round ${round} ${server.name}: ${burstSize} requests after ${values.pause} s idle answered in ${ms.toFixed(1)} ms`);
      }
    }
    console.log(`\n| build | ${burstSize} list requests at once, ms: warm (median of 5) | after ${values.pause} s idle, each round |\n|---|---:|---|`);
    for (const server of servers) {
      console.log(
        `| ${server.name} | ${median(warm.get(server)!).toFixed(1)} | ${afterPause
          .get(server)!
          .map((ms) => ms.toFixed(1))
          .join(', ')} |`,
      );
    }
  });
}

await main();
