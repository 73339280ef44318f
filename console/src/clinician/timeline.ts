/** The cross-facility timeline as GraphQL pages (newest first; the cursor pages on as the list scrolls). */
import { graphql } from '../api/client';

export const TIMELINE_KINDS = ['ENCOUNTER', 'CONDITION', 'ALLERGY', 'MEDICATION', 'INJECTION', 'LAB_RESULT', 'IMAGING', 'DOCUMENT', 'VITAL'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  title: string;
  sourceFacility?: string;
  abnormal?: boolean;
  resource: { resourceType: string; id: string; valueQuantity?: { value?: number; unit?: string } };
}

export interface TimelinePage {
  edges: TimelineEntry[];
  pageInfo: { endCursor?: string; hasNextPage: boolean };
}

export const PAGE_SIZE = 50;

const QUERY = `query($id: ID!, $first: Int, $after: String, $kinds: [TimelineKind!]) {
  patientTimeline(patientId: $id, first: $first, after: $after, kinds: $kinds) {
    edges { at kind title sourceFacility abnormal resource }
    pageInfo { endCursor hasNextPage }
  }
}`;

export async function timelinePage(patientId: string, kinds: TimelineKind[] | undefined, after?: string): Promise<TimelinePage> {
  const data = await graphql<{ patientTimeline: TimelinePage }>(QUERY, { id: patientId, first: PAGE_SIZE, after, kinds });
  return data.patientTimeline;
}
