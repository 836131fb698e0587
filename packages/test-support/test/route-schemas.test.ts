import Fastify from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { routeSchemaProblems } from '../src/index';

/** An app as the services build theirs: Ajv leaves the meta-schema check out, routes come in a plugin. */
function appWith(querystring: object) {
  const app = Fastify({ ajv: { customOptions: { validateSchema: false } } });
  onTestFinished(() => app.close());
  app.register(async (routes) => {
    routes.get('/hello', { schema: { querystring } }, async () => ({ hello: 'world' }));
    routes.post(
      '/items',
      { schema: { body: { type: 'object' }, response: { 201: { type: 'object', minProperties: 1 } } } },
      async () => ({ id: 'a' }),
    );
  });
  return app;
}

describe('routeSchemaProblems', () => {
  it('finds nothing wrong with valid schemas, request parts and responses alike', async () => {
    const app = appWith({ type: 'object', properties: { name: { type: 'string', maxLength: 50 } } });
    expect(await routeSchemaProblems(app)).toEqual([]);
  });

  it('names the route and part of a schema the meta-schema refuses, which Ajv compiled without a word', async () => {
    const app = appWith({ type: 'object', properties: { name: { type: 'string', maxLength: -1 } } });
    expect(await routeSchemaProblems(app)).toEqual([
      expect.stringMatching(/^GET \/hello querystring: schema\/properties\/name\/maxLength must be >= 0$/),
    ]);
  });

  it('refuses to pass an app whose routes it never saw', async () => {
    const app = Fastify();
    onTestFinished(() => app.close());
    app.get('/too-early', async () => 'added before the call');
    await app.ready();
    await expect(routeSchemaProblems(app)).rejects.toThrow('no route was added');
  });
});
