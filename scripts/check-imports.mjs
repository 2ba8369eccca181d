// Fails when the code imports a package that package.json does not declare (one that only arrives as
// a dependency of a dependency, as multer did through @nestjs/platform-express).
//   1. knip: every import in src/, scripts/, bench/, test/ and ormconfig.ts names a declared package;
//   2. knip --production --strict: what src/ and ormconfig.ts import at run time is in `dependencies`;
//   3. here: a package without its own types, imported anywhere (type-only imports included) or named
//      in tsconfig's `types`, has its @types package declared: knip accepts `express` for
//      `import type … from 'express'`, but the types tsc uses then come from @types/express.
// Usage: node scripts/check-imports.mjs [project directory]   (run by test/dependencies.spec.ts)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(process.argv[2] ?? '.');
const knip = path.join(import.meta.dirname, '..', 'node_modules', 'knip', 'bin', 'knip.js');
let failed = false;

for (const extra of [[], ['--production', '--strict']]) {
  const result = spawnSync(process.execPath, [knip, '--no-progress', '--no-config-hints', '--directory', root, ...extra], { encoding: 'utf8' });
  if (result.status !== 0) {
    failed = true;
    console.error(`knip ${extra.join(' ')} found imports that package.json does not declare${extra.length ? ' in dependencies' : ''}:`);
    console.error((result.stdout + result.stderr).trim());
  }
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
const missingTypes = new Map(); // @types package → { the package it types, where it is needed }

for (const file of sourceFiles()) {
  const { importedFiles, typeReferenceDirectives } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  for (const { fileName } of [...importedFiles, ...typeReferenceDirectives]) {
    const name = packageName(fileName);
    if (name) needTypes(name, path.relative(root, file));
  }
}
const tsconfig = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config;
for (const name of tsconfig?.compilerOptions?.types ?? []) needTypes(name, 'tsconfig.json "types"');

for (const [types, { name, where }] of missingTypes) {
  failed = true;
  console.error(
    `${types} is not in devDependencies, but the types of ${name} come from it (${where.slice(0, 3).join(', ')}${where.length > 3 ? ` and ${where.length - 3} more` : ''})`,
  );
}
process.exit(failed ? 1 : 0);

function needTypes(name, where) {
  if (name.startsWith('@types/') || hasOwnTypes(name)) return;
  const types = `@types/${name.replace(/^@/, '').replace('/', '__')}`;
  if (declared.has(types) || !fs.existsSync(path.join(root, 'node_modules', types))) return;
  if (!missingTypes.has(types)) missingTypes.set(types, { name, where: [] });
  const needed = missingTypes.get(types).where;
  if (!needed.includes(where)) needed.push(where);
}

function hasOwnTypes(name) {
  const dir = path.join(root, 'node_modules', name);
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return Boolean(pkg.types || pkg.typings || JSON.stringify(pkg.exports ?? {}).includes('"types"') || fs.existsSync(path.join(dir, 'index.d.ts')));
  } catch {
    return true; // not installed: knip reports it as unlisted or unresolved
  }
}

/** The bare package name of an import specifier, or null for relative paths and Node's builtins. */
function packageName(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function sourceFiles() {
  const files = fs.existsSync(path.join(root, 'ormconfig.ts')) ? [path.join(root, 'ormconfig.ts')] : [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(full);
      else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(full);
    }
  };
  for (const dir of ['src', 'scripts', 'bench', 'test']) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return files;
}
