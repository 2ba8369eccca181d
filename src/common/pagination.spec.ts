import type { Request } from 'express';
import { limitOffsetSql, pageUrl, parsePageRequest } from './pagination.js';
import { ValidationFailed } from './errors.js';

describe('page requests (spec §7)', () => {
  it('without limit or offset: the whole list', () => {
    expect(parsePageRequest({}, null)).toEqual({ limit: null, offset: 0 });
  });

  it('reads non-negative integers', () => {
    expect(parsePageRequest({ limit: '10', offset: '20' }, null)).toMatchObject({ limit: 10, offset: 20 });
  });

  it('a limit of 0 or empty means everything', () => {
    expect(parsePageRequest({ limit: '0' }, null)).toEqual({ limit: null, offset: 0 });
    expect(parsePageRequest({ limit: '', offset: '' }, null)).toEqual({ limit: null, offset: 0 });
  });

  it('a repeated parameter: the last one counts', () => {
    expect(parsePageRequest({ limit: ['5', '7'] }, null)).toMatchObject({ limit: 7, offset: 0 });
  });

  it.each([['-1'], ['1.5'], ['abc'], [' 1'], ['1e3'], ['+1'], ['0x10']])('refuses limit %j with a 400 on the field', (value) => {
    expect(() => parsePageRequest({ limit: value }, null)).toThrow(ValidationFailed);
    try {
      parsePageRequest({ limit: value }, null);
    } catch (error) {
      expect((error as ValidationFailed).detail).toEqual({ limit: [expect.any(String)] });
    }
  });

  it('refuses a bad offset on its own field', () => {
    expect(() => parsePageRequest({ offset: '-3' }, null)).toThrow(ValidationFailed);
  });

  it('MAX_PAGE_LIMIT caps a larger limit, keeps a smaller one and pages a request without limit', () => {
    expect(parsePageRequest({ limit: '500' }, 100)).toMatchObject({ limit: 100, offset: 0 });
    expect(parsePageRequest({ limit: '5' }, 100)).toMatchObject({ limit: 5, offset: 0 });
    expect(parsePageRequest({}, 100)).toMatchObject({ limit: 100, offset: 0 });
  });

  it('ignores an offset without a limit', () => {
    expect(parsePageRequest({ offset: '5' }, null)).toEqual({ limit: null, offset: 0 });
  });

  it('takes integers beyond 64 bits: the exact values for links, bounded ones for SQL', () => {
    const huge = '99999999999999999999999';
    const page = parsePageRequest({ limit: huge, offset: huge }, null);
    expect(page.exact).toEqual({ limit: BigInt(huge), offset: BigInt(huge) });
    expect(Number.isSafeInteger(page.limit) && Number.isSafeInteger(page.offset)).toBe(true);
    expect(page.limit).toBe(page.offset);
  });

  it('appends limit and offset as parameters after the existing ones', () => {
    const params: unknown[] = ['x'];
    expect(limitOffsetSql({ limit: 10, offset: 30 }, params)).toBe('LIMIT $2 OFFSET $3');
    expect(params).toEqual(['x', 10, 30]);
  });
});

describe('page links (spec §7)', () => {
  const url = (originalUrl: string, limit: number, offset: number | null) =>
    pageUrl({ originalUrl } as Request, BigInt(limit), offset === null ? null : BigInt(offset));

  it('keeps the path and the other parameters, replacing limit and offset', () => {
    expect(url('/api/v1/projects/?search=lake&limit=10&offset=10', 10, 20)).toBe('/api/v1/projects/?search=lake&limit=10&offset=20');
  });

  it('leaves the offset out for the first page', () => {
    expect(url('/api/v1/projects/?offset=10&limit=10', 10, null)).toBe('/api/v1/projects/?limit=10');
  });

  it('drops repeated limit and offset parameters', () => {
    expect(url('/api/v1/users/?limit=1&limit=2&offset=4&offset=5', 2, 7)).toBe('/api/v1/users/?limit=2&offset=7');
  });
});
