/**
 * HL7 v2.5 (SS-MIX2 / JAHIS) → FHIR R4 JP Core. Pure: the same text and facility always give the same bundle.
 * decode (bytes → text) → parse (medplum Hl7Message) → pick the data type's table → run the generic engine.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { MappingIssue, MappingResult, SendingFacility } from '../types';
import { decodeHl7 } from './decode';
import { runProfile } from './engine';
import { parseHl7, read } from './parse';
import { PATIENT_STUB } from './profiles/common';
import { MESSAGE_TABLES } from './profiles';

/** A rejected message maps to nothing; the ingest layer answers with its issues. */
const emptyBundle = (): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry: [] });

export function mapHl7v2(text: string, facility: SendingFacility): MappingResult {
  const { parsed, issues } = parseHl7(text);
  if (!parsed) {
    return { messageType: '', messageControlId: '', bundle: emptyBundle(), issues };
  }
  const msh = parsed.segments[0];
  // An MSH whose separators are broken parses as a segment with no valid name, which parseHl7 set aside.
  if (msh?.name !== 'MSH') {
    return { messageType: '', messageControlId: '', bundle: emptyBundle(), issues: [...issues, { severity: 'error', code: '100', segment: 'MSH', segmentSequence: 1, field: 1, message: 'MSH is unreadable: MSH-1 (field separator) and MSH-2 (encoding characters) must follow "MSH"' }] };
  }
  const messageType = msh.segment.getField(9)?.toString() ?? '';
  const messageControlId = read(msh, 10);
  const [type, event] = [read(msh, 9, 1), read(msh, 9, 2)];
  const events = MESSAGE_TABLES[type];
  const resolve = events?.[event];
  if (!resolve) {
    const unsupported: MappingIssue = events
      ? { severity: 'error', code: '201', segment: 'MSH', segmentSequence: 1, field: 9, component: 2, message: `Event ${event} of ${type} is not supported` }
      : { severity: 'error', code: '200', segment: 'MSH', segmentSequence: 1, field: 9, component: 1, message: `Message type ${type || '(empty)'} is not supported` };
    return { messageType, messageControlId, bundle: emptyBundle(), issues: [...issues, unsupported] };
  }
  const profile = resolve(parsed);
  const result = runProfile(profile, parsed, facility, { stub: PATIENT_STUB });
  const allIssues = [...issues, ...result.issues];
  const rejected = allIssues.some((issue) => issue.severity === 'error');
  return {
    messageType,
    dataType: profile.dataType,
    messageControlId,
    bundle: rejected ? emptyBundle() : result.bundle,
    issues: allIssues,
  };
}

export function mapHl7v2Bytes(bytes: Buffer, facility: SendingFacility): MappingResult {
  return mapHl7v2(decodeHl7(bytes), facility);
}

export { decodeHl7 } from './decode';
