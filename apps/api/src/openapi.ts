import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { stringify } from 'yaml';
import { AppConfig } from '#platform';
import { HealthProbes } from './health/health-probes.js';
import { versionInfo } from './health/version-info.js';
import { completeResponses } from './openapi/document-responses.js';
import { closeRequestBodies, markOptionalBodies } from './openapi/request-bodies.js';
import { operationKey, probeFacts, routeFacts } from './openapi/route-facts.js';
import { documentValidationLimits } from './openapi/validation-limits.js';

/**
 * The document of every route, its error answers and response headers derived from what the app
 * knows of each (see completeResponses). Built once the app is initialised: the rate limits a
 * route counts against are resolved by the throttler guard, which reads its options then.
 */
export async function buildOpenApiDocument(app: NestFastifyApplication): Promise<OpenAPIObject> {
  const config = new DocumentBuilder()
    .setTitle('FinOps API')
    .setDescription(
      'Multi-tenant FinOps API. Org routes take the organization API key in `X-API-Key`; admin routes the root key in `X-CA-Root-Key`. Errors are RFC 9457 problem+json (the `Problem` schema) with a stable `code` and the `request_id`; each operation lists the statuses and codes it can answer. Every response carries `X-Request-ID`.',
    )
    .setVersion(versionInfo(app.get(AppConfig).env).version)
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Organization API key' },
      'ApiKey',
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-CA-Root-Key', description: 'Root (admin) key' },
      'RootKey',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // The probes are Fastify routes, which Nest's generator does not see.
  const probes = app.get(HealthProbes);
  document.paths = { ...probes.openApiPaths(), ...document.paths };
  const facts = await routeFacts(app);
  for (const probe of probes.routes)
    facts.set(operationKey(probe.method, probe.url), probeFacts(probe.answersWhileClosing));
  completeResponses(document, (method, path) => facts.get(operationKey(method, path)));
  documentValidationLimits(app, document);
  markOptionalBodies(document);
  closeRequestBodies(document);
  return document;
}

/**
 * `/openapi.json`, `/openapi.yaml` and the Swagger UI at `/docs`, registered with the routes; the
 * document they serve is built by the function returned, once the app is initialised, and each of
 * its two texts written then, once: @nestjs/swagger's own routes serialized the whole document
 * (~450 KB) on every request, the YAML in ~80 ms of the event loop, for anyone (20 connections
 * asking for it held /health for 11 s).
 */
export function setupOpenApi(app: NestFastifyApplication): () => Promise<void> {
  let document: OpenAPIObject | undefined;
  let texts: { json: Buffer; yaml: Buffer } | undefined;
  const built = () => {
    if (!document || !texts) throw new Error('The OpenAPI document is built once the app is initialised');
    return { document, texts };
  };
  // The UI's script embeds the document (serialized once by @nestjs/swagger): it fetches no file.
  SwaggerModule.setup('docs', app, () => built().document, { raw: false });
  const adapter = app.getHttpAdapter();
  adapter.get('/openapi.json', (_request: unknown, reply: FastifyReply) =>
    reply.type('application/json; charset=utf-8').send(built().texts.json),
  );
  adapter.get('/openapi.yaml', (_request: unknown, reply: FastifyReply) =>
    reply.type('text/yaml').send(built().texts.yaml),
  );
  return async () => {
    const doc = await buildOpenApiDocument(app);
    texts = {
      json: Buffer.from(JSON.stringify(doc)),
      // No anchors and aliases for objects used twice, as @nestjs/swagger wrote it (noRefs).
      yaml: Buffer.from(stringify(doc, { aliasDuplicateObjects: false })),
    };
    document = doc;
  };
}
