/** The resident's own screens (本人): vitals, emergency information, consents, who looked, bookings, a copy of the record. */
import { Alert, Stack, Tabs, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { displayName, PatientResource } from '../clinician/patients';
import { useT } from '../i18n';
import { AccessLog } from './AccessLog';
import { Consents } from './Consents';
import { EmergencyInfo } from './EmergencyInfo';
import { MyBookings } from './MyBookings';
import { myRecord, MyRecord } from './record';
import { RecordCopy } from './RecordCopy';
import { Vitals } from './Vitals';

export function ResidentHome() {
  const t = useT();
  const [record, setRecord] = useState<MyRecord | undefined>();
  const [error, setError] = useState<string | undefined>();
  const reload = useCallback(() => {
    myRecord().then(setRecord, (err: Error) => setError(err.message));
  }, []);
  useEffect(reload, [reload]);

  return (
    <Stack component="section" aria-labelledby="my-record-title">
      <Title order={2} id="my-record-title">{t('myRecord')}{record && `: ${displayName({ resourceType: 'Patient', id: record.patientId, ...record.patient } as PatientResource)}`}</Title>
      {error && <Alert color="red" title={t('error')} role="alert">{error}</Alert>}
      {record && (
        <Tabs defaultValue="vitals" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="vitals">{t('vitals')}</Tabs.Tab>
            <Tabs.Tab value="emergency">{t('emergencyInfo')}</Tabs.Tab>
            <Tabs.Tab value="consents">{t('consents')}</Tabs.Tab>
            <Tabs.Tab value="access">{t('accessLog')}</Tabs.Tab>
            <Tabs.Tab value="bookings">{t('myBookings')}</Tabs.Tab>
            <Tabs.Tab value="copy">{t('recordCopy')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="vitals" pt="md"><Vitals observations={record.vitals} onRecorded={reload} /></Tabs.Panel>
          <Tabs.Panel value="emergency" pt="md"><EmergencyInfo info={record.emergencyInfo ?? undefined} onSaved={reload} /></Tabs.Panel>
          <Tabs.Panel value="consents" pt="md"><Consents consents={record.consents} onRevoked={reload} /></Tabs.Panel>
          <Tabs.Panel value="access" pt="md"><AccessLog events={record.accessLog} /></Tabs.Panel>
          <Tabs.Panel value="bookings" pt="md"><MyBookings patientId={record.patientId} /></Tabs.Panel>
          <Tabs.Panel value="copy" pt="md"><RecordCopy patientId={record.patientId} /></Tabs.Panel>
        </Tabs>
      )}
    </Stack>
  );
}
