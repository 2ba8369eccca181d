import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DeltasRepository } from '../src/deltas/deltas.repository.js';
import { DELTA_ROW_FIELDS, delta, deltafile, projectWithQgisFile, pushDeltas, type Json } from './support/deltafiles.js';
import { expectError, expectStatus } from './support/expectations.js';
import { ISO_Z, shareProject } from './support/kit.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Spec §11.1, §11.2, §11.3 (apply jobs made by a push), §6.4 (who pushes): POST /deltas/{projectid}/.
// No worker runs (startTestApp's default): apply jobs stay pending, so the jobs a push makes are what
// is seen. Rules the spec leaves open are in docs/deltas.md ("Pushing").

const API = '/api/v1';

describe('pushing deltas (spec §11.2)', () => {
  let t: TestApp;
  let owner: string;
  let reporter: string;
  let reader: string;
  let stranger: string;
  let n = 0;

  const project = (fields: Json = {}) => projectWithQgisFile(t, owner, `push-${++n}`, fields);
  const applyJobs = (projectId: string) =>
    t.sql<{ id: string; status: string; created_by: string; deltas: number; first_seq: string }>(
      `SELECT j.id, j.status, a.username AS created_by, count(d.id)::int AS deltas, min(d.seq)::text AS first_seq
         FROM jobs j LEFT JOIN accounts a ON a.id = j.created_by_id LEFT JOIN deltas d ON d.job_id = j.id
        WHERE j.project_id = $1 AND j.type = 'delta_apply' GROUP BY j.id, a.username ORDER BY j.created_at, j.id`,
      [projectId],
    );
  const storedDeltas = (projectId: string) =>
    t.sql<{ id: string; status: string; job_id: string | null }>(`SELECT id, status, job_id FROM deltas WHERE project_id = $1 ORDER BY seq`, [projectId]);
  const rejected = (projectId: string) =>
    t.sql<{ reason: string; body: Buffer }>(`SELECT reason, body FROM rejected_deltafiles WHERE project_id = $1 ORDER BY created_at`, [projectId]);

  beforeAll(async () => {
    t = await startTestApp();
    [owner, reporter, reader, stranger] = await Promise.all(['dp_owner', 'dp_reporter', 'dp_reader', 'dp_stranger'].map((name) => t.createPerson(name)));
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers 200 with the file's rows in file order, stored pending with their author, client id and delta file, content as pushed", async () => {
    const id = await project();
    const deltas = [delta('create', { unknownKey: { kept: [1, 2] } }), delta('patch', { clientId: 'device-2' }), delta('delete')];
    const file = deltafile(id, deltas, { futureField: 'kept too' });
    const res = await pushDeltas(t, owner, id, file, { slash: false });
    expectStatus(res, 200);
    expect(res.body.map((row: Json) => row.id)).toEqual(deltas.map((d) => d.uuid));
    for (const [i, row] of (res.body as Json[]).entries()) {
      expect(Object.keys(row)).toEqual(DELTA_ROW_FIELDS);
      expect(row).toMatchObject({
        deltafile_id: file.id,
        created_by: 'dp_owner',
        status: 'STATUS_PENDING',
        last_status: 'pending',
        last_feedback: null,
        output: null,
        content: deltas[i],
      });
      expect(row.created_at).toMatch(ISO_Z);
      expect(row.updated_at).toMatch(ISO_Z);
    }
    const stored = await t.sql<{ client_id: string; deltafile_id: string; created_by: string }>(
      `SELECT d.client_id, d.deltafile_id, a.username AS created_by FROM deltas d JOIN accounts a ON a.id = d.created_by_id WHERE d.project_id = $1 ORDER BY d.seq`,
      [id],
    );
    expect(stored).toEqual([
      { client_id: 'device-1', deltafile_id: file.id, created_by: 'dp_owner' },
      { client_id: 'device-2', deltafile_id: file.id, created_by: 'dp_owner' },
      { client_id: 'device-1', deltafile_id: file.id, created_by: 'dp_owner' },
    ]);
    // QField polls the file's rows: the same answer.
    const polled = await request(t.http).get(`${API}/deltas/${id}/${file.id}/`).set(auth(owner));
    expectStatus(polled, 200);
    expect(polled.body).toEqual(res.body);
  });

  it('keeps every digit of the numbers as pushed (a 64-bit key, a long decimal)', async () => {
    const id = await project();
    const uuid = randomUUID();
    const text = JSON.stringify(deltafile(id, [delta('create', { uuid })])).replace(
      '"height":12.5',
      '"height":12.345678901234567890123,"big":9007199254740993123',
    );
    expectStatus(await pushDeltas(t, owner, id, text), 200);
    const [row] = await t.sql<{ height: string; big: string }>(
      `SELECT content #>> '{new,attributes,height}' AS height, content #>> '{new,attributes,big}' AS big FROM deltas WHERE id = $1`,
      [uuid],
    );
    expect(row).toEqual({ height: '12.345678901234567890123', big: '9007199254740993123' });
  });

  it('makes apply jobs for the new deltas: at most 1000 each, in push order, by the pusher; a re-push changes nothing', async () => {
    const id = await project();
    const deltas = Array.from({ length: 2500 }, (_, i) => delta('create', { localPk: String(i) }));
    const file = deltafile(id, deltas);
    const first = await pushDeltas(t, owner, id, file);
    expectStatus(first, 200);
    expect(first.body).toHaveLength(2500);
    const jobs = await applyJobs(id);
    expect(jobs.map((job) => [job.status, job.created_by, job.deltas])).toEqual([
      ['pending', 'dp_owner', 1000],
      ['pending', 'dp_owner', 1000],
      ['pending', 'dp_owner', 500],
    ]);
    // Push order: the first job holds the first thousand of the file, and so on.
    const stored = await storedDeltas(id);
    expect(stored.map((row) => row.id)).toEqual(deltas.map((d) => d.uuid));
    expect(stored.map((row) => row.job_id)).toEqual([...Array(1000).fill(jobs[0].id), ...Array(1000).fill(jobs[1].id), ...Array(500).fill(jobs[2].id)]);

    const again = await pushDeltas(t, owner, id, file);
    expectStatus(again, 200);
    expect(again.body).toEqual(first.body);
    expect(await applyJobs(id)).toEqual(jobs);
    expect(await storedDeltas(id)).toEqual(stored);

    // A later push gets a job of its own: the earlier deltas stay with theirs.
    const later = deltafile(id, [delta('create'), delta('create')]);
    expectStatus(await pushDeltas(t, owner, id, later), 200);
    const after = await applyJobs(id);
    expect(after.slice(0, 3)).toEqual(jobs);
    expect(after.slice(3).map((job) => job.deltas)).toEqual([2]);
  });

  it('skips a delta stored before (re-push, another file) and repeats within a file, answering each once in file order', async () => {
    const id = await project();
    const [a, b, c] = [delta('create'), delta('create'), delta('create')];
    const firstFile = deltafile(id, [a, b]);
    expectStatus(await pushDeltas(t, owner, id, firstFile), 200);
    const changedA = { ...a, new: { attributes: { name: 'changed' } } };
    const secondFile = deltafile(id, [c, changedA, c]);
    const res = await pushDeltas(t, owner, id, secondFile);
    expectStatus(res, 200);
    expect(res.body.map((row: Json) => [row.id, row.deltafile_id])).toEqual([
      [c.uuid, secondFile.id],
      [a.uuid, firstFile.id],
    ]);
    expect(res.body[1].content).toEqual(a); // the stored delta, not the changed copy
    expect((await storedDeltas(id)).map((row) => row.id)).toEqual([a.uuid, b.uuid, c.uuid]);
  });

  it('two devices pushing at once, and one pushing the same file three times at once: each delta stored once, in exactly one apply job', async () => {
    const id = await project();
    const phone = deltafile(id, [delta('create', { clientId: 'phone' }), delta('patch', { clientId: 'phone' })]);
    const tablet = deltafile(id, [delta('create', { clientId: 'tablet' }), delta('delete', { clientId: 'tablet' })]);
    const answers = await Promise.all([phone, phone, tablet, phone].map((file) => pushDeltas(t, owner, id, file)));
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    expect(answers[0].body).toEqual(answers[1].body);
    const stored = await storedDeltas(id);
    expect(stored.map((row) => row.id).sort()).toEqual([...phone.deltas, ...tablet.deltas].map((d) => d.uuid).sort());
    const jobs = await applyJobs(id);
    expect(jobs.map((job) => job.deltas)).toEqual([2, 2]);
    expect(stored.every((row) => jobs.some((job) => job.id === row.job_id))).toBe(true);
  });

  it('refuses a file holding a delta pushed to another project (400 invalid_deltafile), storing nothing and changing nothing there', async () => {
    const mine = await project();
    const other = await projectWithQgisFile(t, stranger, `push-other-${++n}`);
    const theirs = delta('create');
    expectStatus(await pushDeltas(t, stranger, other, deltafile(other, [theirs])), 200);
    const before = await t.sql(`SELECT * FROM deltas WHERE id = $1`, [theirs.uuid]);
    const fresh = delta('create');
    const res = await pushDeltas(t, owner, mine, deltafile(mine, [fresh, { ...theirs, new: { attributes: { name: 'mine now' } } }]));
    expectError(res, 400, 'invalid_deltafile', 'deltas');
    expect(JSON.stringify(res.body)).not.toContain(other);
    expect(await storedDeltas(mine)).toEqual([]);
    expect(await applyJobs(mine)).toEqual([]);
    expect(await t.sql(`SELECT * FROM deltas WHERE id = $1`, [theirs.uuid])).toEqual(before);
    expect(await rejected(mine)).toHaveLength(1);
  });

  it('keeping a refused file of a project deleted meanwhile stores nothing and does not fail (the push then answers 404, not 500)', async () => {
    const doomed = await project();
    const deltas = t.fieldbase.app.get(DeltasRepository);
    const file = { projectId: doomed, createdById: (await t.sql<{ id: string }>(`SELECT id FROM accounts WHERE username = 'dp_owner'`))[0].id };
    expect(await deltas.keepRejected({ ...file, reason: 'invalid_deltafile: test', body: Buffer.from('{') })).toBe(true);
    expectStatus(await request(t.http).delete(`${API}/projects/${doomed}/`).set(auth(owner)), 204);
    expect(await deltas.keepRejected({ ...file, reason: 'invalid_deltafile: test', body: Buffer.from('{') })).toBe(false);
    expect(await rejected(doomed)).toEqual([]);
  });

  it('checks in the order of §11.2: the file part, JSON and schema, the project named, the QGIS file', async () => {
    const noQgis = (
      await request(t.http)
        .post(`${API}/projects/`)
        .set(auth(owner))
        .send({ name: `push-bare-${++n}` })
    ).body.id as string;
    const other = await project();
    // No `file` part (only the `text` part, or no body at all) comes first.
    expectError(await pushDeltas(t, owner, noQgis, null), 400, 'empty_content');
    expectError(await request(t.http).post(`${API}/deltas/${noQgis}/`).set(auth(owner)), 400, 'empty_content');
    const onlyOtherFiles = await request(t.http)
      .post(`${API}/deltas/${noQgis}/`)
      .set(auth(owner))
      .attach('deltafile', Buffer.from(JSON.stringify(deltafile(noQgis, [delta('create')]))), 'deltafile.json');
    expectError(onlyOtherFiles, 400, 'empty_content');
    // Then the JSON and its schema, before the project it names and the QGIS file.
    expectError(await pushDeltas(t, owner, noQgis, '{"version": "1.0", "id": '), 400, 'invalid_deltafile', 'file');
    expectError(await pushDeltas(t, owner, noQgis, deltafile(other, [delta('create', { method: 'upsert' })])), 400, 'invalid_deltafile', 'deltas/0/method');
    // Then the project named by the file.
    expectError(await pushDeltas(t, owner, noQgis, deltafile(other, [delta('create')])), 400, 'invalid_deltafile', 'project');
    // Then the QGIS file.
    expectError(await pushDeltas(t, owner, noQgis, deltafile(noQgis, [delta('create')])), 400, 'no_qgis_project');
    expect(await storedDeltas(noQgis)).toEqual([]);
    // Every refused file is kept whole for the operator.
    const kept = await rejected(noQgis);
    expect(kept.map((row) => row.reason.split(':')[0])).toEqual(['invalid_deltafile', 'invalid_deltafile', 'invalid_deltafile', 'no_qgis_project']);
    expect(kept[0].body.toString()).toBe('{"version": "1.0", "id": ');
  });

  it('refuses what breaks the schema with the place and the reason in detail; clientId is required (400, not 500)', async () => {
    const id = await project();
    const cases: [Json | string, string][] = [
      [deltafile(id, [delta('create', { clientId: undefined })]), 'deltas/0/clientId'],
      [deltafile(id, [delta('create', { clientId: '' })]), 'deltas/0/clientId'],
      [deltafile(id, [delta('create', { clientId: 42 })]), 'deltas/0/clientId'],
      [deltafile(id, [delta('create', { uuid: 'not-a-uuid' })]), 'deltas/0/uuid'],
      [deltafile(id, [delta('create', { uuid: 7 })]), 'deltas/0/uuid'],
      [deltafile(id, [delta('create', { new: undefined })]), 'deltas/0/new'],
      [deltafile(id, [delta('patch', { old: undefined })]), 'deltas/0/old'],
      [deltafile(id, [delta('delete', { old: 'gone' })]), 'deltas/0/old'],
      [deltafile(id, [delta('create', { new: { attributes: [1, 2] } })]), 'deltas/0/new/attributes'],
      [deltafile(id, [delta('create', { new: { geometry: 5 } })]), 'deltas/0/new/geometry'],
      [deltafile(id, [delta('create', { localPk: 7 })]), 'deltas/0/localPk'],
      [deltafile(id, [delta('create', { localLayerId: undefined })]), 'deltas/0/localLayerId'],
      [deltafile(id, [delta('create'), 'a string' as unknown as Json]), 'deltas/1'],
      [deltafile(id, [], { version: '2.0' }), 'version'],
      [deltafile(id, [], { id: undefined }), 'id'],
      [deltafile(id, [], { deltas: { 0: delta('create') } }), 'deltas'],
      [deltafile(id, [], { files: 'none' }), 'files'],
      [deltafile(id, [], { project: 12 }), 'project'],
      ['[]', 'file'],
      ['null', 'file'],
      ['"1.0"', 'file'],
    ];
    for (const [file, field] of cases) {
      const res = await pushDeltas(t, owner, id, file);
      expectError(res, 400, 'invalid_deltafile', field);
      expect(res.body.message).toContain(field === 'file' ? 'Invalid delta file' : field);
    }
    expect(await storedDeltas(id)).toEqual([]);
    expect(await rejected(id)).toHaveLength(cases.length);
  });

  it('never answers 500 to a delta file a client can send: truncated, not UTF-8, NUL characters, deep nesting, odd escapes and numbers', async () => {
    const id = await project();
    const good = JSON.stringify(deltafile(id, [delta('create'), delta('patch')]));
    const hostile: [string, Buffer | string, number, string?][] = [
      ['truncated', good.slice(0, good.length / 2), 400, 'invalid_deltafile'],
      ['empty', Buffer.alloc(0), 400, 'invalid_deltafile'],
      ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), 400, 'invalid_deltafile'],
      ['deep arrays', `{"version":"1.0","x":${'['.repeat(100000)}${']'.repeat(100000)}}`, 400, 'invalid_deltafile'],
      ['deep in a delta', good.replace('"name":"oak"', `"name":${'{"a":'.repeat(70)}1${'}'.repeat(70)}`), 400, 'invalid_deltafile'],
      ['huge exponent', good.replace('"height":12.5', '"height":1e1000000'), 400, 'invalid_deltafile'],
      ['tiny exponent', good.replace('"height":12.5', '"height":1e-1000000'), 400, 'invalid_deltafile'],
      ['lone surrogates', good.replace('"name":"oak"', '"name":"\\ud800 and \\udfff","na\\udbffme":1'), 200],
      ['byte-order mark', `\uFEFF${good}`, 200],
      ['__proto__ keys', good.replace('"name":"oak"', '"__proto__":{"polluted":true},"constructor":"x"'), 200],
    ];
    for (const [what, body, status, code] of hostile) {
      const res = await pushDeltas(t, owner, id, body);
      expect([what, res.status, res.body?.code]).toEqual([what, status, code ?? undefined]);
    }
    expect(({} as Json).polluted).toBeUndefined();
  });

  it('removes NUL characters before reading the file: escaped ones (in values and keys) and raw bytes', async () => {
    const id = await project();
    const uuid = randomUUID();
    const file = JSON.stringify(deltafile(id, [delta('create', { uuid, new: { attributes: { 'na\u0000me': 'o\u0000ak', note: '\\u0000 stays' } } })]));
    expect(file).toContain('\\u0000');
    const withRawNul = Buffer.concat([Buffer.from(file.slice(0, 10)), Buffer.from([0]), Buffer.from(file.slice(10))]);
    const res = await pushDeltas(t, owner, id, withRawNul);
    expectStatus(res, 200);
    expect(res.body[0].content.new.attributes).toEqual({ name: 'oak', note: '\\u0000 stays' });
  });

  it('stores 10 MB of deltas in one push (20 000 deltas, 20 apply jobs)', async () => {
    const id = await project();
    const note = 'x'.repeat(380);
    const deltas = Array.from({ length: 20_000 }, (_, i) =>
      delta('create', { localPk: String(i), new: { attributes: { fid: i, note }, geometry: 'Point (1 2)' } }),
    );
    const body = Buffer.from(JSON.stringify(deltafile(id, deltas)));
    expect(body.length).toBeGreaterThan(10 * 1000 * 1000);
    const res = await pushDeltas(t, owner, id, body);
    expectStatus(res, 200);
    expect(res.body).toHaveLength(20_000);
    expect(res.body[19_999].id).toBe(deltas[19_999].uuid);
    const jobs = await applyJobs(id);
    expect(jobs).toHaveLength(20);
    expect(jobs.every((job) => job.deltas === 1000)).toBe(true);
  }, 120_000);

  it("roles (§6.4): admins to reporters push; a reporter's patches and deletes are stored unpermitted, without a job; readers, strangers 403", async () => {
    const id = await project();
    await shareProject(t, owner, id, 'dp_reporter', 'reporter');
    await shareProject(t, owner, id, 'dp_reader', 'reader');
    const [create, patch, remove] = [delta('create'), delta('patch'), delta('delete')];
    const res = await pushDeltas(t, reporter, id, deltafile(id, [create, patch, remove]));
    expectStatus(res, 200);
    expect(res.body.map((row: Json) => [row.status, row.last_status, row.created_by])).toEqual([
      ['STATUS_PENDING', 'pending', 'dp_reporter'],
      ['STATUS_UNPERMITTED', 'unpermitted', 'dp_reporter'],
      ['STATUS_UNPERMITTED', 'unpermitted', 'dp_reporter'],
    ]);
    expect(res.body[1].last_feedback.msg).toEqual(expect.stringContaining('reporter'));
    const stored = await storedDeltas(id);
    const [job] = await applyJobs(id);
    expect(stored.map((row) => row.job_id)).toEqual([job.id, null, null]);
    expect(job.created_by).toBe('dp_reporter');

    expectError(await pushDeltas(t, reader, id, deltafile(id, [delta('create')])), 403, 'permission_denied');
    expectError(await pushDeltas(t, stranger, id, deltafile(id, [delta('create')])), 403, 'permission_denied');
    expectError(await request(t.http).post(`${API}/deltas/${id}/`).attach('file', Buffer.from('{}'), 'f.json'), 401, 'not_authenticated');
    // A public project makes every person a reader: still no push.
    const open = await project({ is_public: true });
    expectError(await pushDeltas(t, stranger, open, deltafile(open, [delta('create')])), 403, 'permission_denied');
    expect(await storedDeltas(open)).toEqual([]);
  });

  it('refuses template projects (403) whatever the role; unknown project 404, malformed id 400; ids in upper case accepted', async () => {
    const template = await project({ project_type: 'template' });
    expectError(await pushDeltas(t, owner, template, deltafile(template, [delta('create')])), 403, 'permission_denied');
    expect(await storedDeltas(template)).toEqual([]);
    const unknown = randomUUID();
    expectError(await pushDeltas(t, owner, unknown, deltafile(unknown, [delta('create')])), 404, 'object_not_found');
    expectError(await pushDeltas(t, owner, 'not-a-uuid', deltafile(unknown, [delta('create')])), 400, 'validation_error', 'projectId');

    const id = await project();
    const upper = delta('create', { uuid: randomUUID().toUpperCase() });
    const file = deltafile(id.toUpperCase(), [upper], { id: randomUUID().toUpperCase() });
    const res = await pushDeltas(t, owner, id.toUpperCase(), file);
    expectStatus(res, 200);
    expect([res.body[0].id, res.body[0].deltafile_id]).toEqual([upper.uuid.toLowerCase(), file.id.toLowerCase()]);
  });

  it('a push while the owner is over quota stores the deltas pending with the reason, and makes no job (§11.3)', async () => {
    const id = await project();
    await t.sql(`UPDATE accounts SET storage_quota_bytes = 1 WHERE username = 'dp_owner'`);
    try {
      const res = await pushDeltas(t, owner, id, deltafile(id, [delta('create')]));
      expectStatus(res, 200);
      expect(res.body[0]).toMatchObject({ status: 'STATUS_PENDING', last_feedback: { msg: expect.stringContaining('quota') } });
      expect(await applyJobs(id)).toEqual([]);
    } finally {
      await t.sql(`UPDATE accounts SET storage_quota_bytes = NULL WHERE username = 'dp_owner'`);
    }
  });

  it('is a multipart upload only: a JSON body is 415', async () => {
    const id = await project();
    const res = await request(t.http)
      .post(`${API}/deltas/${id}/`)
      .set(auth(owner))
      .send({ file: deltafile(id, [delta('create')]) });
    expectError(res, 415, 'unsupported_media_type');
  });
});

describe('DELTAFILE_MAX_BYTES (spec §2: 413 payload_too_large)', () => {
  let t: TestApp;
  let owner: string;

  beforeAll(async () => {
    t = await startTestApp({ DELTAFILE_MAX_BYTES: '4000' });
    owner = await t.createPerson('dl_owner');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('takes a file of the limit and refuses a larger one with 413, storing nothing', async () => {
    const id = await projectWithQgisFile(t, owner, 'limited');
    const file = deltafile(id, [delta('create')]);
    const text = JSON.stringify(file);
    const exact = text + ' '.repeat(4000 - Buffer.byteLength(text));
    expectStatus(await pushDeltas(t, owner, id, exact), 200);
    const over = JSON.stringify(deltafile(id, [delta('create', { new: { attributes: { note: 'x'.repeat(4000) } } })]));
    const res = await pushDeltas(t, owner, id, over);
    expectError(res, 413, 'payload_too_large');
    expect(await t.sql(`SELECT id FROM deltas WHERE project_id = $1`, [id])).toHaveLength(1);
  });
});
