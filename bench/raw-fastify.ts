import Fastify from 'fastify';

/** The baseline: a bare Fastify hello-world, same version as the app's. */
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.PORT ?? 3002), host: '127.0.0.1' });
