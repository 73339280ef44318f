/** The pathway dashboard's data: GraphQL pathwayDashboard, patient names from FHIR, and Flag/$acknowledge. */
import { fhir, graphql } from '../api/client';
import type { PatientResource } from '../clinician/patients';

export interface FlagResource {
  resourceType: 'Flag';
  id: string;
  code?: { text?: string; coding?: { display?: string }[] };
  subject?: { reference?: string };
  extension?: { url: string; valueCode?: string }[];
}

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface PathwayAlert {
  flagId: string;
  patientId: string;
  kind: 'abnormal' | 'missed';
  severity: Severity;
  activity: string;
  raisedAt: string;
  acknowledged: boolean;
  flag: FlagResource;
}

export interface PathwayPatient {
  patientId: string;
  carePlanId: string;
  nextDue: { activity: string; dueDate: string; overdue: boolean }[];
  recentValues: { activity: string; text: string; at: string; abnormal: boolean }[];
  openAlerts: number;
}

export interface Dashboard {
  patients: PathwayPatient[];
  openAlertsBySeverity: { severity: Severity; count: number }[];
  openAlerts: PathwayAlert[];
}

/** The pathways Tonet ships (src/pathway/definitions.ts), by PlanDefinition name. */
export const PATHWAYS = ['diabetes', 'stroke', 'hip-fracture'] as const;

const QUERY = `query($facility: ID!, $pathway: String!) {
  pathwayDashboard(facility: $facility, pathway: $pathway) {
    patients { patientId carePlanId openAlerts nextDue { activity dueDate overdue } recentValues { activity text at abnormal } }
    openAlertsBySeverity { severity count }
    openAlerts { flagId patientId kind severity activity raisedAt acknowledged flag }
  }
}`;

export async function dashboard(facility: string, pathway: string): Promise<Dashboard> {
  return (await graphql<{ pathwayDashboard: Dashboard }>(QUERY, { facility, pathway })).pathwayDashboard;
}

/** Names of the dashboard's patients in one search (only those the caller may see come back). */
export async function patientsById(ids: string[]): Promise<Map<string, PatientResource>> {
  if (!ids.length) return new Map();
  const bundle = await fhir<{ entry?: { resource?: PatientResource }[] }>(`Patient?_id=${ids.map(encodeURIComponent).join(',')}&_count=${ids.length}`);
  return new Map((bundle.entry ?? []).flatMap((e) => (e.resource ? [[e.resource.id, e.resource] as const] : [])));
}

export async function acknowledge(flagId: string): Promise<void> {
  await fhir(`Flag/${encodeURIComponent(flagId)}/$acknowledge`, { method: 'POST', body: { resourceType: 'Parameters' } });
}

/** The alert as the rule worded it ("HbA1c 9.1 %: …"). */
export function alertText(flag: FlagResource): string {
  return flag.code?.text ?? flag.code?.coding?.find((c) => c.display)?.display ?? `Flag/${flag.id}`;
}
