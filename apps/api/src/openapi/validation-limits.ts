import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject, ParameterObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
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

/** What class-validator checks of one property: its string limits, and a list's size and items'. */
interface FieldLimits {
  string?: StringLimits;
  /** The string limits of each item of a list (`each`). */
  items?: StringLimits;
  minItems?: number;
  maxItems?: number;
}

/** The string limits a rule states (MaxLength, MinLength, Length, Matches), if any. */
function ruleStringLimits(
  name: string | undefined,
  constraints: unknown[] | undefined,
): StringLimits | undefined {
  const [a, b] = constraints ?? [];
  if (name === 'maxLength') return { maxLength: Number(a) };
  if (name === 'minLength') return { minLength: Number(a) };
  if (name === 'isLength')
    return { minLength: Number(a), ...(b === undefined ? {} : { maxLength: Number(b) }) };
  if (name === 'matches') {
    const pattern = patternOf(a, b);
    return pattern ? { pattern } : undefined;
  }
  return undefined;
}

/**
 * The lengths and pattern that class-validator checks on each property of `dto` (MaxLength,
 * MinLength, Length, Matches), those on the items of a list (`each`) apart, and the size of a list
 * (ArrayMinSize, ArrayMaxSize).
 */
export function fieldLimits(dto: DtoClass): Map<string, FieldLimits> {
  const limits = new Map<string, FieldLimits>();
  for (const m of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    const field = limits.get(m.propertyName) ?? {};
    const constraints = m.constraints as unknown[] | undefined;
    const limit = ruleStringLimits(m.name, constraints);
    if (limit && m.each) field.items = { ...field.items, ...limit };
    else if (limit) field.string = { ...field.string, ...limit };
    else if (m.name === 'arrayMinSize') field.minItems = Number(constraints?.[0]);
    else if (m.name === 'arrayMaxSize') field.maxItems = Number(constraints?.[0]);
    else continue;
    limits.set(m.propertyName, field);
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
function stateString(
  schema: SchemaObject | ReferenceObject | undefined,
  limits: StringLimits | undefined,
): void {
  if (!schema || '$ref' in schema || !limits || schema.type !== 'string') return;
  for (const [name, value] of Object.entries(limits) as [keyof StringLimits, never][])
    if (schema[name] === undefined) schema[name] = value;
}

/** Adds the limits a schema does not state yet: a string's, or a list's size and its items'. */
function state(schema: SchemaObject | ReferenceObject | undefined, limits: FieldLimits | undefined): void {
  if (!schema || '$ref' in schema || !limits) return;
  stateString(schema, limits.string);
  if (schema.type !== 'array') return;
  if (limits.minItems !== undefined) schema.minItems ??= limits.minItems;
  if (limits.maxItems !== undefined) schema.maxItems ??= limits.maxItems;
  stateString(schema.items, limits.items);
}

/**
 * The length and pattern limits the validation pipe applies to query, path and body fields, and the
 * size and item limits of lists, in the document: @nestjs/swagger reads only @ApiProperty, so a
 * field limited by class-validator alone (a 33-character status filter, a 256-character run id, an
 * empty list of API key scopes, run-all providers of any text and in any number) was documented as
 * taken, and a client generated from the document sent values the app refuses with a 422.
 */
export function documentValidationLimits(app: NestFastifyApplication, document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  for (const route of controllerRoutes(app.get(ModulesContainer))) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const method = HTTP_METHODS.find((m) => m === route.method.toLowerCase());
    const operation = method && document.paths[path]?.[method];
    if (!operation) continue;
    for (const { kind, dto } of routeDtos(route)) {
      const limits = fieldLimits(dto);
      if (kind === RouteParamtypes.BODY) {
        const body = schemas[dto.name] as SchemaObject | undefined;
        for (const [name, field] of Object.entries(body?.properties ?? {})) state(field, limits.get(name));
        continue;
      }
      const where = kind === RouteParamtypes.QUERY ? 'query' : 'path';
      for (const p of (operation.parameters ?? []) as ParameterObject[])
        if (p.in === where) state(p.schema, limits.get(p.name));
    }
  }
}
