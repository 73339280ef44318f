/**
 * The clinician's desk: patients (search, card linking, the record), the pathway dashboard, the facility's
 * exam bookings, the emergency view (for a resident whose consent the facility does not hold), and pathway
 * alerts as they are raised (alertRaised), shown whichever screen is open. The emergency view is offered unless
 * the facility's type says it takes no emergencies (a clinic), where the server would refuse every declaration.
 */
import { Alert, CloseButton, Group, Stack, Tabs, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useSubscription } from '../api/live';
import { FacilityBookings } from '../booking/FacilityBookings';
import { EmergencyView } from '../emergency/EmergencyView';
import { facilityTakesEmergencies } from '../emergency/facility';
import { useT } from '../i18n';
import { PathwayDashboard } from '../pathway/PathwayDashboard';
import { alertText, FlagResource } from '../pathway/pathway';
import { CardLink } from './CardLink';
import { PatientRecord } from './PatientRecord';
import { PatientSearch } from './PatientSearch';

const ALERT_RAISED = 'subscription { alertRaised }';

export function ClinicianDesk({ facility }: { facility?: string }) {
  const t = useT();
  const [tab, setTab] = useState<string | null>('patients');
  const [patientId, setPatientId] = useState<string | undefined>();
  const [alerts, setAlerts] = useState<FlagResource[]>([]);
  const [alertRevision, setAlertRevision] = useState(0);
  // Without a facility the server refuses emergency access outright; with one, until its type is read, the tab
  // list is marked busy rather than offering a tab that may vanish.
  const [emergencyOffered, setEmergencyOffered] = useState<boolean | 'reading'>(facility ? 'reading' : false);
  useEffect(() => {
    if (facility) void facilityTakesEmergencies(facility).then((takes) => setEmergencyOffered(takes !== false));
  }, [facility]);
  useSubscription<{ alertRaised: FlagResource }>(ALERT_RAISED, {}, (data) => {
    setAlerts((before) => [data.alertRaised, ...before]);
    setAlertRevision((r) => r + 1);
  });

  return (
    <Stack gap="md">
      {alerts.length > 0 && (
        <Stack gap="xs" component="section" aria-label={t('liveAlerts')} data-testid="live-alerts">
          {alerts.map((flag) => (
            <Alert key={flag.id} color="red" variant="outline" role="alert" title={t('newAlert')}>
              <Group justify="space-between" wrap="nowrap">
                <Text size="sm">{alertText(flag)}</Text>
                <CloseButton aria-label={t('dismiss')} onClick={() => setAlerts((before) => before.filter((f) => f.id !== flag.id))} />
              </Group>
            </Alert>
          ))}
        </Stack>
      )}
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List aria-busy={emergencyOffered === 'reading'}>
          <Tabs.Tab value="patients">{t('patients')}</Tabs.Tab>
          <Tabs.Tab value="pathway">{t('pathwayDashboard')}</Tabs.Tab>
          <Tabs.Tab value="bookings">{t('bookings')}</Tabs.Tab>
          {emergencyOffered === true && <Tabs.Tab value="emergency">{t('emergencyView')}</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="patients" pt="md">
          {patientId ? (
            <PatientRecord patientId={patientId} onBack={() => setPatientId(undefined)} />
          ) : (
            <Stack gap="xl">
              <PatientSearch onOpen={setPatientId} />
              <CardLink onLinked={setPatientId} />
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="pathway" pt="md">
          {facility ? <PathwayDashboard facility={facility} revision={alertRevision} onOpenPatient={(id) => { setPatientId(id); setTab('patients'); }} /> : <Alert color="gray">{t('noFacility')}</Alert>}
        </Tabs.Panel>
        <Tabs.Panel value="bookings" pt="md">
          <FacilityBookings />
        </Tabs.Panel>
        {emergencyOffered === true && (
          <Tabs.Panel value="emergency" pt="md">
            <EmergencyView />
          </Tabs.Panel>
        )}
      </Tabs>
    </Stack>
  );
}
