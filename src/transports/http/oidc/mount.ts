/**
 * Puts the provider under /oidc in Fastify. The provider parses its own request bodies, so this scope
 * leaves them unread.
 */
import type { FastifyInstance } from 'fastify';
import { oidcCallback, type OidcProvider } from '../../../auth/oidc/provider';

export function mountOidc(app: FastifyInstance, provider: OidcProvider): void {
  const callback = oidcCallback(provider);
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const handler = async (request: { raw: Parameters<typeof callback>[0] }, reply: { hijack(): void; raw: Parameters<typeof callback>[1] }) => {
      reply.hijack();
      callback(request.raw, reply.raw);
    };
    scope.all('/oidc', handler);
    scope.all('/oidc/*', handler);
  });
}
