import { ApiError } from '../common/errors.js';
import { parseRange } from './send-stored-file.js';

describe('byte ranges of a file download (RFC 9110 §14, spec §8)', () => {
  it('no header: the whole file', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('', 100)).toBeUndefined();
  });

  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=10-', { start: 10, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=95-200', { start: 95, end: 99 }],
    [' bytes=0-0 ', { start: 0, end: 0 }],
  ])('%j of 100 bytes is %j', (header, range) => {
    expect(parseRange(header, 100)).toEqual(range);
  });

  it.each([['bytes=0-1,5-6'], ['items=0-9'], ['bytes=-'], ['bytes=a-b']])('%j (several ranges or another form) serves the whole file', (header) => {
    expect(parseRange(header, 100)).toBeUndefined();
  });

  it.each([['bytes=100-'], ['bytes=150-160'], ['bytes=9-3'], ['bytes=-0']])('%j of 100 bytes is 416 with the size', (header) => {
    let error: unknown;
    try {
      parseRange(header, 100);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 416, code: 'range_not_satisfiable', headers: { 'Content-Range': 'bytes */100' } });
  });

  it('any range of an empty file is not satisfiable', () => {
    expect(() => parseRange('bytes=0-', 0)).toThrow(ApiError);
  });
});
