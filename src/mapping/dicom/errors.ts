/** The one error type of the DICOM mapping: what went wrong, in words an operator can act on. */
export type DicomErrorReason =
  /** Not a DICOM Part 10 file at all (no `DICM` at byte 128). */
  | 'not-dicom'
  /** A Part 10 file that ends inside an element. */
  | 'truncated'
  /** A Part 10 file dicom-parser could not read for another reason. */
  | 'invalid'
  /** A Type 1 attribute that an ImagingStudy needs is absent. */
  | 'missing-attribute'
  /** Instances (or the existing study) belong to different studies. */
  | 'study-mismatch'
  | 'no-instances';

export class DicomError extends Error {
  constructor(
    readonly reason: DicomErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'DicomError';
  }
}
