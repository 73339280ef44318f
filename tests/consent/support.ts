/**
 * A small region for consent tests: facilities with their 10-digit codes and types, clients for each role,
 * and helpers to call the FHIR API as any of them.
 */
import { PRINTED_CARD_SECRET_EXTENSION } from '../../src/consent-workflows/enrolment';
import { CARD_SYSTEM, FACILITY_TYPE_SYSTEM } from '../../src/consent/model';
import { INSTITUTION_NUMBER_SYSTEM } from '../../src/ingest/facility';
import type { TestServer } from '../support/server';

export interface Facility {
  code: string;
  reference: string;
  id: string;
}

export async function facility(server: TestServer, code: string, type: string, name: string): Promise<Facility> {
  const res = await fetch(`${server.fhirUrl}/Organization`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Organization',
      name,
      identifier: [{ system: INSTITUTION_NUMBER_SYSTEM, value: code }],
      type: [{ coding: [{ system: FACILITY_TYPE_SYSTEM, code: type }] }],
    }),
  });
  if (res.status !== 201) throw new Error(`facility: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  return { code, id, reference: `Organization/${id}` };
}

export interface Answer {
  status: number;
  body: any;
}

export function as(server: Pick<TestServer, 'url'>, token: string, headers: Record<string, string> = {}) {
  const call = async (method: string, path: string, body?: unknown, contentType = 'application/fhir+json'): Promise<Answer> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // HL7 ACKs are not JSON.
    }
    return { status: res.status, body: parsed };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown, contentType?: string) => call('POST', path, body, contentType),
    put: (path: string, body: unknown) => call('PUT', path, body),
    /** Ids of the resources of one type in a search answer. */
    ids: async (path: string, type?: string): Promise<string[]> => {
      const answer = await call('GET', path);
      if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return (answer.body.entry ?? []).map((e: any) => e.resource).filter((r: any) => !type || r.resourceType === type).map((r: any) => `${r.resourceType}/${r.id}`);
    },
  };
}

export function parameters(values: Record<string, string | boolean | object>) {
  return {
    resourceType: 'Parameters',
    parameter: Object.entries(values).map(([name, value]) =>
      typeof value === 'boolean' ? { name, valueBoolean: value } : typeof value === 'string' ? (/^\d{4}-\d{2}-\d{2}$/.test(value) ? { name, valueDate: value } : { name, valueString: value }) : { name, resource: value }
    ),
  };
}

/** The card as the $enroll answer prints it: its number and its secret (neither is stored). */
export function printedCard(enrolledPatient: any): { cardNumber: string; cardSecret: string } {
  const cardNumber = enrolledPatient.identifier?.find((i: any) => i.system === CARD_SYSTEM)?.value;
  const cardSecret = enrolledPatient.extension?.find((e: any) => e.url === PRINTED_CARD_SECRET_EXTENSION)?.valueString;
  if (!cardNumber || !cardSecret) throw new Error(`no printed card in ${JSON.stringify(enrolledPatient)}`);
  return { cardNumber, cardSecret };
}
