/**
 * 記録の写し: the resident asks for a copy of everything the network holds about them, from every facility
 * (Patient/{id}/$disclosure, audited like any look at the record), and saves it as a FHIR Bundle in JSON.
 */
import { Alert, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { fhir } from '../api/client';
import { isWord, useT } from '../i18n';
import { TONE } from '../tones';

interface DisclosureBundle {
  timestamp?: string;
  entry?: { resource?: { resourceType: string; meta?: { source?: string } } }[];
}

export function RecordCopy({ patientId }: { patientId: string }) {
  const t = useT();
  const [copy, setCopy] = useState<{ bundle: DisclosureBundle; url: string } | undefined>();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => () => copy && URL.revokeObjectURL(copy.url), [copy]);

  async function request() {
    setAsking(true);
    setError(undefined);
    try {
      const bundle = await fhir<DisclosureBundle>(`Patient/${encodeURIComponent(patientId)}/$disclosure`);
      setCopy({ bundle, url: URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/fhir+json' })) });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setAsking(false);
    }
  }

  const counts = new Map<string, number>();
  for (const entry of copy?.bundle.entry ?? []) {
    const type = entry.resource?.resourceType ?? '';
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }

  return (
    <Stack component="section" aria-labelledby="record-copy-title" maw={640}>
      <Title order={3} id="record-copy-title">{t('recordCopy')}</Title>
      <Text size="sm">{t('recordCopyHelp')}</Text>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <div><Button loading={asking} onClick={() => void request()}>{t('requestRecordCopy')}</Button></div>
      {copy && (
        <Alert color={TONE.ok} variant="outline" role="status" data-testid="record-copy">
          <Stack gap="xs">
            <Text size="sm">{t('recordCopyReady')}: {copy.bundle.entry?.length ?? 0}</Text>
            <Table aria-label={t('recordCopy')}>
              <Table.Thead>
                <Table.Tr><Table.Th>{t('resourceType')}</Table.Th><Table.Th>{t('count')}</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => (
                  <Table.Tr key={type} data-type={type}>
                    {/* The FHIR type beside its name: the saved JSON says resourceType. */}
                    <Table.Td>{isWord(type) ? t(type) : type} <Text span size="xs" c="dimmed">{type}</Text></Table.Td>
                    <Table.Td>{count}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <div><Button component="a" href={copy.url} download={`tonet-record-${(copy.bundle.timestamp ?? new Date().toISOString()).slice(0, 10)}.json`} variant="outline">{t('saveRecordCopy')}</Button></div>
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}
