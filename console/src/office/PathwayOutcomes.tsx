/** 連携パスの成果: a pathway's outcome figures over the region, for the council (GraphQL pathwayOutcomes). */
import { Alert, NativeSelect, SimpleGrid, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { graphql } from '../api/client';
import { useT, Word } from '../i18n';
import { PATHWAYS } from '../pathway/pathway';

interface Outcomes {
  enrolled: number;
  hba1cMeasured: number;
  hba1cControlledShare: number | null;
  missedTestRate: number | null;
  activities: { activity: string; measured: number; controlledShare: number | null; overdueShare: number | null }[];
}

const QUERY = `query($p: String!) { pathwayOutcomes(pathway: $p) { enrolled hba1cMeasured hba1cControlledShare missedTestRate activities { activity measured controlledShare overdueShare } } }`;

const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 1000) / 10}%`);

export function PathwayOutcomes() {
  const t = useT();
  const [pathway, setPathway] = useState('diabetes');
  const [outcomes, setOutcomes] = useState<Outcomes | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    graphql<{ pathwayOutcomes: Outcomes }>(QUERY, { p: pathway }).then((data) => setOutcomes(data.pathwayOutcomes), (err: Error) => setError(err.message));
  }, [pathway]);

  const figures: [Word, string][] = outcomes
    ? [['enrolledCount', String(outcomes.enrolled)], ['hba1cMeasured', String(outcomes.hba1cMeasured)], ['hba1cControlled', percent(outcomes.hba1cControlledShare)], ['missedTestRate', percent(outcomes.missedTestRate)]]
    : [];
  return (
    <Stack component="section" aria-labelledby="outcomes-title">
      <Title order={2} id="outcomes-title">{t('pathwayOutcomes')}</Title>
      <NativeSelect label={t('pathway')} maw={240} value={pathway} onChange={(e) => setPathway(e.currentTarget.value)} data={PATHWAYS.map((p) => ({ value: p, label: t(`pathway:${p}` as Word) }))} />
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <SimpleGrid cols={4} data-testid="outcome-figures">
        {figures.map(([word, value]) => (
          <Paper key={word} withBorder p="sm">
            <Text size="sm">{t(word)}</Text>
            <Text size="xl" fw={700} data-figure={word}>{value}</Text>
          </Paper>
        ))}
      </SimpleGrid>
      {!!outcomes?.activities.length && (
        <Table aria-label={t('pathwayOutcomes')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('item')}</Table.Th>
              <Table.Th>{t('measuredPatients')}</Table.Th>
              <Table.Th>{t('controlledShare')}</Table.Th>
              <Table.Th>{t('overdueShare')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {outcomes.activities.map((a) => (
              <Table.Tr key={a.activity}>
                <Table.Td>{a.activity}</Table.Td>
                <Table.Td>{a.measured}</Table.Td>
                <Table.Td>{percent(a.controlledShare)}</Table.Td>
                <Table.Td>{percent(a.overdueShare)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
