import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiQuery, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** The error envelope of spec §2, as the OpenAPI document describes it. */
export class ErrorResponse {
  @ApiProperty({ example: 'permission_denied', description: 'Stable machine-readable code' }) code: string;
  @ApiProperty({ example: 'Permission denied' }) message: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'For validation errors: each field with its messages' }) detail: object;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'validation_error (or another 400 code of the contract)',
  401: 'not_authenticated, token_authentication_failed',
  402: 'over_quota',
  403: 'permission_denied',
  404: 'object_not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...statuses.map((status) => ApiResponse({ status, description: ERROR_DESCRIPTIONS[status], type: ErrorResponse })),
  );

export const ApiOk = (type: Type<unknown>, status = 200) => ApiResponse({ status, type });

const PAGE_HEADERS = {
  'X-Total-Count': { description: 'Total number of items (paginated answers only)', schema: { type: 'integer' } },
  'X-Next-Page': { description: 'Absolute URL of the next page, with limit and offset', schema: { type: 'string', format: 'uri' } },
  'X-Previous-Page': { description: 'Absolute URL of the previous page', schema: { type: 'string', format: 'uri' } },
} as const;

/** A list endpoint: a bare array, paginated by limit/offset with its headers (spec §7). */
export const ApiList = (type: Type<unknown>) =>
  applyDecorators(
    ApiExtraModels(type),
    ApiResponse({ status: 200, schema: { type: 'array', items: { $ref: getSchemaPath(type) } }, headers: PAGE_HEADERS }),
    ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 0 }, description: 'Page size; absent, empty or 0: the whole list' }),
    ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0 }, description: 'Items to skip (default 0)' }),
  );
