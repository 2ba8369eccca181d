/** Which client logged in, from its User-Agent (spec §3); the first matching rule wins. */
export type ClientType = 'qfield' | 'sdk' | 'cli' | 'qfieldsync' | 'browser' | 'unknown';

export function clientTypeOf(userAgent: string | undefined): ClientType {
  const ua = userAgent ?? '';
  if (ua.startsWith('qfield|')) return 'qfield';
  if (ua.startsWith('sdk|')) return 'sdk';
  if (ua.startsWith('cli|')) return 'cli';
  if (ua.includes('QGIS/')) return 'qfieldsync';
  if (ua.includes('Mozilla/')) return 'browser';
  return 'unknown';
}

/** These clients keep one live token per user: a new login expires the older ones of the same client type. */
export function isSingleTokenClient(type: ClientType): boolean {
  return type === 'qfield' || type === 'qfieldsync' || type === 'unknown';
}
