/**
 * Which media type a WADO-RS frames answer carries its parts in (PS3.18 §8.7.3, Tables 8.7.3-2 and -5). Frames
 * are served in the transfer syntax they are stored in; a caller may ask for them as that syntax's own image
 * media type, or as application/octet-stream naming the syntax (or `transfer-syntax=*`, whatever is stored).
 * octet-stream without a transfer-syntax means Explicit VR Little Endian, which only native little-endian
 * pixel data already is.
 */
import { FhirError, outcome } from '../core/errors';
import { parseMediaType } from './multipart';

const OCTET_STREAM = 'application/octet-stream';

/** Each compressed transfer syntax's single-frame media type; native syntaxes are octet-stream. */
const FRAME_MEDIA_TYPES: Record<string, string> = {
  '1.2.840.10008.1.2.4.50': 'image/jpeg',
  '1.2.840.10008.1.2.4.51': 'image/jpeg',
  '1.2.840.10008.1.2.4.57': 'image/jpeg',
  '1.2.840.10008.1.2.4.70': 'image/jpeg',
  '1.2.840.10008.1.2.4.80': 'image/jls',
  '1.2.840.10008.1.2.4.81': 'image/jls',
  '1.2.840.10008.1.2.4.90': 'image/jp2',
  '1.2.840.10008.1.2.4.91': 'image/jp2',
  '1.2.840.10008.1.2.5': 'image/dicom-rle',
};

/** Transfer syntaxes whose pixel data is already what octet-stream without a transfer-syntax means. */
const LITTLE_ENDIAN_NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

/** The Content-Type of each part, or 406 when the Accept header names nothing the stored frames are. */
export function framePartType(accept: string, transferSyntaxUid: string): string {
  const own = FRAME_MEDIA_TYPES[transferSyntaxUid] ?? OCTET_STREAM;
  const ranges = accept.trim() ? accept.split(',').map(parseMediaType) : [];
  if (!ranges.length) return `${own}; transfer-syntax=${transferSyntaxUid}`;
  for (const { mediaType, parameters } of ranges) {
    if (mediaType === '*/*' || mediaType === 'multipart/*' || (mediaType === 'multipart/related' && !parameters.type)) return `${own}; transfer-syntax=${transferSyntaxUid}`;
    if (mediaType !== 'multipart/related') continue;
    const type = parameters.type.toLowerCase();
    const syntax = parameters['transfer-syntax'];
    const namesStored = syntax === '*' || syntax === transferSyntaxUid;
    if (type === OCTET_STREAM && (namesStored || (!syntax && LITTLE_ENDIAN_NATIVE.has(transferSyntaxUid)))) return `${OCTET_STREAM}; transfer-syntax=${transferSyntaxUid}`;
    if (type === own && (namesStored || !syntax)) return `${own}; transfer-syntax=${transferSyntaxUid}`;
  }
  throw new FhirError(406, outcome('error', 'not-supported', `The frames are stored in transfer syntax ${transferSyntaxUid} and are served only as multipart/related; type="${own}" or type="${OCTET_STREAM}"; transfer-syntax=${transferSyntaxUid} (or *)`));
}
