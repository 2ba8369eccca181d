import fc from 'fast-check';
import { MAX_NESTING } from '../../src/common/nesting.js';

/**
 * Generators of hostile input for the hostile-input test: strings, values, URL pieces and bodies a
 * careless or malicious client sends. Everything here is data; the test decides where it goes.
 */

/** Integers a JavaScript number cannot hold exactly, past 64 bits, and their negatives, as decimal text. */
export const HUGE_INTEGERS = [
  '9007199254740992',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551616',
  '99999999999999999999999',
  `1${'0'.repeat(400)}`,
  '-9223372036854775809',
  '-99999999999999999999999',
];

/** Text that has broken servers before: injections, traversal, encodings, odd numbers, odd unicode. */
export const NASTY_STRINGS = [
  "' OR 1=1--",
  "'; DROP TABLE accounts;--",
  '" OR ""="',
  "1' AND pg_sleep(0)--",
  '%',
  '_',
  '\\',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  'C:\\boot.ini',
  '%2e%2e%2f',
  '..%2f..%2f',
  '%00',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\u202eevil\u202c',
  'שלום עולם',
  'مرحبا',
  '😀',
  '👩‍👩‍👧‍👦',
  '\ufeff',
  '\u200b',
  '\uffff',
  'Ω≈ç√∫',
  'ﬁle',
  '．．／',
  ' ',
  '\t\r\n',
  '',
  'NaN',
  'Infinity',
  '-1',
  '-0',
  '1e309',
  '0x10',
  ...HUGE_INTEGERS,
  '1.5',
  'true',
  'False',
  'yes',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '*',
  '.',
  '..',
  '~',
  'CON',
  'shared_datasets',
  'api',
  '@acme/surveyors',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '6F9619FF-8B86-D011-B42D-00C04FC964FF',
];

/** Already percent-encoded pieces sent verbatim: bad escapes, encoded traversal, overlong and invalid UTF-8. */
export const RAW_URL_PIECES = [
  '%',
  '%zz',
  '%f',
  '%ff',
  '%ED%A0%80', // a lone surrogate as (invalid) UTF-8
  '%C0%AE%C0%AE', // overlong "."
  '%2e%2e',
  '%2e%2e%2f',
  '..%2f..%2fetc%2fpasswd',
  '%252e%252e%252f',
  '%00',
  'a%00b',
  '%5C..%5C',
  '%u002e',
  '..',
  '.',
  '..;',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%2F',
  '%3F',
  '%23',
  '+',
];

const someText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
);

/** A hostile string: nasty pieces glued together, sometimes huge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(someText, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '😀', "'", '\u0000'), fc.integer({ min: 200, max: 3000 })).map(([c, n]) => c.repeat(n)) },
);

/** A non-negative integer of any length, as text. */
const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 400 });

/** An integer beyond what a JS number holds: a bigint, written as an integer literal by `jsonText`. */
const hugeInteger = fc.oneof(fc.constantFrom(...HUGE_INTEGERS), digits).map((text) => BigInt(text));

/** A hostile JSON value: wrong types, extremes (integers past 64 bits), nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e300, -0) },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: hugeInteger },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(hostileString, tie('value'), { maxKeys: 3 }) },
  ),
})).value;

const BIGINT = 'BIGINT~';
/** JSON text of a hostile value; a bigint becomes the integer literal it is (JSON sets no size limit; JSON.stringify refuses bigints). */
export function jsonText(value: unknown): string | undefined {
  return JSON.stringify(value, (_, inner) => (typeof inner === 'bigint' ? `${BIGINT}${inner}${BIGINT}` : inner))?.replace(/"BIGINT~(-?\d+)BIGINT~"/g, '$1');
}

/** How deeply to nest a value: around MAX_NESTING, or far beyond it (thousands of levels overflowed the stack once). */
export const nestingDepth = fc.oneof(
  fc.constantFrom(MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, MAX_NESTING + 2),
  fc.integer({ min: MAX_NESTING + 1, max: 12_000 }),
);

/** JSON text of a value nested `depth` arrays or objects deep. */
export function deepJson(shape: 'arrays' | 'objects' | 'mixed', depth: number): string {
  const open = { arrays: ['['], objects: ['{"a":'], mixed: ['[', '{"a":'] }[shape];
  const close = { arrays: [']'], objects: ['}'], mixed: [']', '}'] }[shape];
  let text = '';
  for (let i = 0; i < depth; i++) text += open[i % open.length];
  text += shape === 'arrays' ? '' : '1';
  for (let i = depth - 1; i >= 0; i--) text += close[i % close.length];
  return text;
}

/** UTF-8 bytes percent-encoded, except the unreserved ones (a lone surrogate becomes U+FFFD on the way). */
export function encodePiece(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path segment or query value as it goes on the wire: encoded hostile text, or a raw piece. */
export const hostileUrlPiece: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileString.map(encodePiece) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW_URL_PIECES) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...RAW_URL_PIECES), hostileString.map(encodePiece)).map(([a, b]) => a + b) },
);

/** Names of query parameters worth abusing on top of those a route declares. */
export const EXTRA_QUERY_NAMES = [
  'limit',
  'offset',
  'q',
  'search',
  'ordering',
  'include_public',
  'include-public',
  'owner',
  'name',
  'version',
  'exclude_organizations',
  'format',
  '__proto__',
  'constructor[prototype][x]',
  'limit[]',
  'limit[a]',
  '',
];

/** A query string: declared and extra names, hostile values, repeated and conflicting names, odd syntax. */
export function hostileQuery(declared: string[]): fc.Arbitrary<string> {
  const names = [...new Set([...declared, ...EXTRA_QUERY_NAMES])];
  const pair = fc
    .tuple(fc.constantFrom(...names), fc.oneof(hostileUrlPiece, fc.constantFrom('1', '2', '0', '', '-1', 'true')))
    .map(([k, v]) => `${encodePiece(k)}=${v}`);
  const repeated = fc
    .tuple(fc.constantFrom(...names), fc.constantFrom(['1', '2'], ['true', 'false'], ['', 'x'], ['0', '99999999999999999999']))
    .map(([k, vs]) => vs.map((v) => `${encodePiece(k)}=${v}`).join('&'));
  const odd = fc.constantFrom(
    '&&',
    '=',
    '==',
    'limit',
    'limit=',
    '=1',
    'a=1=2',
    '%=%',
    ';limit=1',
    'limit=1;offset=2',
    '&limit=1&',
    `limit${'[a]'.repeat(2000)}=1`,
    `q${'[]'.repeat(500)}=1`,
  );
  // limit and offset of every size: small, empty, past 64 bits, hundreds of digits, signed and scientific.
  const pagingValue = fc.oneof(fc.constantFrom('0', '1', '2', '3', '', '1e3', '%2B1', '-0', ...HUGE_INTEGERS), digits);
  const paging = fc
    .tuple(fc.option(pagingValue), fc.option(pagingValue))
    .map(([limit, offset]) =>
      [limit === null ? null : `limit=${limit}`, offset === null ? null : `offset=${offset}`].filter((part) => part !== null).join('&'),
    );
  return fc
    .array(fc.oneof({ weight: 4, arbitrary: pair }, { weight: 2, arbitrary: repeated }, { weight: 2, arbitrary: paging }, { weight: 1, arbitrary: odd }), {
      minLength: 0,
      maxLength: 5,
    })
    .map((parts) => parts.join('&'));
}

export interface BodySpec {
  contentType?: string;
  contentEncoding?: string;
  body: Buffer;
  /** Sent without Content-Length (chunked). */
  chunked?: boolean;
  label: string;
}

const BOUNDARY = 'hostile-boundary-Xk2v';
/** A multipart body with these text fields and files. */
export function multipart(
  fields: Array<[string, string]>,
  files: Array<{ field: string; filename: string; content: Buffer; type?: string }> = [],
  boundary = BOUNDARY,
): BodySpec {
  const parts: Buffer[] = [];
  for (const [name, value] of fields)
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/["\r\n]/g, '_')}"\r\n\r\n${value}\r\n`));
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename.replace(/["\r\n]/g, '_')}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      file.content,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts), label: 'multipart' };
}

const formEncode = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `${encodePiece(k)}=${encodePiece(v)}`).join('&');
const asFieldText = (value: unknown) => (typeof value === 'string' ? value : (jsonText(value) ?? ''));

/** A JSON/form/multipart object body with the route's fields set to hostile values (and strangers), some nested far too deep. */
export function hostileObjectBody(fields: string[]): fc.Arbitrary<BodySpec> {
  const names = [...fields, '__proto__', 'constructor', 'id', 'is_staff', 'unknown_field'];
  const entries = fc.array(fc.tuple(fc.constantFrom(...names), hostileValue), { minLength: 0, maxLength: 6 });
  const kinds = [
    'json',
    'json-duplicate-keys',
    'form',
    'form-nested',
    'multipart',
    'multipart-duplicates',
    'json-deep',
    'form-deep',
    'multipart-deep',
  ] as const;
  const deep = fc.record({
    field: fc.constantFrom(...names),
    depth: nestingDepth,
    shape: fc.constantFrom('arrays', 'objects', 'mixed' as const),
    key: fc.constantFrom('[a]', '[0]', '[]'),
  });
  return fc.tuple(fc.constantFrom(...kinds), entries, deep).map(([kind, pairs, { field, depth, shape, key }]): BodySpec => {
    // A field name nested in brackets, e.g. name[a][a]…; "[]" appends, so it is only the last one.
    const deepName = `${field}${(key === '[]' ? '[a]' : key).repeat(Math.max(0, depth - 1))}${key}`;
    switch (kind) {
      case 'json':
        return { contentType: 'application/json', body: Buffer.from(jsonText(Object.fromEntries(pairs))!), label: 'json' };
      case 'json-duplicate-keys': {
        // JSON.stringify cannot repeat a key: write the object by hand, every field twice with conflicting values.
        const members = pairs.flatMap(([k, v]) => [`${JSON.stringify(k)}:${jsonText(v) ?? 'null'}`, `${JSON.stringify(k)}:${jsonText([v]) ?? 'null'}`]);
        return { contentType: 'application/json', body: Buffer.from(`{${members.join(',')}}`), label: 'json with duplicate keys' };
      }
      case 'json-deep': {
        const members = [...pairs.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v) ?? 'null'}`), `${JSON.stringify(field)}:${deepJson(shape, depth)}`];
        return { contentType: 'application/json', body: Buffer.from(`{${members.join(',')}}`), label: `json with "${field}" nested ${depth} ${shape} deep` };
      }
      case 'form-deep':
        return {
          contentType: 'application/x-www-form-urlencoded',
          body: Buffer.from(
            [...pairs.map(([k, v]) => `${encodePiece(k)}=${encodePiece(asFieldText(v))}`), `${encodePiece(field)}${deepName.slice(field.length)}=1`].join('&'),
          ),
          label: `form with "${field}" nested ${depth} deep`,
        };
      case 'multipart-deep':
        return {
          ...multipart([...pairs.map(([k, v]): [string, string] => [k, asFieldText(v)]), [deepName, '1']]),
          label: `multipart with "${field}" nested ${depth} deep`,
        };
      case 'form':
        return { contentType: 'application/x-www-form-urlencoded', body: Buffer.from(formEncode(pairs.map(([k, v]) => [k, asFieldText(v)]))), label: 'form' };
      case 'form-nested':
        return {
          contentType: 'application/x-www-form-urlencoded',
          body: Buffer.from(
            pairs.map(([k, v], i) => `${encodePiece(k)}${['[]', '[a]', '[0][b]', ''][i % 4]}=${encodePiece(asFieldText(v))}&${encodePiece(k)}=2`).join('&'),
          ),
          label: 'form with nested and repeated names',
        };
      case 'multipart':
        return { ...multipart(pairs.map(([k, v]) => [k, asFieldText(v)])), label: 'multipart' };
      default:
        return {
          ...multipart(
            pairs.flatMap(
              ([k, v]) =>
                [
                  [k, asFieldText(v)],
                  [k, 'second'],
                ] as Array<[string, string]>,
            ),
          ),
          label: 'multipart with repeated fields',
        };
    }
  });
}

/** Bodies that are not what they claim, or not what the route takes. */
export function malformedBody(fields: string[]): fc.Arbitrary<BodySpec> {
  const field = fields[0] ?? 'name';
  const json = (text: string | Buffer, label: string, contentType = 'application/json'): BodySpec => ({
    contentType,
    body: Buffer.isBuffer(text) ? text : Buffer.from(text),
    label,
  });
  return fc.constantFrom<BodySpec>(
    json('{"a":', 'truncated JSON'),
    json("{'a': 1}", 'single-quoted JSON'),
    json('{"a": 1} trailing', 'JSON with trailing text'),
    json('\ufeff{"a": 1}', 'JSON with a BOM'),
    json('{"a": NaN}', 'JSON with NaN'),
    json(`{"${field}": 1e999}`, 'JSON with an infinite number'),
    json('null', 'JSON null'),
    json('"text"', 'JSON string'),
    json('[1, 2]', 'JSON array'),
    json('42', 'JSON number'),
    json('true', 'JSON true'),
    json(' ', 'JSON of whitespace'),
    json('['.repeat(500) + ']'.repeat(500), 'deeply nested JSON array'),
    json(`{"${field}": ${'{"a":'.repeat(300)}1${'}'.repeat(300)}}`, 'deeply nested JSON object'),
    json('{"__proto__": {"is_staff": true}, "constructor": {"prototype": {"x": 1}}}', 'prototype pollution JSON'),
    json(`{"${field}": "\\u0000"}`, 'JSON with an escaped NUL'),
    json(`{"${field}": "\\ud800"}`, 'JSON with an escaped lone surrogate'),
    json(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'JSON with invalid UTF-8'),
    json(Buffer.from(`{"${field}": "x"}`, 'utf16le'), 'UTF-16 JSON declared as such', 'application/json; charset=utf-16'),
    json(`{"${field}": "x"}`, 'JSON with an unknown charset', 'application/json; charset=koi8-r'),
    json(`{"${field}": "x"}`, 'JSON with a bogus charset', 'application/json; charset=no-such-charset'),
    json(`{"${field}": "x"}`, 'JSON as text/plain', 'text/plain'),
    json(`<${field}>x</${field}>`, 'XML', 'application/xml'),
    json(`{"${field}": "x"}`, 'JSON as octet-stream', 'application/octet-stream'),
    json(`{"${field}": "x"}`, 'vendor JSON type', 'application/vnd.api+json'),
    json(`{"${field}": "x"}`, 'a content type list', 'application/json, text/plain'),
    json(`{"${field}": "x"}`, 'a garbage content type', ';;;='),
    json(`${field}=x`, 'form with a bogus charset', 'application/x-www-form-urlencoded; charset=bogus'),
    json(`${field}=%ZZ&%=%`, 'form with bad escapes', 'application/x-www-form-urlencoded'),
    json(`--x\r\nContent-Disposition: form-data; name="${field}"\r\n\r\nx\r\n--x--\r\n`, 'multipart without a boundary parameter', 'multipart/form-data'),
    json(`--other\r\nContent-Disposition: form-data; name="${field}"\r\n\r\nx\r\n`, 'multipart with the wrong boundary', 'multipart/form-data; boundary=x'),
    json(`--x\r\nContent-Disposition: form-data; name="${field}"\r\n\r\nx`, 'multipart without its end', 'multipart/form-data; boundary=x'),
    json('garbage', 'multipart that is garbage', 'multipart/form-data; boundary=x'),
    { ...multipart([[field, 'x']], [{ field, filename: 'f.txt', content: Buffer.from('file') }]), label: 'multipart with a file part' },
    { ...multipart([], [{ field: 'file', filename: '../../x.txt', content: Buffer.from('file') }]), label: 'multipart with a traversal file name' },
    { contentType: 'application/json', contentEncoding: 'gzip', body: Buffer.from('not gzip at all'), label: 'gzip that is not gzip' },
    { contentType: 'application/json', contentEncoding: 'br', body: Buffer.from('{}'), label: 'an unsupported content encoding' },
    { contentType: 'application/json', contentEncoding: 'x-bogus', body: Buffer.from('{}'), label: 'an unknown content encoding' },
    { body: Buffer.from(`{"${field}": "x"}`), label: 'a body without a content type' },
    { contentType: 'application/json', body: Buffer.from(`{"${field}": "x"}`), chunked: true, label: 'chunked JSON' },
  );
}

/** A body over `limit` bytes, in one of the accepted types, with or without Content-Length. */
export function oversizedBody(limit: number, fields: string[]): fc.Arbitrary<BodySpec> {
  const field = fields[0] ?? 'name';
  return fc
    .tuple(fc.constantFrom('json', 'form', 'multipart', 'multipart-many-fields'), fc.integer({ min: limit + 1, max: limit * 4 }), fc.boolean())
    .map(([kind, size, chunked]): BodySpec => {
      const filler = 'x'.repeat(size);
      switch (kind) {
        case 'json':
          return {
            contentType: 'application/json',
            body: Buffer.from(JSON.stringify({ [field]: filler })),
            chunked,
            label: `oversized JSON${chunked ? ', chunked' : ''}`,
          };
        case 'form':
          return {
            contentType: 'application/x-www-form-urlencoded',
            body: Buffer.from(`${field}=${filler}`),
            chunked,
            label: `oversized form${chunked ? ', chunked' : ''}`,
          };
        case 'multipart':
          return { ...multipart([[field, filler]]), chunked, label: `oversized multipart field${chunked ? ', chunked' : ''}` };
        default: {
          // Many fields, each under the limit, together over it.
          const each = Math.max(1, Math.floor(limit / 4));
          const count = Math.ceil(size / each) + 1;
          return {
            ...multipart(Array.from({ length: count }, (_, i) => [`${field}${i}`, 'y'.repeat(each)])),
            chunked,
            label: `multipart of ${count} fields over the limit together${chunked ? ', chunked' : ''}`,
          };
        }
      }
    });
}

/** Authorization headers a client should never get a 5xx for. */
export const HOSTILE_AUTHORIZATION = [
  'Token',
  'Token ',
  'Token  ',
  "Token ' OR 1=1--",
  'Token ../../etc/passwd',
  'Bearer',
  'Basic YWRtaW46YWRtaW4tcGFzc3dvcmQ=',
  'Digest username="admin"',
  'token x y z',
  `Token ${'a'.repeat(4000)}`,
  'Token \u00ff\u00fe',
  'TOKEN %00',
  '\u00e9',
  ',,,',
];
