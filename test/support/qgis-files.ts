import { execFileSync } from 'node:child_process';

/** A QGIS project document as QGIS writes it (declaration, DOCTYPE, root `<qgis version="…">`). */
export function qgs(version = '3.40.5-Bratislava', body = '<title>survey</title>'): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n` +
      `<qgis projectname="survey" saveDateTime="2026-11-27T10:00:00" version="${version}">${body}</qgis>\n`,
  );
}

/** A deflated zip of `entries`, written by Python's zipfile (not by the reader the server uses). */
export function zip(entries: Record<string, Buffer | string>): Buffer {
  const script = `
import base64, io, json, sys, zipfile
out = io.BytesIO()
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in json.load(sys.stdin).items():
        z.writestr(name, base64.b64decode(data))
sys.stdout.buffer.write(out.getvalue())`;
  const input = JSON.stringify(Object.fromEntries(Object.entries(entries).map(([name, data]) => [name, Buffer.from(data).toString('base64')])));
  return execFileSync('python3', ['-c', script], { input, maxBuffer: 256 * 1024 * 1024 });
}

/** A .qgz: the zip of `<stem>.qgs` as QGIS writes it, with its auxiliary storage. */
export const qgz = (stem = 'project', version?: string) => zip({ [`${stem}.qgs`]: qgs(version), [`${stem}.qgd`]: 'SQLite format 3\0' });
