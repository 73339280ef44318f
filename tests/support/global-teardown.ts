import fs from 'node:fs';
import { EMPTY_TEMPLATE_ENV, TEMPLATE_ENV } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  for (const env of [TEMPLATE_ENV, EMPTY_TEMPLATE_ENV]) {
    const file = process.env[env];
    if (file) fs.rmSync(file, { force: true });
  }
}
