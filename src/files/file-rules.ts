import { ValidationFailed } from '../common/errors.js';

const MAX_PATH = 1024;

/**
 * A project file path (spec §8): relative, `/`-separated, no empty segment, no `.` or `..`, no
 * backslash, no NUL, at most 1024 characters. Returns it unchanged or throws 400.
 */
export function validFilePath(segments: string[] | string): string {
  // The trailing slash clients put after every path is not part of it.
  const path = (Array.isArray(segments) ? segments.join('/') : segments).replace(/\/$/, '');
  const problem =
    path.length === 0
      ? 'is empty'
      : path.length > MAX_PATH
        ? `is longer than ${MAX_PATH} characters`
        : path.includes('\\')
          ? 'contains a backslash'
          : path.includes('\0')
            ? 'contains a NUL character'
            : path.split('/').some((segment) => segment === '')
              ? 'has an empty segment (or starts or ends with "/")'
              : path.split('/').some((segment) => segment === '.' || segment === '..')
                ? 'has a "." or ".." segment'
                : null;
  if (problem) throw ValidationFailed.field('path', `The file path ${problem}`);
  return path;
}

export const isQgisProjectFile = (path: string) => /\.(qgs|qgz)$/i.test(path);

/** Files under QField's attachment folder. */
export const isAttachment = (path: string) => path.startsWith('DCIM/');

/**
 * Restricted files (spec §5.1): the project's QGIS file `<stem>.qgs/.qgz`, and `<stem>.qgd`,
 * `<stem>.qml`, `<stem>_attachments.zip` next to it. A project's first QGIS file counts as restricted.
 */
export function isRestrictedFile(path: string, qgisFileName: string | null): boolean {
  if (qgisFileName === null) return isQgisProjectFile(path);
  const stem = qgisFileName.replace(/\.(qgs|qgz)$/i, '');
  return [qgisFileName, `${stem}.qgd`, `${stem}.qml`, `${stem}_attachments.zip`].includes(path);
}
