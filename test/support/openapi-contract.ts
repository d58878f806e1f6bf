import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';

// ajv-formats is CommonJS: under NodeNext its default import is the module, whose default is the plugin.
const addFormats = addFormatsModule.default;

type Json = Record<string, unknown>;
const BASE = 'https://finops-api.test/openapi.json';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The document's schemas made strict for checking real bodies: every object with `properties`
 * takes no other member (a field the document lacks fails, Problem's extension members included),
 * and OpenAPI 3.0's `nullable` becomes JSON Schema's `null` type.
 */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!isObject(node)) return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, strict(v)]));
  if (isObject(out.properties) && !isObject(out.additionalProperties)) out.additionalProperties = false;
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** `#/components/...` as a reference into the components Ajv holds under BASE. */
function rebased(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebased);
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${BASE}${v}` : rebased(v),
    ]),
  );
}

interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }
  >;
}

/**
 * Headers whose presence a client acts on: each one a response carries must be documented on it,
 * and so must the rate-limit headers (X-RateLimit-*, Retry-After-<limit>).
 */
const ACTIONABLE_HEADERS = [
  'retry-after',
  'location',
  'www-authenticate',
  'content-disposition',
  'idempotency-key',
  'idempotent-replayed',
];

const baseType = (mediaType: string) => mediaType.split(';')[0]!.trim().toLowerCase();

/** Checks responses of the real app against what the OpenAPI document declares for them. */
export class OpenApiContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly doc: { paths: Record<string, Record<string, Operation>>; components: Json };
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: unknown) {
    this.doc = strict(document) as OpenApiContract['doc'];
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: BASE, components: this.doc.components });
  }

  /** The documented schema of `status` in `mediaType`, compiled; throws when none is documented. */
  validator(method: string, path: string, status: number, mediaType = 'application/json'): ValidateFunction {
    const key = `${method} ${path} ${status} ${mediaType}`;
    const known = this.compiled.get(key);
    if (known) return known;
    const schema =
      this.doc.paths[path]?.[method.toLowerCase()]?.responses[status]?.content?.[mediaType]?.schema;
    if (!schema) throw new Error(`${key}: no schema documented`);
    const validate = this.ajv.compile(rebased(schema) as Json);
    this.compiled.set(key, validate);
    return validate;
  }

  /** Why `body` does not match the schema (`[]` when it does), each error with where it is. */
  errors(method: string, path: string, status: number, body: unknown, mediaType?: string): string[] {
    const validate = this.validator(method, path, status, mediaType);
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  }

  /**
   * Everything that makes `res` differ from what the document says of its operation: an undocumented
   * status or media type, a JSON body off its schema, the headers every response carries missing, or
   * a header a client acts on (Retry-After, Location, ...) sent without being documented.
   */
  conformance(method: string, path: string, res: LightMyRequestResponse): string[] {
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    if (!op) return [`${method} ${path} is not documented`];
    const documented = op.responses[res.statusCode];
    if (!documented) return [`status ${res.statusCode} is not documented (${res.body.slice(0, 200)})`];
    const issues: string[] = [];
    const sent = baseType(String(res.headers['content-type'] ?? ''));
    const mediaType = Object.keys(documented.content ?? {}).find((m) => baseType(m) === sent);
    if (documented.content && !mediaType)
      issues.push(`media type ${sent} is not among ${Object.keys(documented.content).join(', ')}`);
    else if (mediaType && sent.endsWith('json'))
      issues.push(...this.errors(method, path, res.statusCode, res.json(), mediaType));
    const names = Object.keys(documented.headers ?? {}).map((h) => h.toLowerCase());
    for (const always of ['x-request-id', 'x-api-version']) {
      if (!names.includes(always)) issues.push(`${always} is not documented`);
      if (res.headers[always] === undefined) issues.push(`${always} is not sent`);
    }
    const limitHeaders = Object.keys(res.headers).filter((h) => /^(x-ratelimit-|retry-after-)/.test(h));
    for (const header of [...ACTIONABLE_HEADERS, ...limitHeaders])
      if (res.headers[header] !== undefined && !names.includes(header))
        issues.push(`${header} is sent but not documented`);
    return issues;
  }

  /** A response of the app against its operation: status, media type and body as documented. */
  check(method: string, path: string, res: LightMyRequestResponse): string[] {
    const mediaType = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    return this.errors(method, path, res.statusCode, res.json(), mediaType);
  }
}
