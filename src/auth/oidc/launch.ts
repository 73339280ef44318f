/**
 * EHR launch contexts: what an EHR opened a SMART app on (the patient, the practitioner and facility),
 * kept in the provider's storage under an unguessable id for a few minutes and used by one login only.
 */
import { randomBytes } from 'node:crypto';
import type { OidcPayload } from '../../store/oidc-payloads';

interface PayloadStore {
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  destroy(id: string): Promise<void>;
}

export interface EhrLaunch {
  /** "Practitioner/<id>": only this person may use the launch. */
  person: string;
  organization?: string;
  /** "Patient/<id>" */
  patient: string;
}

/** Long enough for the app to start and the person to log in, short enough that a leaked id soon means nothing. */
const LAUNCH_SECONDS = 5 * 60;

export class LaunchContexts {
  constructor(private readonly store: PayloadStore) {}

  async open(launch: EhrLaunch): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    await this.store.upsert(id, { ...launch }, LAUNCH_SECONDS);
    return id;
  }

  /** The launch, if it exists and belongs to `person`. */
  async find(id: string, person: string | undefined): Promise<EhrLaunch | undefined> {
    const found = await this.store.find(id);
    return found && person && found.person === person ? (found as unknown as EhrLaunch) : undefined;
  }

  /** Spent by the login it served, so it serves one. */
  async spend(id: string): Promise<void> {
    await this.store.destroy(id);
  }
}
