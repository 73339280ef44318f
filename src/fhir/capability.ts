/**
 * The CapabilityStatement, generated from what the server really has: every resource type, the search
 * parameters the indexer extracts for it, the interactions the router implements and the registered operations.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { allResourceTypes, searchParametersOf } from '../core/definitions';
import { SUPPORTED_JP_PROFILES } from './jp-profiles';
import type { OperationHandler } from './router';

const INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;

export function buildCapabilityStatement(baseUrl: string, operations: OperationHandler[], version: string): CapabilityStatement {
  const resource = allResourceTypes().map((type): CapabilityStatementRestResource => ({
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    ...(SUPPORTED_JP_PROFILES[type] ? { supportedProfile: [...SUPPORTED_JP_PROFILES[type]] } : {}),
    interaction: INTERACTIONS.map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'not-supported',
    conditionalUpdate: true,
    conditionalDelete: 'single',
    referencePolicy: ['literal', 'logical'],
    searchInclude: ['*'],
    searchRevInclude: ['*'],
    searchParam: [
      { name: '_id', type: 'token' },
      { name: '_lastUpdated', type: 'date' },
      ...searchParametersOf(type)
        .filter((sp) => sp.code !== '_id' && sp.code !== '_lastUpdated')
        .map((sp) => ({ name: sp.code as string, definition: sp.url, type: sp.type })),
    ],
    operation: operations
      .filter((op) => op.levels.some((l) => l !== 'system') && (!op.resourceTypes || op.resourceTypes.includes(type)))
      .map((op) => ({ name: op.name, definition: `${baseUrl}/OperationDefinition/${op.name}` })),
  }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'Tonet',
    kind: 'instance',
    software: { name: 'Tonet', version },
    implementation: { description: 'Tonet regional health-information network', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description: 'SMART App Launch (authorization code + PKCE) at /oidc; OAuth 2.0 client credentials for systems at /oauth2/token; see .well-known/smart-configuration',
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/oidc/auth` },
                { url: 'token', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/oidc/token` },
                { url: 'revoke', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/oidc/token/revocation` },
                { url: 'introspect', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/oidc/token/introspection` },
              ],
            },
          ],
        },
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }, { code: 'history-system' }],
        operation: operations.filter((op) => op.levels.includes('system')).map((op) => ({ name: op.name, definition: `${baseUrl}/OperationDefinition/${op.name}` })),
      },
    ],
  };
}

/**
 * SMART App Launch 2.x §2.4 (.well-known/smart-configuration). The issuer is the OpenID provider's under
 * <base>/oidc, the same `iss` every access token carries; the endpoints are those the provider serves.
 * Gateways and systems keep the client-credentials endpoint at <base>/oauth2/token.
 */
export function smartConfiguration(serverUrl: string): Record<string, unknown> {
  const issuer = `${serverUrl}/oidc`;
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    introspection_endpoint: `${issuer}/token/introspection`,
    revocation_endpoint: `${issuer}/token/revocation`,
    userinfo_endpoint: `${issuer}/me`,
    end_session_endpoint: `${issuer}/session/end`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'profile', 'fhirUser', 'offline_access', 'launch', 'launch/patient', 'patient/*.rs', 'user/*.rs', 'user/*.cruds', 'system/*.rs'],
    capabilities: [
      'launch-standalone',
      'launch-ehr',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-standalone-patient',
      'context-ehr-patient',
      'sso-openid-connect',
      'permission-offline',
      'permission-patient',
      'permission-user',
      'permission-v2',
    ],
  };
}
