/**
 * JPEG-LS (1.2.840.10008.1.2.4.80 lossless, .81 near-lossless) by CharLS built to WebAssembly, Cornerstone's
 * maintained build. Imported only when a frame in JPEG-LS is drawn, so neither the script nor the 145 kB
 * module is part of the console's first screen.
 */
import charlsFactory from '@cornerstonejs/codec-charls/decodewasmjs';
import charlsWasmUrl from '@cornerstonejs/codec-charls/decodewasm?url';

let charls: ReturnType<typeof charlsFactory> | undefined;

/** The frame's samples as native little-endian bytes, laid out as uncompressed pixel data would be. */
export async function decodeJpegLs(frame: Uint8Array): Promise<Uint8Array> {
  charls ??= charlsFactory({ locateFile: () => charlsWasmUrl });
  const decoder = new (await charls).JpegLSDecoder();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    // A copy: the decoded buffer is WebAssembly memory, freed with the decoder.
    return decoder.getDecodedBuffer().slice();
  } finally {
    decoder.delete();
  }
}
