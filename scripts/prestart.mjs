// `npm start`'s first step: install and build only what is out of date, so a restart does not pay for
// an npm install check and a TypeScript build when nothing changed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);
const newest = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const full = path.join(dir, entry.name);
    return Math.max(latest, entry.isDirectory() ? newest(full) : mtime(full));
  }, 0);
const run = (command, args) => {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

const installed = mtime('node_modules/.package-lock.json');
if (!installed || Math.max(mtime('package.json'), mtime('package-lock.json')) > installed) {
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
}
const stamp = 'dist/.build-stamp';
if (!fs.existsSync('dist/src/main.js') || Math.max(newest('src'), mtime('tsconfig.json'), mtime('tsconfig.build.json'), mtime('ormconfig.ts')) > mtime(stamp)) {
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  fs.writeFileSync(stamp, new Date().toISOString());
}
