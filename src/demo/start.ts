/**
 * The demo region on a first start: only on the embedded database, only when it holds no facility yet, and
 * only with administrator credentials this start knows. A real PostgreSQL is never seeded unless asked
 * (`tonet demo`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/logger';
import { describeDemo, seedDemoRegion } from './seed';

export interface DemoStart {
  embedded: boolean;
  /** Where the seeder reaches the server (its own port on the loopback address). */
  baseUrl: string;
  /** The URL people use, for the printed instructions. */
  publicUrl: string;
  admin?: { clientId: string; clientSecret: string };
  /** Where the credentials are written (the embedded database's folder). */
  credentialsDir?: string;
}

export async function seedDemoIfEmpty(start: DemoStart, logger: Logger): Promise<boolean> {
  if (!start.embedded || !start.admin) return false;
  if (!(await hasNoFacility(start.baseUrl, start.admin))) return false;
  const credentials = await seedDemoRegion(start.baseUrl, start.admin, (step) => logger.info({ step }, 'demo region'));
  if (start.credentialsDir) {
    const file = path.join(start.credentialsDir, 'demo-credentials.json');
    fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    logger.info({ file }, 'demo region credentials written');
  }
  process.stderr.write(describeDemo({ ...credentials, server: start.publicUrl }));
  return true;
}

async function hasNoFacility(baseUrl: string, admin: { clientId: string; clientSecret: string }): Promise<boolean> {
  const tokenAnswer = await fetch(`${baseUrl}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: admin.clientId, client_secret: admin.clientSecret }) });
  if (tokenAnswer.status !== 200) return false;
  const { access_token } = (await tokenAnswer.json()) as { access_token: string };
  const page = await fetch(`${baseUrl}/fhir/Organization?_count=1&_elements=id`, { headers: { authorization: `Bearer ${access_token}` } });
  const bundle = (await page.json()) as { entry?: unknown[] };
  return page.status === 200 && !bundle.entry?.length;
}
