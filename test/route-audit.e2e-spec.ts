import { RequestMethod } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { IS_PUBLIC } from '#platform';
import { startTestApp, type TestApp } from '#test/test-app';

/** Every route the app serves must be guarded or deliberately public; a new unguarded route fails here. */
describe('route audit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('finds a guard or @Public() on every registered route', () => {
    const scanner = new MetadataScanner();
    const routes: { route: string; guarded: boolean }[] = [];
    const controllers = [...t.app.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.values()]);
    for (const wrapper of controllers) {
      const ctor = wrapper.metatype as (new (...a: unknown[]) => object) | undefined;
      if (!ctor || !wrapper.instance) continue;
      const classGuards = Reflect.getMetadata(GUARDS_METADATA, ctor) ?? [];
      const classPublic = Reflect.getMetadata(IS_PUBLIC, ctor) === true;
      const prefix = String(Reflect.getMetadata(PATH_METADATA, ctor) ?? '');
      const proto = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(proto)) {
        const handler = proto[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler);
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const guards = Reflect.getMetadata(GUARDS_METADATA, handler) ?? [];
        const isPublic = classPublic || Reflect.getMetadata(IS_PUBLIC, handler) === true;
        routes.push({
          route: `${method} /${prefix}/${String(path)}`,
          guarded: isPublic || guards.length + classGuards.length > 0,
        });
      }
    }
    expect(routes.length).toBeGreaterThan(5);
    expect(routes.filter((r) => !r.guarded).map((r) => r.route)).toEqual([]);
  });
});
