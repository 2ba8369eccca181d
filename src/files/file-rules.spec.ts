import { ValidationFailed } from '../common/errors.js';
import { isAttachment, isQgisProjectFile, isRestrictedFile, validFilePath } from './file-rules.js';

describe('project file paths (spec §8)', () => {
  it.each([
    ['project.qgs', 'project.qgs'],
    ['DCIM/photo 1.jpg', 'DCIM/photo 1.jpg'],
    ['data/layer.gpkg/', 'data/layer.gpkg'],
    ['ünïcödé/ファイル.txt', 'ünïcödé/ファイル.txt'],
  ])('%j is kept as %j', (path, kept) => {
    expect(validFilePath(path)).toBe(kept);
  });

  it('joins URL segments with "/"', () => {
    expect(validFilePath(['data', 'layer.gpkg'])).toBe('data/layer.gpkg');
  });

  it.each([
    ['', 'is empty'],
    ['/', 'is empty'],
    ['a'.repeat(1025), 'longer than 1024'],
    ['data\\layer.gpkg', 'backslash'],
    ['data/\0.gpkg', 'NUL'],
    ['/absolute.qgs', 'empty segment'],
    ['data//layer.gpkg', 'empty segment'],
    ['./project.qgs', '"." or ".."'],
    ['data/../../etc/passwd', '"." or ".."'],
  ])('refuses %j: the path %s', (path, problem) => {
    let error: unknown;
    try {
      validFilePath(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as ValidationFailed).detail).toEqual({ path: [expect.stringContaining(problem)] });
  });

  it('accepts a path of exactly 1024 characters', () => {
    expect(validFilePath('a'.repeat(1024))).toHaveLength(1024);
  });
});

describe('kinds of project files (spec §5.1)', () => {
  it('QGIS project files end in .qgs or .qgz, in any case', () => {
    expect(['a.qgs', 'b/a.QGZ', 'a.qgs.bak', 'a.qgd'].map(isQgisProjectFile)).toEqual([true, true, false, false]);
  });

  it('attachments live under DCIM/', () => {
    expect(['DCIM/a.jpg', 'dcim/a.jpg', 'x/DCIM/a.jpg'].map(isAttachment)).toEqual([true, false, false]);
  });

  it('restricted: the QGIS file and its .qgd, .qml and _attachments.zip', () => {
    const restricted = ['map.qgz', 'map.qgd', 'map.qml', 'map_attachments.zip', 'map.qgs', 'other.qgd', 'data/map.qml'].filter((path) =>
      isRestrictedFile(path, 'map.qgz'),
    );
    expect(restricted).toEqual(['map.qgz', 'map.qgd', 'map.qml', 'map_attachments.zip']);
  });

  it('before a project has a QGIS file, any QGIS file counts as restricted', () => {
    expect(['first.qgs', 'other.qgz', 'first.qgd'].map((path) => isRestrictedFile(path, null))).toEqual([true, true, false]);
  });
});
