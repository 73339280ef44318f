/**
 * 地域連携パス dashboard: the facility's enrolled patients with their next due tests and latest values, open
 * alerts counted by severity and listed most severe first, each acknowledged with one click. A new alert
 * (live, `revision`) reloads it.
 */
import { Alert, Badge, Button, Group, NativeSelect, SimpleGrid, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { displayName, PatientResource } from '../clinician/patients';
import { useLanguage, useT, Word } from '../i18n';
import { TONE } from '../tones';
import { acknowledge, alertText, dashboard, Dashboard, PATHWAYS, patientsById, SEVERITIES, Severity } from './pathway';

const SEVERITY_COLOR: Record<Severity, string> = { high: TONE.danger, medium: TONE.waiting, low: TONE.neutral };
const SEVERITY_WORD: Record<Severity, Word> = { high: 'severityHigh', medium: 'severityMedium', low: 'severityLow' };

export function PathwayDashboard({ facility, revision, onOpenPatient }: { facility: string; revision: number; onOpenPatient: (patientId: string) => void }) {
  const t = useT();
  const language = useLanguage();
  const [pathway, setPathway] = useState<string>('diabetes');
  const [data, setData] = useState<Dashboard | undefined>();
  const [names, setNames] = useState<Map<string, PatientResource>>(new Map());
  const [error, setError] = useState<string | undefined>();
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let current = true;
    (async () => {
      const loaded = await dashboard(facility, pathway);
      const people = await patientsById([...new Set([...loaded.patients.map((p) => p.patientId), ...loaded.openAlerts.map((a) => a.patientId)])]);
      if (current) {
        setData(loaded);
        setNames(people);
        setError(undefined);
      }
    })().catch((err: Error) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [facility, pathway, revision, reload]);

  const nameOf = (id: string) => (names.get(id) ? displayName(names.get(id) as PatientResource) : id);
  const format = new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  const countOf = (severity: Severity) => data?.openAlertsBySeverity.find((s) => s.severity === severity)?.count ?? 0;

  async function ack(flagId: string) {
    try {
      await acknowledge(flagId);
      setReload((r) => r + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <Stack component="section" aria-labelledby="pathway-title">
      <Group justify="space-between" align="end">
        <Title order={2} id="pathway-title">{t('pathwayDashboard')}</Title>
        <NativeSelect label={t('pathway')} value={pathway} onChange={(e) => setPathway(e.currentTarget.value)} data={PATHWAYS.map((p) => ({ value: p, label: t(`pathway:${p}` as Word) }))} />
      </Group>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      <SimpleGrid cols={3} data-testid="alert-counts">
        {SEVERITIES.map((severity) => (
          <Paper key={severity} withBorder p="sm">
            <Text size="sm">{t(SEVERITY_WORD[severity])}</Text>
            <Text size="xl" fw={700} data-severity={severity}>{countOf(severity)}</Text>
          </Paper>
        ))}
      </SimpleGrid>

      <Title order={3}>{t('openAlerts')}</Title>
      {data && data.openAlerts.length === 0 && <Text c="gray.7">{t('noOpenAlerts')}</Text>}
      {data && data.openAlerts.length > 0 && (
        <Table aria-label={t('openAlerts')} data-testid="open-alerts">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('severity')}</Table.Th>
              <Table.Th>{t('patient')}</Table.Th>
              <Table.Th>{t('item')}</Table.Th>
              <Table.Th>{t('raisedAt')}</Table.Th>
              <Table.Th><span className="visually-hidden">{t('acknowledge')}</span></Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.openAlerts.map((alert) => (
              <Table.Tr key={alert.flagId}>
                <Table.Td><Badge color={SEVERITY_COLOR[alert.severity]}>{t(SEVERITY_WORD[alert.severity])}</Badge></Table.Td>
                <Table.Td>{nameOf(alert.patientId)}</Table.Td>
                <Table.Td>{alertText(alert.flag)}</Table.Td>
                <Table.Td>{format.format(new Date(alert.raisedAt))}</Table.Td>
                <Table.Td>
                  {alert.acknowledged ? <Badge color={TONE.ok} variant="outline">{t('acknowledged')}</Badge> : <Button size="xs" variant="outline" onClick={() => void ack(alert.flagId)}>{t('acknowledge')}</Button>}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}

      <Title order={3}>{t('enrolledPatients')}</Title>
      {data && data.patients.length === 0 && <Text c="gray.7">{t('noEnrolled')}</Text>}
      {data && data.patients.length > 0 && (
        <Table striped aria-label={t('enrolledPatients')} data-testid="pathway-patients">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('patient')}</Table.Th>
              <Table.Th>{t('nextDue')}</Table.Th>
              <Table.Th>{t('recentValues')}</Table.Th>
              <Table.Th>{t('openAlerts')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.patients.map((p) => (
              <Table.Tr key={p.carePlanId}>
                <Table.Td><Button size="compact-sm" variant="subtle" onClick={() => onOpenPatient(p.patientId)}>{nameOf(p.patientId)}</Button></Table.Td>
                <Table.Td>
                  {p.nextDue.slice(0, 3).map((d) => (
                    <Text size="sm" key={d.activity}>{d.dueDate} {d.activity}{d.overdue && <Badge color={TONE.danger} variant="outline" ml="xs" size="sm">{t('overdue')}</Badge>}</Text>
                  ))}
                </Table.Td>
                <Table.Td>
                  {p.recentValues.map((v) => (
                    <Text size="sm" key={v.activity}>{v.activity} {v.text}{v.abnormal && <Badge color="red" ml="xs" size="sm">{t('abnormal')}</Badge>}</Text>
                  ))}
                </Table.Td>
                <Table.Td>{p.openAlerts}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
