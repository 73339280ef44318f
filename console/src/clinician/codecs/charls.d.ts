/** The part of Cornerstone's CharLS build the console calls (the package ships no types). */
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  interface JpegLSDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  interface CharLS {
    JpegLSDecoder: new () => JpegLSDecoder;
  }
  export default function charlsFactory(options: { locateFile: (path: string) => string }): Promise<CharLS>;
}
