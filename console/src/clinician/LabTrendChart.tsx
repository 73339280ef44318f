/** 検査値の推移: one test over time with its reference range; abnormal values are flagged in the table beside. */
import { LineChart } from '@mantine/charts';
import { Badge, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { graphql } from '../api/client';
import { useT } from '../i18n';

interface LabTrend {
  code: string;
  display?: string;
  unit?: string;
  low?: number;
  high?: number;
  points: { at: string; value?: number; abnormal?: boolean; sourceFacility?: string }[];
}

/** The tests charted for every patient (JLAC10 codes). */
export const CHARTED_TESTS = [
  { code: '3D046000001920402', label: 'HbA1c' },
  { code: '8A065000002391901', label: 'eGFR' },
];

/** `revision` changes when the record changes live, and the trend is fetched again. */
export function LabTrendChart({ patientId, code, label, revision = 0 }: { patientId: string; code: string; label: string; revision?: number }) {
  const t = useT();
  const [trend, setTrend] = useState<LabTrend | undefined>();
  useEffect(() => {
    let current = true;
    graphql<{ labTrend: LabTrend }>(
      `query($id: ID!, $code: String!) { labTrend(patientId: $id, code: $code) { code display unit low high points { at value abnormal sourceFacility } } }`,
      { id: patientId, code }
    ).then((data) => current && setTrend(data.labTrend), () => current && setTrend(undefined));
    return () => {
      current = false;
    };
  }, [patientId, code, revision]);

  if (!trend || trend.points.length === 0) return null;
  const data = trend.points.map((p) => ({ date: localDate(p.at), [label]: p.value }));
  const range = trend.low !== undefined && trend.high !== undefined && trend.low !== null ? `${trend.low}–${trend.high} ${trend.unit ?? ''}` : undefined;
  const titleId = `lab-trend-${code}`;
  return (
    <Stack component="section" aria-labelledby={titleId} data-testid={`lab-trend-${label}`}>
      <Title order={3} id={titleId}>{label}{trend.unit ? ` (${trend.unit})` : ''}</Title>
      {range && <Text size="sm">{t('referenceRange')}: {range}</Text>}
      <figure aria-label={`${label} ${t('labTrend')}`} style={{ margin: 0 }}>
        <LineChart
          h={220}
          data={data}
          dataKey="date"
          series={[{ name: label, color: 'indigo.6' }]}
          referenceLines={[
            ...(trend.low !== undefined && trend.low !== null ? [{ y: trend.low, label: `${t('referenceRange')} ${trend.low}`, color: 'teal.7' }] : []),
            ...(trend.high !== undefined && trend.high !== null ? [{ y: trend.high, label: `${t('referenceRange')} ${trend.high}`, color: 'red.7' }] : []),
          ]}
          curveType="linear"
        />
      </figure>
      <Table aria-label={`${label} ${t('labTrend')}`}>
        <Table.Tbody>
          {trend.points.map((p) => (
            <Table.Tr key={p.at + p.sourceFacility}>
              <Table.Td>{localDate(p.at)}</Table.Td>
              <Table.Td>{p.value}{p.abnormal && <Badge color="red" ml="xs">{t('abnormal')}</Badge>}</Table.Td>
              <Table.Td>{p.sourceFacility}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** yyyy-mm-dd of an instant in the browser's time zone (a 09:00 JST result is on its Japanese day). */
function localDate(at: string): string {
  return new Date(at).toLocaleDateString('sv-SE');
}
