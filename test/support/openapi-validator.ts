import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** What the validator needs of an HTTP answer. */
export interface ObservedResponse {
  method: string;
  /** The path template of the operation, as in the document (`/api/v1/projects/{projectId}`). */
  route: string;
  status: number;
  headers: Headers;
  body: string;
}

const PAGINATION_HEADERS = ['X-Total-Count', 'X-Next-Page', 'X-Previous-Page'];

/**
 * Checks answers against an OpenAPI 3.0 document: the status must be declared for the operation, the
 * content type must be one it declares (or no body where it declares none), the JSON body must match
 * the schema, declared headers their schemas, and pagination headers may appear only where declared.
 * Answers the list of problems (empty: the answer is what the document says).
 */
export class OpenApiResponseValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: Json) {
    // Strict: a keyword ajv does not know is a mistake in the document, except this OpenAPI annotation.
    this.ajv = new Ajv({ strict: true, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addVocabulary(['example']);
    // The component schemas as one JSON Schema whose definitions the response schemas point into.
    this.ajv.addSchema({ $id: 'components.json', definitions: retarget(document.components?.schemas ?? {}, '#/definitions/') });
  }

  validate(observed: ObservedResponse): string[] {
    const where = `${observed.method.toUpperCase()} ${observed.route} → ${observed.status}`;
    const operation = this.document.paths?.[observed.route]?.[observed.method.toLowerCase()];
    if (!operation) return [`${where}: no such operation in the document`];
    const response = operation.responses?.[String(observed.status)];
    if (!response) return [`${where}: status not declared (declared: ${Object.keys(operation.responses).join(', ')})`];

    const problems: string[] = [];
    const declaredHeaders: Record<string, Json> = response.headers ?? {};
    for (const name of PAGINATION_HEADERS) {
      if (observed.headers.has(name) && !(name in declaredHeaders)) problems.push(`${where}: header ${name} sent but not declared`);
    }
    for (const [name, header] of Object.entries(declaredHeaders)) {
      const value = observed.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: required header ${name} missing`);
        continue;
      }
      const typed = header.schema?.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      problems.push(...this.check(`${where} header ${name}`, `${observed.route} ${observed.method} ${observed.status} ${name}`, header.schema, typed));
    }

    const type = (observed.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const content: Record<string, Json> | undefined = response.content;
    if (!content) {
      if (observed.body.length > 0) problems.push(`${where}: a body (${type}) where the document declares none`);
      return problems;
    }
    if (!(type in content)) return [...problems, `${where}: content type "${type}" not declared (declared: ${Object.keys(content).join(', ')})`];
    if (type !== 'application/json') return problems;
    let body: unknown;
    try {
      body = JSON.parse(observed.body);
    } catch {
      return [...problems, `${where}: not JSON: ${observed.body.slice(0, 200)}`];
    }
    return [...problems, ...this.check(where, `${observed.route} ${observed.method} ${observed.status} ${type}`, content[type].schema, body)];
  }

  private check(where: string, key: string, schema: Json, value: unknown): string[] {
    if (!schema) return [];
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(retarget(schema, 'components.json#/definitions/'));
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${where}: ${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

/** A copy of `schema` with every `#/components/schemas/X` reference pointing to `prefix + X`. */
function retarget(schema: Json, prefix: string): Json {
  if (Array.isArray(schema)) return schema.map((item) => retarget(item, prefix));
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' ? [key, value.replace('#/components/schemas/', prefix)] : [key, retarget(value, prefix)],
    ),
  );
}
