/** The network office (事務局): the HL7 inbox, the audit trail and the pathways' outcome figures. */
import { Tabs } from '@mantine/core';
import { useT } from '../i18n';
import { AuditSearch } from './AuditSearch';
import { Hl7Inbox } from './Hl7Inbox';
import { PathwayOutcomes } from './PathwayOutcomes';

export function OfficeHome() {
  const t = useT();
  return (
    <Tabs defaultValue="inbox" keepMounted={false}>
      <Tabs.List>
        <Tabs.Tab value="inbox">{t('hl7Inbox')}</Tabs.Tab>
        <Tabs.Tab value="audit">{t('auditTrail')}</Tabs.Tab>
        <Tabs.Tab value="outcomes">{t('pathwayOutcomes')}</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="inbox" pt="md"><Hl7Inbox /></Tabs.Panel>
      <Tabs.Panel value="audit" pt="md"><AuditSearch /></Tabs.Panel>
      <Tabs.Panel value="outcomes" pt="md"><PathwayOutcomes /></Tabs.Panel>
    </Tabs>
  );
}
