/**
 * 受付 the front desk (a clerk): find the facility's own patients and link a presented card. Nothing clinical
 * is opened from here; the consent service shows a clerk no records beyond the facility's Patients.
 */
import { Alert, Stack } from '@mantine/core';
import { useState } from 'react';
import { useT } from '../i18n';
import { CardLink } from './CardLink';
import { PatientSearch } from './PatientSearch';

export function FrontDesk() {
  const t = useT();
  const [linked, setLinked] = useState(false);
  return (
    <Stack gap="xl">
      <PatientSearch />
      <CardLink onLinked={() => setLinked(true)} />
      {linked && <Alert color="teal" role="status">{t('linked')}</Alert>}
    </Stack>
  );
}
