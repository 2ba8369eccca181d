import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import helmet, { crossOriginOpenerPolicy, strictTransportSecurity } from 'helmet';

/**
 * Browser hardening headers on every answer (helmet): nosniff, no framing, no referrer, a
 * Content-Security-Policy that allows the Swagger UI at /api/v1/docs/ (its scripts and styles are
 * served from here; its inline <style> needs 'unsafe-inline' for styles only, which helmet's default
 * policy already has).
 *
 * Not sent: `upgrade-insecure-requests` (Fieldbase is often reached over plain HTTP on a private
 * network, where it would break the docs page), and Strict-Transport-Security on plain-HTTP requests:
 * HSTS means something only over TLS, so it is sent only when the request came over HTTPS as Express
 * sees it (TLS terminated by a proxy that TRUST_PROXY trusts and that sets X-Forwarded-Proto), without
 * includeSubDomains (the host may share its domain with services Fieldbase knows nothing about).
 */
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export function securityHeaders(): Middleware {
  const always = headersSetBy(
    helmet({
      contentSecurityPolicy: { directives: { 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': null } },
      xFrameOptions: { action: 'deny' },
      strictTransportSecurity: false,
      // Browsers ignore Cross-Origin-Opener-Policy from a plain-HTTP origin other than localhost and
      // report it as a console error on the docs page; like HSTS, it is sent over HTTPS only.
      crossOriginOpenerPolicy: false,
    }),
  );
  const overHttps = [
    ...headersSetBy(strictTransportSecurity({ maxAge: 365 * 24 * 60 * 60, includeSubDomains: false })),
    ...headersSetBy(crossOriginOpenerPolicy()),
  ];
  return (req, res, next) => {
    for (const [name, value] of always) res.setHeader(name, value);
    if ((req as Request).secure) for (const [name, value] of overHttps) res.setHeader(name, value);
    next();
  };
}

/**
 * The headers a helmet middleware sets, read once: with these options they never depend on the
 * request, and running helmet's dozen middlewares on every request cost more than the headers do.
 */
function headersSetBy(middleware: Middleware): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    removeHeader: () => undefined,
  };
  let called = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    if (error) throw error;
    called = true;
  });
  if (!called) throw new Error('a security-header middleware did not finish synchronously');
  return headers;
}
