/** SMART v2 scope grammar (with v1 read as v2) and the narrowing check the FHIR router applies. */
import { assertScopesAllow, parseResourceScope, smartScopesOf } from '../../src/consent/scopes';

test.each([
  ['patient/Observation.rs', { context: 'patient', resourceType: 'Observation', interactions: ['r', 's'] }],
  ['user/*.cruds', { context: 'user', resourceType: '*', interactions: ['c', 'r', 'u', 'd', 's'] }],
  ['system/Patient.r', { context: 'system', resourceType: 'Patient', interactions: ['r'] }],
  ['patient/Observation.rs?category=vital-signs', { context: 'patient', resourceType: 'Observation', interactions: ['r', 's'] }],
  ['patient/Observation.read', { context: 'patient', resourceType: 'Observation', interactions: ['r', 's'] }],
  ['user/*.write', { context: 'user', resourceType: '*', interactions: ['c', 'u', 'd'] }],
])('%s parses', (scope, expected) => {
  const parsed = parseResourceScope(scope)!;
  expect({ ...parsed, interactions: [...parsed.interactions] }).toEqual(expected);
});

test.each(['openid', 'launch/patient', 'patient/Observation.', 'patient/Observation.sr', 'group/Patient.r', 'patient/observation.r'])('%s is not a resource scope', (scope) => {
  expect(parseResourceScope(scope)).toBeUndefined();
});

test('smartScopesOf keeps only resource scopes, once each', () => {
  expect(smartScopesOf('openid patient/Patient.r  launch/patient patient/Patient.r user/*.rs')).toEqual(['patient/Patient.r', 'user/*.rs']);
});

test('scopes narrow: only what they name passes; no scopes means no narrowing', () => {
  const ctx = { scopes: ['openid', 'patient/Observation.rs', 'patient/Patient.r'] };
  expect(() => assertScopesAllow(ctx, 'Observation', 's')).not.toThrow();
  expect(() => assertScopesAllow(ctx, 'Patient', 'r')).not.toThrow();
  expect(() => assertScopesAllow(ctx, 'Patient', 's')).toThrow(/do not allow search on Patient/);
  expect(() => assertScopesAllow(ctx, 'Observation', 'c')).toThrow(/create/);
  expect(() => assertScopesAllow(ctx, 'Condition', 'r')).toThrow();
  expect(() => assertScopesAllow({ scopes: ['openid'] }, 'Patient', 'r')).toThrow();
  expect(() => assertScopesAllow({ scopes: ['user/*.cruds'] }, 'Condition', 'd')).not.toThrow();
  expect(() => assertScopesAllow({}, 'Condition', 'd')).not.toThrow();
});
