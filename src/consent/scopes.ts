/**
 * SMART App Launch 2.x resource scopes (`patient/Observation.rs`, `user/*.cruds`, `system/Patient.r`):
 * context, resource type or `*`, and the interactions in c-r-u-d-s order. v1 `.read`/`.write` are read as
 * their v2 equivalents. A scope can only narrow what the consent service allows; it never widens it.
 */
import { forbidden } from '../core/errors';

export type ScopeContext = 'patient' | 'user' | 'system';
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: ScopeContext;
  resourceType: string;
  interactions: Set<Interaction>;
}

const V2 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(c?r?u?d?s?)(\?.*)?$/;
const V1 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*)$/;
const V1_MEANING: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

export function parseResourceScope(scope: string): ResourceScope | undefined {
  const v2 = V2.exec(scope);
  if (v2 && v2[3]) return { context: v2[1] as ScopeContext, resourceType: v2[2], interactions: new Set(v2[3].split('') as Interaction[]) };
  const v1 = V1.exec(scope);
  if (v1) return { context: v1[1] as ScopeContext, resourceType: v1[2], interactions: new Set(V1_MEANING[v1[3]].split('') as Interaction[]) };
  return undefined;
}

/** The well-formed resource scopes in a space-separated scope string, in order, without repeats. */
export function smartScopesOf(scope: string): string[] {
  return [...new Set(scope.split(/\s+/).filter((s) => parseResourceScope(s) !== undefined))];
}

/** Whether any of the granted scopes lets the caller do `interaction` on `resourceType`. */
export function scopesAllow(granted: ResourceScope[], resourceType: string, interaction: Interaction): boolean {
  return granted.some((s) => (s.resourceType === '*' || s.resourceType === resourceType) && s.interactions.has(interaction));
}

/**
 * Refuses what the token's SMART scopes do not cover. Tokens without scopes (gateways, systems, the
 * client-credentials flow) are not narrowed; the consent service decides for everyone either way.
 */
export function assertScopesAllow(ctx: { scopes?: string[] }, resourceType: string, interaction: Interaction): void {
  if (!ctx.scopes) return;
  const granted = ctx.scopes.map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined);
  if (!scopesAllow(granted, resourceType, interaction)) throw forbidden(`The token's scopes do not allow ${INTERACTION_NAMES[interaction]} on ${resourceType}`);
}

const INTERACTION_NAMES: Record<Interaction, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
