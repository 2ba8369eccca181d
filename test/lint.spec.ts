import { spawnSync } from 'node:child_process';

// The formatter and the linter, run as tests so their findings count in the totals like any failure.
// FORMAT_CHECK=0 leaves out the Prettier check (for branches made before the code base was formatted).
function run(bin: string, args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('code style', () => {
  it('ESLint (eslint.config.js) finds nothing', () => {
    const { status, output } = run('node_modules/eslint/bin/eslint.js', ['.']);
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 180_000);

  (process.env.FORMAT_CHECK === '0' ? it.skip : it)(
    'the code is formatted by Prettier (npm run format)',
    () => {
      const { status, output } = run('node_modules/prettier/bin/prettier.cjs', ['--check', '--log-level=warn', '.']);
      expect(output).toBe('');
      expect(status).toBe(0);
    },
    180_000,
  );
});
