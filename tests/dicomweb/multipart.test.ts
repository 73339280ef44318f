import { buildMultipart, MultipartError, parseMediaType, parseMultipart, streamMultipart } from '../../src/dicomweb/multipart';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('parseMediaType', () => {
  it('reads quoted and unquoted parameters, case-insensitively by name', () => {
    expect(parseMediaType('Multipart/Related; Type="application/dicom"; boundary=abc123')).toEqual({
      mediaType: 'multipart/related',
      parameters: { type: 'application/dicom', boundary: 'abc123' },
    });
    expect(parseMediaType('multipart/related;boundary="a \\"quoted\\" b;c";type=application/dicom').parameters).toEqual({ boundary: 'a "quoted" b;c', type: 'application/dicom' });
  });
});

describe('parseMultipart', () => {
  it('ignores preamble and epilogue and keeps binary content, CRLF and all, intact', () => {
    const content = Buffer.from([0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0x78, 0xff, 0x0d, 0x0a]);
    const body = Buffer.concat([bytes('preamble\r\n--x\r\nContent-Type: application/dicom\r\n\r\n'), content, bytes('\r\n--x\r\n\r\nsecond\r\n--x--\r\nepilogue')]);
    const parts = parseMultipart(body, 'x');
    expect(parts.map((part) => part.headers)).toEqual([{ 'content-type': 'application/dicom' }, {}]);
    expect(parts[0].body.equals(content)).toBe(true);
    expect(parts[1].body.toString()).toBe('second');
  });

  it('finds a delimiter only at a line start and when the boundary ends there', () => {
    const body = bytes('--ab\r\n\r\nsee --ab and\r\n--abc inside\r\n--ab  \r\n\r\ntwo\r\n--ab--');
    expect(parseMultipart(body, 'ab').map((part) => part.body.toString())).toEqual(['see --ab and\r\n--abc inside', 'two']);
  });

  it('accepts bare LF line breaks', () => {
    expect(parseMultipart(bytes('--b\nContent-Type: application/dicom\n\none\n--b--\n'), 'b').map((part) => part.body.toString())).toEqual(['one']);
  });

  it('names what is wrong with a broken body', () => {
    expect(() => parseMultipart(bytes('no delimiter here'), 'b')).toThrow(MultipartError);
    expect(() => parseMultipart(bytes('--b\r\n\r\nunterminated'), 'b')).toThrow(/close delimiter/);
    expect(() => parseMultipart(bytes('--b\r\nbroken header\r\n\r\nx\r\n--b--'), 'b')).toThrow(/malformed header/);
  });

  it('reads back what buildMultipart wrote', () => {
    const files = [Buffer.from([1, 2, 3]), Buffer.alloc(0), bytes('\r\n--tonet-\r\n')];
    const { contentType, body } = buildMultipart(files.map((file) => ({ contentType: 'application/dicom', body: file })), 'application/dicom');
    const { parameters } = parseMediaType(contentType);
    expect(parameters.type).toBe('application/dicom');
    expect(parseMultipart(body, parameters.boundary).map((part) => part.body)).toEqual(files);
  });

  it('streams parts as they are read, framed as buildMultipart frames them, asking for the next only when the last is sent', async () => {
    const files = [Buffer.from([1, 2, 3]), Buffer.alloc(0), bytes('\r\n--tonet-\r\n')];
    const asked: number[] = [];
    async function* parts() {
      for (const [index, file] of files.entries()) {
        asked.push(index);
        yield { contentType: 'application/dicom', body: file };
      }
    }
    const { contentType, body } = streamMultipart(parts(), 'application/dicom');
    expect(asked).toEqual([]);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(asked).toEqual([0, 1, 2]);
    const { parameters } = parseMediaType(contentType);
    expect(parameters.type).toBe('application/dicom');
    expect(parseMultipart(Buffer.concat(chunks), parameters.boundary).map((part) => part.headers['content-type'])).toEqual(files.map(() => 'application/dicom'));
    expect(parseMultipart(Buffer.concat(chunks), parameters.boundary).map((part) => part.body)).toEqual(files);
  });
});
