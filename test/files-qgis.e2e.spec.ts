import request from 'supertest';
import { expectError, expectStatus } from './support/expectations.js';
import { qgs, qgz, zip } from './support/qgis-files.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Spec §8 and §5.1: a `.qgs`/`.qgz` upload must be a QGIS project (root `<qgis version="…">`; a .qgz
// is a zip holding the .qgs), else 400 invalid_qgis_project_file and nothing kept; a valid one sets
// the project's `qgis_version` (X.Y.Z) in the same transaction, and deleting the file clears it.

const FILES = '/api/v1/files/';
const PROJECTS = '/api/v1/projects/';

let t: TestApp;
let owner: string;

beforeAll(async () => {
  t = await startTestApp();
  owner = await t.createPerson('quentin');
}, 120_000);

afterAll(() => t?.close());

let projectCount = 0;
const newProject = async () => {
  const res = await request(t.http)
    .post(PROJECTS)
    .set(auth(owner))
    .send({ name: `qgis-${++projectCount}` });
  expectStatus(res, 201);
  return res.body.id as string;
};
const upload = (projectId: string, name: string, bytes: Buffer) =>
  request(t.http).post(`${FILES}${projectId}/${name}/`).set(auth(owner)).attach('file', bytes, name.split('/').pop());
const getProject = async (projectId: string) => {
  const res = await request(t.http).get(`${PROJECTS}${projectId}/`).set(auth(owner));
  expectStatus(res, 200);
  return res.body;
};
const listedProject = async (projectId: string) => {
  const res = await request(t.http).get(PROJECTS).set(auth(owner));
  expectStatus(res, 200);
  return res.body.find((project: { id: string }) => project.id === projectId);
};
const storedCount = async (projectId: string) => (await t.storedKeys(`projects/${projectId}/`)).length;
const rowCount = async (projectId: string) => {
  const [row] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1`, [
    projectId,
  ]);
  return row.n;
};

/** A project document longer than the bounded head the server reads (64 KiB). */
const bigQgs = (version: string) => qgs(version, `<layers>${'<layer id="l" source="./data.gpkg|layername=points"/>'.repeat(3000)}</layers>`);

describe('a valid QGIS file sets qgis_version (spec §5.1, §8)', () => {
  it('a new project has qgis_version null, right after the_qgis_file_name', async () => {
    const project = await getProject(await newProject());
    const keys = Object.keys(project);
    expect(project.qgis_version).toBeNull();
    expect(keys.indexOf('qgis_version')).toBe(keys.indexOf('the_qgis_file_name') + 1);
  });

  it.each([
    ['a .qgs', 'project.qgs', () => qgs('3.22.16-Białowieża'), '3.22.16'],
    ['a .qgs longer than 64 KiB', 'big.qgs', () => bigQgs('3.34.12-Prizren'), '3.34.12'],
    ['a .qgz holding <stem>.qgs', 'survey.qgz', () => qgz('survey', '3.40.5-Bratislava'), '3.40.5'],
    ['a .qgz whose .qgs has another name', 'renamed.qgz', () => zip({ 'original.qgs': qgs('3.28.0'), 'original.qgd': 'x' }), '3.28.0'],
    ['a .qgz holding a .qgs longer than 64 KiB', 'sub/big.qgz', () => zip({ 'big.qgs': bigQgs('3.44.7-Solothurn') }), '3.44.7'],
  ])('%s: 201, and qgis_version in GET project and in the list', async (_, name, content, version) => {
    const projectId = await newProject();
    expectStatus(await upload(projectId, name, content()), 201);
    const project = await getProject(projectId);
    expect([project.the_qgis_file_name, project.qgis_version]).toEqual([name, version]);
    expect((await listedProject(projectId)).qgis_version).toBe(version);
  });

  it('a new version of the QGIS file moves it; deleting that version and then the file resets it', async () => {
    const projectId = await newProject();
    expectStatus(await upload(projectId, 'project.qgs', qgs('3.22.16-Białowieża')), 201);
    const res = await upload(projectId, 'project.qgs', qgs('3.40.1-Bratislava'));
    expectStatus(res, 201);
    expect((await getProject(projectId)).qgis_version).toBe('3.40.1');

    const newest = res.body.versions[0].version_id;
    expectStatus(await request(t.http).delete(`${FILES}${projectId}/project.qgs/`).set(auth(owner)).set('x-file-version', newest), 204);
    expect((await getProject(projectId)).qgis_version).toBe('3.22.16');

    expectStatus(await request(t.http).delete(`${FILES}${projectId}/project.qgs/`).set(auth(owner)), 204);
    const project = await getProject(projectId);
    expect([project.the_qgis_file_name, project.qgis_version]).toEqual([null, null]);
    expect((await listedProject(projectId)).qgis_version).toBeNull();
  });

  it('other files leave it alone', async () => {
    const projectId = await newProject();
    expectStatus(await upload(projectId, 'project.qgz', qgz('project', '3.36.2')), 201);
    expectStatus(await upload(projectId, 'data.gpkg', Buffer.from('not xml at all')), 201);
    expectStatus(await upload(projectId, 'notes.xml', Buffer.from('<other version="1.2.3"/>')), 201);
    expect((await getProject(projectId)).qgis_version).toBe('3.36.2');
  });
});

describe('a .qgs/.qgz that is not a QGIS project is 400 invalid_qgis_project_file and keeps nothing (spec §8)', () => {
  const valid = qgs('3.40.2').toString();
  const big = bigQgs('3.40.2');
  const invalid: [string, string, () => Buffer, RegExp][] = [
    ['a text file named .qgs', 'project.qgs', () => Buffer.from('Hello!\n'), /well-formed XML/],
    ['an empty .qgs', 'project.qgs', () => Buffer.alloc(0), /empty/],
    ['binary bytes named .qgs', 'project.qgs', () => Buffer.from([0xff, 0xfe, 0x00, 0x3c, 0x80, 0x81]), /UTF-8/],
    [
      'XML with another root',
      'project.qgs',
      () => Buffer.from('<?xml version="1.0"?>\n<project version="3.40.2"><layers/></project>\n'),
      /root element is <project>/,
    ],
    ['a <qgis> root without a version', 'project.qgs', () => Buffer.from('<qgis projectname="x"></qgis>'), /version/],
    ['a <qgis> root whose version is not X.Y.Z', 'project.qgs', () => Buffer.from('<qgis version="3.40"></qgis>'), /version/],
    ['a truncated .qgs', 'project.qgs', () => Buffer.from(valid.slice(0, valid.length - 12)), /well-formed XML/],
    ['a truncated .qgs longer than 64 KiB', 'project.qgs', () => big.subarray(0, big.length - 40), /truncated/],
    ['a zip without a .qgs, named .qgz', 'project.qgz', () => zip({ 'project.qgd': 'x', 'readme.txt': 'no project here' }), /no \.qgs/],
    ['a .qgs named .qgz (not a zip)', 'project.qgz', () => qgs(), /zip archive/],
    ['a truncated .qgz', 'project.qgz', () => qgz().subarray(0, 60), /zip archive/],
    ['a .qgz whose .qgs has another root', 'project.qgz', () => zip({ 'project.qgs': '<project version="3.40.2"/>' }), /root element is <project>/],
    ['a .qgz whose .qgs is truncated', 'project.qgz', () => zip({ 'project.qgs': big.subarray(0, big.length - 40) }), /truncated/],
  ];

  it.each(invalid)('%s', async (_, name, content, reason) => {
    const projectId = await newProject();
    expectStatus(await upload(projectId, 'data.gpkg', Buffer.from('kept')), 201);
    const before = await getProject(projectId);

    const res = await upload(projectId, name, content());
    expectError(res, 400, 'invalid_qgis_project_file');
    expect(res.body.message).toMatch(reason);
    expect(await rowCount(projectId)).toBe(1);
    expect(await storedCount(projectId)).toBe(1);
    expect(await getProject(projectId)).toEqual(before);
    expect(before).toEqual(expect.objectContaining({ the_qgis_file_name: null, qgis_version: null }));
  });

  it('a bad new version of the QGIS file keeps the old version and its qgis_version', async () => {
    const projectId = await newProject();
    expectStatus(await upload(projectId, 'project.qgs', qgs('3.22.16-Białowieża')), 201);
    const before = await getProject(projectId);
    expectError(await upload(projectId, 'project.qgs', Buffer.from('<qgis version="3.40.0"><truncat')), 400, 'invalid_qgis_project_file');
    expect([await rowCount(projectId), await storedCount(projectId)]).toEqual([1, 1]);
    expect(await getProject(projectId)).toEqual(before);
    expect(before.qgis_version).toBe('3.22.16');
  });
});
