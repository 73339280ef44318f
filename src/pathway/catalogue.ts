/**
 * Loads the shipped pathways at start. Each definition is created when no resource has its url and version
 * (a conditional create on url+version), so a restart changes nothing and never undoes what an administrator
 * changed with PUT; a changed shipped definition is published under a new version. Every definition's rules
 * are read once here, so a malformed one stops the start instead of failing at the first $apply.
 */
import type { Resource } from '@medplum/fhirtypes';
import { systemActor } from '../core/context';
import type { Repository } from '../fhir/repository';
import { SHIPPED_PATHWAYS } from './definitions';
import { activityRules } from './rules';

export async function loadPathways(repo: Repository): Promise<{ created: number }> {
  const ctx = systemActor('pathway-catalogue');
  let created = 0;
  for (const pathway of SHIPPED_PATHWAYS) {
    for (const resource of [...pathway.activities, pathway.plan] as (Resource & { url?: string; version?: string })[]) {
      if (resource.resourceType === 'ActivityDefinition') activityRules(resource);
      const query = `url=${encodeURIComponent(resource.url as string)}&version=${encodeURIComponent(resource.version as string)}`;
      if ((await repo.createIfNoneExist(ctx, resource, query)).created) created++;
    }
  }
  return { created };
}
