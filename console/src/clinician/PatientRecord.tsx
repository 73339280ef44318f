/**
 * One resident's record as a clinician sees it: lab trends and the cross-facility timeline, kept current by
 * the live resourceChanged subscription; referral letters and images opened from the timeline; CT/MRI booking.
 */
import { Alert, Button, Grid, Group, Stack, Tabs, Title } from '@mantine/core';
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
          {/* On a desk PC the trends stand beside the timeline, which then starts on the first screen (above
              it, a patient's charts and their value tables pushed it thousands of pixels down); on a tablet
              they stack, trends first, since the timeline below them pages on as it scrolls. */}
          <Grid gutter="xl">
            <Grid.Col span={{ base: 12, lg: 4 }} order={{ base: 1, lg: 2 }}>
              <Stack component="section" aria-labelledby="lab-trends-title">
                <Title order={2} id="lab-trends-title">{t('labTrend')}</Title>
                {CHARTED_TESTS.map((test) => <LabTrendChart key={test.code} patientId={patientId} code={test.code} label={test.label} revision={revision} />)}
              </Stack>
            </Grid.Col>
            <Grid.Col span={{ base: 12, lg: 8 }} order={{ base: 2, lg: 1 }}>
              <Timeline patientId={patientId} revision={revision} onOpen={setOpened} />
            </Grid.Col>
          </Grid>
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
