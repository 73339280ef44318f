/**
 * A study's images for the browser, from Tonet's DICOMweb with the signed-in person's token, the way a
 * standard viewer loads them: the series from QIDO-RS, each series' instances from its WADO-RS metadata (DICOM
 * JSON: size, pixel format, window, number of frames), and each frame's pixels from WADO-RS frames in the
 * transfer syntax the hospital sent (compressed frames are a fraction of the pixels' size), decoded here and
 * drawn as 8-bit grey with the image's own window. Monochrome images only. A codec is WebAssembly loaded when
 * the first frame that needs it is drawn; a transfer syntax without one in `DECODERS` is named, not drawn.
 */
import { currentToken } from '../auth/session';
import type { Word } from '../i18n';

type DicomJson = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

export interface SeriesSummary {
  uid: string;
  modality?: string;
  number?: number;
  description?: string;
  instanceCount: number;
}

export interface SeriesImage {
  uid: string;
  number?: number;
  rows: number;
  columns: number;
  bitsAllocated: number;
  signed: boolean;
  slope: number;
  intercept: number;
  window?: [number, number];
  monochrome1: boolean;
  /** Number of Frames (0028,0008): 1 but for a multi-frame image. */
  frames: number;
  /** Same-origin path of the instance's WADO-RS resource; its frames are under it. */
  instancePath: string;
}

export interface DicomImage {
  columns: number;
  rows: number;
  /** Grey levels 0–255, row by row. */
  grey: Uint8ClampedArray;
}

/** Each frame as it is stored: the console decodes what the hospital sent rather than have the server transcode. */
const STORED_FRAMES = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const EXPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** A frame's pixel values as native little-endian bytes, laid out as uncompressed pixel data is. */
type FrameDecoder = (frame: Uint8Array, image: SeriesImage) => Uint8Array | Promise<Uint8Array>;

const asStored: FrameDecoder = (frame) => frame;
const jpegLs = async () => (await import('./codecs/jpeg-ls')).decodeJpegLs;

/** The transfer syntaxes the console draws, and how it reads each one's frames. */
const DECODERS: Record<string, () => Promise<FrameDecoder>> = {
  '1.2.840.10008.1.2': async () => asStored,
  '1.2.840.10008.1.2.1': async () => asStored,
  '1.2.840.10008.1.2.2': async () => bigEndianSwapped,
  '1.2.840.10008.1.2.4.80': jpegLs,
  '1.2.840.10008.1.2.4.81': jpegLs,
};

/** Transfer syntaxes the console names with why it does not draw them; any other without a decoder is named alone. */
const NOT_DRAWN: Record<string, Word> = {
  '1.2.840.10008.1.2.4.51': 'jpegExtendedNotDrawn',
};

/** A frame the console has no decoder for: the viewer says so in the reader's language. */
export class FrameNotDrawn extends Error {
  constructor(
    readonly transferSyntax: string,
    readonly reason: Word = NOT_DRAWN[transferSyntax] ?? 'noDecoder'
  ) {
    super(`Transfer syntax ${transferSyntax} is not drawn`);
  }
}

async function dicomweb(path: string, accept: string): Promise<Response> {
  const res = await fetch(path, { headers: { accept, authorization: `Bearer ${currentToken() ?? ''}` } });
  if (!res.ok) throw new Error(`DICOMweb ${res.status}: ${path.split('/').slice(0, 4).join('/')}…`);
  return res;
}

const first = (item: DicomJson, tag: string): unknown => item[tag]?.Value?.[0];
const number = (item: DicomJson, tag: string): number | undefined => (typeof first(item, tag) === 'number' ? (first(item, tag) as number) : undefined);
const text = (item: DicomJson, tag: string): string | undefined => (typeof first(item, tag) === 'string' ? (first(item, tag) as string) : undefined);

/** QIDO-RS: the study's series, in series number order. */
export async function fetchSeries(studyUid: string): Promise<SeriesSummary[]> {
  const found = (await (await dicomweb(`/dicomweb/studies/${studyUid}/series`, 'application/dicom+json')).json()) as DicomJson[];
  return found
    .map((item) => ({ uid: text(item, '0020000E') ?? '', modality: text(item, '00080060'), number: number(item, '00200011'), description: text(item, '0008103E'), instanceCount: number(item, '00201209') ?? 0 }))
    .sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
}

/** WADO-RS series metadata: one entry per image, in instance number order. */
export async function fetchSeriesImages(studyUid: string, seriesUid: string): Promise<SeriesImage[]> {
  const found = (await (await dicomweb(`/dicomweb/studies/${studyUid}/series/${seriesUid}/metadata`, 'application/dicom+json')).json()) as DicomJson[];
  return found
    .map((item) => {
      const center = number(item, '00281050');
      const width = number(item, '00281051');
      const sopInstanceUid = text(item, '00080018') ?? '';
      return {
        uid: sopInstanceUid,
        number: number(item, '00200013'),
        rows: number(item, '00280010') ?? 0,
        columns: number(item, '00280011') ?? 0,
        bitsAllocated: number(item, '00280100') ?? 16,
        signed: number(item, '00280103') === 1,
        slope: number(item, '00281053') ?? 1,
        intercept: number(item, '00281052') ?? 0,
        window: center !== undefined && width ? ([center, width] as [number, number]) : undefined,
        monochrome1: text(item, '00280004') === 'MONOCHROME1',
        frames: Math.max(1, number(item, '00280008') ?? 1),
        instancePath: `/dicomweb/studies/${studyUid}/series/${seriesUid}/instances/${sopInstanceUid}`,
      };
    })
    .sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
}

/** Frame `frame` (1-based) of the image from WADO-RS (multipart/related, one part), as grey levels. */
export async function fetchFrame(image: SeriesImage, frame: number): Promise<DicomImage> {
  if (!image.rows || !image.columns) throw new Error('The instance has no pixel data');
  const res = await dicomweb(`${image.instancePath}/frames/${frame}`, STORED_FRAMES);
  const boundary = /boundary="?([^";]+)"?/i.exec(res.headers.get('content-type') ?? '')?.[1];
  if (!boundary) throw new Error('WADO-RS answer has no multipart boundary');
  const part = firstPart(new Uint8Array(await res.arrayBuffer()), boundary);
  const transferSyntax = /transfer-syntax=([\d.]+)/i.exec(part.contentType)?.[1] ?? EXPLICIT_LITTLE_ENDIAN;
  const decoder = DECODERS[transferSyntax];
  if (!decoder) throw new FrameNotDrawn(transferSyntax);
  return toGrey(image, await (await decoder())(part.body, image));
}

/** The first part of a multipart/related answer: its Content-Type and body (headers end at the first blank line). */
function firstPart(body: Uint8Array, boundary: string): { contentType: string; body: Uint8Array } {
  const text = new TextDecoder('latin1').decode(body);
  const start = text.indexOf(`--${boundary}`);
  const headersEnd = text.indexOf('\r\n\r\n', start);
  const end = text.indexOf(`\r\n--${boundary}`, headersEnd);
  if (start < 0 || headersEnd < 0 || end < 0) throw new Error('WADO-RS answer is not multipart/related');
  const contentType = /^content-type:\s*(.*)$/im.exec(text.slice(start, headersEnd))?.[1] ?? '';
  return { contentType, body: body.subarray(headersEnd + 4, end) };
}

/** Explicit VR Big Endian frames with their 16-bit samples' bytes swapped into little-endian order. */
function bigEndianSwapped(frame: Uint8Array, image: SeriesImage): Uint8Array {
  if (image.bitsAllocated !== 16) return frame;
  const swapped = new Uint8Array(frame.length);
  for (let i = 0; i + 1 < frame.length; i += 2) {
    swapped[i] = frame[i + 1];
    swapped[i + 1] = frame[i];
  }
  return swapped;
}

function toGrey(image: SeriesImage, pixels: Uint8Array): DicomImage {
  const { rows, columns, bitsAllocated, signed, slope, intercept } = image;
  const view = new DataView(pixels.buffer, pixels.byteOffset, pixels.length);
  const count = rows * columns;
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const raw = bitsAllocated === 8 ? view.getUint8(i) : signed ? view.getInt16(i * 2, true) : view.getUint16(i * 2, true);
    values[i] = raw * slope + intercept;
  }
  const [center, width] = image.window ?? fullRange(values);
  const low = center - width / 2;
  const grey = new Uint8ClampedArray(count);
  for (let i = 0; i < count; i++) grey[i] = ((values[i] - low) / width) * 255;
  if (image.monochrome1) for (let i = 0; i < count; i++) grey[i] = 255 - grey[i];
  return { columns, rows, grey };
}

/** Without a window chosen by the modality (0028,1050/1051), the full range of the values. */
function fullRange(values: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [(min + max) / 2, Math.max(max - min, 1)];
}
