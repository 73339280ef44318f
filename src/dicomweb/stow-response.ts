/**
 * The STOW-RS response (PS3.18 §10.5.3): an `application/dicom+json` data set with Referenced SOP Sequence
 * (0008,1199) for what was stored and Failed SOP Sequence (0008,1198) for what was not, and the HTTP status
 * that sums them up: 200 all stored, 202 some stored, 409 none stored.
 */
import type { StowResult } from './stow';

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

const TAG = {
  retrieveUrl: '00081190',
  referencedSopSequence: '00081199',
  failedSopSequence: '00081198',
  referencedSopClassUid: '00081150',
  referencedSopInstanceUid: '00081155',
  failureReason: '00081197',
  /** Error Comment: the reason in words, as dcm4chee also answers; the code alone does not tell an operator what to fix. */
  errorComment: '00000902',
} as const;

export function instanceUrl(dicomwebBase: string, uids: { studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string }): string {
  return `${dicomwebBase}/studies/${uids.studyInstanceUid}/series/${uids.seriesInstanceUid}/instances/${uids.sopInstanceUid}`;
}

export function stowStatus(result: StowResult): number {
  if (!result.failed.length) return 200;
  return result.stored.length ? 202 : 409;
}

export function stowResponse(result: StowResult, dicomwebBase: string): DicomJson {
  const response: DicomJson = {};
  const studies = new Set(result.stored.map((sop) => sop.studyInstanceUid));
  if (studies.size === 1) response[TAG.retrieveUrl] = { vr: 'UR', Value: [`${dicomwebBase}/studies/${[...studies][0]}`] };
  if (result.stored.length) {
    response[TAG.referencedSopSequence] = {
      vr: 'SQ',
      Value: uniqueBySop(result.stored).map((sop) => ({
        [TAG.referencedSopClassUid]: { vr: 'UI', Value: [sop.sopClassUid] },
        [TAG.referencedSopInstanceUid]: { vr: 'UI', Value: [sop.sopInstanceUid] },
        [TAG.retrieveUrl]: { vr: 'UR', Value: [instanceUrl(dicomwebBase, sop)] },
      })),
    };
  }
  if (result.failed.length) {
    response[TAG.failedSopSequence] = {
      vr: 'SQ',
      Value: result.failed.map((failure) => ({
        [TAG.referencedSopClassUid]: failure.sopClassUid ? { vr: 'UI', Value: [failure.sopClassUid] } : { vr: 'UI' },
        [TAG.referencedSopInstanceUid]: failure.sopInstanceUid ? { vr: 'UI', Value: [failure.sopInstanceUid] } : { vr: 'UI' },
        [TAG.failureReason]: { vr: 'US', Value: [failure.reason] },
        [TAG.errorComment]: { vr: 'LO', Value: [failure.comment] },
      })),
    };
  }
  return response;
}

/** The same SOP instance sent twice in one request (say, in two transfer syntaxes) is one stored instance. */
function uniqueBySop<T extends { sopInstanceUid: string }>(sops: T[]): T[] {
  return [...new Map(sops.map((sop) => [sop.sopInstanceUid, sop])).values()];
}
