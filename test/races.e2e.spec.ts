import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { md5, sleep } from './support/kit.js';

/**
 * Races (issue 7.3): bursts of concurrent requests that compete for one name, one quota, one
 * membership, one file path or one project. Every answer is a success or the error the contract names
 * for the loser, never a 5xx, and the final state is one the rules allow, with storage and rows agreeing.
 */

const PROJECTS = '/api/v1/projects/';
const ROUNDS = 3;

type Res = request.Response;

/** A deterministic shuffle (mulberry32), so a failing interleaving of requests is sent the same way again. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

describe('races', () => {
  let t: TestApp;
  let base: string;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    // One listening server for every burst (supertest would otherwise open a server per request).
    const server = t.http as unknown as http.Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const api = () => request(base);
  const createProject = async (token: string, name: string, owner?: string): Promise<string> => {
    const res = await api()
      .post(PROJECTS)
      .set(auth(token))
      .send(owner ? { name, owner } : { name });
    expectStatus(res, 201);
    return res.body.id;
  };
  const upload = (token: string, projectId: string, file: string, content: Buffer) =>
    api()
      .post(`/api/v1/files/${projectId}/${file}/`)
      .set(auth(token))
      .attach('file', content, { filename: file.split('/').pop()!, contentType: 'application/octet-stream' });
  const setQuota = async (username: string, bytes: number) =>
    expectStatus(await api().patch(`/api/v1/users/${username}/`).set(auth(admin)).send({ storage_quota_bytes: bytes }), 200);
  const storageUsed = async (username: string): Promise<number> => {
    const res = await api().get(`/api/v1/users/${username}/`).set(auth(admin));
    expectStatus(res, 200);
    return res.body.storage_used_bytes;
  };

  /** No answer a client can cause is a 5xx; shows every offending answer at once. */
  const expectNo5xx = (answers: Res[]) => expect(answers.filter((res) => res.status >= 500).map((res) => ({ status: res.status, body: res.body }))).toEqual([]);

  /**
   * Spec §8 at rest, over the whole database: each project's file_storage_bytes is the sum of its
   * stored versions, the stored bytes are exactly those the version rows point to, and no removal is
   * left queued.
   */
  async function expectStorageAgrees(): Promise<void> {
    const drift = await t.sql(
      `SELECT p.id, p.file_storage_bytes, coalesce(sum(v.size), 0) AS versions
         FROM projects p LEFT JOIN project_files f ON f.project_id = p.id LEFT JOIN file_versions v ON v.file_id = f.id
        GROUP BY p.id HAVING p.file_storage_bytes <> coalesce(sum(v.size), 0)`,
    );
    expect(drift).toEqual([]);
    const rows = (await t.sql<{ storage_key: string }>(`SELECT storage_key FROM file_versions ORDER BY storage_key`)).map((row) => row.storage_key);
    expect(await t.storedKeys('projects/')).toEqual(rows.sort());
    const thumbnails = (await t.sql<{ key: string }>(`SELECT thumbnail_key AS key FROM projects WHERE thumbnail_key IS NOT NULL`)).map((row) => row.key);
    expect(await t.storedKeys('thumbnails/')).toEqual(thumbnails.sort());
    expect(await t.sql(`SELECT storage_key FROM storage_deletions`)).toEqual([]);
  }

  it('concurrent creates of one name for one owner: exactly one 201, every other answer 400 project_already_exists (spec §5.5)', async () => {
    const owner = await t.createPerson('namesake');
    const orgOwner = await t.createPerson('namesake_org_owner');
    const orgAdmin = await t.createPerson('namesake_org_admin');
    expectStatus(await api().post('/api/v1/organizations/').set(auth(orgOwner)).send({ username: 'namesake_org' }), 201);
    expectStatus(await api().post('/api/v1/members/namesake_org/').set(auth(orgOwner)).send({ member: 'namesake_org_admin', role: 'admin' }), 201);

    for (let round = 0; round < ROUNDS; round++) {
      // A person's own account: 20 creates of one name at once.
      const name = `same-name-${round}`;
      const answers = await Promise.all(Array.from({ length: 20 }, () => api().post(PROJECTS).set(auth(owner)).send({ name })));
      expectNo5xx(answers);
      expect(answers.filter((res) => res.status === 201)).toHaveLength(1);
      for (const res of answers.filter((res) => res.status !== 201)) expectError(res, 400, 'project_already_exists');
      expect(await t.sql(`SELECT 1 FROM projects p JOIN accounts a ON a.id = p.owner_id WHERE a.username = 'namesake' AND p.name = $1`, [name])).toHaveLength(
        1,
      );

      // An organization's account, two people with the right to create there.
      const orgName = `org-same-name-${round}`;
      const orgAnswers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api()
            .post(PROJECTS)
            .set(auth(i % 2 ? orgOwner : orgAdmin))
            .send({ name: orgName, owner: 'namesake_org' }),
        ),
      );
      expectNo5xx(orgAnswers);
      expect(orgAnswers.filter((res) => res.status === 201)).toHaveLength(1);
      for (const res of orgAnswers.filter((res) => res.status !== 201)) expectError(res, 400, 'project_already_exists');
    }
  });

  it('transfers and uploads competing for one quota: never over it, every refusal 402 over_quota, every 2xx kept (spec §5.6, §8)', async () => {
    const FILE = 1000;
    const UPLOAD = 500;
    const QUOTA = 5000;
    for (let round = 0; round < ROUNDS; round++) {
      const giverName = `quota_giver_${round}`;
      const takerName = `quota_taker_${round}`;
      const giver = await t.createPerson(giverName);
      const taker = await t.createPerson(takerName);
      await setQuota(takerName, QUOTA);
      const offered: string[] = [];
      for (let i = 0; i < 6; i++) {
        const id = await createProject(giver, `offered-${i}`);
        expectStatus(await upload(giver, id, 'data.gpkg', Buffer.alloc(FILE, i)), 201);
        offered.push(id);
      }
      const inbox = await createProject(taker, 'inbox');

      // 6 transfers of 1000 bytes and 12 uploads of 500 bytes, 12000 bytes in all, into a 5000-byte quota.
      const requests = shuffled(
        [
          ...offered.map((id) => ({ kind: 'transfer' as const, id, send: () => api().patch(`${PROJECTS}${id}/`).set(auth(giver)).send({ owner: takerName }) })),
          ...Array.from({ length: 12 }, (_, i) => ({
            kind: 'upload' as const,
            id: `upload-${i}.bin`,
            send: () => upload(taker, inbox, `upload-${i}.bin`, Buffer.alloc(UPLOAD, i)),
          })),
        ],
        round + 1,
      );
      const answers = await Promise.all(requests.map((r) => r.send()));
      expectNo5xx(answers);

      let accepted = 0;
      let refused = 0;
      for (const [i, res] of answers.entries()) {
        const { kind, id } = requests[i];
        if (res.status === 402) {
          expectError(res, 402, 'over_quota');
          refused++;
        } else {
          expectStatus(res, kind === 'transfer' ? 200 : 201);
          accepted += kind === 'transfer' ? FILE : UPLOAD;
        }
        // Every answer is what the database holds now.
        if (kind === 'transfer') {
          const [row] = await t.sql<{ username: string }>(`SELECT a.username FROM projects p JOIN accounts a ON a.id = p.owner_id WHERE p.id = $1`, [id]);
          expect(row.username).toBe(res.status === 200 ? takerName : giverName);
        } else {
          const stored = await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = $2`, [inbox, id]);
          expect(stored).toHaveLength(res.status === 201 ? 1 : 0);
        }
      }
      expect(refused).toBeGreaterThan(0); // the quota really was contended
      const used = await storageUsed(takerName);
      expect(used).toBeLessThanOrEqual(QUOTA);
      expect(used).toBe(accepted);
      await expectStorageAgrees();
    }
  });

  it('member removal racing the addition of that member as a collaborator: no collaborator left who is not a member (spec §4.2, §6.3)', async () => {
    const owner = await t.createPerson('club_owner');
    const members = Array.from({ length: 10 }, (_, i) => `club_member_${i}`);
    for (const member of members) await t.createPerson(member);

    for (let round = 0; round < ROUNDS; round++) {
      const org = `club_${round}`;
      expectStatus(await api().post('/api/v1/organizations/').set(auth(owner)).send({ username: org }), 201);
      for (const member of members) expectStatus(await api().post(`/api/v1/members/${org}/`).set(auth(owner)).send({ member, role: 'member' }), 201);
      const projectId = await createProject(owner, 'clubhouse', org);

      const requests = shuffled(
        members.flatMap((member) => [
          { kind: 'remove' as const, send: () => api().delete(`/api/v1/members/${org}/${member}/`).set(auth(owner)) },
          {
            kind: 'add' as const,
            send: () => api().post(`/api/v1/collaborators/${projectId}/`).set(auth(owner)).send({ collaborator: member, role: 'editor' }),
          },
        ]),
        round + 100,
      );
      const answers = await Promise.all(requests.map((r) => r.send()));
      expectNo5xx(answers);
      for (const [i, res] of answers.entries()) {
        if (requests[i].kind === 'remove') expectStatus(res, 204);
        else if (res.status !== 201) expectError(res, 400, 'validation_error', 'collaborator');
      }
      // Every member is gone, so no person may be left collaborating on the organization's project.
      expect(await t.sql(`SELECT 1 FROM organization_members m JOIN accounts o ON o.id = m.organization_id WHERE o.username = $1`, [org])).toEqual([]);
      const collaborators = await api().get(`/api/v1/collaborators/${projectId}/`).set(auth(owner));
      expectStatus(collaborators, 200);
      expect(collaborators.body).toEqual([]);
    }
  });

  it('concurrent uploads of one file path: all stored in turn, the newest versions kept, bytes and accounting agree (spec §8)', async () => {
    const token = await t.createPerson('same_path');
    const projectId = await createProject(token, 'one-path');
    const file = 'data/layer.gpkg';
    for (let round = 0; round < ROUNDS; round++) {
      const contents = Array.from({ length: 20 }, (_, i) => Buffer.alloc(100 * (round * 20 + i) + 1, i + round));
      const answers = await Promise.all(contents.map((content) => upload(token, projectId, file, content)));
      expectNo5xx(answers);
      for (const res of answers) expectStatus(res, 201);

      const list = await api().get(`/api/v1/files/${projectId}/`).set(auth(token));
      expectStatus(list, 200);
      expect(list.body).toHaveLength(1);
      const [entry] = list.body;
      expect(entry.versions).toHaveLength(t.config.storageKeepVersions);
      // The file is its newest version, and every kept version is one that was sent.
      expect({ size: entry.size, md5sum: entry.md5sum }).toEqual({ size: entry.versions[0].size, md5sum: entry.versions[0].md5sum });
      const sent = new Set(contents.map(md5));
      for (const version of entry.versions) expect(sent.has(version.md5sum)).toBe(true);
      const project = await api().get(`${PROJECTS}${projectId}/`).set(auth(token));
      expect(project.body.file_storage_bytes).toBe(entry.versions.reduce((sum: number, v: { size: number }) => sum + v.size, 0));
      const download = await api()
        .get(`/api/v1/files/${projectId}/${file}/`)
        .set(auth(token))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      expectStatus(download, 200);
      expect(md5(download.body)).toBe(entry.md5sum);
      await expectStorageAgrees();
    }
  });

  it('deleting a project while uploads and thumbnails go into it: each is stored or 404, and nothing of the project is left, rows or bytes (spec §5.7, §5.8, §8)', async () => {
    const token = await t.createPerson('demolisher');
    for (let round = 0; round < 5; round++) {
      const projectId = await createProject(token, `doomed-${round}`);
      const uploads = Array.from({ length: 20 }, (_, i) =>
        i % 4 === 3
          ? () =>
              api()
                .post(`${PROJECTS}${projectId}/thumbnail/`)
                .set(auth(token))
                .attach('thumbnail', PNG, { filename: 'thumbnail.png', contentType: 'image/png' })
          : () => upload(token, projectId, `DCIM/photo-${i}.jpg`, Buffer.alloc(64 * 1024, i)),
      );
      const remove = () => api().delete(`${PROJECTS}${projectId}/`).set(auth(token));
      // The delete goes somewhere in the middle of the burst, at a different place each round.
      const at = 4 + round * 3;
      const sends = [...uploads.slice(0, at), remove, ...uploads.slice(at)];
      const answers = await Promise.all(sends.map((send) => send()));
      expectNo5xx(answers);
      expectStatus(answers[at], 204);
      for (const res of answers.filter((_, i) => i !== at)) if (res.status !== 201 && res.status !== 204) expectError(res, 404, 'object_not_found');

      expect(await t.sql(`SELECT 1 FROM projects WHERE id = $1`, [projectId])).toEqual([]);
      expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1`, [projectId])).toEqual([]);
      expect(await t.storedKeys(`projects/${projectId}/`)).toEqual([]);
      expect(await t.storedKeys(`thumbnails/${projectId}/`)).toEqual([]);
      await expectStorageAgrees();
    }
  });

  it('a person creating projects while staff delete them: no 5xx, and the delete and the creates cannot both succeed (spec §4.1, §5.5)', async () => {
    const outcomes = { deleted: 0, refused: 0 };
    const createStatuses: Record<number, number> = {};
    for (let round = 0; round < 6; round++) {
      const username = `vanishing_${round}`;
      const token = await t.createPerson(username);
      const creates = Array.from(
        { length: 12 },
        (_, i) => () =>
          api()
            .post(PROJECTS)
            .set(auth(token))
            .send({ name: `p-${i}` }),
      );
      const remove = () => api().delete(`/api/v1/users/${username}/`).set(auth(admin));
      const at = round * 2;
      const sends = [...creates.slice(0, at), remove, ...creates.slice(at)];
      // The requests after the delete leave a little later each round, so some rounds catch the delete
      // in the middle of its transaction (how the interleavings spread, not something the test asserts).
      const answers = await Promise.all(
        sends.map(async (send, i) => {
          if (i > at) await sleep(round * 4);
          return send();
        }),
      );
      expectNo5xx(answers);
      const deletion = answers[at];
      const created = answers.filter((res, i) => i !== at && res.status === 201);
      for (const res of answers.filter((_, i) => i !== at)) createStatuses[res.status] = (createStatuses[res.status] ?? 0) + 1;
      for (const res of answers.filter((res, i) => i !== at && res.status !== 201)) {
        // The person's account is gone by the time the create is checked (400 on owner) or authenticated (401).
        if (res.status === 401) expectError(res, 401, 'token_authentication_failed');
        else expectError(res, 400, 'validation_error', 'owner');
      }
      const owned = await t.sql(`SELECT p.name FROM projects p JOIN accounts a ON a.id = p.owner_id WHERE a.username = $1`, [username]);
      if (deletion.status === 204) {
        outcomes.deleted++;
        expect(created).toEqual([]);
        expect(await t.sql(`SELECT 1 FROM accounts WHERE username = $1`, [username])).toEqual([]);
      } else {
        outcomes.refused++;
        expectError(deletion, 400, 'validation_error', 'username');
        expect(owned).toHaveLength(created.length);
      }
    }
    // Both outcomes are allowed; which one a round gets depends on the interleaving.
    console.log(
      `person deleted while creating: ${outcomes.deleted} rounds deleted, ${outcomes.refused} refused; creates answered ${JSON.stringify(createStatuses)}`,
    );
  });
});
