import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiHeader,
  ApiProperty,
  ApiQuery,
  ApiResponse,
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import type { OperationObject, ParameterObject, ReferenceObject, RequestBodyObject, ResponseObject, SchemaObject } from '@nestjs/swagger';

/** Every error code of spec §2, with when it is sent: the descriptions of the error responses are built from these. */
export const ERROR_CODES = {
  validation_error: 'malformed UUID, bad field value, missing required field, bad query value, bad upload, malformed body',
  project_already_exists: 'the owner already has a project with that name',
  qgis_project_file_not_allowed: 'a QGIS project file in a shared_datasets project',
  multiple_qgis_project_files: 'a second .qgs/.qgz in a project that has one',
  invalid_qgis_project_file: 'a .qgs/.qgz upload that is not a QGIS project',
  no_qgis_project: 'a package job without force, a delta push or an apply on a project without a QGIS file',
  invalid_deltafile: 'a delta file that is not JSON, breaks the delta schema, or names another project',
  empty_content: 'a delta push without its file part',
  invalid_job: 'the latest package of a project that was never packaged successfully',
  no_deltas_to_apply: 'an apply request with no pending delta',
  not_authenticated: 'no credentials',
  authentication_failed: 'wrong username/e-mail or password; an organization, team or inactive person',
  token_authentication_failed: 'unknown, expired or revoked token; inactive user; malformed Authorization header',
  too_many_failed_login_attempts: 'login locked out after LOGIN_MAX_FAILURES failures (detail.retry_after_seconds)',
  over_quota: "the owner's storage quota would be exceeded",
  permission_denied: 'authenticated, but the role is insufficient (or the project is private and the caller has no role)',
  object_not_found: 'the project, account, member, team, collaborator or file does not exist',
  method_not_allowed: 'unsupported method on an existing route',
  payload_too_large: 'the request body is over its limit (MAX_BODY_BYTES; FILE_MAX_BYTES for project files; DELTAFILE_MAX_BYTES for delta files)',
  unsupported_media_type: 'a non-empty body of a content type the endpoint does not take',
  range_not_satisfiable: 'a download Range outside the file',
  too_many_requests: 'rate limit (RATE_LIMIT_PER_MINUTE, off by default; Retry-After header)',
  unknown_error: 'an unexpected failure, logged with the request id',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** The error envelope of spec §2, as the OpenAPI document describes it. */
export class ErrorResponse {
  @ApiProperty({ enum: Object.keys(ERROR_CODES), example: 'permission_denied', description: 'Stable machine-readable code' }) code: ErrorCode;
  @ApiProperty({ example: 'Permission denied', description: 'A short human sentence' }) message: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Empty unless the error has details; for validation errors each offending field with its list of messages',
  })
  detail: object;
}

/** The codes each error status carries unless an operation says otherwise. */
const DEFAULT_CODES: Record<number, ErrorCode[]> = {
  400: ['validation_error'],
  401: ['not_authenticated', 'token_authentication_failed'],
  402: ['over_quota'],
  403: ['permission_denied'],
  404: ['object_not_found'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
  416: ['range_not_satisfiable'],
  429: ['too_many_requests'],
  500: ['unknown_error'],
};

/** An error status, or a status with the exact codes it carries on this operation: `[400, 'validation_error', 'project_already_exists']`. */
export type ErrorCase = number | [number, ...ErrorCode[]];

function errorResponse(status: number, codes: ErrorCode[] = DEFAULT_CODES[status]): ResponseObject {
  const response: ResponseObject = {
    description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code]}`).join('; '),
    content: {
      'application/json': {
        // The envelope, with `code` narrowed to what this status can carry here.
        schema: { type: 'object', allOf: [{ $ref: getSchemaPath(ErrorResponse) }], properties: { code: { type: 'string', enum: codes } } },
      },
    },
  };
  if (status === 429) response.headers = { 'Retry-After': { description: 'Seconds until the window resets', schema: { type: 'integer' } } };
  return response;
}

/** Error responses of an operation beyond those every operation of its kind has (see completeDocument). */
export const ApiErrors = (...cases: ErrorCase[]) =>
  applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...cases.map((c) => {
      const [status, ...codes] = typeof c === 'number' ? [c] : c;
      return ApiResponse({ status, ...errorResponse(status, codes.length ? codes : undefined) });
    }),
  );

const schemaOf = (types: Type<unknown> | Type<unknown>[]): SchemaObject | ReferenceObject =>
  Array.isArray(types) ? { oneOf: types.map((type) => ({ $ref: getSchemaPath(type) })) } : { $ref: getSchemaPath(types) };

/** A JSON object answer; with several types, one of them. */
export const ApiOk = (types: Type<unknown> | Type<unknown>[], status = 200, description = status === 201 ? 'Created' : 'OK') =>
  applyDecorators(ApiExtraModels(...[types].flat()), ApiResponse({ status, description, content: { 'application/json': { schema: schemaOf(types) } } }));

/**
 * A stored file's download (spec §5.7, §8): ETag and Cache-Control, 304 on a matching If-None-Match; with
 * `ranges` (files whose size is known: project files), a single byte Range answered 206 (416 outside the file).
 */
export const ApiStoredFile = (description: string, content: Record<string, { schema: SchemaObject }>, { ranges }: { ranges: boolean }) => {
  const headers = {
    ETag: { description: 'Identifies the content (for project files: the S3-style ETag served as md5sum, in double quotes)', schema: { type: 'string' } },
    'Cache-Control': { description: '`private`', schema: { type: 'string' } },
    ...(ranges ? { 'Accept-Ranges': { description: '`bytes`', schema: { type: 'string' } } } : {}),
  };
  const rangeDecorators = [
    ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. `bytes=0-99`; anything else serves the whole file' }),
    ApiResponse({
      status: 206,
      description: 'The requested byte range',
      headers: { ...headers, 'Content-Range': { description: '`bytes start-end/size`', schema: { type: 'string' } } },
      content,
    }),
    ApiResponse({ status: 416, ...errorResponse(416) }),
  ];
  return applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag of the copy the client has, quoted or bare' }),
    ApiResponse({ status: 200, description, headers, content }),
    ApiResponse({ status: 304, description: 'Not modified: If-None-Match matched the ETag' }),
    ...(ranges ? rangeDecorators : []),
  );
};

/** An answer with no body. */
export const ApiNoContent = (description: string) => ApiResponse({ status: 204, description });

const PAGE_HEADERS = {
  'X-Total-Count': { description: 'Total number of items (paginated answers only)', schema: { type: 'integer', minimum: 0 } },
  'X-Next-Page': {
    description: 'Absolute URL of the next page, with every query parameter and limit and offset (only when there is one)',
    schema: { type: 'string', format: 'uri' },
  },
  'X-Previous-Page': {
    description: 'Absolute URL of the previous page (only when offset > 0; offset left out when it would be 0)',
    schema: { type: 'string', format: 'uri' },
  },
} as const;

/**
 * A list endpoint: a bare array, paginated by limit/offset with its headers (spec §7), which the HTTP
 * adapter sets from the Page the handler returns (answerPage).
 */
export const ApiList = (types: Type<unknown> | Type<unknown>[]) =>
  applyDecorators(
    ApiExtraModels(...[types].flat()),
    ApiResponse({
      status: 200,
      description: 'A bare array; paginated (with the X-* headers) when limit is a positive integer or MAX_PAGE_LIMIT is set',
      content: { 'application/json': { schema: { type: 'array', items: schemaOf(types) } } },
      headers: PAGE_HEADERS,
    }),
    ApiQuery({
      name: 'limit',
      required: false,
      schema: { type: 'integer', minimum: 0 },
      description: 'Page size, a non-negative integer of any size; absent, empty or 0: the whole list, not paginated (MAX_PAGE_LIMIT lowers it)',
    }),
    ApiQuery({
      name: 'offset',
      required: false,
      schema: { type: 'integer', minimum: 0 },
      description:
        'Items to skip, a non-negative integer of any size (default 0); past the end: []. Ignored without a positive limit, unless MAX_PAGE_LIMIT is set',
    }),
  );

/** Path parameters by name, so every route declares each of its parameters the same way. */
const PATH_PARAMETERS: Record<string, Omit<ParameterObject, 'name' | 'in'>> = {
  projectId: { description: 'The project id: a UUID (upper case accepted); anything else is 400', schema: { type: 'string', format: 'uuid' } },
  organization: { description: "The organization's name, case-insensitive", schema: { type: 'string' } },
  team: { description: 'The team\'s short name (without "@organization/"), case-insensitive', schema: { type: 'string' } },
  username: { description: 'An account name, case-insensitive', schema: { type: 'string' } },
  jobId: { description: 'The job id: a UUID (upper case accepted); anything else is 400', schema: { type: 'string', format: 'uuid' } },
  deltafileId: { description: "The delta file's `id`: a UUID (upper case accepted); anything else is 400", schema: { type: 'string', format: 'uuid' } },
  path: {
    description: 'Relative file path with "/" separators (URL-encoded); no empty, "." or ".." segment, at most 1024 characters',
    schema: { type: 'string' },
  },
};

const TAGS = [
  { name: 'auth', description: 'Token login and logout (spec §3)' },
  { name: 'users', description: 'Persons, and organizations through the common account routes (spec §4.1)' },
  { name: 'organizations', description: 'Organizations, their members and teams (spec §4.2)' },
  { name: 'projects', description: 'Projects and their thumbnails (spec §5)' },
  { name: 'collaborators', description: 'Who holds which role on a project (spec §6.3)' },
  { name: 'files', description: 'Project files and their versions (spec §8)' },
  { name: 'jobs', description: 'Background work on a project by the QGIS worker (spec §10)' },
  { name: 'deltas', description: 'Edits from the field, pushed by QField and applied to the project data (spec §11)' },
  { name: 'status', description: 'Health (spec §9)' },
];

/** Operations anyone may call (spec §3); `optional`: a usable token still identifies the caller. */
const ANONYMOUS: Record<string, 'none' | 'optional'> = {
  login: 'none',
  obtainToken: 'none',
  getStatus: 'none',
  logout: 'optional',
  logoutWithGet: 'optional',
};

const WRITES = new Set(['post', 'put', 'patch']);

/** The OpenAPI document: independent of the request and the configuration, so the committed copy can equal it. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Fieldbase API')
    .setDescription(
      'A QFieldCloud-compatible project server (API v1). Authenticate with "Authorization: Token <token>" from POST /api/v1/auth/login/. ' +
        'Every route answers with and without the trailing slash. Write endpoints take JSON, form and multipart bodies. ' +
        'Lists are bare JSON arrays, paginated by limit and offset with the X-Total-Count, X-Next-Page and X-Previous-Page headers. ' +
        'Every error is {code, message, detail}; an unsupported method on a route is 405 method_not_allowed, an unknown route 404 object_not_found.',
    )
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization', description: '"Token <token>" (keyword case-insensitive) or "Bearer <token>"' }, 'Token')
    .addSecurityRequirements('Token');
  for (const tag of TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build());
  completeDocument(document);
  return document;
}

/**
 * What holds for every operation of a kind, added once here instead of on each route: security,
 * path parameters, the three body encodings of spec §1, and the errors any such request can meet.
 */
function completeDocument(document: OpenAPIObject): void {
  for (const schema of Object.values(document.components?.schemas ?? {})) allowNullInNullableEnums(schema);
  for (const [route, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const anonymous = ANONYMOUS[operation.operationId!];
      if (anonymous === 'none') operation.security = [];
      if (anonymous === 'optional') operation.security = [{}, { Token: [] }];
      declarePathParameters(route, operation);
      const body = operation.requestBody as RequestBodyObject | undefined;
      const json = body?.content['application/json'];
      if (body && json) {
        body.content['application/x-www-form-urlencoded'] = json;
        body.content['multipart/form-data'] = json;
        // No body counts as an empty one (spec §1): a body is required only when one of its fields is.
        body.required = requiredFields(document, json.schema!).length > 0;
      }
      const errors: number[] = [429, 500];
      if (!anonymous) errors.push(401);
      if (WRITES.has(method)) errors.push(400, 413, 415);
      for (const status of errors) operation.responses[status] ??= errorResponse(status);
      operation.responses = sortedByStatus(operation.responses);
    }
  }
}

function declarePathParameters(route: string, operation: OperationObject): void {
  const declared = (operation.parameters ?? []) as ParameterObject[];
  const names = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const pathParameters = names.map((name): ParameterObject => {
    const own = declared.find((p) => p.in === 'path' && p.name === name);
    const standard = PATH_PARAMETERS[name];
    if (!standard && !own) throw new Error(`OpenAPI: no description of the path parameter {${name}} of ${route}`);
    return { name, in: 'path', required: true, ...standard, ...own, schema: standard?.schema ?? own?.schema };
  });
  operation.parameters = [...pathParameters, ...declared.filter((p) => p.in !== 'path')];
}

/** OpenAPI 3.0.3: `nullable` does not extend an `enum`, so a nullable enum lists null itself (validators such as ajv need it). */
function allowNullInNullableEnums(schema: SchemaObject | ReferenceObject): void {
  if ('$ref' in schema) return;
  // A new array: the enum may be the very constant the validation rules use.
  if (schema.nullable && schema.enum && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
  for (const property of Object.values(schema.properties ?? {})) allowNullInNullableEnums(property);
}

function requiredFields(document: OpenAPIObject, schema: SchemaObject | ReferenceObject): string[] {
  if ('$ref' in schema) return requiredFields(document, document.components!.schemas![schema.$ref.split('/').pop()!]);
  return [...(schema.required ?? []), ...(schema.allOf ?? []).flatMap((part) => requiredFields(document, part))];
}

function sortedByStatus<T>(responses: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}
