import type { Request } from 'express';

/**
 * The absolute URL of a path on this server as the client sees it (spec §7): from PUBLIC_URL when set,
 * else from the request, where Express's trust-proxy setting decides whether X-Forwarded-Proto/-Host
 * count; X-Forwarded-Prefix is honoured under the same trust.
 */
export function absoluteUrl(req: Request, publicUrl: string | null, pathAndQuery: string): string {
  if (publicUrl) return publicUrl + pathAndQuery;
  const trusted = (req.app.get('trust proxy fn') as (address: string | undefined, hop: number) => boolean)(req.socket.remoteAddress, 0);
  const prefix = trusted ? forwardedPrefix(req.get('x-forwarded-prefix')) : '';
  return `${req.protocol}://${req.host}${prefix}${pathAndQuery}`;
}

function forwardedPrefix(header: string | undefined): string {
  const first = header?.split(',')[0].trim() ?? '';
  if (!first || !/^\/[A-Za-z0-9._~!$&'()*+;=:@%/-]*$/.test(first)) return '';
  return first.replace(/\/+$/, '');
}
