import { clientTypeOf, isSingleTokenClient, type ClientType } from './client-type.js';

describe('client type from the User-Agent (spec §3)', () => {
  const cases: [string | undefined, ClientType][] = [
    ['qfield|4.0.0|android', 'qfield'],
    ['sdk|py|0.30.0', 'sdk'],
    ['cli|py|0.30.0', 'cli'],
    ['Mozilla/5.0 QGIS/34000/Linux', 'qfieldsync'],
    ['Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0', 'browser'],
    ['curl/8.5.0', 'unknown'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ];
  it.each(cases)('%j is %s', (userAgent, type) => {
    expect(clientTypeOf(userAgent)).toBe(type);
  });

  it('matches the prefixes only at the start', () => {
    expect(clientTypeOf('my qfield|app')).toBe('unknown');
    expect(clientTypeOf('x sdk|py')).toBe('unknown');
  });

  it('the first rule wins: a qfield| agent naming QGIS and Mozilla is still QField', () => {
    expect(clientTypeOf('qfield|4.0 QGIS/3.40 Mozilla/5.0')).toBe('qfield');
  });

  it('QField, QFieldSync and unknown clients keep one token per user; the others keep many', () => {
    const single = (['qfield', 'sdk', 'cli', 'qfieldsync', 'browser', 'unknown'] as ClientType[]).filter(isSingleTokenClient);
    expect(single).toEqual(['qfield', 'qfieldsync', 'unknown']);
  });
});
