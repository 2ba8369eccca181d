import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every package the code imports is declared in package.json (issue 12): one that only arrives as a
 * dependency of a dependency disappears when that dependency changes. The checker is run on this
 * repository, and on small projects that differ from a passing one by one missing declaration.
 */
const ROOT = path.resolve('.');
const SLOW = 120_000; // two knip runs and a TypeScript parse per check, on a busy 2-core machine
const check = (dir: string) => spawnSync(process.execPath, [path.join(ROOT, 'scripts/check-imports.mjs'), dir], { encoding: 'utf8' });

describe('declared dependencies', () => {
  it(
    'package.json declares every package that src/, scripts/, bench/, test/ and ormconfig.ts import',
    () => {
      const result = check(ROOT);
      expect(result.stderr + result.stdout).toBe('');
      expect(result.status).toBe(0);
    },
    SLOW,
  );

  describe('the checker', () => {
    let dir: string;
    /** A project whose src/main.ts has `source`, with package.json's two lists as given. */
    const project = (source: string, dependencies: Record<string, string>, devDependencies: Record<string, string> = {}) => {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fixture', private: true, type: 'module', dependencies, devDependencies }));
      fs.writeFileSync(path.join(dir, 'src', 'main.ts'), source);
      return check(dir);
    };

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-imports-'));
      fs.mkdirSync(path.join(dir, 'src'));
      fs.copyFileSync(path.join(ROOT, 'knip.json'), path.join(dir, 'knip.json'));
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', types: [] } }));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const source = `import multer from 'multer';\nimport type { Request } from 'express';\nexport const upload = (req: Request) => multer().none()(req, req.res!, () => undefined);\n`;

    it(
      'passes a project that declares what it imports',
      () => {
        const result = project(source, { multer: '2.5.0', express: '5.3.0' }, { '@types/multer': '^2.3.0', '@types/express': '^5.0.6' });
        expect(result.stderr + result.stdout).toBe('');
        expect(result.status).toBe(0);
      },
      SLOW,
    );

    it(
      'fails on an import of a package that is not declared',
      () => {
        const result = project(source, { express: '5.3.0' }, { '@types/multer': '^2.3.0', '@types/express': '^5.0.6' });
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/multer\s+src\/main\.ts/);
      },
      SLOW,
    );

    it(
      'fails when production code imports a package declared only in devDependencies',
      () => {
        const result = project(source, { express: '5.3.0' }, { multer: '2.5.0', '@types/multer': '^2.3.0', '@types/express': '^5.0.6' });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain('in dependencies');
        expect(result.stderr).toMatch(/multer\s+src\/main\.ts/);
      },
      SLOW,
    );

    it(
      'fails when the types of an imported package come from an undeclared @types package',
      () => {
        const result = project(source, { multer: '2.5.0', express: '5.3.0' }, { '@types/multer': '^2.3.0' });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain('@types/express is not in devDependencies, but the types of express come from it (src/main.ts)');
      },
      SLOW,
    );
  });
});
