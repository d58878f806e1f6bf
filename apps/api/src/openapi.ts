import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AppConfig } from '#platform';
import { HealthProbes } from './health/health-probes.js';
import { versionInfo } from './health/version-info.js';
import { completeResponses } from './openapi/document-responses.js';
import { operationKey, probeFacts, routeFacts } from './openapi/route-facts.js';

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
  return document;
}

/**
 * `/openapi.json`, `/openapi.yaml` and the Swagger UI at `/docs`, registered with the routes; the
 * document they serve is built by the function returned, once the app is initialised.
 */
export function setupOpenApi(app: NestFastifyApplication): () => Promise<void> {
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup(
    'docs',
    app,
    () => {
      if (!document) throw new Error('The OpenAPI document is built once the app is initialised');
      return document;
    },
    { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' },
  );
  return async () => {
    document = await buildOpenApiDocument(app);
  };
}
