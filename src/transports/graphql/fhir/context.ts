/**
 * What every FHIR GraphQL resolver receives: the caller, the repository (so consent applies exactly as in
 * REST), and per-request loaders that batch reference reads into one statement per tick.
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { RequestContext } from '../../../core/context';
import { assertScopesAllow } from '../../../consent/scopes';
import { FhirError } from '../../../core/errors';
import type { Repository } from '../../../fhir/repository';
import type { SearchPage } from '../../../store/search/execute';

export interface FhirLoaders {
  /** "Type/id" → the resource, or the error a read would raise (not found, hidden, type not readable). */
  references: DataLoader<string, Resource>;
  /** Records which resource an object came from, so `#id` references find the container's contained resources. */
  remember(resource: Resource): Resource;
  containerOf(value: object): Resource | undefined;
  /** The server's FHIR base, so absolute references to this server resolve like relative ones. */
  baseUrl?: string;
}

export interface FhirGraphQLContext {
  ctx: RequestContext;
  repo: Repository;
  loaders: FhirLoaders;
  /**
   * Every resource the request's resolvers read, for its audit entry: a FHIR GraphQL answer holds objects
   * without resourceType (`{ Patient(id: …) { name { family } } }`), so the answer alone cannot say whose data it is.
   */
  seen: Resource[];
}

export function createFhirGraphQLContext(ctx: RequestContext, store: Repository, baseUrl?: string): FhirGraphQLContext {
  const seen: Resource[] = [];
  const repo = recording(store, seen);
  const containers = new WeakMap<object, Resource>();
  const walk = (value: unknown, root: Resource): void => {
    if (!value || typeof value !== 'object' || containers.has(value)) return;
    containers.set(value, root);
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child, root);
  };
  const references = new DataLoader<string, Resource>(async (keys) => {
    const refs = keys.map((key) => {
      const [resourceType, id] = key.split('/');
      return { resourceType, id };
    });
    // A type outside the token's SMART scopes fails like a REST read of it; the others are read in one go.
    const refused = refs.map(({ resourceType }) => scopeRefusal(ctx, resourceType));
    const results = await repo.readMany(ctx, refs.filter((_, i) => !refused[i]));
    return refused.map((refusal) => refusal ?? results.shift()!).map((r) => (r instanceof FhirError ? r : remember(r)));
  });
  const remember = (resource: Resource): Resource => {
    // Only contained resources are ever looked up through their container.
    if ((resource as { contained?: unknown[] }).contained?.length) walk(resource, resource);
    return resource;
  };
  return { ctx, repo, loaders: { references, remember, containerOf: (value) => containers.get(value), baseUrl }, seen };
}

/** The repository, noting in `seen` what each read, vread, readMany and search returned. */
function recording(repo: Repository, seen: Resource[]): Repository {
  return new Proxy(repo, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const call = (...args: unknown[]) => value.apply(target, args);
      switch (property) {
        case 'read':
        case 'vread':
          return async (...args: unknown[]) => {
            const resource = (await call(...args)) as Resource;
            seen.push(resource);
            return resource;
          };
        case 'readMany':
          return async (...args: unknown[]) => {
            const results = (await call(...args)) as (Resource | FhirError)[];
            for (const r of results) if (!(r instanceof FhirError)) seen.push(r);
            return results;
          };
        case 'search':
          return async (...args: unknown[]) => {
            const page = (await call(...args)) as SearchPage;
            for (const row of [...page.matches, ...page.included]) seen.push(JSON.parse(row.content) as Resource);
            return page;
          };
        default:
          return call;
      }
    },
  });
}

const LOCAL_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/**
 * `Reference.resource(optional, type)` per the FHIR GraphQL spec: a reference of another type than `type`
 * is null; one that cannot be resolved (external, missing, or hidden by consent) is an error, or null when
 * `optional` is true.
 */
export async function resolveReference(
  reference: Record<string, unknown>,
  args: { optional?: boolean | null; type?: string | null },
  context: FhirGraphQLContext
): Promise<Resource | null> {
  const text = (reference as Reference).reference;
  const unresolved = (reason: string): null => {
    if (args.optional) return null;
    throw new GraphQLError(`Cannot resolve reference ${text ? `"${text}"` : '(no reference)'}: ${reason}`);
  };
  if (!text) return unresolved('it has no reference');
  const wrongType = (resourceType: string) => !!args.type && args.type !== resourceType;

  if (text.startsWith('#')) {
    const container = context.loaders.containerOf(reference);
    const contained = (container as { contained?: Resource[] } | undefined)?.contained?.find((c) => c.id === text.slice(1));
    if (!contained) return unresolved('no contained resource has that id');
    return wrongType(contained.resourceType) ? null : contained;
  }
  const base = context.loaders.baseUrl;
  const local = base && text.startsWith(`${base}/`) ? text.slice(base.length + 1) : text;
  const match = LOCAL_REFERENCE.exec(local);
  if (!match) return unresolved('it is not a reference to a resource on this server');
  const [, resourceType, id, versionId] = match;
  if (wrongType(resourceType)) return null;
  try {
    if (versionId) {
      assertScopesAllow(context.ctx, resourceType, 'r');
      return context.loaders.remember(await context.repo.vread(context.ctx, resourceType, id, versionId));
    }
    return await context.loaders.references.load(`${resourceType}/${id}`);
  } catch (err) {
    if (err instanceof FhirError && err.status < 500) return unresolved(err.message);
    throw err;
  }
}

function scopeRefusal(ctx: RequestContext, resourceType: string): FhirError | undefined {
  try {
    assertScopesAllow(ctx, resourceType, 'r');
    return undefined;
  } catch (err) {
    if (err instanceof FhirError) return err;
    throw err;
  }
}
