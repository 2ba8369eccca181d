import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';
import { ValidationFailed, type FieldErrors } from './errors.js';

/** DTO validation for bodies and query strings: unknown fields dropped, failures as `validation_error` per field. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: false,
    validateCustomDecorators: false,
    exceptionFactory: (errors) => new ValidationFailed(flatten(errors)),
  });
}

function flatten(errors: ValidationError[], prefix = ''): FieldErrors {
  const result: FieldErrors = {};
  for (const error of errors) {
    const field = prefix + error.property;
    if (error.constraints) result[field] = Object.values(error.constraints);
    if (error.children?.length) Object.assign(result, flatten(error.children, `${field}.`));
  }
  return result;
}

const TRUE = new Set(['true', 'True', '1']);
const FALSE = new Set(['false', 'False', '0']);

/** `true/false`, `True/False`, `1/0`, as strings or JSON (spec §1). Anything else stays as it is, so IsBoolean names the field. */
export function parseBoolean(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
  }
  return value;
}

/** Coerces a body or query field with `parseBoolean`; pair it with `@IsBoolean()`. */
export const ToBoolean = () => Transform(({ value }) => parseBoolean(value));

/** Form fields arrive as strings: this turns a whole-number string into a number and leaves anything else for the validator to refuse. */
export const ToInteger = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value));

/** Form bodies may send an empty value for "unset": that means null for nullable fields. */
export const EmptyAsNull = () => Transform(({ value }) => (value === '' ? null : value));

/**
 * Optional, but a JSON null is a value to validate (400 naming the field), not "leave unchanged":
 * @IsOptional() would let null through to a NOT NULL column.
 */
export const ValidateWhenPresent = () => ValidateIf((_: unknown, value: unknown) => value !== undefined);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** IDs are UUIDs, upper-case accepted (spec §1). */
export const isUuid = (value: string): boolean => UUID.test(value);
