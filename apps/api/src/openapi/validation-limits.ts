import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject, ParameterObject, SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { type ControllerRoute, controllerRoutes } from '#platform';
import { HTTP_METHODS } from './document-responses.js';

// A DTO class as class-validator keys its metadata: any constructor.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- class-validator's own parameter type
type DtoClass = Function;

interface StringLimits {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

/** A pattern JSON Schema reads as the app does: no flags but `u`, which ajv and ECMA-262 clients apply. */
function patternOf(pattern: unknown, modifiers: unknown): string | undefined {
  if (pattern instanceof RegExp) return /^u?$/.test(pattern.flags) ? pattern.source : undefined;
  return typeof pattern === 'string' && !modifiers ? pattern : undefined;
}

/**
 * The lengths and pattern that class-validator checks on each property of `dto` (MaxLength,
 * MinLength, Length, Matches), leaving out those on the items of a list (`each`), which a string
 * schema cannot state.
 */
export function stringLimits(dto: DtoClass): Map<string, StringLimits> {
  const limits = new Map<string, StringLimits>();
  for (const m of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    if (m.each) continue;
    const [a, b] = (m.constraints ?? []) as unknown[];
    let limit: StringLimits | undefined;
    if (m.name === 'maxLength') limit = { maxLength: Number(a) };
    else if (m.name === 'minLength') limit = { minLength: Number(a) };
    else if (m.name === 'isLength')
      limit = { minLength: Number(a), ...(b === undefined ? {} : { maxLength: Number(b) }) };
    else if (m.name === 'matches') {
      const pattern = patternOf(a, b);
      if (pattern) limit = { pattern };
    }
    if (limit) limits.set(m.propertyName, { ...limits.get(m.propertyName), ...limit });
  }
  return limits;
}

/** The whole-object @Query(), @Param() and @Body() DTO classes of a route's handler. */
function routeDtos(route: ControllerRoute): { kind: RouteParamtypes; dto: DtoClass }[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controller, route.name) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', route.controller.prototype, route.name) ??
    []) as unknown[];
  return Object.entries(args).flatMap(([key, arg]) => {
    const kind = Number(key.split(':')[0]) as RouteParamtypes;
    const dto = types[arg.index];
    const whole = arg.data === undefined && typeof dto === 'function' && dto !== Object && dto !== String;
    return whole && [RouteParamtypes.QUERY, RouteParamtypes.PARAM, RouteParamtypes.BODY].includes(kind)
      ? [{ kind, dto: dto as DtoClass }]
      : [];
  });
}

/** Adds the limits a string schema does not state yet (a documented one is kept). */
function state(schema: SchemaObject | undefined, limits: StringLimits | undefined): void {
  if (!schema || !limits || schema.type !== 'string') return;
  for (const [name, value] of Object.entries(limits) as [keyof StringLimits, never][])
    if (schema[name] === undefined) schema[name] = value;
}

/**
 * The length and pattern limits the validation pipe applies to query, path and body fields, in the
 * document: @nestjs/swagger reads only @ApiProperty, so a field limited by class-validator alone
 * (a 33-character status filter, a 256-character run id) was documented as any string, and a
 * client generated from the document sent values the app refuses with a 422.
 */
export function documentValidationLimits(app: NestFastifyApplication, document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  for (const route of controllerRoutes(app.get(ModulesContainer))) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const method = HTTP_METHODS.find((m) => m === route.method.toLowerCase());
    const operation = method && document.paths[path]?.[method];
    if (!operation) continue;
    for (const { kind, dto } of routeDtos(route)) {
      const limits = stringLimits(dto);
      if (kind === RouteParamtypes.BODY) {
        const body = schemas[dto.name] as SchemaObject | undefined;
        for (const [name, field] of Object.entries(body?.properties ?? {}))
          if (!('$ref' in field)) state(field, limits.get(name));
        continue;
      }
      const where = kind === RouteParamtypes.QUERY ? 'query' : 'path';
      for (const p of (operation.parameters ?? []) as ParameterObject[])
        if (p.in === where && p.schema && !('$ref' in p.schema)) state(p.schema, limits.get(p.name));
    }
  }
}
