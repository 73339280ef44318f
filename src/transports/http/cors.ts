/**
 * Cross-origin calls from browsers (CORS) for the origins configured in TONET_CORS_ORIGINS, such as the
 * console served from another host or a SMART app's page; none by default. Tokens are sent as bearer
 * headers, never cookies, so credentials mode stays off.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What a browser script may read of an answer beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['Location', 'Content-Location', 'ETag', 'Last-Modified', 'X-Request-Id', 'X-Ack-Code', 'X-Inbox-Id', 'WWW-Authenticate'];

export async function registerCors(app: FastifyInstance, origins: string[]): Promise<void> {
  if (!origins.length) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
  });
}
