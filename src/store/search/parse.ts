/**
 * The search query of FHIR R4 §3.1.1, parsed into @medplum/core's SearchRequest shape. Medplum's own parser
 * is not used for this: it rejects comma-separated dates ("birthdate=1970,2000"), reads a prefix only at the
 * start of the whole value, and silently ignores unknown modifiers and `_summary` values. Here a filter keeps
 * its value as written (prefixes are read per comma-separated value when the filter is compiled), and
 * anything the server would not honour is a 400.
 */
import { Filter, IncludeTarget, Operator, SearchRequest } from '@medplum/core';
import { isKnownResourceType, searchParameterOf } from '../../core/definitions';
import { badRequest } from '../../core/errors';

const MODIFIERS: Record<string, Operator> = {
  exact: Operator.EXACT,
  contains: Operator.CONTAINS,
  text: Operator.TEXT,
  not: Operator.NOT,
  missing: Operator.MISSING,
  above: Operator.ABOVE,
  below: Operator.BELOW,
  in: Operator.IN,
  'not-in': Operator.NOT_IN,
  'of-type': Operator.OF_TYPE,
  identifier: Operator.IDENTIFIER,
};

const PREFIXES: Record<string, Operator> = {
  eq: Operator.EQUALS,
  ne: Operator.NOT_EQUALS,
  gt: Operator.GREATER_THAN,
  lt: Operator.LESS_THAN,
  ge: Operator.GREATER_THAN_OR_EQUALS,
  le: Operator.LESS_THAN_OR_EQUALS,
  sa: Operator.STARTS_AFTER,
  eb: Operator.ENDS_BEFORE,
  ap: Operator.APPROXIMATELY,
};

const SUMMARY = ['true', 'false', 'text', 'data', 'count'];
const TOTAL = ['none', 'estimate', 'accurate'];
/** Parameters that change how a response is written, not what matches. */
const IGNORED = new Set(['_format', '_pretty']);

export function parseSearchQuery(resourceType: string, params: Iterable<[string, string]>): SearchRequest {
  const request: SearchRequest = { resourceType: resourceType as SearchRequest['resourceType'] };
  for (const [key, value] of params) {
    const colon = key.indexOf(':');
    const name = colon < 0 ? key : key.slice(0, colon);
    const modifier = colon < 0 ? undefined : key.slice(colon + 1);
    switch (name) {
      case '_count':
        request.count = nonNegativeInteger(value, '_count');
        break;
      case '_offset':
        request.offset = nonNegativeInteger(value, '_offset');
        break;
      case '_cursor':
        request.cursor = value;
        break;
      case '_sort':
        request.sortRules = value.split(',').filter(Boolean).map((code) => (code.startsWith('-') ? { code: code.slice(1), descending: true } : { code, descending: false }));
        break;
      case '_total':
        if (!TOTAL.includes(value)) throw badRequest(`_total must be one of ${TOTAL.join(', ')}`, ['_total']);
        request.total = value as SearchRequest['total'];
        break;
      case '_summary':
        if (!SUMMARY.includes(value)) throw badRequest(`_summary must be one of ${SUMMARY.join(', ')}`, ['_summary']);
        if (value === 'count') {
          request.count = 0;
          request.total ??= 'accurate';
        } else if (value !== 'false') {
          request.summary = value as SearchRequest['summary'];
        }
        break;
      case '_elements':
        request.fields = value.split(',').map((f) => f.trim()).filter(Boolean);
        break;
      case '_include':
      case '_revinclude': {
        const target = includeTarget(value, modifier, name);
        if (name === '_include') request.include = [...(request.include ?? []), target];
        else request.revInclude = [...(request.revInclude ?? []), target];
        break;
      }
      default:
        if (IGNORED.has(name)) break;
        request.filters = [...(request.filters ?? []), parseFilter(key, value)];
    }
  }
  return request;
}

/** One `name[:modifier]=value` pair as a filter. Chains and `_has` keep the whole key; they are parsed link by link when compiled. */
export function parseFilter(key: string, value: string): Filter {
  if (key.startsWith('_has:') || key.includes('.')) return { code: key, operator: Operator.EQUALS, value };
  const colon = key.indexOf(':');
  if (colon < 0) return { code: key, operator: Operator.EQUALS, value };
  const code = key.slice(0, colon);
  const modifier = key.slice(colon + 1);
  // A resource type as modifier narrows a reference: subject:Patient=123 means subject=Patient/123.
  if (/^[A-Z]/.test(modifier)) {
    if (!isKnownResourceType(modifier)) throw badRequest(`Unknown resource type "${modifier}" in modifier of "${key}"`, [key]);
    const typed = value.split(',').map((v) => (v.includes('/') ? v : `${modifier}/${v}`));
    return { code, operator: Operator.EQUALS, value: typed.join(',') };
  }
  const operator = MODIFIERS[modifier];
  if (!operator) throw badRequest(`Unknown modifier ":${modifier}" on "${code}"`, [key]);
  if (operator === Operator.MISSING && value !== 'true' && value !== 'false') throw badRequest(`:missing takes true or false, got "${value}"`, [key]);
  return { code, operator, value };
}

/**
 * The comparison one value of a date, number or quantity asks for: its prefix when it has one
 * ("ge2020", "lt-5"), otherwise the filter's own operator.
 */
export function prefixed(operator: Operator, value: string): { operator: Operator; value: string } {
  const m = /^([a-z]{2})(?=[-+\d.])/.exec(value);
  if (!m || operator !== Operator.EQUALS) return { operator, value };
  const prefix = PREFIXES[m[1]];
  if (!prefix) throw badRequest(`Unknown prefix "${m[1]}" in "${value}"`);
  return { operator: prefix, value: value.slice(2) };
}

function includeTarget(value: string, modifier: string | undefined, name: string): IncludeTarget {
  if (modifier !== undefined && modifier !== 'iterate') throw badRequest(`Unknown modifier ":${modifier}" on ${name}`, [name]);
  const [resourceType, searchParam, targetType, ...extra] = value.split(':');
  if (!resourceType || !searchParam || extra.length) throw badRequest(`${name} must be Type:parameter[:targetType], got "${value}"`, [name]);
  if (!isKnownResourceType(resourceType)) throw badRequest(`Unknown resource type "${resourceType}" in ${name}`, [name]);
  if (searchParameterOf(resourceType, searchParam)?.type !== 'reference') throw badRequest(`"${searchParam}" is not a reference parameter of ${resourceType}`, [name]);
  if (targetType !== undefined && !isKnownResourceType(targetType)) throw badRequest(`Unknown target type "${targetType}" in ${name}`, [name]);
  return { resourceType, searchParam, ...(targetType ? { targetType } : {}), ...(modifier ? { modifier: 'iterate' as const } : {}) };
}

export function nonNegativeInteger(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw badRequest(`${name} must be a non-negative integer, got "${value}"`, [name]);
  return Number(value);
}
