/**
 * The frames of an instance's pixel data, one by one, as a WADO-RS frames request serves them (PS3.18 §10.4):
 * in the stored transfer syntax, never transcoded. Native pixel data is cut into frames of Rows × Columns ×
 * Samples per Pixel × Bits Allocated; encapsulated pixel data (PS3.5 §A.4) gives each frame's compressed
 * bitstream, its fragments joined.
 */
import { parseDicom, readEncapsulatedImageFrame, readEncapsulatedPixelDataFromFragments, type DataSet, type Element } from 'dicom-parser';
import { DicomError } from './errors';

export interface DicomFrames {
  transferSyntaxUid: string;
  count: number;
  /** Frame `number` (1-based, as in a frames URL), or undefined when the instance has no such frame. */
  frame(number: number): Buffer | undefined;
}

const PIXEL_DATA = 'x7fe00010';

export function dicomFrames(bytes: Buffer): DicomFrames {
  let dataSet: DataSet;
  try {
    dataSet = parseDicom(bytes);
  } catch (thrown) {
    throw new DicomError('invalid', `DICOM file could not be read: ${typeof thrown === 'string' ? thrown : thrown instanceof Error ? thrown.message : 'unreadable'}`);
  }
  const transferSyntaxUid = dataSet.string('x00020010') ?? '';
  const pixelData = dataSet.elements[PIXEL_DATA];
  if (!pixelData) return { transferSyntaxUid, count: 0, frame: () => undefined };
  const count = Number(dataSet.string('x00280008') ?? 1) || 1;
  const read = pixelData.encapsulatedPixelData ? encapsulatedFrame(dataSet, pixelData, count) : nativeFrame(dataSet, pixelData);
  return {
    transferSyntaxUid,
    count,
    frame: (number) => (Number.isInteger(number) && number >= 1 && number <= count ? Buffer.from(read(number - 1)) : undefined),
  };
}

function nativeFrame(dataSet: DataSet, pixelData: Element): (index: number) => Uint8Array {
  const bits = (dataSet.uint16('x00280010') ?? 0) * (dataSet.uint16('x00280011') ?? 0) * (dataSet.uint16('x00280002') ?? 1) * (dataSet.uint16('x00280100') ?? 16);
  // Bits Allocated 1 packs frames without byte alignment; no sender of Tonet's stores such images.
  if (bits % 8 !== 0) throw new DicomError('invalid', 'Frames of bit-packed pixel data (Bits Allocated 1) are not served');
  const size = bits / 8;
  return (index) => dataSet.byteArray.subarray(pixelData.dataOffset + index * size, pixelData.dataOffset + (index + 1) * size);
}

/**
 * Where each frame's fragments begin: the Basic Offset Table when the sender wrote one; one fragment per frame
 * when there are as many as frames (RLE always so, PS3.5 §G.1); otherwise, with the table left empty as the
 * standard allows, at each fragment that opens a codestream (the JPEG and JPEG-LS SOI marker FFD8, the
 * JPEG 2000 SOC marker FF4F), which an encoder never splits across a fragment boundary.
 */
function encapsulatedFrame(dataSet: DataSet, pixelData: Element, count: number): (index: number) => Uint8Array {
  const fragments = pixelData.fragments ?? [];
  if (count === 1) return () => readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, fragments.length);
  if (pixelData.basicOffsetTable?.length === count) return (index) => readEncapsulatedImageFrame(dataSet, pixelData, index);
  if (fragments.length === count) return (index) => readEncapsulatedPixelDataFromFragments(dataSet, pixelData, index, 1);
  const starts = fragments.flatMap((fragment, index) => {
    const [marker, code] = dataSet.byteArray.subarray(fragment.position, fragment.position + 2);
    return marker === 0xff && (code === 0xd8 || code === 0x4f) ? [index] : [];
  });
  if (starts.length !== count) throw new DicomError('invalid', `The pixel data's ${fragments.length} fragments cannot be told apart into its ${count} frames (no Basic Offset Table)`);
  return (index) => readEncapsulatedPixelDataFromFragments(dataSet, pixelData, starts[index], (starts[index + 1] ?? fragments.length) - starts[index]);
}
