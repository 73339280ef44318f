/**
 * The contract between ingest and mapping. A mapper is a pure function: message in, FHIR out.
 * It reads no database, no clock and no globals, so the same message always maps to the same bundle,
 * which is what makes re-sent messages and re-imported SS-MIX2 files idempotent.
 */
import type { Bundle } from '@medplum/fhirtypes';

/** The facility that sent the data, as established by the authenticated gateway client (not by the message). */
export interface SendingFacility {
  /** 10-digit medical institution code (医療機関コード), the Organization's identifier value. */
  code: string;
  /** "Organization/<id>" of the facility. */
  organizationReference: string;
}

/**
 * One problem found while mapping, precise enough to become an HL7 ERR segment
 * (ERR-2 location = segment / sequence / field / component, ERR-3 = HL7 table 0357 code).
 */
export interface MappingIssue {
  severity: 'error' | 'warning';
  /** HL7 table 0357: 0 message accepted (with a warning: a field Tonet does not map), 100 segment sequence, 101 required
   * field missing, 102 data type error, 103 table value not found, 200 unsupported message type, 201 unsupported event
   * code, 207 application internal error. */
  code: '0' | '100' | '101' | '102' | '103' | '200' | '201' | '207';
  segment?: string;
  /** 1-based position of this segment among segments of the same name. */
  segmentSequence?: number;
  field?: number;
  component?: number;
  message: string;
}

export interface MappingResult {
  /** MSH-9 as sent, e.g. "ADT^A08^ADT_A01". */
  messageType: string;
  /** SS-MIX2 data type, e.g. "ADT-00", "OML-11", when it can be told. */
  dataType?: string;
  /** MSH-10. */
  messageControlId: string;
  /**
   * A FHIR transaction bundle: conditional updates (`PUT Type?identifier=system|value`) so that a re-sent message
   * yields one resource, conditional deletes for cancels, conditional creates (`ifNoneExist`) for stub patients,
   * and `urn:uuid:` fullUrls (deterministic, derived from the identifiers) for references inside the bundle.
   * Empty (no entries) when issues hold an error.
   */
  bundle: Bundle;
  issues: MappingIssue[];
}
