/** The network office's APIs: the HL7 inbox (/admin/inbox) and the audit trail (/fhir/AuditEvent, $audit-verify). */
import { admin, fhir } from '../api/client';

/** One reason an HL7 message was refused, as the ACK's ERR segment names it. */
export interface InboxIssue {
  severity?: string;
  code?: string;
  segment?: string;
  segmentSequence?: number;
  field?: number;
  message: string;
}

export interface InboxItem {
  id: string;
  receivedAt: string;
  facility?: string | null;
  messageControlId?: string | null;
  messageType?: string | null;
  status: string;
  error?: InboxIssue[] | null;
  fileName?: string | null;
  transport: string;
}

export interface ReplayAnswer {
  ackCode: string;
  issues?: InboxIssue[];
}

export async function rejectedMessages(): Promise<InboxItem[]> {
  return (await admin<{ items: InboxItem[] }>('inbox?status=rejected')).items;
}

export async function inboxMessage(id: string): Promise<InboxItem & { message: string }> {
  return admin(`inbox/${encodeURIComponent(id)}`);
}

/** Replays the message as stored, or the corrected text (segments end in CR, as HL7 v2 wants). */
export async function replay(id: string, corrected?: string): Promise<ReplayAnswer> {
  return admin(`inbox/${encodeURIComponent(id)}/replay`, corrected === undefined ? { method: 'POST' } : { method: 'POST', body: corrected.replace(/\r?\n/g, '\r'), contentType: 'x-application/hl7-v2+er7' });
}

/** Where an issue is: "PID-3" or "OBX[2]-5", the way HL7 people name a field. */
export function issueLocation(issue: InboxIssue): string {
  if (!issue.segment) return '';
  return `${issue.segment}${issue.segmentSequence && issue.segmentSequence > 1 ? `[${issue.segmentSequence}]` : ''}${issue.field ? `-${issue.field}` : ''}`;
}

export interface AuditEventResource {
  id: string;
  recorded: string;
  action?: string;
  outcome?: string;
  outcomeDesc?: string;
  subtype?: { code?: string; display?: string }[];
  purposeOfEvent?: { coding?: { code?: string }[] }[];
  agent?: { who?: { reference?: string; display?: string } }[];
  entity?: { what?: { reference?: string } }[];
}

export interface AuditQuery {
  patient?: string;
  from?: string;
  to?: string;
  outcome?: string;
}

export async function searchAudit(query: AuditQuery): Promise<AuditEventResource[]> {
  const params = new URLSearchParams({ _count: '100' });
  if (query.patient) params.set('patient', query.patient.startsWith('Patient/') ? query.patient : `Patient/${query.patient}`);
  if (query.from) params.append('date', `ge${query.from}`);
  if (query.to) params.append('date', `le${query.to}`);
  if (query.outcome) params.set('outcome', query.outcome);
  const bundle = await fhir<{ entry?: { resource?: AuditEventResource }[] }>(`AuditEvent?${params}`);
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBadSeq?: string;
  reason?: string;
}

export async function verifyChain(): Promise<ChainVerification> {
  const answer = await fhir<{ parameter?: { name: string; valueBoolean?: boolean; valueInteger?: number; valueString?: string }[] }>('$audit-verify');
  const value = (name: string) => answer.parameter?.find((p) => p.name === name);
  return { ok: value('ok')?.valueBoolean === true, checked: value('checked')?.valueInteger ?? 0, firstBadSeq: value('firstBadSeq')?.valueString, reason: value('reason')?.valueString };
}
