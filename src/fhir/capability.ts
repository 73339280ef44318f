/**
 * The CapabilityStatement, generated from what the server really has: every resource type, the search
 * parameters the indexer extracts for it, the interactions the router implements and the registered operations.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { allResourceTypes, searchParametersOf } from './definitions';
import type { OperationHandler } from './router';

const INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const;

export function buildCapabilityStatement(baseUrl: string, operations: OperationHandler[], version: string): CapabilityStatement {
  const resource = allResourceTypes().map((type): CapabilityStatementRestResource => ({
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
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
          description: 'OAuth 2.0 client credentials at /oauth2/token; see .well-known/smart-configuration',
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${baseUrl.replace(/\/fhir$/, '')}/oauth2/token` }],
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

export function smartConfiguration(serverUrl: string): Record<string, unknown> {
  return {
    issuer: serverUrl,
    token_endpoint: `${serverUrl}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    grant_types_supported: ['client_credentials'],
    scopes_supported: ['system/*.*'],
    capabilities: ['client-confidential-symmetric'],
    response_types_supported: ['token'],
  };
}
