/**
 * What ingest tests share: a facility with its medical institution code, a gateway client for it,
 * and an MLLP client that speaks to the real listener.
 */
import net from 'node:net';
import type { TestServer } from '../support/server';

export const FACILITY_CODE = '1312345670';

export async function createFacility(server: TestServer, code = FACILITY_CODE, name = '登呂病院'): Promise<string> {
  const res = await fetch(`${server.fhirUrl}/Organization`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Organization',
      name,
      identifier: [{ system: 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no', value: code }],
    }),
  });
  if (res.status !== 201) throw new Error(`organization: ${res.status} ${await res.text()}`);
  return `Organization/${((await res.json()) as { id: string }).id}`;
}

/** A CDA document's facility code is split over three ids (prefecture, point table, institution); joined as the mapper does. */
export function cdaFacilityCode(xml: string): string {
  const part = (n: number) => new RegExp(`root="1\\.2\\.392\\.100495\\.20\\.3\\.2${n}" extension="(\\d+)"`).exec(xml)?.[1] ?? '';
  return `${part(1)}${part(2)}${part(3)}`;
}

/** Puts the gateway's access token into MSH-8 (Security), as a gateway does before sending over MLLP. */
export function withToken(message: Buffer, token: string): Buffer {
  const firstEnd = message.indexOf(0x0d);
  const header = message.subarray(0, firstEnd < 0 ? message.length : firstEnd).toString('latin1');
  const separator = header[3];
  const fields = header.split(separator);
  fields[7] = token;
  return Buffer.concat([Buffer.from(fields.join(separator), 'latin1'), firstEnd < 0 ? Buffer.alloc(0) : message.subarray(firstEnd)]);
}

/** One MLLP connection: send a message, wait for its ACK. */
export class MllpClient {
  private buffer = Buffer.alloc(0);
  private waiting: ((ack: string) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const end = this.buffer.indexOf(0x1c);
        if (end < 0) break;
        const frame = this.buffer.subarray(1, end).toString('utf8');
        this.buffer = this.buffer.subarray(end + 2);
        this.waiting.shift()?.(frame);
      }
    });
  }

  static connect(port: number): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new MllpClient(socket)));
      socket.once('error', reject);
    });
  }

  send(message: Buffer): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(Buffer.concat([Buffer.from([0x0b]), message, Buffer.from([0x1c, 0x0d])]));
    });
  }

  /** Sends several messages in one write, as a pipelining sender does, and waits for all their ACKs. */
  sendAll(messages: Buffer[]): Promise<string[]> {
    const acks = messages.map(() => new Promise<string>((resolve) => this.waiting.push(resolve)));
    this.socket.write(Buffer.concat(messages.flatMap((m) => [Buffer.from([0x0b]), m, Buffer.from([0x1c, 0x0d])])));
    return Promise.all(acks);
  }

  /**
   * Sends several messages in one write and waits for `answers` frames: fewer than the messages when some
   * ask for no acknowledgment (MSH-15 NE, ER, SU). The frames come in the order of the messages they answer.
   */
  sendExpecting(messages: Buffer[], answers: number): Promise<string[]> {
    const acks = Array.from({ length: answers }, () => new Promise<string>((resolve) => this.waiting.push(resolve)));
    this.socket.write(Buffer.concat(messages.flatMap((m) => [Buffer.from([0x0b]), m, Buffer.from([0x1c, 0x0d])])));
    return Promise.all(acks);
  }

  close(): void {
    this.socket.end();
  }
}

export function ackCode(ack: string): string {
  return ack.split('\r').find((l) => l.startsWith('MSA'))?.split('|')[1] ?? '';
}
