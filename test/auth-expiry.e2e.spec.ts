import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { ADMIN, auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError } from './support/expectations.js';
import { newPerson, sleep, uniqueName } from './support/kit.js';
import { HOUR_MS, ISO_UTC, LOGGED_OUT, login, SDK_UA, sleepUntil, statusOf, whoAmI } from './support/auth-fixtures.js';

/**
 * Spec §3 (authentication) under two configurations: a short token expiry and a short login lock-out,
 * each on its own app.
 */

describe('Authentication (spec §3), token expiry with AUTH_TOKEN_EXPIRATION_HOURS=0.0005 (1.8 s)', () => {
  const LIFETIME_MS = 0.0005 * HOUR_MS;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_TOKEN_EXPIRATION_HOURS: '0.0005' });
  });
  afterAll(() => t.close());

  /** Only the admin exists here: creating persons needs an admin token, which would expire under us. */
  const adminLogin = () => login(t, { username: ADMIN.username, password: ADMIN.password }, { userAgent: SDK_UA });

  it('answers expires_at = issue time + the configured (fractional) hours', async () => {
    const before = Date.now();
    const res = await adminLogin();
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.body.expires_at).toMatch(ISO_UTC);
    const expiresAt = Date.parse(res.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + LIFETIME_MS - 100);
    expect(expiresAt).toBeLessThanOrEqual(after + LIFETIME_MS + 100);
  });

  it('a token works until it expires, then answers 401 token_authentication_failed; using it does not slide the expiry', async () => {
    const res = await adminLogin();
    const issuedBy = Date.now();
    const token = res.body.token as string;
    expect(await statusOf(t, token)).toBe(200);
    // Used late in its life: a sliding expiry would keep it alive until about issue + 1.0 s + 1.8 s.
    await sleepUntil(issuedBy + 1000);
    expect(await statusOf(t, token)).toBe(200);
    await sleepUntil(Math.max(Date.parse(res.body.expires_at), issuedBy + LIFETIME_MS) + 250);
    expectError(await whoAmI(t, `Token ${token}`), 401, 'token_authentication_failed');
    // The person can still log in and get a working token.
    expect(await statusOf(t, (await adminLogin()).body.token)).toBe(200);
  });

  it('anonymous endpoints ignore an expired token', async () => {
    const res = await adminLogin();
    const token = res.body.token as string;
    await sleepUntil(Date.parse(res.body.expires_at) + 250);
    expect(await statusOf(t, token)).toBe(401);
    expect((await request(t.http).get('/api/v1/status/').set(auth(token))).status).toBe(200);
    const logout = await request(t.http).post('/api/v1/auth/logout/').set(auth(token));
    expect({ status: logout.status, body: logout.body }).toEqual({ status: 200, body: LOGGED_OUT });
  });
});

describe('Authentication (spec §3), login lock-out with LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=0.1 (6 s: room for a loaded machine)', () => {
  const LOCK_MS = 0.1 * 60_000;
  let t: TestApp;
  let ipCounter = 0;
  /** Each test uses its own client IP(s) (TRUST_PROXY=true: X-Forwarded-For is the client IP), so their counts never mix. */
  const newIp = () => `203.0.113.${++ipCounter}`;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MINUTES: '0.1', TRUST_PROXY: 'true' });
  });
  afterAll(() => t.close());

  const attempt = (identifier: string, password: string, ip: string, field: 'username' | 'email' = 'username') =>
    login(t, { [field]: identifier, password }, { ip, userAgent: SDK_UA });
  const expectFailed = async (res: Promise<request.Response>) => expectError(await res, 401, 'authentication_failed');
  const expectLocked = async (res: Promise<request.Response>) => expectError(await res, 401, 'too_many_failed_login_attempts');
  const expectOk = async (res: Promise<request.Response>) => expect((await res).status).toBe(200);

  it('answers the first 3 failures with authentication_failed, then even the right password with too_many_failed_login_attempts', async () => {
    const person = await newPerson(t, 'lock');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    await expectLocked(attempt(person.username, person.password, ip));
    await expectLocked(attempt(person.username, 'wrong-4', ip));
  });

  it('locks per client IP: another IP is not locked', async () => {
    const person = await newPerson(t, 'otherip');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(person.username, `wrong-${i}`, ip));
    await expectLocked(attempt(person.username, person.password, ip));
    await expectOk(attempt(person.username, person.password, newIp()));
  });

  it('counts failures per client IP: failures from two IPs do not add up', async () => {
    const person = await newPerson(t, 'splitip');
    const [ipA, ipB] = [newIp(), newIp()];
    for (const ip of [ipA, ipB, ipA, ipB]) await expectFailed(attempt(person.username, 'wrong', ip));
    await expectOk(attempt(person.username, person.password, ipA));
    await expectOk(attempt(person.username, person.password, ipB));
  });

  it('locks per account: another account on the same IP is not locked', async () => {
    const locked = await newPerson(t, 'lockedacct');
    const free = await newPerson(t, 'freeacct');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(locked.username, `wrong-${i}`, ip));
    await expectLocked(attempt(locked.username, locked.password, ip));
    await expectOk(attempt(free.username, free.password, ip));
  });

  it('resolves a username and an e-mail address, in any case, to the same account', async () => {
    const person = await newPerson(t, 'Resolve');
    const ip = newIp();
    await expectFailed(attempt(person.username.toUpperCase(), 'wrong-1', ip));
    await expectFailed(attempt(person.email, 'wrong-2', ip));
    await expectFailed(attempt(person.email.toUpperCase(), 'wrong-3', ip, 'email'));
    await expectLocked(attempt(person.username, person.password, ip));
    await expectLocked(attempt(person.username.toLowerCase(), person.password, ip));
    await expectLocked(attempt(person.email, person.password, ip, 'email'));
    await expectLocked(attempt(person.email.toUpperCase(), person.password, ip));
  });

  it('locks a name that resolves to nothing by its lower-cased name', async () => {
    const ghost = uniqueName('Ghost');
    const other = uniqueName('ghost');
    const ip = newIp();
    await expectFailed(attempt(ghost, 'wrong-1', ip));
    await expectFailed(attempt(ghost.toUpperCase(), 'wrong-2', ip));
    await expectFailed(attempt(ghost.toLowerCase(), 'wrong-3', ip));
    await expectLocked(attempt(ghost, 'wrong-4', ip));
    await expectLocked(attempt(ghost.toUpperCase(), 'wrong-5', ip));
    await expectFailed(attempt(other, 'wrong-1', ip));
  });

  it('a success resets the count (2 failures, success, 2 failures: not locked)', async () => {
    const person = await newPerson(t, 'reset');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    await expectOk(attempt(person.username, person.password, ip));
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    await expectFailed(attempt(person.username, 'wrong-4', ip));
    await expectOk(attempt(person.username, person.password, ip));
  });

  it("failures older than the lock's length no longer count", async () => {
    const person = await newPerson(t, 'stale');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    await sleep(LOCK_MS + 300);
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    await expectFailed(attempt(person.username, 'wrong-4', ip));
    await expectOk(attempt(person.username, person.password, ip));
  });

  it('the lock lasts LOGIN_LOCKOUT_MINUTES from the last counted failure; attempts during it do not extend it', async () => {
    const person = await newPerson(t, 'noextend');
    const ip = newIp();
    await expectFailed(attempt(person.username, 'wrong-1', ip));
    await expectFailed(attempt(person.username, 'wrong-2', ip));
    const lockStartedAfter = Date.now();
    await expectFailed(attempt(person.username, 'wrong-3', ip));
    const lockStartedBy = Date.now();
    // Late in the lock, wrong and right passwords are both refused.
    await sleepUntil(lockStartedAfter + LOCK_MS * 0.7);
    await expectLocked(attempt(person.username, 'wrong-4', ip));
    await expectLocked(attempt(person.username, person.password, ip));
    // Had those attempts extended the lock, it would now run until about 1.7 × LOCK_MS after it started.
    await sleepUntil(lockStartedBy + LOCK_MS + 250);
    await expectOk(attempt(person.username, person.password, ip));
  });

  it('after the lock ends, counting starts afresh: attempts made during the lock are not counted as failures', async () => {
    const person = await newPerson(t, 'afresh');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(person.username, `wrong-${i}`, ip));
    const lockStartedBy = Date.now();
    await sleepUntil(lockStartedBy + 600);
    await expectLocked(attempt(person.username, 'wrong-during-1', ip));
    await expectLocked(attempt(person.username, 'wrong-during-2', ip));
    await sleepUntil(lockStartedBy + LOCK_MS + 250);
    await expectFailed(attempt(person.username, 'wrong-after-1', ip));
    await expectOk(attempt(person.username, person.password, ip));
  });

  it('counts concurrent failures exactly: of 6 parallel wrong attempts, 3 fail and 3 are locked out', async () => {
    const person = await newPerson(t, 'parallel');
    const ip = newIp();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => attempt(person.username, `wrong-${i}`, ip)));
    const codes = results.map((res) => `${res.status} ${res.body.code}`).sort();
    expect(codes).toEqual([
      '401 authentication_failed',
      '401 authentication_failed',
      '401 authentication_failed',
      '401 too_many_failed_login_attempts',
      '401 too_many_failed_login_attempts',
      '401 too_many_failed_login_attempts',
    ]);
  });

  it('keeps the lock-out state in PostgreSQL: a second instance on the same database sees the lock', async () => {
    const person = await newPerson(t, 'shared');
    const ip = newIp();
    for (let i = 0; i < 3; i++) await expectFailed(attempt(person.username, `wrong-${i}`, ip));
    const second = await createApp(t.config);
    try {
      const res = await request(second.app.getHttpServer())
        .post('/api/v1/auth/login/')
        .set('X-Forwarded-For', ip)
        .send({ username: person.username, password: person.password });
      expectError(res, 401, 'too_many_failed_login_attempts');
      const otherIp = await request(second.app.getHttpServer())
        .post('/api/v1/auth/login/')
        .set('X-Forwarded-For', newIp())
        .set('User-Agent', SDK_UA)
        .send({ username: person.username, password: person.password });
      expect(otherIp.status).toBe(200);
    } finally {
      await second.close();
    }
  });
});
