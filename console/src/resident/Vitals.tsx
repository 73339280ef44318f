/** 自己測定: the resident enters height, weight and blood pressure, and sees their own weight and BP charts. */
import { LineChart } from '@mantine/charts';
import { Alert, Button, Group, NumberInput, Stack, Text, Title } from '@mantine/core';
import { FormEvent, useState } from 'react';
import { useT } from '../i18n';
import { recordVitals, VitalObservation, VitalsInput } from './record';

const LOINC = { weight: '29463-7', bloodPressure: '85354-9', systolic: '8480-6', diastolic: '8462-4' };

const codeOf = (concept?: { coding?: { code?: string }[] }) => concept?.coding?.[0]?.code;
const localDate = (at?: string) => (at ? new Date(at).toLocaleDateString('sv-SE') : '');

export function Vitals({ observations, onRecorded }: { observations: VitalObservation[]; onRecorded: () => void }) {
  const t = useT();
  const [input, setInput] = useState<Record<keyof VitalsInput, number | string>>({ height: '', weight: '', systolic: '', diastolic: '' });
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  const field = (name: keyof VitalsInput) => ({ value: input[name], onChange: (value: number | string) => setInput({ ...input, [name]: value }) });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    const vitals = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== '').map(([k, v]) => [k, Number(v)])) as VitalsInput;
    if ((vitals.systolic === undefined) !== (vitals.diastolic === undefined)) return setError(t('bloodPressureBoth'));
    if (!Object.keys(vitals).length) return setError(t('vitalsEmpty'));
    try {
      await recordVitals(vitals);
      setSaved(true);
      setInput({ height: '', weight: '', systolic: '', diastolic: '' });
      onRecorded();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  const oldestFirst = [...observations].sort((a, b) => (a.effectiveDateTime ?? '').localeCompare(b.effectiveDateTime ?? ''));
  const weights = oldestFirst.filter((o) => codeOf(o.code) === LOINC.weight).map((o) => ({ date: localDate(o.effectiveDateTime), [t('weight')]: o.valueQuantity?.value }));
  const pressures = oldestFirst.filter((o) => codeOf(o.code) === LOINC.bloodPressure).map((o) => ({
    date: localDate(o.effectiveDateTime),
    [t('systolic')]: o.component?.find((c) => codeOf(c.code) === LOINC.systolic)?.valueQuantity?.value,
    [t('diastolic')]: o.component?.find((c) => codeOf(c.code) === LOINC.diastolic)?.valueQuantity?.value,
  }));

  return (
    <Stack>
      <form onSubmit={submit} aria-labelledby="vitals-entry-title">
        <Stack>
          <Title order={3} id="vitals-entry-title">{t('vitalsEntry')}</Title>
          <Group align="end">
            <NumberInput label={t('height')} suffix=" cm" min={30} max={250} {...field('height')} />
            <NumberInput label={t('weight')} suffix=" kg" min={1} max={400} decimalScale={1} {...field('weight')} />
            <NumberInput label={t('systolic')} suffix=" mmHg" min={40} max={300} allowDecimal={false} {...field('systolic')} />
            <NumberInput label={t('diastolic')} suffix=" mmHg" min={20} max={200} allowDecimal={false} {...field('diastolic')} />
            <Button type="submit">{t('save')}</Button>
          </Group>
        </Stack>
      </form>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {saved && <Alert color="teal" role="status">{t('saved')}</Alert>}
      <Title order={3}>{t('bloodPressure')}</Title>
      {pressures.length ? (
        <figure aria-label={t('bloodPressure')} style={{ margin: 0 }} data-testid="bp-chart">
          <LineChart h={220} data={pressures} dataKey="date" curveType="linear" series={[{ name: t('systolic'), color: 'red.8' }, { name: t('diastolic'), color: 'indigo.8' }]} referenceLines={[{ y: 140, label: '140', color: 'red.7' }, { y: 90, label: '90', color: 'indigo.7' }]} />
        </figure>
      ) : (
        <Text c="gray.7">{t('noValues')}</Text>
      )}
      <Title order={3}>{t('weight')}</Title>
      {weights.length ? (
        <figure aria-label={t('weight')} style={{ margin: 0 }} data-testid="weight-chart">
          <LineChart h={200} data={weights} dataKey="date" curveType="linear" series={[{ name: t('weight'), color: 'teal.8' }]} />
        </figure>
      ) : (
        <Text c="gray.7">{t('noValues')}</Text>
      )}
    </Stack>
  );
}
