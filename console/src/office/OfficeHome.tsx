/** The network office (事務局): the HL7 inbox and the audit trail. */
import { Tabs } from '@mantine/core';
import { useT } from '../i18n';
import { AuditSearch } from './AuditSearch';
import { Hl7Inbox } from './Hl7Inbox';

export function OfficeHome() {
  const t = useT();
  return (
    <Tabs defaultValue="inbox" keepMounted={false}>
      <Tabs.List>
        <Tabs.Tab value="inbox">{t('hl7Inbox')}</Tabs.Tab>
        <Tabs.Tab value="audit">{t('auditTrail')}</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="inbox" pt="md"><Hl7Inbox /></Tabs.Panel>
      <Tabs.Panel value="audit" pt="md"><AuditSearch /></Tabs.Panel>
    </Tabs>
  );
}
