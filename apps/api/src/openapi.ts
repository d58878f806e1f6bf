import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AppConfig } from '#platform';
import { HealthProbes } from './health/health-probes.js';
import { versionInfo } from './health/version-info.js';

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('FinOps API')
    .setDescription(
      'Multi-tenant FinOps API. Org routes take the organization API key in `X-API-Key`; admin routes the root key in `X-CA-Root-Key`. Errors are RFC 9457 problem+json with a stable `code` and the `request_id`.',
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
  document.paths = { ...app.get(HealthProbes).openApiPaths(), ...document.paths };
  return document;
}

/** `/openapi.json` and the Swagger UI at `/docs`. */
export function setupOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
  return document;
}
