/**
 * What every FHIR suite needs: a real server on a real socket and a supertest agent that speaks FHIR JSON
 * with a bearer token, so each test reads as the HTTP exchange it checks.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { startTestServer, TestServer } from '../support/server';

export const FHIR_JSON = 'application/fhir+json';

export interface Fhir {
  server: TestServer;
  get(path: string, token?: string): request.Test;
  post(path: string, body: unknown, token?: string): request.Test;
  put(path: string, body: unknown, token?: string): request.Test;
  patch(path: string, body: unknown, token?: string): request.Test;
  delete(path: string, token?: string): request.Test;
  /** POSTs and expects 201, returning the stored resource. */
  create<T extends Resource>(resource: T): Promise<T>;
  /** Follows search `next` links from a first page and returns every page. */
  pages(path: string): Promise<Bundle[]>;
}

/** Starts a server for the file (beforeAll) and stops it (afterAll); the returned object is filled in once started. */
export function useFhirServer(env: Record<string, string> = {}): Fhir {
  const fhir = {} as Fhir;
  beforeAll(async () => {
    const server = await startTestServer(env);
    const auth = (token?: string) => `Bearer ${token ?? server.adminToken}`;
    const agent = () => request(server.url);
    Object.assign(fhir, {
      server,
      get: (path: string, token?: string) => agent().get(`/fhir/${path}`).set('Authorization', auth(token)),
      post: (path: string, body: unknown, token?: string) =>
        agent().post(`/fhir/${path}`).set('Authorization', auth(token)).set('Content-Type', FHIR_JSON).send(body as object),
      put: (path: string, body: unknown, token?: string) =>
        agent().put(`/fhir/${path}`).set('Authorization', auth(token)).set('Content-Type', FHIR_JSON).send(body as object),
      patch: (path: string, body: unknown, token?: string) =>
        agent().patch(`/fhir/${path}`).set('Authorization', auth(token)).set('Content-Type', 'application/json-patch+json').send(body as object),
      delete: (path: string, token?: string) => agent().delete(`/fhir/${path}`).set('Authorization', auth(token)),
      async create<T extends Resource>(resource: T): Promise<T> {
        const res = await fhir.post(resource.resourceType, resource);
        if (res.status !== 201) throw new Error(`create ${resource.resourceType} failed: ${res.status} ${JSON.stringify(res.body)}`);
        return res.body as T;
      },
      async pages(path: string): Promise<Bundle[]> {
        const pages: Bundle[] = [];
        let next: string | undefined = path;
        while (next) {
          const res = await fhir.get(next);
          if (res.status !== 200) throw new Error(`GET ${next}: ${res.status} ${JSON.stringify(res.body)}`);
          pages.push(res.body);
          next = nextPath(res.body);
          if (pages.length > 200) throw new Error('paging does not end');
        }
        return pages;
      },
    });
  }, 120_000);
  afterAll(async () => fhir.server?.close());
  return fhir;
}

/** The `next` link of a Bundle as a path below /fhir/, or undefined on the last page. */
export function nextPath(bundle: Bundle): string | undefined {
  return linkPath(bundle, 'next');
}

export function linkPath(bundle: Bundle, relation: string): string | undefined {
  const url = bundle.link?.find((l) => l.relation === relation)?.url;
  return url ? url.replace(/^https?:\/\/[^/]+\/fhir\/?/, '') : undefined;
}

export function ids(bundle: Bundle, mode: 'match' | 'include' | undefined = 'match'): string[] {
  return (bundle.entry ?? []).filter((e) => mode === undefined || e.search?.mode === mode).map((e) => e.resource?.id as string);
}

/** A tag unique to one test, so searches only see what that test wrote. */
export function uniqueTag(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
