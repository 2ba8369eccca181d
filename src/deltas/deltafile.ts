import { Ajv, type ErrorObject } from 'ajv';
import schema from './deltafile.schema.json' with { type: 'json' };

export type DeltaMethod = 'create' | 'patch' | 'delete';

/** One delta as pushed (spec §11.1); keys beyond these are kept as they came. */
export interface PushedDelta {
  uuid: string;
  clientId: string;
  method: DeltaMethod;
  [key: string]: unknown;
}

/** A delta file that passed the schema (deltafile.schema.json). */
export interface Deltafile {
  version: '1.0';
  id: string;
  project: string;
  deltas: PushedDelta[];
  [key: string]: unknown;
}

/**
 * How deeply a delta file may nest arrays and objects. A delta itself is four levels inside the file
 * (file → deltas → delta → new → attributes); attribute values from QGIS are flat or nearly so. The
 * limit keeps what the server later walks recursively (JSON.stringify, PostgreSQL's jsonb) far from
 * any stack limit.
 */
export const MAX_DELTAFILE_NESTING = 64;

/** Why a file is refused: one sentence, and the offending places of the file (JSON pointers without the leading "/"). */
export interface DeltafileProblem {
  reason: string;
  detail: Record<string, string[]>;
}

const validate = new Ajv({ allErrors: false, strictTypes: false }).compile<Deltafile>(schema);

/** A delta file that passed: what JavaScript read, and the text PostgreSQL stores its deltas from. */
export interface ParsedDeltafile {
  file: Deltafile;
  /**
   * The file's JSON as PostgreSQL parses it: its numbers keep every digit, which JavaScript's would
   * not (a 64-bit key, a precise decimal), so the deltas are stored exactly as pushed.
   */
  json: string;
}

/**
 * Parses and checks a pushed delta file (spec §11.1, §11.2): UTF-8 JSON (a leading byte-order mark
 * allowed), nesting within MAX_DELTAFILE_NESTING, the schema. What PostgreSQL cannot store is mended
 * first: NUL characters are removed (raw ones and `\u0000` escapes), and an escaped half of a
 * surrogate pair without its other half becomes U+FFFD.
 */
export function parseDeltafile(bytes: Buffer): ParsedDeltafile | DeltafileProblem {
  const json = mendEscapes(
    bytes
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .replaceAll('\0', ''),
  );
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return problem('not JSON', 'file', error instanceof Error ? error.message : String(error));
  }
  if (nestsTooDeep(value)) return problem('nested too deeply', 'file', `Must not nest arrays and objects more than ${MAX_DELTAFILE_NESTING} levels deep`);
  if (!validate(value)) return schemaProblem(validate.errors ?? []);
  return { file: value, json };
}

export const isProblem = (parsed: ParsedDeltafile | DeltafileProblem): parsed is DeltafileProblem => 'reason' in parsed;

const problem = (reason: string, where: string, message: string): DeltafileProblem => ({ reason, detail: { [where]: [message] } });

function schemaProblem(errors: ErrorObject[]): DeltafileProblem {
  const detail: Record<string, string[]> = {};
  for (const error of errors) {
    // "must match then schema" only repeats the error before it.
    if (error.keyword === 'if') continue;
    const missing = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : null;
    const where = (error.instancePath + (missing === null ? '' : `/${missing}`)).replace(/^\//, '') || 'file';
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
    const message = missing !== null ? 'Is required' : `${capitalized(error.message ?? 'is invalid')}${allowed ? `: ${allowed.join(', ')}` : ''}`;
    (detail[where] ??= []).push(message);
  }
  const [first] = Object.entries(detail);
  return { reason: first ? `${first[0]}: ${first[1][0]}` : 'does not follow the delta file schema', detail };
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Escapes taken one at a time, left to right, so an escaped backslash followed by "u0000" is left
 * alone: a surrogate pair is kept, a lone half of one becomes U+FFFD, `\u0000` goes.
 */
const ESCAPE = /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\u0000|\\[^]/g;

function mendEscapes(json: string): string {
  return json.replace(ESCAPE, (escape) => (escape.length === 12 || escape.length === 2 ? escape : escape === '\\u0000' ? '' : '\\uFFFD'));
}

/** Whether `value` nests arrays and objects deeper than MAX_DELTAFILE_NESTING; without recursion, since it may nest arbitrarily deep. */
function nestsTooDeep(value: unknown): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [current, outer] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (outer + 1 > MAX_DELTAFILE_NESTING) return true;
    for (const inner of Object.values(current)) stack.push([inner, outer + 1]);
  }
  return false;
}
