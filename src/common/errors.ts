/**
 * Errors are data: each carries its HTTP status and stable API code (spec §2). Handlers throw them; the
 * one filter (error.filter.ts) turns them into `{code, message, detail}`.
 */
export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: object,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export class ValidationFailed extends ApiError {
  constructor(detail: FieldErrors, message = 'Invalid input') {
    super(400, 'validation_error', message, detail);
  }

  /** One field, one message: the common case. */
  static field(field: string, message: string): ValidationFailed {
    return new ValidationFailed({ [field]: [message] });
  }
}

export class NotAuthenticated extends ApiError {
  constructor() {
    super(401, 'not_authenticated', 'Authentication credentials were not provided', undefined, { 'WWW-Authenticate': 'Token' });
  }
}

export class AuthenticationFailed extends ApiError {
  constructor(message = 'Unable to log in with provided credentials') {
    super(401, 'authentication_failed', message);
  }
}

export class TokenAuthenticationFailed extends ApiError {
  constructor(message = 'Invalid token') {
    super(401, 'token_authentication_failed', message, undefined, { 'WWW-Authenticate': 'Token' });
  }
}

export class TooManyFailedLoginAttempts extends ApiError {
  constructor(retryAfterSeconds: number) {
    super(401, 'too_many_failed_login_attempts', 'Too many failed login attempts; try again later', { retry_after_seconds: retryAfterSeconds });
  }
}

export class PermissionDenied extends ApiError {
  constructor(message = 'Permission denied') {
    super(403, 'permission_denied', message);
  }
}

export class ObjectNotFound extends ApiError {
  constructor(message = 'Not found') {
    super(404, 'object_not_found', message);
  }
}

export class MethodNotAllowed extends ApiError {
  constructor(method: string, allowed: string[]) {
    super(405, 'method_not_allowed', `Method ${method} is not allowed here`, { allowed }, { Allow: allowed.join(', ') });
  }
}

export class PayloadTooLarge extends ApiError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `The request body is larger than the limit of ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
}

export class UnsupportedMediaType extends ApiError {
  constructor(contentType: string, accepted: string[]) {
    super(415, 'unsupported_media_type', `Content type "${contentType}" is not supported here`, { accepted });
  }
}

export class TooManyRequests extends ApiError {
  constructor(retryAfterSeconds: number) {
    super(429, 'too_many_requests', 'Too many requests; slow down', { retry_after_seconds: retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export class UnknownError extends ApiError {
  constructor() {
    super(500, 'unknown_error', 'An unexpected error occurred');
  }
}

export class ProjectAlreadyExists extends ApiError {
  constructor(owner: string, name: string) {
    super(400, 'project_already_exists', `${owner} already has a project named "${name}"`, { name: [`${owner} already has a project named "${name}"`] });
  }
}

export class QgisProjectFileNotAllowed extends ApiError {
  constructor(message = 'A shared_datasets project cannot have a QGIS project file') {
    super(400, 'qgis_project_file_not_allowed', message);
  }
}

export class OverQuota extends ApiError {
  constructor(owner: string, neededBytes: number, quotaBytes: number) {
    super(402, 'over_quota', `This would exceed the storage quota of ${owner}`, { needed_bytes: neededBytes, quota_bytes: quotaBytes });
  }
}

export class MultipleQgisProjectFiles extends ApiError {
  constructor(existing: string) {
    super(400, 'multiple_qgis_project_files', `The project already has the QGIS file "${existing}"`);
  }
}

export class InvalidQgisProjectFile extends ApiError {
  constructor(reason: string) {
    super(400, 'invalid_qgis_project_file', `Not a QGIS project file: ${reason}`);
  }
}

export class NoQgisProject extends ApiError {
  constructor() {
    super(400, 'no_qgis_project', 'The project has no QGIS project file');
  }
}

export class InvalidDeltafile extends ApiError {
  constructor(reason: string, detail?: object) {
    super(400, 'invalid_deltafile', `Invalid delta file: ${reason}`, detail);
  }
}

export class EmptyContent extends ApiError {
  constructor() {
    super(400, 'empty_content', 'The request has no "file" part');
  }
}

export class InvalidJob extends ApiError {
  constructor(message = 'The project was never packaged successfully') {
    super(400, 'invalid_job', message);
  }
}

export class NoDeltasToApply extends ApiError {
  constructor() {
    super(400, 'no_deltas_to_apply', 'The project has no pending delta to apply');
  }
}
