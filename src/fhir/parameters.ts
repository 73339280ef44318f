/**
 * Reading the FHIR `Parameters` body of an operation, with errors that name the missing or wrong parameter.
 */
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../core/errors';

export class OperationParameters {
  private constructor(private readonly params: ParametersParameter[]) {}

  static from(body: unknown, operation: string): OperationParameters {
    const parameters = body as Parameters | undefined;
    if (!parameters || parameters.resourceType !== 'Parameters') throw badRequest(`$${operation} needs a Parameters resource as the body`);
    return new OperationParameters(parameters.parameter ?? []);
  }

  private find(name: string): ParametersParameter | undefined {
    return this.params.find((p) => p.name === name);
  }

  string(name: string): string | undefined {
    const p = this.find(name);
    const value = p?.valueString ?? p?.valueCode ?? p?.valueId ?? p?.valueUri;
    if (p && value === undefined) throw badRequest(`Parameter "${name}" must be a string`, [`Parameters.parameter[${name}]`]);
    return value;
  }

  requiredString(name: string): string {
    const value = this.string(name)?.trim();
    if (!value) throw badRequest(`Parameter "${name}" is required`, [`Parameters.parameter[${name}]`]);
    return value;
  }

  date(name: string): string | undefined {
    const p = this.find(name);
    const value = p?.valueDate ?? p?.valueString;
    if (p && (value === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(value))) throw badRequest(`Parameter "${name}" must be a date (YYYY-MM-DD)`, [`Parameters.parameter[${name}]`]);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const p = this.find(name);
    if (p && typeof p.valueBoolean !== 'boolean') throw badRequest(`Parameter "${name}" must be a boolean`, [`Parameters.parameter[${name}]`]);
    return p?.valueBoolean;
  }

  resource<T extends Resource>(name: string, resourceType: T['resourceType']): T | undefined {
    const p = this.find(name);
    if (p && p.resource?.resourceType !== resourceType) throw badRequest(`Parameter "${name}" must hold a ${resourceType}`, [`Parameters.parameter[${name}]`]);
    return p?.resource as T | undefined;
  }
}

export function parametersOf(entries: Record<string, Resource | string | undefined>): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: Object.entries(entries)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => (typeof value === 'string' ? { name, valueString: value } : { name, resource: value as Resource })),
  };
}
