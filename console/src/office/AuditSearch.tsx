/** 監査証跡: AuditEvents by patient, period and outcome, and a check of the trail's hash chain. */
import { Alert, Badge, Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { FormEvent, useState } from 'react';
import { useLanguage, useT } from '../i18n';
import { TONE } from '../tones';
import { AuditEventResource, AuditQuery, ChainVerification, searchAudit, verifyChain } from './office';

export function AuditSearch() {
  const t = useT();
  const language = useLanguage();
  const [query, setQuery] = useState<AuditQuery>({});
  const [events, setEvents] = useState<AuditEventResource[] | undefined>();
  const [verification, setVerification] = useState<ChainVerification | undefined>();
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const set = (field: keyof AuditQuery) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setQuery({ ...query, [field]: e.currentTarget.value });
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

  async function search(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      setEvents(await searchAudit(query));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function verify() {
    setVerifying(true);
    setError(undefined);
    try {
      setVerification(await verifyChain());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setVerifying(false);
    }
  }

  return (
    <Stack component="section" aria-labelledby="audit-title">
      <Title order={2} id="audit-title">{t('auditTrail')}</Title>
      <Group>
        <Button variant="outline" loading={verifying} onClick={() => void verify()}>{t('verifyChain')}</Button>
        {verification && (
          <Alert color={verification.ok ? TONE.ok : TONE.danger} variant="outline" role="status" data-testid="chain-verification" py="xs">
            {verification.ok ? `${t('chainIntact')} (${verification.checked})` : `${t('chainBroken')}: #${verification.firstBadSeq} ${verification.reason ?? ''}`}
          </Alert>
        )}
      </Group>
      <form onSubmit={search}>
        <Group align="end">
          <TextInput label={t('patientId')} value={query.patient ?? ''} onChange={set('patient')} />
          <TextInput label={t('from')} type="date" value={query.from ?? ''} onChange={set('from')} />
          <TextInput label={t('to')} type="date" value={query.to ?? ''} onChange={set('to')} />
          <NativeSelect label={t('outcome')} value={query.outcome ?? ''} onChange={set('outcome')} data={[{ value: '', label: t('allOutcomes') }, { value: '0', label: t('outcomeSuccess') }, { value: '4', label: t('outcomeFailure') }]} />
          <Button type="submit">{t('search')}</Button>
        </Group>
      </form>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {events?.length === 0 && <Text c="gray.7">{t('emptyRecord')}</Text>}
      {!!events?.length && (
        <Table striped aria-label={t('auditTrail')} data-testid="audit-events">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('date')}</Table.Th>
              <Table.Th>{t('who')}</Table.Th>
              <Table.Th>{t('kind')}</Table.Th>
              <Table.Th>{t('outcome')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.map((event) => (
              <Table.Tr key={event.id}>
                <Table.Td>{format.format(new Date(event.recorded))}</Table.Td>
                <Table.Td>{(event.agent ?? []).map((a) => a.who?.display ?? a.who?.reference).filter(Boolean).join(' / ')}</Table.Td>
                <Table.Td>
                  {event.subtype?.map((s) => s.display ?? s.code).join(', ')}
                  {event.purposeOfEvent?.some((p) => p.coding?.some((c) => c.code === 'ETREAT')) && <Badge color="red" ml="xs">{t('emergencyAccess')}</Badge>}
                </Table.Td>
                <Table.Td>{event.outcome === '0' ? t('outcomeSuccess') : `${t('outcomeFailure')} ${event.outcomeDesc ?? ''}`}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
