/**
 * One resident's record as a clinician sees it: lab trends and the cross-facility timeline, kept current by
 * the live resourceChanged subscription; referral letters and images opened from the timeline; CT/MRI booking.
 */
import { Alert, Button, Group, Stack, Tabs, Title } from '@mantine/core';
import { useState } from 'react';
import { useSubscription } from '../api/live';
import { ExamBooking } from '../booking/ExamBooking';
import { useT } from '../i18n';
import { ImageViewer } from './ImageViewer';
import { CHARTED_TESTS, LabTrendChart } from './LabTrendChart';
import { ReferralLetter } from './ReferralLetter';
import { Timeline } from './Timeline';
import type { TimelineEntry } from './timeline';

const RECORD_CHANGED = 'subscription($id: ID!) { resourceChanged(patientId: $id) }';

export function PatientRecord({ patientId, onBack }: { patientId: string; onBack: () => void }) {
  const t = useT();
  const [revision, setRevision] = useState(0);
  const [opened, setOpened] = useState<TimelineEntry | undefined>();
  useSubscription(RECORD_CHANGED, { id: patientId }, () => setRevision((r) => r + 1));

  return (
    <Stack gap="xl">
      <Group>
        <Button variant="subtle" onClick={onBack}>← {t('back')}</Button>
      </Group>
      {revision > 0 && <Alert color="teal" role="status" data-testid="live-notice">{t('liveUpdated')}</Alert>}
      <Tabs defaultValue="record" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="record">{t('record')}</Tabs.Tab>
          <Tabs.Tab value="booking">{t('examBooking')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="record" pt="md">
          <Stack gap="xl">
            <Stack component="section" aria-labelledby="lab-trends-title">
              <Title order={2} id="lab-trends-title">{t('labTrend')}</Title>
              {CHARTED_TESTS.map((test) => <LabTrendChart key={test.code} patientId={patientId} code={test.code} label={test.label} revision={revision} />)}
            </Stack>
            <Timeline patientId={patientId} revision={revision} onOpen={setOpened} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="booking" pt="md">
          <ExamBooking patientId={patientId} />
        </Tabs.Panel>
      </Tabs>
      {opened?.kind === 'DOCUMENT' && <ReferralLetter entry={opened} onClose={() => setOpened(undefined)} />}
      {opened?.kind === 'IMAGING' && <ImageViewer entry={opened} onClose={() => setOpened(undefined)} />}
    </Stack>
  );
}
