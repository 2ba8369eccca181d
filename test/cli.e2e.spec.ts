import { spawnSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The operator tool (`npm run cli -- …`), built to dist/ by `npm test`, against the test app's database. */
describe('operator CLI', () => {
  let t: TestApp;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.resolve('dist/src/cli.js'), ...args], {
      env: { PATH: process.env.PATH!, DATABASE_URL: t.config.databaseUrl!, DATA_DIR: t.dataDir },
      encoding: 'utf8',
    });
  const login = (username: string, password: string) => request(t.http).post('/api/v1/auth/login/').send({ username, password });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('prints its help', () => {
    const result = cli('--help');
    expect(result.status).toBe(0);
    for (const command of ['create-user', 'make-staff', 'set-password', 'migrate']) expect(result.stdout).toContain(command);
  });

  it('refuses an unknown command with the help and exit code 2', () => {
    const result = cli('frobnicate');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Unknown command');
  });

  it('creates a person who can then log in, and refuses a duplicate with the rule broken', async () => {
    expect(cli('create-user', 'carol', '--email', 'carol@example.com', '--password', 'carol-secret').status).toBe(0);
    expect((await login('carol', 'carol-secret')).status).toBe(200);
    const again = cli('create-user', 'Carol', '--email', 'c2@example.com', '--password', 'carol-secret');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('username');
  });

  it('generates and prints a password when none is given', async () => {
    const result = cli('create-user', 'dave', '--email', 'dave@example.com');
    expect(result.status).toBe(0);
    const password = /Password: (\S+)/.exec(result.stdout)![1];
    expect((await login('dave', password)).status).toBe(200);
  });

  it('makes a person staff and takes it back', async () => {
    expect(cli('make-staff', 'carol').status).toBe(0);
    const token = (await login('carol', 'carol-secret')).body.token;
    const me = await request(t.http).get('/api/v1/auth/user/').set('Authorization', `Token ${token}`);
    expect(me.body.is_staff).toBe(true);
    expect(cli('make-staff', 'carol', '--revoke').status).toBe(0);
    const after = await request(t.http).get('/api/v1/auth/user/').set('Authorization', `Token ${token}`);
    expect(after.body.is_staff).toBe(false);
  });

  it('sets a password', async () => {
    expect(cli('set-password', 'carol', '--password', 'brand-new-pw').status).toBe(0);
    expect((await login('carol', 'carol-secret')).status).toBe(401);
    expect((await login('carol', 'brand-new-pw')).status).toBe(200);
  });

  it('answers an unknown person with exit code 1 and a message', () => {
    const result = cli('set-password', 'nobody-here', '--password', 'whatever1');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('nobody-here');
  });
});
