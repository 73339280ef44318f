/**
 * A study's images for the browser, from Tonet's DICOMweb with the signed-in person's token, the way a
 * standard viewer loads them: the series from QIDO-RS, each series' instances from its WADO-RS metadata (DICOM
 * JSON: size, pixel format, window), and each image's pixels from the BulkDataURI the metadata names, drawn
 * as 8-bit grey with the image's own window. Uncompressed monochrome pixel data only; compressed transfer
 * syntaxes need a codec the console does not ship, and are named instead.
 */
import { currentToken } from '../auth/session';

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
  transferSyntax: string;
  /** Same-origin path of the pixel data's BulkDataURI. */
  pixelPath?: string;
}

export interface DicomImage {
  columns: number;
  rows: number;
  /** Grey levels 0–255, row by row. */
  grey: Uint8ClampedArray;
}

/** Transfer syntaxes whose pixel data is stored as it is (implicit/explicit VR little endian, explicit big endian). */
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);
const BIG_ENDIAN = '1.2.840.10008.1.2.2';

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
      const bulk = item['7FE00010']?.BulkDataURI;
      return {
        uid: text(item, '00080018') ?? '',
        number: number(item, '00200013'),
        rows: number(item, '00280010') ?? 0,
        columns: number(item, '00280011') ?? 0,
        bitsAllocated: number(item, '00280100') ?? 16,
        signed: number(item, '00280103') === 1,
        slope: number(item, '00281053') ?? 1,
        intercept: number(item, '00281052') ?? 0,
        window: center !== undefined && width ? ([center, width] as [number, number]) : undefined,
        monochrome1: text(item, '00280004') === 'MONOCHROME1',
        transferSyntax: text(item, '00020010') ?? '',
        // The console is served by the same Tonet, whatever public base URL the metadata was written with.
        pixelPath: bulk ? new URL(bulk, location.origin).pathname : undefined,
      };
    })
    .sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
}

/** The image's pixels from its BulkDataURI (multipart/related, one part), as grey levels. */
export async function fetchImage(image: SeriesImage): Promise<DicomImage> {
  if (!UNCOMPRESSED.has(image.transferSyntax)) throw new Error(`Transfer syntax ${image.transferSyntax} is compressed; the console shows uncompressed images only`);
  if (!image.pixelPath || !image.rows || !image.columns) throw new Error('The instance has no pixel data');
  const res = await dicomweb(image.pixelPath, 'multipart/related; type="application/octet-stream"');
  const boundary = /boundary="?([^";]+)"?/i.exec(res.headers.get('content-type') ?? '')?.[1];
  if (!boundary) throw new Error('WADO-RS answer has no multipart boundary');
  return decode(image, firstPart(new Uint8Array(await res.arrayBuffer()), boundary));
}

/** The body of the first part of a multipart/related answer (headers end at the first blank line). */
function firstPart(body: Uint8Array, boundary: string): Uint8Array {
  const text = new TextDecoder('latin1').decode(body);
  const start = text.indexOf(`--${boundary}`);
  const headersEnd = text.indexOf('\r\n\r\n', start);
  const end = text.indexOf(`\r\n--${boundary}`, headersEnd);
  if (start < 0 || headersEnd < 0 || end < 0) throw new Error('WADO-RS answer is not multipart/related');
  return body.subarray(headersEnd + 4, end);
}

function decode(image: SeriesImage, pixels: Uint8Array): DicomImage {
  const { rows, columns, bitsAllocated, signed, slope, intercept } = image;
  const littleEndian = image.transferSyntax !== BIG_ENDIAN;
  const view = new DataView(pixels.buffer, pixels.byteOffset, pixels.length);
  const count = rows * columns;
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const raw = bitsAllocated === 8 ? view.getUint8(i) : signed ? view.getInt16(i * 2, littleEndian) : view.getUint16(i * 2, littleEndian);
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
