/** 閲覧履歴: who looked at the resident's record, when, and whether it was emergency access. */
import { Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useLanguage, useT, Word } from '../i18n';
import { AuditEventResource, organizationNames } from './record';

/** What the resident is told happened, by AuditEvent.subtype (REST interactions and Tonet's own events). */
const SUBTYPE_WORD: Record<string, Word> = {
  read: 'actionRead',
  vread: 'actionRead',
  history: 'actionRead',
  search: 'actionRead',
  operation: 'actionRead',
  create: 'actionCreate',
  update: 'actionUpdate',
  patch: 'actionUpdate',
  delete: 'actionDelete',
  transaction: 'actionUpdate',
  batch: 'actionUpdate',
  'link-card': 'actionLinkCard',
  'emergency-access': 'actionEmergency',
  denied: 'actionDenied',
};

export function AccessLog({ events }: { events: AuditEventResource[] }) {
  const t = useT();
  const language = useLanguage();
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    organizationNames(events.flatMap((e) => (e.agent ?? []).map((a) => a.who?.reference ?? ''))).then(setNames, () => undefined);
  }, [events]);
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  const who = (event: AuditEventResource) =>
    [...new Set((event.agent ?? []).flatMap((a) => [names.get(a.who?.reference ?? ''), a.who?.display].filter((x): x is string => !!x)))].join(' / ');

  return (
    <Stack>
      <Title order={3}>{t('accessLog')}</Title>
      {events.length === 0 && <Text c="gray.7">{t('emptyRecord')}</Text>}
      <Table aria-label={t('accessLog')} data-testid="access-log">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('date')}</Table.Th>
            <Table.Th>{t('who')}</Table.Th>
            <Table.Th>{t('action')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((event) => (
            <Table.Tr key={event.id}>
              <Table.Td>{format.format(new Date(event.recorded))}</Table.Td>
              <Table.Td>{who(event)}</Table.Td>
              <Table.Td>
                {t(SUBTYPE_WORD[event.subtype?.[0]?.code ?? ''] ?? 'actionExecute')}
                {event.purposeOfEvent?.some((p) => p.coding?.some((c) => c.code === 'ETREAT')) && <Badge color="red" ml="xs">{t('emergencyAccess')}</Badge>}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
