/** The network office (事務局): the HL7 inbox, the audit trail, the pathways' outcome figures, the facilities with their clients, and the users. */
import { Tabs } from '@mantine/core';
import { useT } from '../i18n';
import { AuditSearch } from './AuditSearch';
import { Facilities } from './Facilities';
import { Hl7Inbox } from './Hl7Inbox';
import { PathwayOutcomes } from './PathwayOutcomes';
import { Users } from './Users';

export function OfficeHome() {
  const t = useT();
  return (
    <Tabs defaultValue="inbox" keepMounted={false}>
      <Tabs.List>
        <Tabs.Tab value="inbox">{t('hl7Inbox')}</Tabs.Tab>
        <Tabs.Tab value="audit">{t('auditTrail')}</Tabs.Tab>
        <Tabs.Tab value="outcomes">{t('pathwayOutcomes')}</Tabs.Tab>
        <Tabs.Tab value="facilities">{t('facilitiesAndClients')}</Tabs.Tab>
        <Tabs.Tab value="users">{t('users')}</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="inbox" pt="md"><Hl7Inbox /></Tabs.Panel>
      <Tabs.Panel value="audit" pt="md"><AuditSearch /></Tabs.Panel>
      <Tabs.Panel value="outcomes" pt="md"><PathwayOutcomes /></Tabs.Panel>
      <Tabs.Panel value="facilities" pt="md"><Facilities /></Tabs.Panel>
      <Tabs.Panel value="users" pt="md"><Users /></Tabs.Panel>
    </Tabs>
  );
}
