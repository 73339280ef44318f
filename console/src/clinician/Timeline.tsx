/**
 * 施設横断タイムライン: every facility's entries with their source, filtered by kind and facility, paged on scroll.
 * Each new `revision` (a live change to the record) fetches the newest page again and puts what is new on top.
 */
import { Alert, Anchor, Badge, Button, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useLanguage, useT } from '../i18n';
import { TONE } from '../tones';
import { TIMELINE_KINDS, TimelineEntry, TimelineKind, timelinePage } from './timeline';

export function Timeline({ patientId, revision = 0, onOpen }: { patientId: string; revision?: number; onOpen?: (entry: TimelineEntry) => void }) {
  const t = useT();
  const language = useLanguage();
  const [kind, setKind] = useState<TimelineKind | ''>('');
  const [facility, setFacility] = useState('');
  const [entries, setEntries] = useState<TimelineEntry[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const sentinel = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  /** Appends the page after `after`, unless the list has been started again meanwhile. */
  const loadPage = async (after: string | undefined) => {
    const asked = generation.current;
    setLoading(true);
    try {
      const page = await timelinePage(patientId, kind ? [kind] : undefined, after);
      if (asked !== generation.current) return;
      setEntries((before) => [...before, ...page.edges]);
      setCursor(page.pageInfo.endCursor);
      setHasMore(page.pageInfo.hasNextPage);
    } catch (err) {
      setError((err as Error).message);
      setHasMore(false);
    } finally {
      if (asked === generation.current) setLoading(false);
    }
  };

  const loadMore = useCallback(async () => {
    if (loading || !hasMore) return;
    await loadPage(cursor);
  }, [patientId, kind, cursor, hasMore, loading]);

  // A new patient or kind filter starts the list again from the newest entry, asked at once rather than
  // when the observer first reports the sentinel (a frame later), and in a layout effect, so that it leaves
  // before the record's lab trends (asked in passive effects): the server answers the three together, the
  // embedded database one statement at a time, and the first screen waited for the trends' answers
  // (bench:console, issue 16).
  useLayoutEffect(() => {
    generation.current += 1;
    setEntries([]);
    setCursor(undefined);
    setHasMore(true);
    setError(undefined);
    setFresh(new Set());
    void loadPage(undefined);
  }, [patientId, kind]);

  useEffect(() => {
    if (revision === 0) return;
    const asked = generation.current;
    timelinePage(patientId, kind ? [kind] : undefined).then((page) => {
      if (asked !== generation.current) return;
      setEntries((before) => {
        const known = new Set(before.map(entryKey));
        const added = page.edges.filter((e) => !known.has(entryKey(e)));
        setFresh((was) => new Set([...was, ...added.map(entryKey)]));
        return [...added, ...before].sort((a, b) => b.at.localeCompare(a.at));
      });
    }, (err: Error) => setError(err.message));
  }, [revision]);

  useEffect(() => {
    const target = sentinel.current;
    if (!target) return;
    const observer = new IntersectionObserver((seen) => seen.some((s) => s.isIntersecting) && void loadMore());
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadMore]);

  const facilities = useMemo(() => [...new Set(entries.map((e) => e.sourceFacility).filter((f): f is string => !!f))].sort(), [entries]);
  const shown = facility ? entries.filter((e) => e.sourceFacility === facility) : entries;
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });

  return (
    <Stack component="section" aria-labelledby="timeline-title">
      <Title order={2} id="timeline-title">{t('timeline')}</Title>
      <Group>
        <NativeSelect
          label={t('kind')}
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value as TimelineKind | '')}
          data={[{ value: '', label: t('allKinds') }, ...TIMELINE_KINDS.map((k) => ({ value: k, label: t(k) }))]}
        />
        <NativeSelect
          label={t('sourceFacility')}
          value={facility}
          onChange={(e) => setFacility(e.currentTarget.value)}
          data={[{ value: '', label: t('allFacilities') }, ...facilities.map((f) => ({ value: f, label: f }))]}
        />
      </Group>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <Table striped highlightOnHover aria-label={t('timeline')} data-testid="timeline">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('date')}</Table.Th>
            <Table.Th>{t('kind')}</Table.Th>
            <Table.Th>{t('item')}</Table.Th>
            <Table.Th>{t('sourceFacility')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((entry) => (
            <Table.Tr key={entryKey(entry)} data-kind={entry.kind}>
              <Table.Td>{format.format(new Date(entry.at))}</Table.Td>
              <Table.Td>{t(entry.kind)}</Table.Td>
              <Table.Td>
                {onOpen && OPENABLE.has(entry.kind) ? <Anchor component="button" type="button" onClick={() => onOpen(entry)}>{entry.title}</Anchor> : entry.title}
                {entry.resource.valueQuantity?.value !== undefined && ` ${entry.resource.valueQuantity.value} ${entry.resource.valueQuantity.unit ?? ''}`}
                {entry.abnormal && <Badge color="red" ml="xs">{t('abnormal')}</Badge>}
                {fresh.has(entryKey(entry)) && <Badge color={TONE.ok} ml="xs">{t('newEntry')}</Badge>}
              </Table.Td>
              <Table.Td>{entry.sourceFacility}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <div ref={sentinel} aria-hidden="true" style={{ height: 1 }} />
      <Text role="status" c="gray.7" size="sm">
        {loading ? t('loading') : !hasMore ? (entries.length ? t('endOfRecord') : t('emptyRecord')) : ''}
      </Text>
      {hasMore && !loading && <Button variant="subtle" onClick={() => void loadMore()}>{t('loadMore')}</Button>}
    </Stack>
  );
}

/** Entries that open in a viewer of their own: referral letters and image studies. */
const OPENABLE = new Set<TimelineKind>(['DOCUMENT', 'IMAGING']);

function entryKey(entry: TimelineEntry): string {
  return `${entry.resource.resourceType}/${entry.resource.id}`;
}
