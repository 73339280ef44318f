/**
 * The sending facility of a gateway client: its Organization and the 10-digit medical institution code
 * (医療機関コード) that the Organization carries as an identifier. Ingest trusts this, never MSH-4.
 */
import type { Organization } from '@medplum/fhirtypes';
import { systemActor } from '../core/context';
import type { Repository } from '../fhir/repository';
import type { SendingFacility } from '../mapping/types';

/** JP Core's identifier system for the 10-digit insurance medical institution number. */
export const INSTITUTION_NUMBER_SYSTEM = 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no';

export class FacilityDirectory {
  private readonly cache = new Map<string, SendingFacility>();

  constructor(private readonly repo: Repository) {}

  /** The facility for an "Organization/<id>" reference, or undefined when it has no 10-digit code. */
  async resolve(organizationReference: string): Promise<SendingFacility | undefined> {
    const cached = this.cache.get(organizationReference);
    if (cached) return cached;
    const id = organizationReference.replace(/^Organization\//, '');
    const org = (await this.repo.read(systemActor('sending-facility'), 'Organization', id).catch(() => undefined)) as Organization | undefined;
    const identifiers = org?.identifier ?? [];
    const code = (identifiers.find((i) => i.system === INSTITUTION_NUMBER_SYSTEM) ?? identifiers.find((i) => /^\d{10}$/.test(i.value ?? '')))?.value;
    if (!code || !/^\d{10}$/.test(code)) return undefined;
    const facility = { code, organizationReference };
    this.cache.set(organizationReference, facility);
    return facility;
  }
}
