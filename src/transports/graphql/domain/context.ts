/**
 * What every domain resolver receives: the caller, and the same services REST uses — so GraphQL reads
 * go through the same repository and the same access decision.
 */
import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../../../core/context';
import type { AuditTrail } from '../../../audit/types';
import type { BookingService } from '../../../booking/service';
import type { AccessPolicy } from '../../../consent/access';
import type { ChangeFeed } from '../../../notify/changes';
import type { Repository } from '../../../fhir/repository';
import type { FhirRouter } from '../../../fhir/router';
import { parseQuery } from '../../../fhir/router';
import type { PathwayReports } from '../../../pathway/reports';
import type { LabTrends } from '../../../records/lab-trend';
import type { ChangedResources } from '../../../store/read-models/changed-resources';
import type { ResidentRecords } from '../../../records/resident';
import type { Timeline } from '../../../records/timeline';
import type { CohortStatisticsService } from '../../../research/cohort';

export interface DomainServices {
  repo: Repository;
  access: AccessPolicy;
  changes: ChangeFeed;
  router: FhirRouter;
  audit: AuditTrail;
  timeline: Timeline;
  labTrends: LabTrends;
  changedResources: ChangedResources;
  cohort: CohortStatisticsService;
  residents: ResidentRecords;
  pathways: PathwayReports;
  booking: BookingService;
}

export interface DomainContext {
  ctx: RequestContext;
  services: DomainServices;
  /** Facility display names by "Organization/<id>", loaded in one query per request batch. */
  facilityNames: DataLoader<string, string | undefined>;
  /** Over WebSocket: whether the connection's token still stands (not expired, revoked, nor its client deactivated). */
  standing?: () => Promise<boolean>;
  /**
   * Response keys of the fields whose resolvers recorded their own audit entry — the one their REST operation
   * records, which a rate limit may count: the answer's entry leaves them out, so none is recorded twice.
   */
  selfAudited: Set<string>;
}

/** Called by a resolver whose domain call records the interaction's audit entry itself. */
export function auditedByItself(context: DomainContext, info: GraphQLResolveInfo): void {
  context.selfAudited.add(String(info.path.key));
}

export function domainContext(ctx: RequestContext, services: DomainServices): DomainContext {
  return {
    ctx,
    services,
    selfAudited: new Set(),
    facilityNames: new DataLoader(async (references: readonly string[]) => {
      const ids = references.filter((r) => r.startsWith('Organization/')).map((r) => r.slice('Organization/'.length));
      const names = new Map<string, string | undefined>();
      if (ids.length) {
        const page = await services.repo.search(ctx, { ...parseQuery('Organization', { _id: ids.join(','), _count: String(ids.length) }), total: 'none' });
        for (const m of page.matches) names.set(`Organization/${m.id}`, (JSON.parse(m.content) as { name?: string }).name);
      }
      // A resident's own entry is marked as theirs rather than a facility's.
      return references.map((r) => (r.startsWith('Patient/') ? '本人' : names.get(r)));
    }),
  };
}
