import fs from 'node:fs';
import { decodeHl7 } from '../../../src/mapping/hl7v2/decode';
import { parseHl7, read } from '../../../src/mapping/hl7v2/parse';
import { fixturePath } from '../../fixtures';
import { samplePath } from './helpers';

describe('decodeHl7', () => {
  const adt00 = fs.readFileSync(samplePath('ADT-00'));

  test('decodes the ISO-2022-JP sample and drops the trailing FS', () => {
    expect(adt00.subarray(-2)).toEqual(Buffer.from([0x0d, 0x1c]));
    const text = decodeHl7(adt00);
    expect(text).toContain('PID|0001||9999013||患者^太郎^^^^^L^I~カンジャ^タロウ^^^^^L^P||19480405|M');
    expect(text).toContain('AL1|1|DA^薬剤アレルギー^HL70127|1^ペニシリン^99XYZ');
    expect(text.includes('\x1c')).toBe(false);
    expect(text.includes('\x1b')).toBe(false);
    expect(text.endsWith('IN1|1|67^国民健康保険退職者^JHSD0001|67999991|||||||||20091201|||||SEL^本人^HL70063')).toBe(true);
  });

  test('strips MLLP framing and decodes UTF-8 the same way', () => {
    const utf8 = Buffer.from(decodeHl7(adt00).replace('~ISO IR87', ''), 'utf8');
    const framed = Buffer.concat([Buffer.from([0x0b]), utf8, Buffer.from([0x1c, 0x0d])]);
    expect(decodeHl7(framed)).toBe(decodeHl7(adt00).replace('~ISO IR87', ''));
  });

  test('folds the JIS minus sign so both Node decodings compare equal', () => {
    const withU2212 = Buffer.from('MSH|^~\\&|A|B\rPID|1||1||静岡県登呂１\u2212３\r', 'utf8');
    const withUff0d = Buffer.from('MSH|^~\\&|A|B\rPID|1||1||静岡県登呂１\uff0d３\r', 'utf8');
    expect(decodeHl7(withU2212)).toBe(decodeHl7(withUff0d));
    // The OMP-02 sample's drug name holds the JIS minus (0x215D) between ソリタ and Ｔ３号.
    expect(decodeHl7(fs.readFileSync(samplePath('OMP-02')))).toContain('ソリタ\uff0dＴ３号輸液５００ｍＬ');
  });

  test('normalises LF, CRLF and mixed segment ends to CR', () => {
    const unix = decodeHl7(fs.readFileSync(fixturePath('hl7v2-line-endings', 'sample_unix.hl7')));
    const win = decodeHl7(fs.readFileSync(fixturePath('hl7v2-line-endings', 'sample_win.hl7')));
    expect(unix.includes('\n')).toBe(false);
    expect(win.includes('\n')).toBe(false);
    expect(unix.split('\r').map((line) => line.slice(0, 3))).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'OBX', 'AL1', 'AL1', 'PRB']);
    expect(win.split('\r').map((line) => line.slice(0, 3))).toEqual(unix.split('\r').map((line) => line.slice(0, 3)));
    const mixed = Buffer.from('MSH|^~\\&|A|B\r\nEVN||2012\nPID|1||X\rPV1|1|I\n');
    expect(decodeHl7(mixed)).toBe('MSH|^~\\&|A|B\rEVN||2012\rPID|1||X\rPV1|1|I');
  });
});

describe('parseHl7', () => {
  test('the LF and CRLF line-ending fixtures parse to the same segments and values', () => {
    const parse = (file: string) => parseHl7(decodeHl7(fs.readFileSync(fixturePath('hl7v2-line-endings', file)))).parsed!;
    const unix = parse('sample_unix.hl7');
    const win = parse('sample_win.hl7');
    expect(win.segments.map((segment) => segment.name)).toEqual(unix.segments.map((segment) => segment.name));
    const pid = (parsed: typeof unix) => parsed.segments.find((segment) => segment.name === 'PID')!;
    expect(read(pid(unix), 3)).toBe('PID1234');
    expect(read(pid(win), 3)).toBe('PID1234');
    expect(read(pid(win), 5, 2)).toBe(read(pid(unix), 5, 2));
    const oru = parse('ORU-multiline-short.hl7');
    const oruMixed = parse('ORU-multiline-short-mixed.hl7');
    expect(oru.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'NTE', 'PV1', 'OBR', 'OBX', 'OBX', 'OBX']);
    expect(oruMixed.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID', 'NTE', 'PV1', 'OBR', 'OBX', 'OBX', 'OBX', 'OBX']);
    expect(read(oruMixed.segments[8], 5)).toBe('ED Encounter Arrival Date: [ADDRESS] [PERSONALNAME]:');
  });

  test('skips blank lines, tolerates trailing separators and unescapes values', () => {
    const { parsed, issues } = parseHl7('MSH|^~\\&|A|B|||20240101||ADT^A08|1|P|2.5\r\r  \rPID|1||123^^^^PI||山田\\S\\花子\\T\\x\\F\\y||||||\r');
    expect(issues).toEqual([]);
    expect(parsed!.segments.map((segment) => segment.name)).toEqual(['MSH', 'PID']);
    expect(read(parsed!.segments[1], 3)).toBe('123');
    expect(read(parsed!.segments[1], 5)).toBe('山田^花子&x|y');
    expect(read(parsed!.segments[1], 30)).toBe('');
  });

  test('reports text that is not HL7', () => {
    expect(parseHl7('hello').issues).toEqual([expect.objectContaining({ severity: 'error', code: '100', segment: 'MSH' })]);
  });
});
