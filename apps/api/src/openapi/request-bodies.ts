import type { OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { HTTP_METHODS } from './document-responses.js';

const JSON_MEDIA_TYPE = 'application/json';

const schemaOf = (document: OpenAPIObject, schema: SchemaObject | ReferenceObject | undefined) =>
  schema && '$ref' in schema
    ? (document.components?.schemas?.[schema.$ref.split('/').pop()!] as SchemaObject | undefined)
    : schema;

/**
 * A JSON body is required by the document only when its schema requires a field: the validation
 * pipe reads an absent body as `{}` (inputShapeError lets `undefined` through), so a route whose
 * DTO requires nothing takes a request without one. @nestjs/swagger marks every @Body() required,
 * which made generated clients demand a body for a rotation, a sync or a run-all that needs none.
 */
export function markOptionalBodies(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths))
    for (const method of HTTP_METHODS) {
      const body = item[method]?.requestBody;
      if (!body || '$ref' in body) continue;
      const json = body.content[JSON_MEDIA_TYPE];
      if (!json || Object.keys(body.content).length > 1) continue;
      const schema = schemaOf(document, json.schema);
      if (schema?.type === 'object' && !schema.required?.length) body.required = false;
    }
}

/**
 * A JSON body's own fields are the only ones the app takes: the validation pipe refuses any other
 * (forbidNonWhitelisted; the conformance e2e sends one to every body), so the document closes each
 * body's schema (`additionalProperties: false`) and generated clients do not offer fields the
 * server refuses. Only the body's top level: a nested object is closed where its DTO says so.
 */
export function closeRequestBodies(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths))
    for (const method of HTTP_METHODS) {
      const body = item[method]?.requestBody;
      if (!body || '$ref' in body) continue;
      const schema = schemaOf(document, body.content[JSON_MEDIA_TYPE]?.schema);
      if (schema?.type === 'object' && schema.additionalProperties === undefined)
        schema.additionalProperties = false;
    }
}
